package engine_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The oracle tests check window results against an independent batch
// computation over the same rows (DESIGN.md §8). When no row is late every
// window's result must equal the batch aggregate of the rows inserted so
// far, which SQLite computes; when rows are late, a plain Go simulation of
// the watermark (DESIGN.md §3) says which rows each view keeps.
//
// The rows come from a seeded PCG. The seed is logged; set
// STREAMSQL_ORACLE_SEED to a number to replay it, or to "random" to try a
// fresh one.

const (
	oracleSeedEnv = "STREAMSQL_ORACLE_SEED"
	// oracleDelay is the table's watermark delay in microseconds.
	oracleDelay = int64(5 * time.Second / time.Microsecond)
	// oracleT0 is where event time starts: 2024-01-01 10:00:00 UTC.
	oracleT0    = int64(1704103200) * 1e6
	oracleTable = `CREATE TABLE t (k BIGINT, g VARCHAR(20), v BIGINT, d DOUBLE, ts TIMESTAMP(3),
		WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)`
	// oracleAggs is the select list of every windowed view; oracleKinds
	// gives its columns' kinds for oracleCanon.
	oracleAggs = `window_start, window_end, k, COUNT(*) AS n, COUNT(v) AS nv, COUNT(DISTINCT g) AS dg,
		SUM(v) AS s, AVG(d) AS a, MIN(v) AS mn, MAX(d) AS mx`
	oracleKinds  = "TTIIIIIFIF"
	oracleHeader = "window_start | window_end | k | n | nv | dg | s | a | mn | mx"
	oracleTime   = "2006-01-02 15:04:05.000000"
	oracleNull   = "NULL"
)

// TestOracleWindows streams 10,000 out-of-order rows, none of them late,
// into TUMBLE, HOP, EMIT ON WINDOW CLOSE and non-windowed views and checks
// every view against SQLite at several points of the stream. One view is
// created mid-stream, so it is backfilled from the table. It runs twice:
// with the default cache, and with a cache of 16 groups, which the
// operators overflow in every batch, so that their state is written back,
// evicted and read again (and each CREATE's checkpoint writes it back).
func TestOracleWindows(t *testing.T) {
	t.Run("cache=default", func(t *testing.T) { testOracleWindows(t, "") })
	t.Run("cache=16", func(t *testing.T) { testOracleWindows(t, "SET state_cache_size = 16") })
}

