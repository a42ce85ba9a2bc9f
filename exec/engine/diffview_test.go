package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestDifferentialViews creates the differential generator's queries as
// materialized views over a table with a PRIMARY KEY, fed in five INSERTs
// whose rows often replace earlier keys (some by an identical row), half
// of the views before the first row and half after the third INSERT
// (backfilled). After a FLUSH each view must hold what the same query
// answers over a table holding the final rows, inserted at once: a streaming result,
// retractions and all, must equal the batch one. The ad-hoc query over
// the keyed table must agree too.
func TestDifferentialViews(t *testing.T) {
	seed := *differentialSeed
	rng := rand.New(rand.NewPCG(seed, 1))
	conn := connect(t, startServer(t))
	var st diffStats
	for ti := range 3 {
		name := fmt.Sprintf("u%d", ti)
		diffViews(t, conn, rng, fmt.Sprintf("seed %d, table %s", seed, name), name, 100, &st)
		if st.failures >= 10 {
			t.Fatalf("stopping after %d failures", st.failures)
		}
	}
	t.Logf("seed %d: %d views, %d equal to the batch answer, %d refused as views and queries, %d skipped (overflow)",
		seed, st.queries, st.equal, st.bothErr, st.skipped)
}

// overFinal is q reading the table final where it reads name: the
// query's own FROM, aliased name so that the subqueries correlated to it
// still are (theirs, aliased s, read name, whose rows are final's by
// then).
func overFinal(q, name, final string) string {
	from := " FROM " + name
	for i := 0; ; {
		j := strings.Index(q[i:], from)
		if j < 0 {
			return q
		}
		j += i
		if rest := q[j+len(from):]; !strings.HasPrefix(rest, " AS ") {
			return q[:j] + " FROM " + final + " AS " + name + rest
		}
		i = j + len(from)
	}
}

// diffViews runs one table's views; see TestDifferentialViews.
func diffViews(t *testing.T, conn *pgx.Conn, rng *rand.Rand, where, name string, nviews int, st *diffStats) {
	g := &diffGen{rng: rng, aux: auxRand(where), view: true}
	tbl := g.table(name, 0, true)
	// The batch table has the same key, so that `*` in a query grouped by
	// it is allowed there too (PostgreSQL's functional dependency), but
	// its rows come in one INSERT, without replacements.
	final := *tbl
	final.name = name + "_final"
	oracleExec(t, conn, tbl.ddl())
	oracleExec(t, conn, final.ddl())

	// Five batches; a key appears at most once in each.
	current := map[string][]string{}
	var ids []string
	batches := make([][][]string, 5)
	next := int64(0)
	for b := range batches {
		used := map[string]bool{}
		for range 2 + g.n(12) {
			var row []string
			switch {
			case len(ids) > 0 && g.p(35):
				row = g.row(0)
				row[0] = ids[g.n(len(ids))]
			case len(ids) > 0 && g.p(15):
				row = current[ids[g.n(len(ids))]] // replaced by an identical row
			default:
				row = g.row(next)
				ids = append(ids, row[0])
				next++
			}
			if !used[row[0]] {
				used[row[0]] = true
				current[row[0]] = row
				batches[b] = append(batches[b], row)
			}
		}
	}

	queries := make([]string, nviews)
	created := make([]bool, nviews)
	var log []string // what was sent, for the failure report
	create := func(from, to int) {
		for i := from; i < to; i++ {
			queries[i] = g.query()
			sql := fmt.Sprintf("CREATE MATERIALIZED VIEW %s_v%d AS %s", name, i, queries[i])
			a := diffQuery(conn, sql)
			if created[i] = a.err == nil; created[i] {
				continue
			}
			st.queries++
			if q := diffQuery(conn, queries[i]); q.err != nil {
				st.bothErr++
				continue
			}
			st.failures++
			t.Errorf("%s, view %d: the query answers, but CREATE MATERIALIZED VIEW refused it: %v\n  query: %s", where, i, a.err, queries[i])
		}
	}
	insert := func(b int) {
		sql := tbl.insert(batches[b])
		log = append(log, sql)
		oracleExec(t, conn, sql)
	}
	create(0, nviews/2)
	for b := range 3 {
		insert(b)
	}
	create(nviews/2, nviews)
	for b := 3; b < len(batches); b++ {
		insert(b)
	}
	oracleExec(t, conn, "FLUSH")

	rows := make([][]string, 0, len(current))
	for _, id := range ids {
		rows = append(rows, current[id])
	}
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	if sql := final.insert(rows); sql != "" {
		oracleExec(t, conn, sql)
	}
	if a, b := diffQuery(conn, "SELECT * FROM "+name), diffQuery(conn, "SELECT * FROM "+final.name); a.err != nil || b.err != nil {
		t.Fatalf("%s: reading the tables: %v, %v", where, a.err, b.err)
	} else if v := diffRows(b.oids, a.rows, b.rows, 0); v != "equal" {
		t.Fatalf("%s: the keyed table after its upserts differs from its final rows: %s\n  keyed: %s\n  final: %s", where, v, a, b)
	}

	for i, q := range queries {
		if !created[i] {
			continue
		}
		st.queries++
		got := diffQuery(conn, fmt.Sprintf("SELECT * FROM %s_v%d", name, i))
		batch := diffQuery(conn, overFinal(q, name, final.name))
		adhoc := diffQuery(conn, q)
		verdict := "equal"
		switch {
		case batch.err != nil && batch.state() == "22003":
			st.skipped++ // a view gives NULL where a query fails
			continue
		case got.err != nil || batch.err != nil || adhoc.err != nil:
			verdict = "an error"
		default:
			if verdict = diffRows(batch.oids, got.rows, batch.rows, diffViewTolerance); verdict == "equal" {
				verdict = diffRows(batch.oids, adhoc.rows, batch.rows, diffTolerance)
			}
		}
		if verdict == "equal" {
			st.equal++
			continue
		}
		st.failures++
		before := "before the rows"
		if i >= nviews/2 {
			before = "after the third INSERT (backfilled)"
		}
		t.Errorf("%s, view %d created %s: %s\n  query:  %s\n  table:  %s\n  feed:   %s\n  view:   %s\n  batch:  %s\n  ad hoc: %s",
			where, i, before, verdict, q, tbl.ddl(), strings.Join(log, ";\n          "), got, batch, adhoc)
	}
}
