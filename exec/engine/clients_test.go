package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// connectMode opens a pgx connection in pgx's default mode (the extended
// protocol with a statement cache) or in its simple-protocol mode.
func connectMode(t testing.TB, addr string, simple bool) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://streamsql@" + addr + "/streamsql?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if simple {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func modes() map[string]bool { return map[string]bool{"extended": false, "simple": true} }

// TestPgxClient runs DDL, INSERTs and queries with parameters of every
// type, and a continuous query, through pgx in both of its modes.
func TestPgxClient(t *testing.T) {
	for name, simple := range modes() {
		t.Run(name, func(t *testing.T) {
			addr, _ := startEngine(t)
			conn := connectMode(t, addr, simple)
			ctx := testContext(t)
			mustExec(t, conn, `CREATE TABLE bids (auction BIGINT, bidder INT, price DECIMAL(10,2), ok BOOLEAN,
				note VARCHAR, score DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`)
			mustExec(t, conn, `CREATE MATERIALIZED VIEW per_auction AS SELECT auction, TUMBLE_START(ts, INTERVAL '10' SECOND) AS w,
				COUNT(*) AS n, MAX(price) AS top FROM bids GROUP BY auction, TUMBLE(ts, INTERVAL '10' SECOND)`)

			base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
			for i := range 20 {
				tag, err := conn.Exec(ctx, "INSERT INTO bids VALUES ($1, $2, $3, $4, $5, $6, $7)",
					int64(1000+i%3), int32(i), fmt.Sprintf("%d.%02d", 10+i, i), i%2 == 0, fmt.Sprintf("bid 'quoted' %d", i),
					float64(i)/4, base.Add(time.Duration(i)*time.Second))
				if err != nil || tag.String() != "INSERT 0 1" {
					t.Fatalf("insert %d: %v %v", i, tag, err)
				}
			}
			// A NULL parameter, and parameters in WHERE with inferred types.
			if _, err := conn.Exec(ctx, "INSERT INTO bids VALUES ($1, $2, $3, $4, $5, $6, $7)", 1003, nil, nil, nil, nil, nil, base.Add(19*time.Second)); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "SELECT bidder, price, ok, note, score, ts FROM bids WHERE auction = $1 AND ts >= $2 AND note LIKE $3 ORDER BY bidder",
				int64(1001), base.Add(5*time.Second), "bid%")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var bidder int32
				var price pgtype.Numeric
				var ok bool
				var note string
				var score float64
				var ts time.Time
				if err := rows.Scan(&bidder, &price, &ok, &note, &score, &ts); err != nil {
					t.Fatal(err)
				}
				p, _ := price.Value()
				got = append(got, fmt.Sprintf("%d %v %v %s %v %s", bidder, p, ok, note, score, ts.Format(time.TimeOnly)))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := []string{"7 17.07 false bid 'quoted' 7 1.75 12:00:07", "10 20.10 true bid 'quoted' 10 2.5 12:00:10",
				"13 23.13 false bid 'quoted' 13 3.25 12:00:13", "16 26.16 true bid 'quoted' 16 4 12:00:16", "19 29.19 false bid 'quoted' 19 4.75 12:00:19"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("query with parameters:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			var n int64
			var top pgtype.Numeric
			if err := conn.QueryRow(ctx, "SELECT n, top FROM per_auction WHERE auction = $1 AND w = $2", 1000, base).Scan(&n, &top); err != nil {
				t.Fatal(err)
			}
			if v, _ := top.Value(); n != 4 || v != "19.09" {
				t.Errorf("view: n %d top %v", n, v)
			}
			var null *int32
			if err := conn.QueryRow(ctx, "SELECT bidder FROM bids WHERE auction = $1", 1003).Scan(&null); err != nil || null != nil {
				t.Errorf("NULL parameter: %v %v", null, err)
			}

			// A continuous query: the snapshot, then each change as it
			// happens, with mz_diff -1/+1 for an updated count.
			sub := connectMode(t, addr, simple)
			srows, err := sub.Query(ctx, "SUBSCRIBE per_auction")
			if err != nil {
				t.Fatal(err)
			}
			next := func() string {
				t.Helper()
				if !srows.Next() {
					t.Fatalf("subscription ended: %v", srows.Err())
				}
				v, err := srows.Values()
				if err != nil {
					t.Fatal(err)
				}
				var top any
				if num, ok := v[5].(pgtype.Numeric); ok {
					top, _ = num.Value()
				}
				return fmt.Sprintf("%+d %d %s n=%d top=%v", v[1], v[2], v[3].(time.Time).Format(time.TimeOnly), v[4], top)
			}
			var snap []string
			for range 7 { // 3 auctions × 2 windows + auction 1003
				snap = append(snap, next())
			}
			if !strings.Contains(strings.Join(snap, "\n"), "+1 1000 12:00:10 n=3 top=28.18") {
				t.Errorf("snapshot:\n%s", strings.Join(snap, "\n"))
			}
			if _, err := conn.Exec(ctx, "INSERT INTO bids VALUES ($1, 1, 99.5, true, 'late', 0, $2)", int64(1000), base.Add(19*time.Second)); err != nil {
				t.Fatal(err)
			}
			changes := []string{next(), next()}
			wantChanges := []string{"-1 1000 12:00:10 n=3 top=28.18", "+1 1000 12:00:10 n=4 top=99.50"}
			if strings.Join(changes, "\n") != strings.Join(wantChanges, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(wantChanges, "\n"))
			}
			// Cancel stops the subscription with 57014; the connection
			// stays usable.
			if err := sub.PgConn().CancelRequest(ctx); err != nil {
				t.Fatal(err)
			}
			for srows.Next() {
			}
			var pe *pgconn.PgError
			if !errors.As(srows.Err(), &pe) || pe.Code != "57014" {
				t.Fatalf("after cancel: %v", srows.Err())
			}
			if err := sub.QueryRow(ctx, "SELECT COUNT(*) FROM bids WHERE auction = $1", 1000).Scan(&n); err != nil || n != 8 {
				t.Errorf("after cancel: %d %v", n, err)
			}
		})
	}
}

// testContext bounds a test's waits.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustExec(t testing.TB, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
