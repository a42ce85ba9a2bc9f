package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
)

// The join oracle checks every join kind against SQLite (issue 16): views
// over keyed tables fed with upserts and deletes, an interval join over
// append-only tables, a lookup join, and the same joins as ad-hoc SELECTs.
// SQLite replays the same INSERTs (INSERT OR REPLACE for the keyed tables)
// and answers each query at the same points of the stream. The engine has
// no DELETE, so a row is deleted by upserting it with gone = 1: the views
// join la, lb and lc, which keep the rows with gone = 0, so a join sees a
// retraction with nothing in its place, as a delete would give it.

// joinKeyedTables are the keyed tables; their la, lb and lc views are what
// is left of them after deletes.
var joinKeyedTables = []string{"a", "b", "c"}

// joinView is a materialized view (or, with adhoc, also a SELECT) and its
// oracle: the same query in SQLite's dialect.
type joinView struct {
	name, query string
	header      string // column names, for failure messages
	kinds       string // column kinds, see oracleCanon ('S' is text, kept as is)
	nkey        int    // the leading columns that identify a row
	// final: compared only at the end (an outer interval join pads a row
	// only once the other side's watermark passes its interval).
	final bool
	// mid: created mid-stream, so backfilled from the tables' rows.
	mid   bool
	adhoc bool // also run as an ad-hoc SELECT at the end
	// pebble: also on Pebble, where each view costs more; those run there
	// cover every kind of state (regular, interval and lookup joins,
	// aggregates over and under joins) and a backfill.
	pebble bool
	plan   string // what EXPLAIN must show, when it matters
}

// joinSQLite turns a view's query into SQLite's: intervals in
// microseconds, and a lookup join as a plain join of the stream's rows.
var joinSQLite = strings.NewReplacer(
	"INTERVAL '3' SECOND", "3000000", "INTERVAL '2' SECOND", "2000000", "INTERVAL '1' SECOND", "1000000",
	" FOR SYSTEM_TIME AS OF e.p", "", "ev_inner e", "ev e", "ev_left e", "ev e")

