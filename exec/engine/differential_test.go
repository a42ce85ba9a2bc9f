//go:build unix

package engine_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// The differential test runs random queries (diffgen_test.go) over random
// tables in streamsql and in PostgreSQL and compares their rows as
// multisets. PostgreSQL, not SQLite, is the oracle: its semantics are the
// engine's target dialect, and it has the same types (DECIMAL exact,
// SMALLINT and INT with their ranges, BOOLEAN, TIMESTAMP), integer
// division, and byte-order string comparison (initdb --no-locale), where
// SQLite's dynamic typing would need a translation of every query.
//
// go test ./exec/engine -run TestDifferential -differential.n 100000
// runs longer; -differential.seed replays a seed; FuzzDifferential takes
// its seeds from the fuzzer.

var (
	differentialN    = flag.Int("differential.n", 10_000, "queries TestDifferential compares with PostgreSQL")
	differentialSeed = flag.Uint64("differential.seed", 14, "seed of TestDifferential's tables and queries")
)

const diffQueriesPerTable = 250

func TestDifferential(t *testing.T) {
	env := startDiff(t)
	seed, total := *differentialSeed, *differentialN
	if raceEnabled {
		total /= 10 // one connection a side: little for the detector to see
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	var st diffStats
	for ti := 0; st.queries < total; ti++ {
		n := min(diffQueriesPerTable, total-st.queries)
		env.run(t, rng, fmt.Sprintf("seed %d, table %d", seed, ti), fmt.Sprintf("t%d", ti), n, &st)
		if st.failures >= 10 {
			t.Fatalf("stopping after %d failures", st.failures)
		}
	}
	t.Logf("seed %d: %d queries, %d answered by both and equal, %d refused by both, %d skipped (documented differences)",
		seed, st.queries, st.equal, st.bothErr, st.skipped)
}

func FuzzDifferential(f *testing.F) {
	for _, s := range []uint64{1, 2, 3} {
		f.Add(s)
	}
	env := startDiff(f)
	var tables atomic.Int64
	f.Fuzz(func(t *testing.T, seed uint64) {
		name := fmt.Sprintf("f%d", tables.Add(1))
		var st diffStats
		env.run(t, rand.New(rand.NewPCG(seed, 0)), fmt.Sprintf("fuzz seed %d", seed), name, 40, &st)
		env.exec(t, "DROP TABLE "+name)
	})
}

// diffEnv is an engine and a PostgreSQL database, each with one
// connection that all queries share.
type diffEnv struct{ eng, pg *pgx.Conn }

func startDiff(t testing.TB) *diffEnv {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	pg := pgtest.Start(t)
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE diff"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL("diff")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &diffEnv{eng: connect(t, startServer(t)), pg: conn}
}

// exec runs a statement on both sides; either failing fails the test.
func (e *diffEnv) exec(t testing.TB, sql string) {
	t.Helper()
	for _, side := range []struct {
		name string
		conn *pgx.Conn
	}{{"streamsql", e.eng}, {"PostgreSQL", e.pg}} {
		if a := diffQuery(side.conn, sql); a.err != nil {
			t.Fatalf("%s: %s: %v", side.name, oracleAbbrev(sql), a.err)
		}
	}
}

// run creates a table from rng on both sides and compares n queries over it.
func (e *diffEnv) run(t testing.TB, rng *rand.Rand, where, name string, n int, st *diffStats) {
	t.Helper()
	g := &diffGen{rng: rng, aux: auxRand(where)}
	tbl := g.table(name, 30, false)
	setup := []string{tbl.ddl(), tbl.insert(tbl.rows)}
	for _, s := range setup {
		if s != "" {
			e.exec(t, s)
		}
	}
	queries := make([]string, n)
	for i := range queries {
		queries[i] = g.query()
	}
	want := make([]diffAnswer, n)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, q := range queries {
			want[i] = diffQuery(e.pg, q)
		}
	}()
	got := make([]diffAnswer, n)
	for i, q := range queries {
		got[i] = diffQuery(e.eng, q)
	}
	<-done
	for i, q := range queries {
		st.queries++
		verdict := diffVerdict(q, got[i], want[i])
		if verdict != "equal" && verdict != "both refused" && verdict != "skipped" && diffFloatSum(q, tbl, got[i], want[i]) {
			verdict = "skipped"
		}
		switch verdict {
		case "equal":
			st.equal++
		case "both refused":
			st.bothErr++
		case "skipped":
			st.skipped++
		default:
			st.failures++
			t.Errorf("%s, query %d: %s\n  query:      %s\n  table:      %s\n  rows:       %s\n  PostgreSQL: %s\n  streamsql:  %s",
				where, i, verdict, q, setup[0], setup[1], want[i], got[i])
		}
	}
}

