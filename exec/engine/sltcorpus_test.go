package engine_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSLTCorpus runs the sqllogictest-shaped corpus (sltcorpus_gen_test.go)
// ad hoc on the engine and on SQLite and compares each answer as
// sqllogictest does: values printed by the query's column types (integers
// as integers, reals to three decimals, NULL as NULL), then the rows in
// order (nosort, for an ORDER BY of every column), sorted (rowsort), or
// every value sorted (valuesort). SQLite answers the whole corpus in one
// sqlite3 run.
//
// go test ./exec/engine -run TestSLTCorpus -slt.n 200000 runs longer;
// -slt.seed replays a seed; FuzzSLTCorpus takes seeds from the fuzzer.
var (
	sltN    = flag.Int("slt.n", 10_000, "queries TestSLTCorpus compares with SQLite")
	sltSeed = flag.Uint64("slt.seed", 19, "seed of TestSLTCorpus's tables and queries")
)

func TestSLTCorpus(t *testing.T) {
	n := *sltN
	if raceEnabled {
		n /= 10
	}
	st := runSLTCorpus(t, *sltSeed, n)
	t.Logf("seed %d: %d queries: %d agree with SQLite, %d differ, %d fail on streamsql", *sltSeed, n, st.agree, st.differ, st.fail)
	for _, s := range st.shapes() {
		t.Log(s)
	}
}

func FuzzSLTCorpus(f *testing.F) {
	for _, s := range []uint64{1, 2, 3} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { runSLTCorpus(t, seed, 300) })
}

// sltStats counts the outcomes, overall and by shape.
type sltStats struct {
	agree, differ, fail int
	byShape             map[string]*[3]int
}

func (s *sltStats) add(shape string, outcome int) {
	if s.byShape[shape] == nil {
		s.byShape[shape] = new([3]int)
	}
	s.byShape[shape][outcome]++
	switch outcome {
	case 0:
		s.agree++
	case 1:
		s.differ++
	default:
		s.fail++
	}
}

func (s *sltStats) shapes() []string {
	var out []string
	for name, c := range s.byShape {
		out = append(out, fmt.Sprintf("  %-9s agree %5d  differ %4d  fail %4d", name, c[0], c[1], c[2]))
	}
	slices.Sort(out)
	return out
}

// runSLTCorpus generates the tables and n queries of seed, runs them on
// both sides, and fails t for every difference and every refusal.
func runSLTCorpus(t *testing.T, seed uint64, n int) sltStats {
	rng := rand.New(rand.NewPCG(seed, 0x5117))
	setup := sltSetup(rng)
	g := &sltGen{r: rng}
	queries := make([]sltQuery, n)
	for i := range queries {
		queries[i] = g.query()
	}

	var script strings.Builder
	// A NULL is printed as a word: the CSV reader skips the empty line
	// of a one-column NULL row.
	script.WriteString(".mode csv\n.headers off\n.nullvalue " + sltNull + "\n")
	for _, s := range setup {
		script.WriteString(s + ";\n")
	}
	for i, q := range queries {
		fmt.Fprintf(&script, "SELECT '#%d';\n%s;\n", i, q.sqlite)
	}
	want := oracleSQLite(t, script.String())

	conn := connect(t, startServer(t))
	for _, s := range setup {
		oracleExec(t, conn, s)
	}
	st := sltStats{byShape: map[string]*[3]int{}}
	reported := 0
	report := func(format string, args ...any) {
		if reported++; reported <= 20 {
			t.Errorf(format, args...)
		}
	}
	// Refusals are reported once per message, with a count and an example.
	refusals := map[string][]string{}
	start := time.Now()
	for i, q := range queries {
		got, err := sltAsk(conn, q.sql)
		if err != nil {
			st.add(q.shape, 2)
			refusals[err.Error()] = append(refusals[err.Error()], q.sql)
			continue
		}
		w := sltCanon(want[strconv.Itoa(i)], q)
		if g := sltCanon(got, q); !slices.Equal(g, w) {
			st.add(q.shape, 1)
			report("query %d differs from SQLite\n  %s\n  streamsql: %s\n  SQLite:    %s", i, q.sql, sltAbbrev(g), sltAbbrev(w))
			continue
		}
		st.add(q.shape, 0)
	}
	if reported > 20 {
		t.Errorf("... and %d more differences", reported-20)
	}
	// What the engine does not do yet it must refuse clearly (0A000,
	// feature not supported); any other error is a bug.
	for _, msg := range slices.Sorted(maps.Keys(refusals)) {
		qs := refusals[msg]
		report := t.Errorf
		if strings.Contains(msg, "(SQLSTATE 0A000)") {
			report = t.Logf
		}
		report("%d queries fail with %s, as\n  %s", len(qs), msg, qs[0])
	}
	t.Logf("%d queries on streamsql in %v", n, time.Since(start).Round(time.Millisecond))
	return st
}

// sltNull is SQLite's print of NULL; no text value of the corpus is it.
const sltNull = "NULL"

// sltAsk runs one query on the engine and returns its rows as text.
func sltAsk(conn *pgx.Conn, sql string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		out = append(out, rawText(rows.RawValues()))
	}
	return out, rows.Err()
}

// sltCanon prints rows as sqllogictest compares them: one string per value
// (integers strictly as integers, reals with three decimals, NULL), rows
// sorted for rowsort, values sorted for valuesort.
func sltCanon(rows [][]string, q sltQuery) []string {
	lines := make([]string, 0, len(rows))
	var values []string
	for _, r := range rows {
		if len(r) != len(q.types) {
			lines = append(lines, fmt.Sprintf("!%d columns: %q", len(r), r))
			continue
		}
		vals := make([]string, len(r))
		for i, s := range r {
			vals[i] = sltValue(s, q.types[i])
		}
		values = append(values, vals...)
		lines = append(lines, strings.Join(vals, " "))
	}
	switch q.sort {
	case 'r':
		slices.Sort(lines)
	case 'v':
		slices.Sort(values)
		return values
	}
	return lines
}

// sltValue is one value in sqllogictest's print: a value that is not of
// its column's type keeps its text, marked, so that it differs.
func sltValue(s string, typ byte) string {
	if s == oracleNull || s == sltNull {
		return "NULL"
	}
	switch typ {
	case 'I':
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		return "!" + s
	case 'R':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'f', 3, 64)
		}
		return "!" + s
	}
	return s
}

func sltAbbrev(lines []string) string {
	s := strings.Join(lines, " | ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}
