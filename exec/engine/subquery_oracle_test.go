//go:build unix

package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSubqueryOracle checks subqueries in WHERE and in the select list
// (scalar ones correlated by any condition or not, [NOT] EXISTS, [NOT] IN
// and ANY/ALL with NULLs on either side) against PostgreSQL on a generated table,
// ad hoc and as views that must stay the batch answer through upserts.
func TestSubqueryOracle(t *testing.T) {
	env := startDiff(t)
	rng := oracleRand(t)
	env.exec(t, "CREATE TABLE t1 (id INT PRIMARY KEY, a INT, b INT, c INT, d INT)")
	// One statement may not upsert an id twice in PostgreSQL: ids unique per batch.
	fillUnique := func(n int) {
		seen := map[int]bool{}
		var rows []string
		for len(rows) < n {
			id := rng.IntN(150)
			if seen[id] {
				continue
			}
			seen[id] = true
			v := func() string {
				if rng.IntN(8) == 0 {
					return "NULL"
				}
				return fmt.Sprint(rng.IntN(20) - 5)
			}
			rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, %s)", id, v(), v(), v(), v()))
		}
		values := "INSERT INTO t1 VALUES " + strings.Join(rows, ", ")
		env.execOne(t, "streamsql", values)
		env.execOne(t, "PostgreSQL", values+" ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a, b = EXCLUDED.b, c = EXCLUDED.c, d = EXCLUDED.d")
	}
	fillUnique(100)
	cols := []string{"a", "b", "c", "d"}
	col := func(r *rand.Rand) string { return cols[r.IntN(len(cols))] }
	ops := []string{"<", "<=", "=", ">", "<>"}
	op := func(r *rand.Rand) string { return ops[r.IntN(len(ops))] }
	aggs := []string{"count(*)", "count(x.%s)", "max(x.%s)", "min(x.%s)", "sum(x.%s)"}
	// correlate is nothing, or a condition on the outer row (an equality,
	// which views can keep by key, or another comparison).
	correlate := func(r *rand.Rand) string {
		switch r.IntN(3) {
		case 0:
			return ""
		case 1:
			return fmt.Sprintf(" AND x.%s = t1.%s", col(r), col(r))
		}
		return fmt.Sprintf(" AND x.%s %s t1.%s", col(r), op(r), col(r))
	}
	var queries []string
	for range 48 {
		agg := aggs[rng.IntN(len(aggs))]
		if strings.Contains(agg, "%s") {
			agg = fmt.Sprintf(agg, col(rng))
		}
		corr := fmt.Sprintf("x.%s %s t1.%s", col(rng), op(rng), col(rng))
		switch rng.IntN(8) {
		case 7:
			// Without an aggregate: at most one row, by the unique id.
			queries = append(queries, []string{
				fmt.Sprintf("SELECT id, (SELECT x.%s FROM t1 AS x WHERE x.id = t1.%s + %d) FROM t1", col(rng), col(rng), rng.IntN(20)),
				fmt.Sprintf("SELECT id, %s - (SELECT x.%s FROM t1 AS x WHERE x.id = %d) FROM t1", col(rng), col(rng), rng.IntN(150)),
				fmt.Sprintf("SELECT id FROM t1 WHERE %s < (SELECT x.%s FROM t1 AS x ORDER BY x.%s DESC, x.id LIMIT 1 OFFSET %d)", col(rng), col(rng), col(rng), rng.IntN(5)),
			}[rng.IntN(3)])
		case 6:
			queries = append(queries, fmt.Sprintf("SELECT id, %s %s %s (SELECT %s FROM t1 AS x WHERE x.id < %d%s) FROM t1", col(rng), op(rng), []string{"ANY", "ALL"}[rng.IntN(2)], col(rng), rng.IntN(150), correlate(rng)))
		case 0:
			queries = append(queries, fmt.Sprintf("SELECT id, (SELECT %s FROM t1 AS x WHERE %s) FROM t1", agg, corr))
		case 1:
			queries = append(queries, fmt.Sprintf("SELECT id, %s FROM t1 WHERE %sEXISTS (SELECT 1 FROM t1 AS x WHERE %s AND x.%s > %d)", col(rng), []string{"", "NOT "}[rng.IntN(2)], corr, col(rng), rng.IntN(10)))
		case 2:
			queries = append(queries, fmt.Sprintf("SELECT id FROM t1 WHERE %s %s (SELECT %s FROM t1 AS x)", col(rng), op(rng), agg))
		case 3:
			queries = append(queries, fmt.Sprintf("SELECT id, %s FROM t1 WHERE %s %sIN (SELECT %s + %d FROM t1 WHERE %s > %d)", col(rng), col(rng), []string{"", "NOT "}[rng.IntN(2)], col(rng), rng.IntN(3), col(rng), rng.IntN(10)-3))
		case 4:
			queries = append(queries, fmt.Sprintf("SELECT id, %s %sIN (SELECT %s FROM t1 AS x WHERE x.id < %d%s) FROM t1", col(rng), []string{"", "NOT "}[rng.IntN(2)], col(rng), rng.IntN(150), correlate(rng)))
		default:
			queries = append(queries, fmt.Sprintf("SELECT id, (SELECT %s FROM t1 AS x WHERE x.%s = t1.%s) AS s FROM t1 WHERE %s IS NOT NULL", agg, col(rng), col(rng), col(rng)))
		}
	}
	empty := 0
	for _, q := range queries {
		if !env.compareAllowEmpty(t, q, q) {
			empty++
		}
	}
	if empty > len(queries)/3 {
		t.Errorf("%d of %d queries have no rows in PostgreSQL: the data proves little", empty, len(queries))
	}
	// Views: those whose correlation is an equality (a join key, which a
	// stream can keep) or none.
	var views []string
	for _, q := range queries {
		if strings.Contains(q, " LIMIT ") {
			continue // ORDER BY and LIMIT are ad hoc only
		}
		if !strings.Contains(q, "t1.") || strings.Contains(q, "= t1.") && !strings.Contains(q, "<= t1.") && !strings.Contains(q, ">= t1.") {
			views = append(views, q)
		}
	}
	for i, q := range views {
		env.execOne(t, "streamsql", fmt.Sprintf("CREATE MATERIALIZED VIEW sq%d AS %s", i, q))
	}
	fillUnique(60)
	for i, q := range views {
		env.compareAllowEmpty(t, fmt.Sprintf("SELECT * FROM sq%d", i), q)
	}
	t.Logf("%d subqueries ad hoc and %d as views through upserts equal PostgreSQL's", len(queries), len(views))
}