// joinViews are the views over the keyed tables and the interval join.
func joinViews() []joinView {
	const (
		one = "a.k = b.k AND a.v < b.v"
		two = "a.k = b.k AND a.k2 = b.k2 AND a.d > b.d"
	)
	vs := []joinView{
		// Straight over the tables: upserts alone, deleted rows included.
		{name: "inner1", query: "SELECT a.id AS aid, b.id AS bid, a.k AS k, a.v AS av, b.v AS bv, a.gone AS ag, b.gone AS bg FROM a JOIN b ON " + one,
			header: "aid | bid | k | av | bv | ag | bg", kinds: "IIIIIII", nkey: 2, adhoc: true, pebble: true},
	}
	for _, kind := range []string{"LEFT ", "RIGHT ", "FULL "} {
		n := strings.ToLower(strings.TrimSpace(kind))
		vs = append(vs,
			joinView{name: n + "1", query: "SELECT a.id AS aid, b.id AS bid, a.k AS ak, b.k AS bk, a.v AS av, b.v AS bv FROM la a " + kind + "JOIN lb b ON " + one,
				header: "aid | bid | ak | bk | av | bv", kinds: "IIIIII", nkey: 2, adhoc: kind == "RIGHT "},
			joinView{name: n + "2", query: "SELECT a.id AS aid, b.id AS bid, a.k2 AS ak2, b.k2 AS bk2, a.d AS ad, b.d AS bd FROM la a " + kind + "JOIN lb b ON " + two,
				header: "aid | bid | ak2 | bk2 | ad | bd", kinds: "IIIIFF", nkey: 2, adhoc: kind == "FULL ", mid: kind == "FULL ", pebble: kind == "FULL "})
	}
	return append(vs,
		// The inner join on two keys, written with a comma: the WHERE
		// becomes the join's keys and residual.
		joinView{name: "comma", query: "SELECT a.id AS aid, b.id AS bid, a.d AS ad, b.d AS bd, a.v + b.v AS s FROM la a, lb b WHERE a.k = b.k AND a.k2 = b.k2 AND a.d > b.d",
			header: "aid | bid | ad | bd | s", kinds: "IIFFI", nkey: 2, adhoc: true,
			plan: "Join INNER keys=[a.k = b.k, a.k2 = b.k2] cond=(a.d > b.d)"},
		joinView{name: "three", query: "SELECT a.id AS aid, b.id AS bid, c.id AS cid, c.v AS cv FROM la a JOIN lb b ON a.k = b.k AND a.k2 = b.k2 LEFT JOIN lc c ON c.k = b.id AND c.v > a.v",
			header: "aid | bid | cid | cv", kinds: "IIII", nkey: 3, adhoc: true, pebble: true},
		joinView{name: "self", query: "SELECT x.id AS xid, y.id AS yid, x.k AS k FROM lb x JOIN lb y ON x.k = y.k AND x.id < y.id",
			header: "xid | yid | k", kinds: "III", nkey: 2, adhoc: true},
		joinView{name: "agg", query: "SELECT a.k AS k, COUNT(*) AS n, COUNT(b.v) AS nbv, SUM(b.v) AS sbv, AVG(a.v) AS aav, SUM(b.d) AS sbd FROM la a JOIN lb b ON a.k = b.k GROUP BY a.k",
			header: "k | n | nbv | sbv | aav | sbd", kinds: "IIIIFF", nkey: 1, adhoc: true, pebble: true},
		// Both sides have a NULL group, and the two must not match.
		joinView{name: "aggs", query: "SELECT x.k AS xk, y.k AS yk, x.n AS xn, y.n AS yn, x.sv AS xsv, y.sd AS ysd FROM (SELECT k / 100 AS k, COUNT(*) AS n, SUM(v) AS sv FROM la GROUP BY k / 100) x FULL JOIN (SELECT k / 100 AS k, COUNT(*) AS n, SUM(d) AS sd FROM lb GROUP BY k / 100) y ON x.k = y.k",
			header: "xk | yk | xn | yn | xsv | ysd", kinds: "IIIIIF", nkey: 4, adhoc: true},
		joinView{name: "ival", query: "SELECT o.g AS og, s.g AS sg, o.ts AS ots, s.ts AS sts FROM o JOIN s ON o.k = s.k AND s.ts BETWEEN o.ts - INTERVAL '3' SECOND AND o.ts",
			header: "og | sg | ots | sts", kinds: "SSTT", nkey: 2, adhoc: true, plan: "Join INTERVAL INNER"},
		joinView{name: "ival_left", query: "SELECT o.g AS og, s.g AS sg, o.v AS ov, s.v AS sv FROM o LEFT JOIN s ON o.k = s.k AND s.ts BETWEEN o.ts - INTERVAL '2' SECOND AND o.ts + INTERVAL '1' SECOND AND o.v < s.v",
			header: "og | sg | ov | sv", kinds: "SSII", nkey: 2, final: true, adhoc: true, plan: "Join INTERVAL LEFT", pebble: true},
	)
}

// joinLookupKey maps the stream's uniform k (0..999) to b's ids: three hot
// ids, NULL for 4%, and a tail of which some ids are missing from b.
const joinLookupKey = "CASE WHEN e.k < 120 THEN e.k % 3 WHEN e.k < 160 THEN NULL ELSE e.k * 13 END"

// joinLookups are the lookup joins into b, whose rows do not change once
// their streams start; a deleted row of b is one the ON condition refuses.
var joinLookups = []joinView{
	{name: "lookup_inner", query: "SELECT e.id AS eid, x.id AS bid, x.v AS bv, x.d AS bd FROM ev_inner e JOIN b FOR SYSTEM_TIME AS OF e.p AS x ON " + joinLookupKey + " = x.id AND x.gone = 0",
		header: "eid | bid | bv | bd", kinds: "IIIF", nkey: 1, plan: "Join LOOKUP INNER"},
	{name: "lookup_left", query: "SELECT e.id AS eid, x.id AS bid, x.v AS bv, x.d AS bd FROM ev_left e LEFT JOIN b FOR SYSTEM_TIME AS OF e.p AS x ON " + joinLookupKey + " = x.id AND x.gone = 0",
		header: "eid | bid | bv | bd", kinds: "IIIF", nkey: 1, plan: "Join LOOKUP LEFT"},
}

