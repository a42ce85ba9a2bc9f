//go:build unix

package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// ordAggQuery is a query of ordered aggregates and PostgreSQL's spelling
// of it (PostgreSQL has no first_value or last_value aggregates: they are
// array_agg's first and last elements).
type ordAggQuery struct{ name, sql, pg string }

// ordAggQueries are over a (a keyed table: upserts retract), a join of a
// and b, and e (append-only, with a watermark) in TUMBLE and HOP windows.
// Every ORDER BY ends in a unique column, so the order is PostgreSQL's
// whatever the ties; DISTINCT without ORDER BY is compared with
// PostgreSQL's value order, which streamsql documents.
var ordAggQueries = []ordAggQuery{
	{name: "grouped",
		sql: "SELECT k, string_agg(x, ',' ORDER BY y, id) AS s1, string_agg(x, '|' ORDER BY y DESC NULLS LAST, id DESC) AS s2, " +
			"array_agg(y ORDER BY x NULLS FIRST, id) AS a1, array_agg(x ORDER BY y DESC, id) FILTER (WHERE y > 5) AS a2, " +
			"first_value(x ORDER BY y, id) AS f1, last_value(x ORDER BY y, id) AS l1, first_value(y ORDER BY x DESC, id) AS f2, " +
			"string_agg(DISTINCT x, ';') AS d1, array_agg(DISTINCT y) AS d2, string_agg(DISTINCT x, ',' ORDER BY x DESC) AS d3, count(*) AS n, " +
			"json_agg(x ORDER BY y, id) AS j1, jsonb_agg(y ORDER BY id DESC) FILTER (WHERE y > 1) AS j2 FROM a GROUP BY k",
		pg: "SELECT k, string_agg(x, ',' ORDER BY y, id) AS s1, string_agg(x, '|' ORDER BY y DESC NULLS LAST, id DESC) AS s2, " +
			"array_agg(y ORDER BY x NULLS FIRST, id) AS a1, array_agg(x ORDER BY y DESC, id) FILTER (WHERE y > 5) AS a2, " +
			"(array_agg(x ORDER BY y, id))[1] AS f1, (array_agg(x ORDER BY y, id))[count(*)] AS l1, (array_agg(y ORDER BY x DESC, id))[1] AS f2, " +
			"string_agg(DISTINCT x, ';' ORDER BY x) AS d1, array_agg(DISTINCT y ORDER BY y) AS d2, string_agg(DISTINCT x, ',' ORDER BY x DESC) AS d3, count(*) AS n, " +
			"json_agg(x ORDER BY y, id) AS j1, jsonb_agg(y ORDER BY id DESC) FILTER (WHERE y > 1) AS j2 FROM a GROUP BY k"},
	{name: "global",
		sql: "SELECT string_agg(x, ',' ORDER BY id DESC) AS s, last_value(y ORDER BY x NULLS FIRST, id) AS l FROM a WHERE k = 1",
		pg:  "SELECT string_agg(x, ',' ORDER BY id DESC) AS s, (array_agg(y ORDER BY x NULLS FIRST, id))[count(*)] AS l FROM a WHERE k = 1"},
	{name: "joined",
		sql: "SELECT b.tag, string_agg(a.x, ',' ORDER BY a.y NULLS FIRST, a.id) AS s, array_agg(a.id ORDER BY a.id DESC) AS ids, " +
			"last_value(a.y ORDER BY a.id) AS l FROM a JOIN b ON a.k = b.k GROUP BY b.tag",
		pg: "SELECT b.tag, string_agg(a.x, ',' ORDER BY a.y NULLS FIRST, a.id) AS s, array_agg(a.id ORDER BY a.id DESC) AS ids, " +
			"(array_agg(a.y ORDER BY a.id))[count(*)] AS l FROM a JOIN b ON a.k = b.k GROUP BY b.tag"},
	{name: "tumbled",
		sql: "SELECT window_start, k, string_agg(x, ',' ORDER BY ts) AS s, first_value(x ORDER BY ts) AS f, last_value(id ORDER BY ts) AS l, " +
			"array_agg(id ORDER BY x, id) AS ids, json_agg(x ORDER BY ts) AS j FROM TUMBLE(e, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k",
		pg: "SELECT date_bin('10 seconds', ts, '2024-01-01') AS window_start, k, string_agg(x, ',' ORDER BY ts) AS s, (array_agg(x ORDER BY ts))[1] AS f, " +
			"(array_agg(id ORDER BY ts))[count(*)] AS l, array_agg(id ORDER BY x, id) AS ids, json_agg(x ORDER BY ts) AS j FROM e GROUP BY 1, k"},
	{name: "hopped",
		sql: "SELECT window_start, k, string_agg(x, '' ORDER BY ts DESC) AS s, first_value(id ORDER BY x DESC NULLS LAST, ts) AS f " +
			"FROM HOP(e, ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND) GROUP BY window_start, window_end, k",
		pg: "SELECT date_bin('5 seconds', ts, '2024-01-01') - o * INTERVAL '5 seconds' AS window_start, k, string_agg(x, '' ORDER BY ts DESC) AS s, " +
			"(array_agg(id ORDER BY x DESC NULLS LAST, ts))[1] AS f FROM e CROSS JOIN generate_series(0, 2) AS o GROUP BY 1, k"},
}

