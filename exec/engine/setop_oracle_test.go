//go:build unix

package engine_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestSetOpOracle checks UNION, INTERSECT and EXCEPT, with and without
// ALL, against PostgreSQL on generated tables with duplicates and NULLs:
// ad hoc, nested (INTERSECT binds tighter), and as views whose rows must
// stay the batch answer while both tables take upserts.
func TestSetOpOracle(t *testing.T) {
	env := startDiff(t)
	rng := oracleRand(t)
	for _, tbl := range []string{"sa", "sb", "sc"} {
		env.exec(t, fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY, x INT, y VARCHAR)", tbl))
	}
	fill := func(round int) {
		for k, tbl := range []string{"sa", "sb", "sc"} {
			var rows []string
			for i := range 120 / (k + 1) {
				if round > 0 && rng.IntN(3) > 0 {
					continue
				}
				x, y := fmt.Sprint(rng.IntN(16)), fmt.Sprintf("'%c'", 'a'+rng.IntN(3))
				if rng.IntN(7) == 0 {
					x = "NULL"
				}
				if rng.IntN(9) == 0 {
					y = "NULL"
				}
				rows = append(rows, fmt.Sprintf("(%d, %s, %s)", i, x, y))
			}
			values := "INSERT INTO " + tbl + " VALUES " + strings.Join(rows, ", ")
			env.execOne(t, "streamsql", values)
			env.execOne(t, "PostgreSQL", values+" ON CONFLICT (id) DO UPDATE SET x = EXCLUDED.x, y = EXCLUDED.y")
		}
	}
	fill(0)
	var queries []string
	for _, op := range []string{"UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL"} {
		queries = append(queries, fmt.Sprintf("SELECT x, y FROM sa %s SELECT x, y FROM sb", op))
		queries = append(queries, fmt.Sprintf("SELECT x FROM sa WHERE y = 'a' %s SELECT x FROM sb UNION ALL SELECT x FROM sc INTERSECT SELECT x FROM sa", op))
	}
	queries = append(queries, "SELECT y, COUNT(*) FROM (SELECT y FROM sa EXCEPT ALL SELECT y FROM sb) s GROUP BY y",
		"SELECT x + 1, y FROM sa UNION SELECT x, 'z' FROM sb WHERE x > 3")
	for _, q := range queries {
		env.compare(t, q)
	}
	for i, q := range queries {
		env.execOne(t, "streamsql", fmt.Sprintf("CREATE MATERIALIZED VIEW so%d AS %s", i, q))
	}
	fill(1)
	for i, q := range queries {
		env.compareWith(t, fmt.Sprintf("SELECT * FROM so%d", i), q)
	}
	t.Logf("%d set operations, ad hoc and as views through upserts, equal PostgreSQL's", len(queries))
}