// TestJoinOracle streams 10,000 rows into each of the keyed tables a, b
// and c, mixed with a quarter as many upserts and deletes, and 10,000 rows
// into each of the append-only tables o and s, in INSERTs of 500 to 2,000
// rows interleaved across the tables, with a cache of 16 buckets (evicted
// and read back in every batch) and two checkpoints mid-stream. Every view
// is compared with SQLite halfway and at the end, one view is created
// halfway (backfilled), and the lookup joins stream 10,000 datagen rows
// each once the tables are final. It runs on both backends, against one
// run of SQLite.
func TestJoinOracle(t *testing.T) {
	rng := oracleRand(t)
	n := 10_000
	if raceEnabled {
		n /= 10
	}
	batches := joinStream(rng, n)
	lseed := rng.Uint64() >> 1
	views := joinViews()
	want := oracleSQLite(t, joinScript(batches, views))
	for _, backend := range []string{"memory", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			if raceEnabled && backend == "pebble" {
				t.Skip("the race detector slows Pebble tenfold; the memory backend runs the same engine goroutines")
			}
			t.Parallel()
			vs := views
			if backend == "pebble" {
				vs = slices.DeleteFunc(slices.Clone(vs), func(v joinView) bool { return !v.pebble })
			}
			testJoinOracle(t, backend, n, lseed, batches, vs, want)
		})
	}
}

// joinPoint says what happens after INSERT i of n: a checkpoint at a
// third and two thirds, the comparison halfway.
func joinPoint(i, n int) string {
	switch i + 1 {
	case n / 3, 2 * n / 3:
		return "checkpoint"
	case n / 2:
		return "mid"
	}
	return ""
}

// joinScript is the SQLite script of the whole stream with the answers of
// the views halfway ("mid/name", views not final or created then) and at
// the end ("end/name"), except the lookup joins'.
func joinScript(batches []joinBatch, views []joinView) string {
	var b strings.Builder
	b.WriteString(".mode csv\n.headers off\n")
	for _, name := range joinKeyedTables {
		fmt.Fprintf(&b, "CREATE TABLE %s (id INTEGER PRIMARY KEY, k INTEGER, k2 INTEGER, v INTEGER, d REAL, gone INTEGER);\n", name)
	}
	for _, name := range []string{"o", "s"} {
		fmt.Fprintf(&b, "CREATE TABLE %s (seq INTEGER, k INTEGER, g TEXT, v INTEGER, d REAL, ts INTEGER);\n", name)
	}
	// la, lb and lc are tables with an index on k, made anew at each
	// point: as views, SQLite's RIGHT and FULL joins of them take seconds.
	ask := func(when string, mid bool) {
		for _, name := range joinKeyedTables {
			fmt.Fprintf(&b, "DROP TABLE IF EXISTS l%s;\nCREATE TABLE l%[1]s AS SELECT id, k, k2, v, d FROM %[1]s WHERE gone = 0;\nCREATE INDEX l%[1]s_k ON l%[1]s (k);\n", name)
		}
		for _, v := range views {
			if !mid || !v.final && !v.mid {
				fmt.Fprintf(&b, "SELECT '#%s/%s';\n%s;\n", when, v.name, joinSQLite.Replace(v.query))
			}
		}
	}
	b.WriteString("BEGIN;\n")
	for i, batch := range batches {
		batch.sqliteInsert(&b)
		if joinPoint(i, len(batches)) == "mid" {
			ask("mid", true)
		}
	}
	ask("end", false)
	b.WriteString("COMMIT;\n")
	return b.String()
}

// sqliteInsert writes the INSERT to a SQLite script.
func (b joinBatch) sqliteInsert(w *strings.Builder) {
	verb := "INSERT"
	if b.keyed {
		verb = "INSERT OR REPLACE"
	}
	fmt.Fprintf(w, "%s INTO %s VALUES %s;\n", verb, b.table, strings.Join(b.sqlite, ", "))
}

