//go:build unix

package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestOverOracle checks window functions against PostgreSQL on generated
// rows with skewed partitions, ties, NULLs and negative values: every
// function over every window and frame in an ad-hoc query; ranks bounded
// by a filter (top-N, dedup) and percentiles (WITHIN GROUP), ad hoc and as
// views over a table's upserts;
// and a view's OVER over event time, whose rows, once the watermark has
// passed them, must be the batch query's over the same rows.
func TestOverOracle(t *testing.T) {
	env := startDiff(t)
	rng := oracleRand(t)
	const rows = 400
	// w: id unique, k skewed, v and d with NULLs and ties, ts unique and
	// within a minute of its order, so that no row is late.
	var vals []string
	for i := range rows {
		k := rng.IntN(6)
		if rng.IntN(3) == 0 {
			k = 0
		}
		v, d := fmt.Sprint(rng.IntN(21)-5), fmt.Sprintf("%.2f", rng.Float64()*100-50)
		if rng.IntN(8) == 0 {
			v = "NULL"
		}
		if rng.IntN(10) == 0 {
			d = "NULL"
		}
		ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Second + time.Duration(rng.IntN(30_000_000))*time.Microsecond + time.Duration(i)*time.Microsecond)
		vals = append(vals, fmt.Sprintf("(%d, %d, %s, %s, '%s')", i, k, v, d, ts.Format("2006-01-02 15:04:05.000000")))
	}
	// e gets the rows out of order only within 20 seconds, its
	// watermark's delay being a minute; w in any order.
	ordered := append([]string(nil), vals...)
	for i := 0; i < len(ordered); i += 20 {
		blk := ordered[i:min(i+20, len(ordered))]
		rng.Shuffle(len(blk), func(a, b int) { blk[a], blk[b] = blk[b], blk[a] })
	}
	rng.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	env.exec(t, "CREATE TABLE w (id INT PRIMARY KEY, k INT, v INT, d DOUBLE PRECISION, ts TIMESTAMP)")
	for i := 0; i < len(vals); i += 100 {
		env.exec(t, "INSERT INTO w VALUES "+strings.Join(vals[i:min(i+100, len(vals))], ", "))
	}

	var queries []string
	// Functions whose value depends on the order of ties take an order
	// that has none (id last).
	orders := []string{"PARTITION BY k ORDER BY v, id", "ORDER BY v DESC, id", "PARTITION BY k ORDER BY ts", "PARTITION BY k ORDER BY d DESC, id"}
	frames := []string{"", "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW", "ROWS BETWEEN 1 PRECEDING AND 3 FOLLOWING",
		"ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING", "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
		"GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING", "ROWS BETWEEN 3 FOLLOWING AND 5 FOLLOWING"}
	for _, o := range orders {
		queries = append(queries, fmt.Sprintf("SELECT id, row_number() OVER (%[1]s), ntile(7) OVER (%[1]s), lag(v) OVER (%[1]s), lag(d, 3, -1) OVER (%[1]s), lead(v, 2) OVER (%[1]s) FROM w", o))
		for _, f := range frames {
			queries = append(queries, fmt.Sprintf("SELECT id, count(*) OVER (%[1]s %[2]s), count(v) OVER (%[1]s %[2]s), sum(v) OVER (%[1]s %[2]s), avg(v) OVER (%[1]s %[2]s), min(d) OVER (%[1]s %[2]s), max(v) OVER (%[1]s %[2]s), sum(d) OVER (%[1]s %[2]s), first_value(v) OVER (%[1]s %[2]s), last_value(d) OVER (%[1]s %[2]s), nth_value(v, 2) OVER (%[1]s %[2]s) FROM w", o, f))
		}
	}
	// Ties: ranks, peers and value ranges.
	for _, o := range []string{"PARTITION BY k ORDER BY v", "ORDER BY v DESC", "ORDER BY d", "PARTITION BY k"} {
		queries = append(queries, fmt.Sprintf("SELECT id, rank() OVER (%[1]s), dense_rank() OVER (%[1]s), percent_rank() OVER (%[1]s), cume_dist() OVER (%[1]s), sum(v) OVER (%[1]s), count(*) OVER (%[1]s RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM w", o))
	}
	for _, o := range []string{"PARTITION BY k ORDER BY v", "ORDER BY v DESC", "PARTITION BY k ORDER BY ts"} {
		off := "3"
		if strings.HasSuffix(o, "ts") {
			off = "INTERVAL '5' SECOND"
		}
		queries = append(queries, fmt.Sprintf("SELECT id, count(*) OVER (%[1]s RANGE BETWEEN %[2]s PRECEDING AND %[2]s FOLLOWING), sum(v) OVER (%[1]s RANGE BETWEEN %[2]s PRECEDING AND CURRENT ROW), max(d) OVER (%[1]s RANGE BETWEEN CURRENT ROW AND %[2]s FOLLOWING) FROM w", o, off))
	}
	// Two windows in one query, and window functions over a filter and
	// over groups.
	queries = append(queries, "SELECT id, sum(v) OVER (PARTITION BY k ORDER BY id), rank() OVER (ORDER BY d), k FROM w WHERE v > 0",
		"SELECT k, count(*), sum(v), rank() OVER (ORDER BY count(*) DESC), sum(sum(v)) OVER (ORDER BY k) FROM w GROUP BY k HAVING count(*) > 1",
		// Window functions inside expressions.
		"SELECT id, v - lag(v) OVER (PARTITION BY k ORDER BY id), coalesce(lead(v) OVER (ORDER BY id), -1) * 2 FROM w",
		"SELECT id, CASE WHEN row_number() OVER (PARTITION BY k ORDER BY ts, id) = 1 THEN 'first' ELSE 'later' END, v + sum(v) OVER (PARTITION BY k) FROM w",
		"SELECT k, 100 * sum(v) / nullif(max(sum(v)) OVER (), 0), count(*) - lag(count(*), 1, 0) OVER (ORDER BY k) FROM w GROUP BY k")
	// Top-N and dedup.
	topN := []string{
		"SELECT id, k, v, r FROM (SELECT *, rank() OVER (PARTITION BY k ORDER BY v DESC) AS r FROM w) x WHERE r <= 3",
		"SELECT id, k, r FROM (SELECT *, dense_rank() OVER (PARTITION BY k ORDER BY v) AS r FROM w) x WHERE r BETWEEN 2 AND 4",
		"SELECT id, k, d FROM (SELECT *, row_number() OVER (PARTITION BY k ORDER BY ts DESC) AS r FROM w) x WHERE r = 1",
		"SELECT id, v FROM (SELECT *, row_number() OVER (ORDER BY d, id) AS r FROM w) x WHERE r < 10 AND v > 0",
		"SELECT k, s FROM (SELECT k, sum(v) AS s, row_number() OVER (ORDER BY sum(v) DESC, k) AS rn FROM w GROUP BY k) x WHERE rn <= 3",
		// Percentiles (ordered-set aggregates), kept from value counts.
		"SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS c5, percentile_disc(0.3) WITHIN GROUP (ORDER BY d) AS d3, " +
			"percentile_cont(0.9) WITHIN GROUP (ORDER BY d) AS c9, percentile_disc(1) WITHIN GROUP (ORDER BY v) AS d1 FROM w GROUP BY k",
	}
	queries = append(queries, topN...)
	for _, q := range queries {
		env.compare(t, q)
	}

	// The top-N as views, kept through upserts of a third of the rows.
	for i, q := range topN {
		env.execOne(t, "streamsql", fmt.Sprintf("CREATE MATERIALIZED VIEW top%d AS %s", i, q))
	}
	var ups []string
	for i := 0; i < rows; i += 3 {
		ups = append(ups, fmt.Sprintf("(%d, %d, %d, %d.5, '2024-01-01 00:00:00')", i, rng.IntN(6), rng.IntN(21)-5, rng.IntN(100)))
	}
	for _, side := range []string{"streamsql", "PostgreSQL"} {
		stmt := "INSERT INTO w VALUES " + strings.Join(ups, ", ")
		if side == "PostgreSQL" {
			stmt += " ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, v = EXCLUDED.v, d = EXCLUDED.d, ts = EXCLUDED.ts"
		}
		env.execOne(t, side, stmt)
	}
	for i, q := range topN {
		env.compareWith(t, fmt.Sprintf("SELECT * FROM top%d", i), q)
	}

	// OVER in a view, over event time: an append-only table with a
	// watermark; PostgreSQL's rows are those before the last watermark.
	env.execOne(t, "streamsql", "CREATE TABLE e (id INT, k INT, v INT, d DOUBLE PRECISION, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)")
	env.execOne(t, "PostgreSQL", "CREATE TABLE e (id INT, k INT, v INT, d DOUBLE PRECISION, ts TIMESTAMP)")
	over := "SELECT id, sum(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS s3, " +
		"count(*) OVER (PARTITION BY k ORDER BY ts) AS n, avg(d) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) AS a10, " +
		"min(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS mn, lag(d, 2) OVER (PARTITION BY k ORDER BY ts) AS l2 FROM e"
	env.execOne(t, "streamsql", "CREATE MATERIALIZED VIEW ov AS "+over)
	for i := 0; i < len(ordered); i += 50 {
		env.exec(t, "INSERT INTO e VALUES "+strings.Join(ordered[i:min(i+50, len(ordered))], ", "))
	}
	env.compareWith(t, "SELECT * FROM ov", "SELECT * FROM ("+over+") x WHERE id IN (SELECT id FROM e WHERE ts < (SELECT max(ts) - INTERVAL '1 minute' FROM e))")
	t.Logf("%d queries and %d views equal PostgreSQL's", len(queries), len(topN)+1)
}