// TestOrderedAggOracle checks aggregates with ORDER BY, DISTINCT and FILTER
// inside the call against PostgreSQL: as views over upserts (retractions),
// a join and event-time windows, kept through a checkpoint and a restart
// mid-stream with a cache of 16 groups (evicted and read back), on both
// backends, and ad hoc over the final rows.
func TestOrderedAggOracle(t *testing.T) {
	rng := oracleRand(t)
	pg := ordAggPG(t)
	const n = 600
	xs := []string{"'a'", "'b'", "'ab'", "'c'", "'ba'", "'d'", "NULL"}
	aRow := func(id int) string {
		y := fmt.Sprint(rng.IntN(15) - 2)
		if rng.IntN(9) == 0 {
			y = "NULL"
		}
		return fmt.Sprintf("(%d, %d, %s, %s)", id, rng.IntN(5), xs[rng.IntN(len(xs))], y)
	}
	// Batches of a (a third are upserts of earlier ids), b (its k moved)
	// and e (time only grows but within 20 s, the watermark's delay a
	// minute: no row is late).
	var batches []string
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 50 {
		var as, es []string
		for id := i; id < i+50; id++ {
			as = append(as, aRow(id))
			if id > 0 && rng.IntN(3) == 0 {
				as = append(as, aRow(rng.IntN(id)))
			}
			ts := t0.Add(time.Duration(id)*time.Second/2 + time.Duration(rng.IntN(20_000_000))*time.Microsecond + time.Duration(id)*time.Microsecond)
			es = append(es, fmt.Sprintf("(%d, %d, %s, '%s')", id, rng.IntN(3), xs[rng.IntN(len(xs))], ts.Format("2006-01-02 15:04:05.000000")))
		}
		batches = append(batches, "a "+strings.Join(as, ", "), "e "+strings.Join(es, ", "))
		var bs []string
		for range 3 {
			bs = append(bs, fmt.Sprintf("(%d, %d, 't%d')", rng.IntN(12), rng.IntN(6), rng.IntN(4)))
		}
		batches = append(batches, "b "+strings.Join(bs, ", "))
	}
	tables := map[string]string{
		"a": "CREATE TABLE a (id INT PRIMARY KEY, k INT, x VARCHAR, y INT)",
		"b": "CREATE TABLE b (id INT PRIMARY KEY, k INT, tag VARCHAR)",
	}
	pgExec := func(sql string) {
		t.Helper()
		if a := diffQuery(pg, sql); a.err != nil {
			t.Fatalf("PostgreSQL: %s: %v", oracleAbbrev(sql), a.err)
		}
	}
	pgExec(tables["a"])
	pgExec(tables["b"])
	pgExec("CREATE TABLE e (id INT, k INT, x VARCHAR, ts TIMESTAMP)")
	for _, b := range batches {
		name, rows, _ := strings.Cut(b, " ")
		stmt := "INSERT INTO " + name + " VALUES " + rows
		switch name {
		case "a":
			stmt += " ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, x = EXCLUDED.x, y = EXCLUDED.y"
		case "b":
			stmt += " ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, tag = EXCLUDED.tag"
		}
		// PostgreSQL's upsert takes one row per key a statement.
		for _, one := range splitUpsert(stmt, name) {
			pgExec(one)
		}
	}
	for _, backend := range []string{"memory", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			stateDir, logDir := t.TempDir(), t.TempDir()
			var eng *engine.Engine
			var stop func()
			var conn *pgx.Conn
			open := func() {
				eng, stop = openDurable(t, openBackend(t, backend, stateDir), logDir, engine.Options{})
				conn = connect(t, serveEngine(t, eng))
				oracleExec(t, conn, "SET state_cache_size = 16")
			}
			open()
			defer func() { stop() }()
			oracleExec(t, conn, tables["a"])
			oracleExec(t, conn, tables["b"])
			oracleExec(t, conn, "CREATE TABLE e (id INT, k INT, x VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)")
			for _, q := range ordAggQueries {
				oracleExec(t, conn, "CREATE MATERIALIZED VIEW "+q.name+" AS "+q.sql)
			}
			for i, b := range batches {
				name, rows, _ := strings.Cut(b, " ")
				oracleExec(t, conn, "INSERT INTO "+name+" VALUES "+rows)
				switch i {
				case len(batches) / 3:
					if err := eng.Checkpoint(); err != nil {
						t.Fatal(err)
					}
				case len(batches) / 2:
					oracleExec(t, conn, "FLUSH")
					stop()
					open()
				}
			}
			oracleExec(t, conn, "FLUSH")
			env := &diffEnv{eng: conn, pg: pg}
			for _, q := range ordAggQueries {
				env.compareWith(t, "SELECT * FROM "+q.name, q.pg)
				env.compareWith(t, q.sql, q.pg)
			}
		})
	}
}