func testJoinOracle(t *testing.T, backend string, n int, lseed uint64, batches []joinBatch, views []joinView, want map[string][][]string) {
	conn, eng := joinEngine(t, backend)
	oracleExec(t, conn, "SET state_cache_size = 16")
	for _, name := range joinKeyedTables {
		oracleExec(t, conn, "CREATE TABLE "+name+" (id BIGINT PRIMARY KEY, k BIGINT, k2 BIGINT, v BIGINT, d DOUBLE, gone BIGINT)")
		oracleExec(t, conn, fmt.Sprintf("CREATE VIEW l%s AS SELECT id, k, k2, v, d FROM %[1]s WHERE gone = 0", name))
	}
	for _, name := range []string{"o", "s"} {
		oracleExec(t, conn, strings.Replace(oracleTable, "CREATE TABLE t ", "CREATE TABLE "+name+" ", 1))
	}
	create := func(views []joinView, mid bool) {
		for _, v := range views {
			if v.mid == mid {
				oracleExec(t, conn, "CREATE MATERIALIZED VIEW "+v.name+" AS "+v.query)
			}
		}
	}
	create(views, false)
	check := func(key string, v joinView, got, oracle [][]string) {
		t.Helper()
		want := make([][]string, len(oracle)) // shared by the subtests
		for i, r := range oracle {
			want[i] = slices.Clone(r)
		}
		if err := oracleCanon(got, v.kinds, true); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if err := oracleCanon(want, v.kinds, false); err != nil {
			t.Fatalf("oracle for %s: %v", key, err)
		}
		if d := oracleDiff(oracleView{header: v.header, kinds: v.kinds, nkey: v.nkey}, got, want); d != "" {
			t.Errorf("%s: %s\n  query: %s", key, d, v.query)
		} else if len(want) == 0 && !strings.HasPrefix(key, "mid/") { // under -race, few INSERTs may come before
			t.Errorf("%s: the oracle has no rows, so nothing was checked", key)
		}
	}

	start := time.Now()
	for i, b := range batches {
		oracleExec(t, conn, "INSERT INTO "+b.table+" VALUES "+strings.Join(b.engine, ", "))
		switch joinPoint(i, len(batches)) {
		case "checkpoint":
			if err := eng.Checkpoint(); err != nil {
				t.Fatalf("checkpoint after %d INSERTs: %v", i+1, err)
			}
		case "mid":
			oracleExec(t, conn, "FLUSH")
			for _, v := range views {
				if !v.final && !v.mid {
					check("mid/"+v.name, v, oracleQuery(t, conn, "SELECT * FROM "+v.name), want["mid/"+v.name])
				}
			}
			create(views, true)
		}
	}
	oracleExec(t, conn, "FLUSH")
	t.Logf("%d INSERTs into %d views in %v", len(batches), len(views), time.Since(start).Round(time.Millisecond))
	for _, v := range views {
		check("end/"+v.name, v, oracleQuery(t, conn, "SELECT * FROM "+v.name), want["end/"+v.name])
		if v.adhoc {
			check("ad hoc "+v.name, v, oracleQuery(t, conn, v.query), want["end/"+v.name])
		}
	}

	// The lookup joins' streams start once b is final; a third stream of
	// the same seed gives SQLite their rows, with b's.
	for _, src := range []string{"ev_inner", "ev_left", "ev_raw"} {
		oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE %s (id BIGINT, k BIGINT, p AS PROCTIME()) WITH (connector = 'datagen',
			rows_per_second = 0, max_rows = %d, seed = %d, fields.id.kind = 'sequence', fields.k.min = 0, fields.k.max = 999)`, src, n, lseed))
	}
	create(joinLookups, false)
	oracleExec(t, conn, "CREATE MATERIALIZED VIEW ev_rows AS SELECT id, k FROM ev_raw")
	oracleExec(t, conn, "FLUSH")
	var script strings.Builder
	script.WriteString(".mode csv\n.headers off\nCREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER, k2 INTEGER, v INTEGER, d REAL, gone INTEGER);\nCREATE TABLE ev (id INTEGER, k INTEGER);\nBEGIN;\n")
	for _, b := range batches {
		if b.table == "b" {
			b.sqliteInsert(&script)
		}
	}
	for _, r := range oracleQuery(t, conn, "SELECT id, k FROM ev_rows") {
		fmt.Fprintf(&script, "INSERT INTO ev VALUES (%s, %s);\n", r[0], r[1])
	}
	for _, v := range joinLookups {
		fmt.Fprintf(&script, "SELECT '#%s';\n%s;\n", v.name, joinSQLite.Replace(v.query))
	}
	script.WriteString("COMMIT;\n")
	lookups := oracleSQLite(t, script.String())
	for _, v := range joinLookups {
		check(v.name, v, oracleQuery(t, conn, "SELECT * FROM "+v.name), lookups[v.name])
	}
	if got := len(lookups["lookup_left"]); got != n {
		t.Errorf("lookup_left: the oracle has %d rows, want one for each of the stream's %d", got, n)
	}

	for _, v := range append(slices.Clone(views), joinLookups...) {
		if v.plan != "" {
			if plan := oracleQuery(t, conn, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+v.query); !strings.Contains(fmt.Sprint(plan), v.plan) {
				t.Errorf("view %s: EXPLAIN has no %q:\n%s", v.name, v.plan, plan)
			}
		}
	}
	for name, late := range oracleShowLate(t, conn, "TABLES") {
		if late != 0 {
			t.Errorf("SHOW TABLES: %s has late_rows = %d, want 0 (no row was behind the watermark)", name, late)
		}
	}
	t.Logf("done in %v", time.Since(start).Round(time.Millisecond))
}

// joinEngine opens a durable engine (so that checkpoints happen) on a fresh
// backend of the given kind and connects to it.
func joinEngine(t *testing.T, backend string) (*pgx.Conn, *engine.Engine) {
	t.Helper()
	eng, stop := openDurable(t, openBackend(t, backend, t.TempDir()), t.TempDir(), engine.Options{})
	t.Cleanup(stop)
	return connect(t, serveEngine(t, eng)), eng
}

// joinBatch is one INSERT: its tuples for the engine and for SQLite.
type joinBatch struct {
	table          string
	keyed          bool
	engine, sqlite []string
}

// joinKeyed is a row of a keyed table; d is in thousandths, so that its
// decimal text is exact on both sides.
type joinKeyed struct {
	id, k, k2, v, dm            int64
	kNull, k2Null, vNull, dNull bool
	gone                        bool
}

func (r joinKeyed) tuple() string {
	lit := func(null bool, s string) string {
		if null {
			return oracleNull
		}
		return s
	}
	gone := "0"
	if r.gone {
		gone = "1"
	}
	return "(" + strings.Join([]string{
		strconv.FormatInt(r.id, 10),
		lit(r.kNull, strconv.FormatInt(r.k, 10)),
		lit(r.k2Null, strconv.FormatInt(r.k2, 10)),
		lit(r.vNull, strconv.FormatInt(r.v, 10)),
		lit(r.dNull, strconv.FormatFloat(float64(r.dm)/1000, 'f', -1, 64)),
		gone,
	}, ", ") + ")"
}

// joinKey draws a skewed join key: NULL 4% of the time, one of three hot
// keys hotPct%, one of 200 warm keys 8%, else one of a 6,000-key tail.
func joinKey(rng *rand.Rand, hotPct int) (int64, bool) {
	switch r := rng.IntN(100); {
	case r < 4:
		return 0, true
	case r < 4+hotPct:
		return rng.Int64N(3), false
	case r < 12+hotPct:
		return 3 + rng.Int64N(200), false
	}
	return 1000 + rng.Int64N(6000), false
}

// joinStream returns the INSERTs of the whole stream, interleaved across
// the tables.
func joinStream(rng *rand.Rand, n int) []joinBatch {
	// c's key is an id of b: a few hot ones, the rest spread.
	cKey := func(rng *rand.Rand) (int64, bool) {
		switch r := rng.IntN(100); {
		case r < 4:
			return 0, true
		case r < 9:
			return rng.Int64N(3), false
		}
		return rng.Int64N(int64(n) * 13 / 10), false
	}
	var per [][]joinBatch
	per = append(per,
		joinKeyedBatches(rng, "a", n, func(rng *rand.Rand) (int64, bool) { return joinKey(rng, 2) }),
		joinKeyedBatches(rng, "b", n, func(rng *rand.Rand) (int64, bool) { return joinKey(rng, 1) }),
		joinKeyedBatches(rng, "c", n, cKey))
	for _, name := range []string{"o", "s"} {
		per = append(per, joinAppendBatches(rng, name, n))
	}
	// Take the next INSERT of a table drawn by how many it has left.
	var out []joinBatch
	for {
		left := 0
		for _, bs := range per {
			left += len(bs)
		}
		if left == 0 {
			return out
		}
		r := rng.IntN(left)
		for i, bs := range per {
			if r < len(bs) {
				out = append(out, bs[0])
				per[i] = bs[1:]
				break
			}
			r -= len(bs)
		}
	}
}

// joinKeyedBatches returns the INSERTs of keyed table name: n rows of ids
// drawn from 0..1.3n (0, 1 and 2 always, the hot lookup ids), mixed, once
// a row exists, with n/4 changes to existing rows: new values, a delete
// (gone = 1), a row brought back, or the same row again. An INSERT holds
// an id at most once.
func joinKeyedBatches(rng *rand.Rand, name string, n int, key func(*rand.Rand) (int64, bool)) []joinBatch {
	ids := rng.Perm(n*13/10 - 3)[:n-3]
	for i := range ids {
		ids[i] += 3
	}
	ids = append(ids, 0, 1, 2)
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	draw := func(id int64) joinKeyed {
		r := joinKeyed{id: id, k2: rng.Int64N(4), v: rng.Int64N(2001) - 1000, dm: rng.Int64N(2_000_001) - 1_000_000,
			k2Null: rng.IntN(100) < 5, vNull: rng.IntN(100) < 5, dNull: rng.IntN(100) < 5}
		r.k, r.kNull = key(rng)
		return r
	}
	cur := map[int64]joinKeyed{}
	var live []int64
	var out []joinBatch
	for inserted, changes := 0, 0; inserted < n || changes < n/4; {
		b := joinBatch{table: name, keyed: true}
		seen := map[int64]bool{}
		for range joinBatchRows(rng) {
			if inserted < n && (len(live) == 0 || changes >= n/4 || rng.IntN(3) > 0) {
				id := int64(ids[inserted])
				inserted++
				cur[id] = draw(id)
				live = append(live, id)
				seen[id] = true
				b.engine = append(b.engine, cur[id].tuple())
				continue
			}
			if changes >= n/4 {
				break
			}
			old := cur[live[rng.IntN(len(live))]]
			if seen[old.id] {
				continue
			}
			changes++
			seen[old.id] = true
			r := old
			switch p := rng.IntN(100); {
			case p < 55: // new values; a deleted row comes back
				r = draw(old.id)
			case p < 85:
				r.gone = true
			case p < 90: // deleted with new values
				r = draw(old.id)
				r.gone = true
			}
			cur[r.id] = r
			b.engine = append(b.engine, r.tuple())
		}
		b.sqlite = b.engine
		out = append(out, b)
	}
	return out
}

// joinBatchRows draws the size of an INSERT.
func joinBatchRows(rng *rand.Rand) int { return 500 + rng.IntN(1501) }

// joinAppendBatches returns the INSERTs of append-only table name (the
// window oracle's columns and watermark): n rows in arrival order, none
// late, named by g, with skewed keys, and last one an hour after the rest,
// whose watermark ends every row's interval (it matches the other table's
// last row: same key and time, and its v is larger in s).
func joinAppendBatches(rng *rand.Rand, name string, n int) []joinBatch {
	// Arrival lags event time by less than 4 s, less than the 5 s delay.
	rows := genOracleRows(rng, n, oracleShape{maxGap: 60_000, grain: 1000, maxLag: 4e6})
	for i := range rows {
		r := &rows[i]
		r.g, r.gNull = fmt.Sprintf("%s%05d", name, i), false
		r.k, r.kNull = joinKey(rng, 8)
	}
	// The rows span about five minutes (n gaps below 60 ms).
	last := oracleRow{k: -1, g: name + "_last", ts: oracleT0 + int64(time.Hour/time.Microsecond)}
	if name == "s" {
		last.v = 1
	}
	rows = append(rows, last)
	var out []joinBatch
	for i := 0; i < len(rows); {
		end := min(len(rows), i+joinBatchRows(rng))
		b := joinBatch{table: name}
		for j := i; j < end; j++ {
			b.engine = append(b.engine, rows[j].engineValues())
			b.sqlite = append(b.sqlite, rows[j].sqliteValues(j))
		}
		out = append(out, b)
		i = end
	}
	return out
}
