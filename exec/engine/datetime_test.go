package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/streamsql/streamsql/exec/engine"
)

// TestDateTimeDurable holds DATE, TIMESTAMPTZ and INTERVAL columns, and a
// view created in a session's time zone, across a restart on both state
// backends: the view keeps converting in the zone it was created in, the
// rows reach pgx in binary with their OIDs, and as text in the session's
// zone. Intervals keep their months, days and time in rows, group keys
// and SUM, AVG, MIN and MAX (figures checked against PostgreSQL 15).
func TestDateTimeDurable(t *testing.T) {
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stateDir, logDir := t.TempDir(), t.TempDir()
			ctx := context.Background()
			open := func() (func(string, ...any) [][]any, func()) {
				eng, stop := openDurable(t, openBackend(t, name, stateDir), logDir, engine.Options{})
				conn := connect(t, serveEngine(t, eng))
				return func(sql string, args ...any) [][]any {
					t.Helper()
					if len(args) > 0 || sql[:6] != "SELECT" {
						if _, err := conn.Exec(ctx, sql, args...); err != nil {
							t.Fatalf("%s: %v", sql, err)
						}
						return nil
					}
					return queryValues(t, conn, sql)
				}, stop
			}
			q, stop := open()
			q(`SET TIME ZONE 'America/New_York'`)
			q(`CREATE TABLE t (k INT, day DATE, at TIMESTAMPTZ, took INTERVAL, WATERMARK FOR at AS at - INTERVAL '1' SECOND)`)
			q(`INSERT INTO t VALUES (1, '2024-03-09', '2024-03-10 06:59:59+00', '1 day 02:03:04'), (2, NULL, NULL, NULL)`)
			q(`CREATE MATERIALIZED VIEW v AS SELECT k, day + 1 AS next, CAST(at AS TIMESTAMP) AS wall, took * 2 AS twice FROM t`)
			q(`CREATE MATERIALIZED VIEW tot AS SELECT SUM(took) AS s, AVG(took) AS a, MIN(took) AS lo, MAX(took) AS hi FROM t`)
			q(`CREATE MATERIALIZED VIEW byk AS SELECT took, COUNT(*) AS n FROM t GROUP BY took`)
			q(`INSERT INTO t (k, took) VALUES (5, '1 mon -2 days'), (6, '24:00:00')`)
			q(`CREATE MATERIALIZED VIEW days EMIT ON WINDOW CLOSE AS SELECT window_start, COUNT(*) AS n
				FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(at), INTERVAL '1' DAY)) GROUP BY window_start, window_end`)
			stop()

			q, stop = open()
			defer stop()
			// A UTC session: the view still converts in New York's zone.
			q(`INSERT INTO t VALUES ($1, $2, $3, $4)`, 3, time.Date(2024, 11, 2, 0, 0, 0, 0, time.UTC),
				time.Date(2024, 11, 3, 6, 30, 0, 0, time.UTC), pgtype.Interval{Microseconds: -1e6, Valid: true})
			q(`INSERT INTO t (k, took) VALUES (7, '1 day')`)
			got := fmt.Sprint(q(`SELECT k, next::text, wall::text, twice::text, CAST(wall AS TIMESTAMPTZ)::text FROM v ORDER BY k`))
			want := "[[1 2024-03-10 2024-03-10 01:59:59 2 days 04:06:08 2024-03-10 01:59:59+00] [2 <nil> <nil> <nil> <nil>] " +
				"[3 2024-11-03 2024-11-03 01:30:00 -00:00:02 2024-11-03 01:30:00+00] [5 <nil> <nil> 2 mons -4 days <nil>] " +
				"[6 <nil> <nil> 48:00:00 <nil>] [7 <nil> <nil> 2 days <nil>]]"
			if got != want {
				t.Errorf("view after restart:\n got %s\nwant %s", got, want)
			}
			if got := fmt.Sprint(q(`SELECT s::text, a::text, lo::text, hi::text FROM tot`)); got != "[[1 mon 26:03:03 6 days 05:12:36.6 -00:00:01 1 mon -2 days]]" {
				t.Errorf("interval aggregates after restart: %s", got)
			}
			// '24:00:00' and '1 day' are equal, so one group; a group
			// shows its length as days and time (PostgreSQL shows the
			// first value of the group: 24:00:00, 1 mon -2 days).
			if got := fmt.Sprint(q(`SELECT took::text, n FROM byk ORDER BY took`)); got != "[[-00:00:01 1] [1 day 2] [1 day 02:03:04 1] [28 days 1] [<nil> 1]]" {
				t.Errorf("interval groups after restart: %s", got)
			}
			// The windows are UTC days, shown in the session's zone.
			q(`INSERT INTO t VALUES (4, NULL, '2024-11-05 00:00:00+00', NULL)`)
			if got := fmt.Sprint(q(`SELECT window_start::text, n FROM days ORDER BY 1`)); got != "[[2024-03-10 00:00:00+00 1] [2024-11-03 00:00:00+00 1]]" {
				t.Errorf("windows after restart: %s", got)
			}
			rows := q(`SELECT day, at, took FROM t WHERE k = 1`)
			day, at, took := rows[0][0], rows[0][1], rows[0][2]
			if d, ok := day.(time.Time); !ok || !d.Equal(time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("date = %#v", day)
			}
			if a, ok := at.(time.Time); !ok || !a.Equal(time.Date(2024, 3, 10, 6, 59, 59, 0, time.UTC)) {
				t.Errorf("timestamptz = %#v", at)
			}
			if iv, ok := took.(pgtype.Interval); !ok || iv != (pgtype.Interval{Days: 1, Microseconds: 7384e6, Valid: true}) {
				t.Errorf("interval = %#v", took)
			}
			rows = q(`SELECT took FROM t WHERE k = 5`)
			if iv, ok := rows[0][0].(pgtype.Interval); !ok || iv != (pgtype.Interval{Months: 1, Days: -2, Valid: true}) {
				t.Errorf("interval of months = %#v", rows[0][0])
			}
		})
	}
}