// splitUpsert splits a multi-row upsert into one statement per row, since
// PostgreSQL refuses one that touches a key twice.
func splitUpsert(stmt, table string) []string {
	head := "INSERT INTO " + table + " VALUES "
	rows, tail, ok := strings.Cut(strings.TrimPrefix(stmt, head), " ON CONFLICT")
	if !ok {
		return []string{stmt}
	}
	var out []string
	for _, r := range strings.Split(rows, "), (") {
		r = "(" + strings.Trim(r, "()") + ")"
		out = append(out, head+r+" ON CONFLICT"+tail)
	}
	return out
}

// ordAggPG starts PostgreSQL and returns a connection to a fresh database.
func ordAggPG(t *testing.T) *pgx.Conn {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE ordagg"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, srv.URL("ordagg")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestLeadViewOracle checks LEAD in a view over event time against
// PostgreSQL and against the same query ad hoc: a row is output once the
// watermark has passed it and the rows its LEADs read (three, for
// lead(d, 3)), with LAG and aggregates over frames ending at the row,
// through a checkpoint and a restart mid-stream on both backends.
func TestLeadViewOracle(t *testing.T) {
	rng := oracleRand(t)
	pg := ordAggPG(t)
	const n = 500
	// ts unique and growing but out of order within 20 s; the watermark's
	// delay is a minute, so no row is late.
	var rows []string
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		k, v, d := rng.IntN(5), fmt.Sprint(rng.IntN(21)-5), fmt.Sprintf("%.2f", rng.Float64()*100-50)
		if rng.IntN(3) == 0 {
			k = 0 // a skewed partition
		}
		if rng.IntN(8) == 0 {
			v = "NULL"
		}
		ts := t0.Add(time.Duration(i)*time.Second + time.Duration(rng.IntN(20_000_000))*time.Microsecond + time.Duration(i)*time.Microsecond)
		rows = append(rows, fmt.Sprintf("(%d, %d, %s, %s, '%s')", i, k, v, d, ts.Format("2006-01-02 15:04:05.000000")))
	}
	for i := 0; i < n; i += 20 {
		blk := rows[i:min(i+20, n)]
		rng.Shuffle(len(blk), func(a, b int) { blk[a], blk[b] = blk[b], blk[a] })
	}
	over := "SELECT id, lead(v) OVER (PARTITION BY k ORDER BY ts) AS l1, lead(d, 3, -1) OVER (PARTITION BY k ORDER BY ts) AS l3, " +
		"lag(v, 2) OVER (PARTITION BY k ORDER BY ts) AS p2, count(v) OVER (PARTITION BY k ORDER BY ts) AS n, " +
		"sum(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s3, " +
		"max(d) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW) AS m30 FROM e"
	// The rows out: before the watermark, with three rows of their
	// partition after them that are too.
	out := "SELECT * FROM (" + over + ") x WHERE id IN (SELECT id FROM (SELECT id, count(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS after " +
		"FROM e WHERE ts < (SELECT max(ts) - INTERVAL '1 minute' FROM e)) y WHERE after >= 3)"
	if a := diffQuery(pg, "CREATE TABLE e (id INT, k INT, v INT, d DOUBLE PRECISION, ts TIMESTAMP)"); a.err != nil {
		t.Fatal(a.err)
	}
	if a := diffQuery(pg, "INSERT INTO e VALUES "+strings.Join(rows, ", ")); a.err != nil {
		t.Fatal(a.err)
	}
	for _, backend := range []string{"memory", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			stateDir, logDir := t.TempDir(), t.TempDir()
			var eng *engine.Engine
			var stop func()
			var conn *pgx.Conn
			open := func() {
				eng, stop = openDurable(t, openBackend(t, backend, stateDir), logDir, engine.Options{})
				conn = connect(t, serveEngine(t, eng))
			}
			open()
			defer func() { stop() }()
			oracleExec(t, conn, "CREATE TABLE e (id INT, k INT, v INT, d DOUBLE PRECISION, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)")
			oracleExec(t, conn, "CREATE MATERIALIZED VIEW ov AS "+over)
			for i := 0; i < n; i += 25 {
				oracleExec(t, conn, "INSERT INTO e VALUES "+strings.Join(rows[i:min(i+25, n)], ", "))
				switch i {
				case 150:
					if err := eng.Checkpoint(); err != nil {
						t.Fatal(err)
					}
				case 300:
					oracleExec(t, conn, "FLUSH")
					stop()
					open()
				}
			}
			oracleExec(t, conn, "FLUSH")
			env := &diffEnv{eng: conn, pg: pg}
			env.compareWith(t, "SELECT * FROM ov", out)
			env.compareWith(t, out, out) // ad hoc, the same rows
		})
	}
}