// diffKnown lists the documented differences: answers that differ from
// PostgreSQL's for a stated reason, and are counted as skipped. Others the
// generator avoids: a divisor that is zero in some row gives NULL in the
// engine (README, Semantics), so divisors are nullif(x, 0); PostgreSQL
// refuses a constant GROUP BY key, so keys read a column; and years before
// 1 AD, which PostgreSQL writes as BC, are compared by instant.
var diffKnown = []struct {
	reason string
	match  func(q string, got, want diffAnswer) bool
}{
	{"PostgreSQL reports an overflow (22003, 22008) where the engine answers; issue 14, item 2",
		func(_ string, got, want diffAnswer) bool {
			return !genOverflowValues && got.err == nil && (want.state() == "22003" || want.state() == "22008")
		}},
	{"PostgreSQL's NUMERIC is wider than the engine's 18-digit DECIMAL (README, Dialect); issue 14, item 2",
		func(_ string, got, want diffAnswer) bool {
			return !genOverflowValues && want.err == nil && diffWide(want)
		}},
	{"a DECIMAL value past 18 digits is out of range in the engine, not in PostgreSQL's numeric (README, Semantics)",
		func(_ string, got, want diffAnswer) bool {
			if want.err != nil || got.state() != "22003" {
				return false
			}
			msg := got.err.Error()
			return strings.Contains(msg, "a DECIMAL holds at most 18 digits") || strings.Contains(msg, "a field with precision 18,")
		}},
	{"SUM of BIGINT is a BIGINT in the engine, out of range past 64 bits, where PostgreSQL's is a numeric (README, Semantics)",
		func(q string, got, want diffAnswer) bool {
			return want.err == nil && got.state() == "22003" && strings.Contains(got.err.Error(), "bigint out of range") &&
				(diffPast64(want) || strings.Contains(q, "SUM(")) // a SUM past 64 bits in HAVING, too
		}},
	{"SMALLINT is INT in the engine (README, Dialect), so its arithmetic passes 32767 where PostgreSQL's smallint is out of range",
		func(_ string, got, want diffAnswer) bool {
			return got.err == nil && want.state() == "22003" && strings.Contains(want.err.Error(), "smallint out of range")
		}},
	// PostgreSQL's avg(float8) shares float8_accum with variance and
	// stddev, which also sums squared deviations and fails when that sum
	// passes DOUBLE's range (values past about 1e154 apart); the engine's
	// AVG, retractable in views, keeps only the sum.
	{"PostgreSQL's AVG of DOUBLE fails where its sum of squares overflows; the engine's keeps only the sum (README, Semantics)",
		func(q string, got, want diffAnswer) bool {
			return got.err == nil && want.state() == "22003" && strings.Contains(want.err.Error(), "value out of range: overflow") && strings.Contains(q, "AVG(")
		}},
	// PostgreSQL's float8 variance is Youngs and Cramer's, which rounds
	// at each row: of equal values (stddev(CAST(7.0 AS DOUBLE
	// PRECISION) / 6.5)) it is rounding noise, 7.9e-17 say, where the
	// exact answer is 0. The engine's, from exact sums so that a view's
	// retractions leave it as a batch over the remaining rows would, is
	// 0 (README, Semantics). Not PostgreSQL's choice of a value, but its
	// rounding error, which no retractable sum reproduces.
	{"PostgreSQL's DOUBLE variance of equal values is rounding noise where the engine's is 0 (README, Semantics)",
		func(q string, got, want diffAnswer) bool {
			if got.err != nil || want.err != nil || !strings.Contains(q, "stddev") && !strings.Contains(q, "var_") && !strings.Contains(q, "variance") {
				return false
			}
			rows := make([][]string, len(want.rows))
			for i, r := range want.rows {
				rows[i] = slices.Clone(r)
				for j, v := range r {
					if f, err := strconv.ParseFloat(v, 64); err == nil && f != 0 && math.Abs(f) < 1e-9 && want.oids[j] == 701 {
						rows[i][j] = "0"
					}
				}
			}
			return diffRows(want.oids, got.rows, rows, diffTolerance) == "equal"
		}},
	// PostgreSQL folds a strict operator with a constant NULL operand
	// (x / nullif(0, 0)) to NULL when it plans the query, so the other
	// operand is never computed; the engine computes it in every row.
	{"PostgreSQL does not compute the other operand of an operator over nullif(0, 0)",
		func(q string, got, want diffAnswer) bool {
			return want.err == nil && got.state() == "22003" && diffNullDivisor.MatchString(q)
		}},
	// PostgreSQL computes a query whose only aggregates are MIN and MAX
	// of a constant (MAX(coalesce(11, s))) as ORDER BY ... LIMIT 1
	// (planagg), which stops at the first row WHERE keeps: rows after it
	// are never filtered, so WHERE fails on none of them. The engine
	// filters every row.
	{"PostgreSQL computes MIN or MAX of a constant as LIMIT 1, filtering rows only up to the first that passes",
		func(q string, got, want diffAnswer) bool {
			s := got.state()
			return want.err == nil && (s == "22003" || s == "22012") && !strings.Contains(q, "GROUP BY") && diffMinMaxOnly.MatchString(q)
		}},
	// SQL leaves the order of AND's and OR's operands to the engine:
	// PostgreSQL orders a WHERE's conditions by their cost, so `x / y > 0
	// AND b` fails on no row where b is false. The engine evaluates left
	// to right, computing the right operand only where the left one left
	// the answer open: it computes x / y there, and where the cheaper
	// operand is on the right (`(b = b) <= (i = s) AND abs(k) IN (4, -3)`)
	// it skips what PostgreSQL computes first and fails on.
	{"PostgreSQL evaluates the cheaper operand of AND or OR first and skips the other where it decides",
		func(q string, got, want diffAnswer) bool {
			andOr := strings.Contains(q, " AND ") || strings.Contains(q, " OR ")
			g, w := got.state(), want.state()
			return andOr && (g == "22003" || g == "22012") && want.err == nil ||
				andOr && (w == "22003" || w == "22012") && got.err == nil
		}},
}