// TestTimeZoneStatus: SET TIME ZONE is reported to the client as
// PostgreSQL reports it, in a ParameterStatus before ReadyForQuery.
func TestTimeZoneStatus(t *testing.T) {
	conn := connect(t, startServer(t))
	ctx := context.Background()
	if got := conn.PgConn().ParameterStatus("TimeZone"); got != "UTC" {
		t.Errorf("TimeZone at start = %q, want UTC", got)
	}
	for _, c := range []struct{ sql, want string }{
		{"SET TIME ZONE 'America/New_York'", "America/New_York"},
		{"SET timezone = 'Asia/Kolkata'", "Asia/Kolkata"},
		{"RESET timezone", "UTC"},
	} {
		if _, err := conn.Exec(ctx, c.sql); err != nil {
			t.Fatal(err)
		}
		if got := conn.PgConn().ParameterStatus("TimeZone"); got != c.want {
			t.Errorf("after %s: TimeZone = %q, want %q", c.sql, got, c.want)
		}
	}
}

// TestCopyTimeZone: COPY FROM reads a TIMESTAMPTZ's text without an offset
// in the session's zone, as INSERT does.
func TestCopyTimeZone(t *testing.T) {
	conn := connect(t, startServer(t))
	ctx := context.Background()
	for _, sql := range []string{"CREATE TABLE c (at TIMESTAMPTZ)", "SET TIME ZONE 'America/New_York'"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("2024-03-10 12:00:00\n2024-03-10 12:00:00+00\n"), "COPY c FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(queryValues(t, conn, "SELECT date_part('epoch', at)::text FROM c ORDER BY 1")); got != "[[1710072000] [1710086400]]" {
		t.Errorf("epochs = %s, want 12:00 UTC and 12:00 New York (16:00 UTC)", got)
	}
}