// execOne runs a statement on one side.
func (e *diffEnv) execOne(t *testing.T, side, sql string) {
	t.Helper()
	conn := e.eng
	if side == "PostgreSQL" {
		conn = e.pg
	}
	if a := diffQuery(conn, sql); a.err != nil {
		t.Fatalf("%s: %s: %v", side, oracleAbbrev(sql), a.err)
	}
}

// compare runs a query on both sides and requires equal rows.
func (e *diffEnv) compare(t *testing.T, sql string) { t.Helper(); e.compareWith(t, sql, sql) }

// compareWith requires streamsql's rows for sql to be PostgreSQL's for
// pg, and some rows.
func (e *diffEnv) compareWith(t *testing.T, sql, pg string) {
	t.Helper()
	if !e.compareAllowEmpty(t, sql, pg) {
		t.Errorf("%s: PostgreSQL has no rows: the comparison would prove nothing", pg)
	}
}

// compareAllowEmpty requires streamsql's rows for sql to be PostgreSQL's
// for pg, and reports whether there were any.
func (e *diffEnv) compareAllowEmpty(t *testing.T, sql, pg string) bool {
	t.Helper()
	got, want := diffQuery(e.eng, sql), diffQuery(e.pg, pg)
	switch {
	case want.err != nil:
		t.Fatalf("PostgreSQL: %s: %v", pg, want.err)
	case got.err != nil:
		t.Errorf("streamsql: %s: %v", sql, got.err)
	case len(got.rows) != len(want.rows) || len(want.rows) > 0:
		if d := diffRows(want.oids, got.rows, want.rows, 1e-9); d != "equal" {
			t.Errorf("%s:\n%s", sql, d)
		}
	}
	return len(want.rows) > 0
}