func testOracleWindows(t *testing.T, setup string) {
	rng := oracleRand(t)
	const n = 10_000
	// Gaps up to 60 ms spread the rows over about five minutes. Arrival
	// lags event time by less than 4 s, less than the 5 s watermark delay:
	// a row arrives before any row more than 4 s younger, so the watermark
	// (max seen - 5 s) is always below its event time and no window it
	// belongs to has closed.
	rows := genOracleRows(rng, n, oracleShape{maxGap: 60_000, grain: 1000, maxLag: 4e6})
	// A last row an hour later closes every earlier window.
	last := rows[n-1]
	last.ts = slices.MaxFunc(rows, func(a, b oracleRow) int { return cmp.Compare(a.ts, b.ts) }).ts + int64(time.Hour/time.Microsecond)
	rows = append(rows, last)
	ends := append(oracleBatchEnds(rng, n, 250, 750), n+1)
	// Checkpoints are row counts after which every view is read.
	checkpoints := []int{ends[len(ends)/3], ends[2*len(ends)/3], n, n + 1}

	views := []oracleView{
		oracleWindowView("tumble10", "TUMBLE(ts, INTERVAL '10' SECOND)", 10, 10, false, 0),
		oracleWindowView("hop5_15", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, false, 0),
		oracleWindowView("eowc_tumble7", "TUMBLE(ts, INTERVAL '7' SECOND)", 7, 7, true, 0),
		oracleWindowView("eowc_hop_backfilled", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, true, 1),
		panesView(oracleWindowView("eowc_hop_panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, true, 0)),
		panesView(oracleWindowView("eowc_hop_panes_backfilled", "HOP(ts, INTERVAL '3' SECOND, INTERVAL '12' SECOND)", 3, 12, true, 2)),
		panesView(oracleWindowView("hop_panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, false, 0)),
		panesView(oracleWindowView("hop_panes_backfilled", "HOP(ts, INTERVAL '3' SECOND, INTERVAL '12' SECOND)", 3, 12, false, 2)),
		parallelView(oracleWindowView("par_tumble10", "TUMBLE(ts, INTERVAL '10' SECOND)", 10, 10, false, 0)),
		parallelView(panesView(oracleWindowView("par_hop_panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, false, 1))),
		parallelView(panesView(oracleWindowView("par_eowc_hop_panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, true, 0))),
		parallelView(oracleSessionView("par_session2", 2, false)),
		oracleCumulateView("cumulate5_20", 5, 20, false),
		oracleCumulateView("eowc_cumulate3_12", 3, 12, true),
		oracleSessionView("session2", 2, false),
		oracleSessionView("eowc_session1", 1, true),
		{
			name: "per_key",
			create: `CREATE MATERIALIZED VIEW per_key AS SELECT k, COUNT(*) AS n, COUNT(DISTINCT g) AS dg,
				SUM(v) AS s, AVG(d) AS a, MIN(d) AS mn, MAX(v) AS mx
				FROM t WHERE g <> 'g03' AND (v IS NULL OR v > -800) GROUP BY k HAVING SUM(v) > 0`,
			oracle: `SELECT k, COUNT(*), COUNT(DISTINCT g), SUM(v), AVG(d), MIN(d), MAX(v)
				FROM p WHERE g <> 'g03' AND (v IS NULL OR v > -800) GROUP BY k HAVING SUM(v) > 0`,
			header: "k | n | dg | s | a | mn | mx", kinds: "IIIIFFI", nkey: 1,
		},
	}

	conn := connect(t, startServer(t))
	if setup != "" {
		oracleExec(t, conn, setup)
	}
	oracleExec(t, conn, oracleTable)
	create := func(cp int) {
		for _, v := range views {
			if v.from == cp {
				oracleExec(t, conn, v.create)
			}
		}
	}
	create(0)
	got := map[string][][]string{}
	start, cp := 0, 0
	for _, end := range ends {
		insertOracleRows(t, conn, rows[start:end])
		start = end
		if end != checkpoints[cp] {
			continue
		}
		oracleExec(t, conn, "FLUSH")
		for _, v := range views {
			if v.from <= cp {
				got[oracleKey(cp, v.name)] = oracleQuery(t, conn, "SELECT * FROM "+v.name)
			}
		}
		cp++
		create(cp)
	}

	// The oracle: the same rows, numbered in arrival order, in SQLite.
	var script strings.Builder
	script.WriteString("CREATE TABLE t (seq INTEGER, k INTEGER, g TEXT, v INTEGER, d REAL, ts INTEGER);\n")
	script.WriteString("CREATE TABLE nums (j INTEGER);\nINSERT INTO nums VALUES (0), (1), (2), (3), (4), (5), (6), (7);\n")
	script.WriteString("BEGIN;\n")
	for i := 0; i < len(rows); i += 500 {
		script.WriteString("INSERT INTO t VALUES ")
		for j := i; j < min(i+500, len(rows)); j++ {
			if j > i {
				script.WriteString(",\n")
			}
			script.WriteString(rows[j].sqliteValues(j))
		}
		script.WriteString(";\n")
	}
	script.WriteString("COMMIT;\n.mode csv\n.headers off\n")
	for cp, limit := range checkpoints {
		for _, v := range views {
			if v.from <= cp {
				fmt.Fprintf(&script, "SELECT '#%s';\nWITH p AS (SELECT * FROM t WHERE seq < %d)\n%s;\n", oracleKey(cp, v.name), limit, v.oracle)
			}
		}
	}
	want := oracleSQLite(t, script.String())

	for cp, limit := range checkpoints {
		for _, v := range views {
			if v.from > cp {
				continue
			}
			key := oracleKey(cp, v.name)
			g, w := got[key], want[key]
			if err := oracleCanon(g, v.kinds, true); err != nil {
				t.Fatalf("view %s: %v", v.name, err)
			}
			if err := oracleCanon(w, v.kinds, false); err != nil {
				t.Fatalf("oracle for %s: %v", v.name, err)
			}
			if d := oracleDiff(v, g, w); d != "" {
				t.Errorf("view %s after %d rows (%d windows/groups expected): %s", v.name, limit, len(w), d)
			} else if len(w) == 0 {
				t.Errorf("view %s after %d rows: the oracle has no rows, so nothing was checked", v.name, limit)
			}
		}
	}
	for name, late := range oracleShowLate(t, conn, "MATERIALIZED VIEWS") {
		if late != 0 {
			t.Errorf("SHOW MATERIALIZED VIEWS: %s has late_rows = %d, want 0 (no row was late)", name, late)
		}
	}
	if late := oracleShowLate(t, conn, "TABLES")["t"]; late != 0 {
		t.Errorf("SHOW TABLES: t has late_rows = %d, want 0 (no row was behind the watermark)", late)
	}
}

// TestOracleLateRows streams rows of which a quarter arrive up to 45 s
// late, nine times the watermark delay, in small INSERTs, so that many rows
// arrive after some or all of their windows closed. A Go simulation
// of the watermark decides which windows keep each row; the views and their
// late_rows counts must agree with it.
func TestOracleLateRows(t *testing.T) {
	rng := oracleRand(t)
	const n = 10_000
	// Event times in whole seconds make the watermark land on window ends.
	rows := genOracleRows(rng, n, oracleShape{maxGap: 60_000, grain: 1e6, maxLag: 3e6, stragglerLag: 45e6, stragglers: 25})
	ends := oracleBatchEnds(rng, n, 1, 100)
	views := []oracleView{
		oracleWindowView("late_tumble", "TUMBLE(ts, INTERVAL '10' SECOND)", 10, 10, false, 0),
		oracleWindowView("late_hop", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, false, 0),
		oracleWindowView("late_eowc", "TUMBLE(ts, INTERVAL '10' SECOND)", 10, 10, true, 0),
		oracleWindowView("late_eowc_hop", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, true, 0),
		withGrace(oracleWindowView("late_tumble_grace", "TUMBLE(ts, INTERVAL '10' SECOND, GRACE INTERVAL '8' SECOND)", 10, 10, false, 0), 8),
		withGrace(oracleWindowView("late_eowc_hop_grace", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND, GRACE '12 seconds')", 5, 15, true, 0), 12),
		panesView(oracleWindowView("late_eowc_hop_panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, true, 0)),
		panesView(withGrace(oracleWindowView("late_eowc_hop_panes_grace", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND, GRACE '12 seconds')", 5, 15, true, 0), 12)),
		panesView(oracleWindowView("late_hop_panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, false, 0)),
		parallelView(panesView(withGrace(oracleWindowView("late_hop_panes_grace", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND, GRACE '12 seconds')", 5, 15, false, 0), 12))),
		parallelView(oracleWindowView("late_par_tumble", "TUMBLE(ts, INTERVAL '10' SECOND)", 10, 10, false, 0)),
		oracleSessionView("late_session", 4, false),
		oracleSessionView("late_eowc_session", 6, true),
		withGrace(oracleSessionView("late_session_grace", 4, false, "GRACE INTERVAL '7' SECOND"), 7),
	}

	conn := connect(t, startServer(t))
	oracleExec(t, conn, oracleTable)
	for _, v := range views {
		oracleExec(t, conn, v.create)
	}
	// Every view is checked after each of the first INSERTs, then after
	// every eighth and the last (reading every view is what costs), up to
	// the first failure.
	dropped := make([]int64, len(views))
	start := 0
	for bi, end := range ends {
		insertOracleRows(t, conn, rows[start:end])
		start = end
		if end > 3000 && bi%8 != 0 && bi != len(ends)-1 {
			continue
		}
		oracleExec(t, conn, "FLUSH")
		late := oracleShowLate(t, conn, "MATERIALIZED VIEWS")
		for i, v := range views {
			got := oracleQuery(t, conn, "SELECT * FROM "+v.name)
			var want [][]string
			want, dropped[i] = oracleSimulate(rows, ends[:bi+1], v)
			if err := oracleCanon(got, v.kinds, true); err != nil {
				t.Fatalf("view %s: %v", v.name, err)
			}
			if err := oracleCanon(want, v.kinds, false); err != nil {
				t.Fatal(err)
			}
			if d := oracleDiff(v, got, want); d != "" {
				t.Errorf("view %s after %d rows in %d INSERTs: %s", v.name, end, bi+1, d)
			}
			if late[v.name] != dropped[i] {
				t.Errorf("view %s after %d rows in %d INSERTs: SHOW MATERIALIZED VIEWS late_rows = %d, want %d (rows whose every window had closed)",
					v.name, end, bi+1, late[v.name], dropped[i])
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	for i, v := range views {
		if dropped[i] == 0 {
			t.Errorf("view %s: the reference dropped no row, so lateness was not exercised", v.name)
		}
	}
}

// oracleRand returns the tests' random source, logging its seed.
func oracleRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(20240101)
	switch s := os.Getenv(oracleSeedEnv); s {
	case "":
	case "random":
		seed = rand.Uint64()
	default:
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: want a number or \"random\"", oracleSeedEnv, s)
		}
	}
	t.Logf("seed %d", seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: rerun with %s=%d", seed, oracleSeedEnv, seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// oracleRow is one row of table t; d is stored in thousandths so that its
// decimal text is exact and both sides parse it to the same float64.
type oracleRow struct {
	k, v, dm                   int64
	g                          string
	ts                         int64 // event time, Unix microseconds
	kNull, gNull, vNull, dNull bool
}

func (r oracleRow) d() float64 { return float64(r.dm) / 1000 }

func (r oracleRow) values(ts string) string {
	lit := func(null bool, s string) string {
		if null {
			return oracleNull
		}
		return s
	}
	return strings.Join([]string{
		lit(r.kNull, strconv.FormatInt(r.k, 10)),
		lit(r.gNull, "'"+r.g+"'"),
		lit(r.vNull, strconv.FormatInt(r.v, 10)),
		lit(r.dNull, strconv.FormatFloat(r.d(), 'f', -1, 64)),
		ts,
	}, ", ")
}

// engineValues is the row as an engine INSERT tuple.
func (r oracleRow) engineValues() string {
	return "(" + r.values("'"+time.UnixMicro(r.ts).UTC().Format("2006-01-02 15:04:05.000")+"'") + ")"
}

// sqliteValues is the row as a SQLite INSERT tuple, led by its arrival
// number and with event time in microseconds.
func (r oracleRow) sqliteValues(seq int) string {
	return fmt.Sprintf("(%d, %s)", seq, r.values(strconv.FormatInt(r.ts, 10)))
}

// oracleShape says how genOracleRows spreads rows over event time and
// arrival. Durations are in microseconds.
type oracleShape struct {
	// Event time advances by a random gap below maxGap and is then
	// truncated to a multiple of grain; one row in 25 is moved to the first
	// or last grain of its second, where windows begin and end.
	maxGap, grain int64
	// A row arrives at its event time plus a random lag below maxLag, or
	// below stragglerLag for stragglers percent of the rows.
	maxLag, stragglerLag int64
	stragglers           int
}

// genOracleRows returns n rows in arrival order.
func genOracleRows(rng *rand.Rand, n int, sh oracleShape) []oracleRow {
	rows := make([]oracleRow, n)
	arrive := make([]int64, n)
	ts := oracleT0
	for i := range rows {
		ts += rng.Int64N(sh.maxGap)
		et := ts / sh.grain * sh.grain
		switch rng.IntN(50) {
		case 0:
			et = ts / 1e6 * 1e6
		case 1:
			et = ts/1e6*1e6 + 1e6 - sh.grain
		}
		rows[i] = oracleRow{
			k: rng.Int64N(50), g: fmt.Sprintf("g%02d", rng.IntN(20)),
			v: rng.Int64N(2001) - 1000, dm: rng.Int64N(2_000_001) - 1_000_000, ts: et,
			kNull: rng.IntN(100) == 0, gNull: rng.IntN(100) < 3,
			vNull: rng.IntN(100) < 10, dNull: rng.IntN(100) < 7,
		}
		lag := sh.maxLag
		if rng.IntN(100) < sh.stragglers {
			lag = sh.stragglerLag
		}
		arrive[i] = et + rng.Int64N(lag)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(arrive[a], arrive[b]) })
	out := make([]oracleRow, n)
	for i, j := range order {
		out[i] = rows[j]
	}
	return out
}

// oracleBatchEnds splits n rows into INSERTs of lo..hi rows and returns
// where each ends.
func oracleBatchEnds(rng *rand.Rand, n, lo, hi int) []int {
	var ends []int
	for end := 0; end < n; {
		end = min(n, end+lo+rng.IntN(hi-lo+1))
		ends = append(ends, end)
	}
	return ends
}

func insertOracleRows(t *testing.T, conn *pgx.Conn, rows []oracleRow) {
	t.Helper()
	var b strings.Builder
	b.WriteString("INSERT INTO t VALUES ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.engineValues())
	}
	oracleExec(t, conn, b.String())
}

// oracleView is a materialized view and the SQLite query over p (the rows
// inserted so far) that computes the same rows.
type oracleView struct {
	name, create, oracle string
	header               string // column names, for failure messages
	kinds                string // column kinds, see oracleCanon
	nkey                 int    // the leading columns that identify a row
	from                 int    // the checkpoint before which it is created
	// slide, size and grace (µs) and eowc describe a windowed view's window;
	// a SESSION window has session set and its gap in size.
	slide, size, grace int64
	eowc, session      bool
	// countG: the view has COUNT(g) where the others have COUNT(DISTINCT g).
	countG bool
}

// panesView makes an EMIT ON WINDOW CLOSE HOP view one that the engine
// keeps as panes: those need aggregates that merge, so its dg column is
// COUNT(g) instead of COUNT(DISTINCT g).
func panesView(v oracleView) oracleView {
	v.countG = true
	v.create = strings.Replace(v.create, "COUNT(DISTINCT g)", "COUNT(g)", 1)
	v.oracle = strings.Replace(v.oracle, "COUNT(DISTINCT g)", "COUNT(g)", 1)
	return v
}

// parallelView runs v's aggregate as 3 replicas (WITH (parallelism = 3)).
func parallelView(v oracleView) oracleView {
	c := strings.Replace(v.create, "VIEW "+v.name+" ", "VIEW "+v.name+" WITH (parallelism = 3) ", 1)
	if c == v.create {
		panic("parallelView: no view name in " + v.create)
	}
	v.create = c
	return v
}

// withGrace records a view's GRACE (seconds) for oracleSimulate.
func withGrace(v oracleView, grace int64) oracleView {
	v.grace = grace * 1e6
	return v
}

// oracleWindowView is a view of oracleAggs grouped by a window and k.
// Sizes are in seconds; a tumbling window has slide == size.
func oracleWindowView(name, window string, slide, size int64, eowc bool, from int) oracleView {
	emit := ""
	if eowc {
		emit = " EMIT ON WINDOW CLOSE"
	}
	// Each row belongs to the windows starting at its time rounded down to
	// the slide and at the j slides before that, as long as they reach it.
	slide, size = slide*1e6, size*1e6
	q := fmt.Sprintf(`SELECT ws, ws + %[1]d, k, COUNT(*), COUNT(v), COUNT(DISTINCT g), SUM(v), AVG(d), MIN(v), MAX(d)
FROM (SELECT ts / %[2]d * %[2]d - j * %[2]d AS ws, p.* FROM p JOIN nums ON j < %[3]d)
WHERE ws + %[1]d > ts GROUP BY ws, k`, size, slide, (size+slide-1)/slide)
	if eowc {
		q += fmt.Sprintf("\nHAVING ws + %d <= (SELECT max(ts) FROM p) - %d", size, oracleDelay)
	}
	return oracleView{
		name:   name,
		create: fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s AS SELECT %s FROM t GROUP BY %s, k", name, emit, oracleAggs, window),
		oracle: q, header: oracleHeader, kinds: oracleKinds, nkey: 3, from: from,
		slide: slide, size: size, eowc: eowc,
	}
}

// oracleCumulateView is a view of oracleAggs grouped by CUMULATE(ts, step,
// size) and k (seconds): a row belongs to the windows of its size-aligned
// start whose ends, every step, lie after it.
func oracleCumulateView(name string, step, size int64, eowc bool) oracleView {
	emit := ""
	if eowc {
		emit = " EMIT ON WINDOW CLOSE"
	}
	step, size = step*1e6, size*1e6
	q := fmt.Sprintf(`SELECT ws, we, k, COUNT(*), COUNT(v), COUNT(DISTINCT g), SUM(v), AVG(d), MIN(v), MAX(d)
FROM (SELECT ts / %[1]d * %[1]d AS ws, ts / %[1]d * %[1]d + (j + 1) * %[2]d AS we, p.* FROM p JOIN nums ON j < %[3]d)
WHERE we > ts GROUP BY ws, we, k`, size, step, size/step)
	if eowc {
		q += fmt.Sprintf("\nHAVING we <= (SELECT max(ts) FROM p) - %d", oracleDelay)
	}
	return oracleView{
		name: name,
		create: fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s AS SELECT %s FROM t GROUP BY CUMULATE(ts, INTERVAL '%d' SECOND, INTERVAL '%d' SECOND), k",
			name, emit, oracleAggs, step/1e6, size/1e6),
		oracle: q, header: oracleHeader, kinds: oracleKinds, nkey: 3,
	}
}

// oracleSessionView is a view of oracleAggs grouped by SESSION(ts, gap) and
// k (seconds). SQLite numbers each key's sessions with window functions: a
// row starts a new session when it is gap or more after the key's previous
// row.
func oracleSessionView(name string, gap int64, eowc bool, grace ...string) oracleView {
	emit := ""
	if eowc {
		emit = " EMIT ON WINDOW CLOSE"
	}
	gap *= 1e6
	q := fmt.Sprintf(`SELECT MIN(ts), MAX(ts) + %[1]d, k, COUNT(*), COUNT(v), COUNT(DISTINCT g), SUM(v), AVG(d), MIN(v), MAX(d)
FROM (SELECT q.*, SUM(brk) OVER (PARTITION BY k ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS sid
      FROM (SELECT p.*, CASE WHEN ts - LAG(ts) OVER (PARTITION BY k ORDER BY ts, seq) < %[1]d THEN 0 ELSE 1 END AS brk FROM p) q)
GROUP BY k, sid`, gap)
	if eowc {
		q += fmt.Sprintf("\nHAVING MAX(ts) + %d <= (SELECT max(ts) FROM p) - %d", gap, oracleDelay)
	}
	return oracleView{
		name: name,
		create: fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s AS SELECT %s FROM t GROUP BY SESSION(ts, INTERVAL '%d' SECOND%s), k",
			name, emit, oracleAggs, gap/1e6, strings.Join(append([]string{""}, grace...), ", ")),
		oracle: q, header: oracleHeader, kinds: oracleKinds, nkey: 3,
		size: gap, session: true, eowc: eowc,
	}
}

func oracleKey(cp int, view string) string { return fmt.Sprintf("%d/%s", cp, view) }

// oracleSimulate is the reference for late rows: it runs the INSERTs
// ending at ends in order, adding each row to those of its windows still
// open (end > watermark) and dropping it when none is, then moving the
// watermark to the largest event time seen minus the delay. It returns the
// rows of oracleAggs view v holds (closed windows only when v.eowc), with
// window bounds in microseconds, and how many rows it dropped.
func oracleSimulate(rows []oracleRow, ends []int, v oracleView) ([][]string, int64) {
	if v.session {
		return oracleSimulateSessions(rows, ends, v)
	}
	type groupKey struct {
		start, k int64
		kNull    bool
	}
	groups := map[groupKey]*oracleAgg{}
	wm, maxTs := int64(math.MinInt64), int64(math.MinInt64)
	var dropped int64
	start := 0
	for _, end := range ends {
		for _, r := range rows[start:end] {
			maxTs = max(maxTs, r.ts)
			kept := false
			first := r.ts - r.ts%v.slide // event times are positive
			for s := first; s+v.size > r.ts; s -= v.slide {
				if s+v.size+v.grace <= wm {
					continue // closed
				}
				kept = true
				key := groupKey{s, r.k, r.kNull}
				if r.kNull {
					key.k = 0
				}
				if groups[key] == nil {
					groups[key] = &oracleAgg{gs: map[string]bool{}, countG: v.countG}
				}
				groups[key].add(r)
			}
			if !kept {
				dropped++
			}
		}
		start = end
		wm = max(wm, maxTs-oracleDelay)
	}
	var out [][]string
	for key, a := range groups {
		if v.eowc && key.start+v.size+v.grace > wm {
			continue
		}
		k := strconv.FormatInt(key.k, 10)
		if key.kNull {
			k = oracleNull
		}
		out = append(out, append([]string{strconv.FormatInt(key.start, 10), strconv.FormatInt(key.start+v.size, 10), k}, a.row()...))
	}
	return out, dropped
}

// oracleSimulateSessions is oracleSimulate for SESSION(ts, gap) per k. A
// row joins every open session of its key it falls within gap of
// (start - gap < ts < last + gap), merging them; with none to join it
// starts a session, unless that session would already be closed, when it
// is dropped. After each INSERT the watermark moves and every session with
// last + gap + grace <= watermark closes (final: kept, but never joined).
func oracleSimulateSessions(rows []oracleRow, ends []int, v oracleView) ([][]string, int64) {
	type sess struct {
		start, last int64
		agg         *oracleAgg
	}
	type key struct {
		k     int64
		kNull bool
	}
	gap := v.size
	open := map[key][]*sess{}
	var closed []struct {
		key
		*sess
	}
	wm, maxTs := int64(math.MinInt64), int64(math.MinInt64)
	var dropped int64
	start := 0
	for _, end := range ends {
		for _, r := range rows[start:end] {
			maxTs = max(maxTs, r.ts)
			k := key{r.k, r.kNull}
			if r.kNull {
				k.k = 0
			}
			m := &sess{start: r.ts, last: r.ts, agg: &oracleAgg{gs: map[string]bool{}}}
			var rest []*sess
			joined := false
			for _, s := range open[k] {
				if r.ts > s.start-gap && r.ts < s.last+gap {
					joined = true
					m.start, m.last = min(m.start, s.start), max(m.last, s.last)
					m.agg.merge(s.agg)
				} else {
					rest = append(rest, s)
				}
			}
			if !joined && r.ts+gap+v.grace <= wm {
				dropped++
				continue
			}
			m.agg.add(r)
			open[k] = append(rest, m)
		}
		start = end
		wm = max(wm, maxTs-oracleDelay)
		for k, ss := range open {
			var still []*sess
			for _, s := range ss {
				if s.last+gap+v.grace <= wm {
					closed = append(closed, struct {
						key
						*sess
					}{k, s})
				} else {
					still = append(still, s)
				}
			}
			open[k] = still
		}
	}
	var out [][]string
	emit := func(k key, s *sess) {
		ks := strconv.FormatInt(k.k, 10)
		if k.kNull {
			ks = oracleNull
		}
		out = append(out, append([]string{strconv.FormatInt(s.start, 10), strconv.FormatInt(s.last+gap, 10), ks}, s.agg.row()...))
	}
	for _, c := range closed {
		emit(c.key, c.sess)
	}
	if !v.eowc {
		for k, ss := range open {
			for _, s := range ss {
				emit(k, s)
			}
		}
	}
	return out, dropped
}

// oracleAgg accumulates the aggregates of oracleAggs.
type oracleAgg struct {
	n, nv, sum, mn, nd int64
	dsum, mx           float64
	gs                 map[string]bool
	// ng counts non-NULL g; countG puts it in dg's place (see panesView).
	ng     int64
	countG bool
}

func (a *oracleAgg) add(r oracleRow) {
	a.n++
	if !r.gNull {
		a.gs[r.g] = true
		a.ng++
	}
	if !r.vNull {
		if a.nv == 0 || r.v < a.mn {
			a.mn = r.v
		}
		a.nv++
		a.sum += r.v
	}
	if !r.dNull {
		if a.nd == 0 || r.d() > a.mx {
			a.mx = r.d()
		}
		a.nd++
		a.dsum += r.d()
	}
}

// merge adds b's rows to a's, as merging two sessions does.
func (a *oracleAgg) merge(b *oracleAgg) {
	if b.nv > 0 && (a.nv == 0 || b.mn < a.mn) {
		a.mn = b.mn
	}
	if b.nd > 0 && (a.nd == 0 || b.mx > a.mx) {
		a.mx = b.mx
	}
	a.n += b.n
	a.nv += b.nv
	a.sum += b.sum
	a.nd += b.nd
	a.dsum += b.dsum
	for g := range b.gs {
		a.gs[g] = true
	}
}

// row is n, nv, dg, s, a, mn, mx as text.
func (a *oracleAgg) row() []string {
	i := strconv.FormatInt
	s, avg, mn, mx := oracleNull, oracleNull, oracleNull, oracleNull
	if a.nv > 0 {
		s, mn = i(a.sum, 10), i(a.mn, 10)
	}
	if a.nd > 0 {
		avg = strconv.FormatFloat(a.dsum/float64(a.nd), 'g', -1, 64)
		mx = strconv.FormatFloat(a.mx, 'g', -1, 64)
	}
	dg := int64(len(a.gs))
	if a.countG {
		dg = a.ng
	}
	return []string{i(a.n, 10), i(a.nv, 10), i(dg, 10), s, avg, mn, mx}
}

func oracleExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", oracleAbbrev(sql), err)
	}
}

func oracleAbbrev(sql string) string {
	if len(sql) > 300 {
		return sql[:300] + "..."
	}
	return sql
}

// oracleQuery runs a query and returns its rows as the text the server
// sent, with NULL as oracleNull.
func oracleQuery(t *testing.T, conn *pgx.Conn, sql string) [][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		r := rawText(rows.RawValues())
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// rawText is a row's values as the text the server sent, with NULL as
// oracleNull.
func rawText(raw [][]byte) []string {
	r := make([]string, len(raw))
	for i, b := range raw {
		r[i] = oracleNull
		if b != nil {
			r[i] = string(b)
		}
	}
	return r
}

// oracleShowLate returns the late_rows column of SHOW what, by name.
func oracleShowLate(t *testing.T, conn *pgx.Conn, what string) map[string]int64 {
	t.Helper()
	sql := "SHOW " + what
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	name, late := -1, -1
	for i, f := range rows.FieldDescriptions() {
		switch f.Name {
		case "name":
			name = i
		case "late_rows":
			late = i
		}
	}
	if name < 0 || late < 0 {
		t.Fatalf("%s: no name or late_rows column in %v", sql, rows.FieldDescriptions())
	}
	out := map[string]int64{}
	for rows.Next() {
		raw := rows.RawValues()
		n, err := strconv.ParseInt(string(raw[late]), 10, 64)
		if err != nil {
			t.Fatalf("%s: late_rows %q: %v", sql, raw[late], err)
		}
		out[string(raw[name])] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// oracleSQLite runs script in an in-memory SQLite and returns the CSV rows
// printed after each "#key" marker line, by key.
func oracleSQLite(t *testing.T, script string) map[string][][]string {
	t.Helper()
	bin, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Fatalf("the window oracle needs the sqlite3 command (apt-get install sqlite3): %v", err)
	}
	path := filepath.Join(t.TempDir(), "oracle.sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-bail", "-batch", ":memory:", ".read "+path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, stderr.String())
	}
	r := csv.NewReader(&stdout)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("sqlite3 output: %v", err)
	}
	out := map[string][][]string{}
	key := ""
	for _, rec := range recs {
		if len(rec) == 1 && strings.HasPrefix(rec[0], "#") {
			key = rec[0][1:]
			out[key] = [][]string{}
			continue
		}
		if key == "" {
			t.Fatalf("sqlite3 printed %q before any marker", rec)
		}
		for i := range rec {
			if rec[i] == "" {
				rec[i] = oracleNull
			}
		}
		out[key] = append(out[key], rec)
	}
	return out
}

// oracleCanon rewrites rows in place into the form both sides are
// compared in: timestamps (kind T) as UTC text to the microsecond, integers
// (I) and floats (F) re-printed, NULL as oracleNull. The engine sends
// timestamps as text; the oracles give microseconds since the epoch.
func oracleCanon(rows [][]string, kinds string, fromEngine bool) error {
	for _, r := range rows {
		if len(r) != len(kinds) {
			return fmt.Errorf("row %q has %d columns, want %d", r, len(r), len(kinds))
		}
		for i, s := range r {
			if s == oracleNull {
				continue
			}
			var err error
			switch kinds[i] {
			case 'T':
				var ts time.Time
				if fromEngine {
					ts, err = time.Parse("2006-01-02 15:04:05.999999999", s)
				} else {
					var us int64
					us, err = strconv.ParseInt(s, 10, 64)
					ts = time.UnixMicro(us)
				}
				r[i] = ts.UTC().Format(oracleTime)
			case 'I':
				var n int64
				n, err = strconv.ParseInt(s, 10, 64)
				r[i] = strconv.FormatInt(n, 10)
			case 'F':
				var f float64
				f, err = strconv.ParseFloat(s, 64)
				r[i] = strconv.FormatFloat(f, 'g', -1, 64)
			}
			if err != nil {
				return fmt.Errorf("row %q column %d: %v", r, i+1, err)
			}
		}
	}
	return nil
}

// oracleDiff compares canonical rows of view v as sets keyed by their first
// v.nkey columns and describes the first differences, or returns "".
// Floats match when they differ by at most 1e-9 relative to the larger
// magnitude (or to 1, for values near zero: AVG of mixed signs).
func oracleDiff(v oracleView, got, want [][]string) string {
	byKey := func(a, b []string) int { return slices.Compare(a[:v.nkey], b[:v.nkey]) }
	slices.SortFunc(got, byKey)
	slices.SortFunc(want, byKey)
	var notes []string
	bad := 0
	note := func(format string, args ...any) {
		bad++
		if len(notes) < 10 {
			notes = append(notes, fmt.Sprintf(format, args...))
		}
	}
	for i, j := 0, 0; i < len(got) || j < len(want); {
		c := 0
		switch {
		case i == len(got):
			c = 1
		case j == len(want):
			c = -1
		default:
			c = byKey(got[i], want[j])
		}
		switch {
		case c < 0:
			note("engine has  %s\n    oracle has no such row", strings.Join(got[i], " | "))
			i++
		case c > 0:
			note("engine has no such row\n    oracle has  %s", strings.Join(want[j], " | "))
			j++
		default:
			if !oracleRowEqual(v.kinds, got[i], want[j]) {
				note("engine has  %s\n    oracle has  %s", strings.Join(got[i], " | "), strings.Join(want[j], " | "))
			}
			i++
			j++
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("%d rows differ (engine %d rows, oracle %d); first %d:\n  columns     %s\n  %s",
		bad, len(got), len(want), len(notes), v.header, strings.Join(notes, "\n  "))
}

func oracleRowEqual(kinds string, a, b []string) bool {
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		if kinds[i] != 'F' || a[i] == oracleNull || b[i] == oracleNull {
			return false
		}
		x, _ := strconv.ParseFloat(a[i], 64)
		y, _ := strconv.ParseFloat(b[i], 64)
		if math.Abs(x-y) > 1e-9*max(math.Abs(x), math.Abs(y), 1) {
			return false
		}
	}
	return true
}