// diffNullDivisor finds a divisor PostgreSQL folds to NULL when it plans
// the query: nullif(0, 0), or nullif(coalesce(0, x), 0), coalesce of a
// constant first being that constant.
var diffNullDivisor = regexp.MustCompile(`nullif\((0|coalesce\(0, [^()]*\)), 0\)`)

// diffMinMaxOnly matches a select list of MIN and MAX calls alone, of
// constants: a number, or coalesce of a number first.
var diffMinMaxOnly = regexp.MustCompile(`^SELECT (?:(?:MIN|MAX)\((?:-?[0-9.]+|coalesce\(-?[0-9.]+, [^()]*\))\) AS a\d+(?:, | ))+FROM `)

// diffVerdict compares the engine's answer to query q with PostgreSQL's:
// "equal", "both refused", "skipped", or what differs.
func diffVerdict(q string, got, want diffAnswer) string {
	var v string
	switch {
	case got.state() == "XX000":
		// A panic or another bug, whatever PostgreSQL says.
		return "streamsql failed with an internal error"
	case got.err != nil && want.err != nil:
		return "both refused"
	case want.err != nil:
		v = "PostgreSQL refused the query, streamsql answered"
	case got.err != nil:
		v = "streamsql refused the query, PostgreSQL answered"
	default:
		if v = diffRows(want.oids, got.rows, want.rows, diffTolerance); v == "equal" {
			return v
		}
	}
	for _, k := range diffKnown {
		if k.match(q, got, want) {
			return "skipped"
		}
	}
	return v
}

// diffFloatSum says whether the answers differ only as a DOUBLE SUM or
// AVG may (a documented difference, README, Semantics): the engine's is
// the exact sum rounded once, so that a view's equals the batch answer
// however it got there, while PostgreSQL's float8 sum rounds after each
// row in row order, so where values cancel (1e17 + x - 1e17) it may be
// off by up to rows × 2^-52 × the largest value summed. The largest value
// is taken as that of the table's numbers, or their square where the
// query multiplies.
func diffFloatSum(q string, tbl *diffTable, got, want diffAnswer) bool {
	if got.err != nil || want.err != nil || !strings.Contains(q, "SUM(") && !strings.Contains(q, "AVG(") {
		return false
	}
	m := 0.0
	for _, r := range tbl.rows {
		for _, v := range r {
			if f, err := strconv.ParseFloat(strings.Trim(v, "()"), 64); err == nil && !math.IsInf(f, 0) && math.Abs(f) < 1e300 {
				m = max(m, math.Abs(f))
			}
		}
	}
	if strings.Contains(q, " * ") {
		m *= m
	}
	bound := float64(len(tbl.rows)) * 0x1p-52 * m
	return diffRowsWithin(want.oids, got.rows, want.rows, diffTolerance, bound) == "equal"
}

// diffWide says whether a NUMERIC value of the answer has more than the
// 18 digits of the engine's widest DECIMAL (README, Dialect).
func diffWide(a diffAnswer) bool {
	for _, r := range a.rows {
		for i, v := range r {
			if a.oids[i] == 1700 && len(strings.Trim(v, "-.0")) > 18 {
				return true
			}
		}
	}
	return false
}

// diffPast64 says whether a NUMERIC value of the answer is an integer
// outside BIGINT's range, as PostgreSQL's SUM of BIGINTs can be.
func diffPast64(a diffAnswer) bool {
	for _, r := range a.rows {
		for i, v := range r {
			if a.oids[i] != 1700 {
				continue
			}
			if x, ok := new(big.Int).SetString(strings.SplitN(v, ".", 2)[0], 10); ok && !x.IsInt64() {
				return true
			}
		}
	}
	return false
}
