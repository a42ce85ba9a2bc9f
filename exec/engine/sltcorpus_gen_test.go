package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The generator of the sqllogictest-shaped corpus (issue 19): queries in
// the shapes of SQLite's sqllogictest select1–select5 files, written anew
// from a seed rather than copied. select1–3 are expressions, CASE,
// BETWEEN, correlated and uncorrelated scalar subqueries and EXISTS over a
// five-column integer table with NULLs; select4 compound SELECTs; select5
// many-way joins of two-integer-and-a-text tables.
//
// Every shape means the same in SQLite and PostgreSQL, so SQLite can be the
// oracle of a PostgreSQL dialect. Where the two differ the generator keeps
// out of the way, and why:
//   - division and modulo only by non-zero constants: SQLite gives NULL for
//     x/0, PostgreSQL 22012;
//   - no boolean in a select list: SQLite prints 1/0, PostgreSQL t/f;
//   - a scalar subquery is an aggregate (one row by construction): SQLite
//     takes the first of many rows, PostgreSQL raises 21000;
//   - INTERSECT only before every UNION/EXCEPT of a compound: PostgreSQL
//     binds INTERSECT tighter, SQLite reads left to right;
//   - no INTERSECT ALL / EXCEPT ALL, no ANY/ALL: SQLite has none;
//   - ORDER BY spells PostgreSQL's NULL order (NULLS LAST ascending, FIRST
//     descending) in SQLite's copy, whose default is the other way;
//   - AVG is the only real-valued result, printed as sqllogictest does
//     (%.3f), so numeric against real precision does not matter;
//   - integers stay far below 2^31 (constants multiply columns only).

// sltTables are the tables: t1–t4 as select1–4 have them (a..e), t5–t8
// as select5's (aN, bN, xN).
const (
	sltWideTables   = 4
	sltNarrowTables = 4
)

// sltQuery is one generated query: the engine's text, SQLite's, the
// result's column types (I integer, R real, T text) and how rows compare
// (sqllogictest's sort modes: 'r' rowsort, 'v' valuesort, 'n' nosort, for
// an ORDER BY over every column).
type sltQuery struct {
	sql, sqlite string
	types       string
	sort        byte
	shape       string
}

// sltSetup is the DDL and rows of the tables, one statement each, the same
// text for both sides.
func sltSetup(rng *rand.Rand) []string {
	var out []string
	val := func(nullPct int) string {
		if rng.IntN(100) < nullPct {
			return "NULL"
		}
		return fmt.Sprint(100 + rng.IntN(40))
	}
	for i := 1; i <= sltWideTables; i++ {
		out = append(out, fmt.Sprintf("CREATE TABLE t%d (a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER)", i))
		n := 10 + rng.IntN(21)
		nullPct := []int{0, 10, 20, 5}[i-1] // t1 like select1 (no NULLs), the others like select2–3
		var rows []string
		for range n {
			rows = append(rows, fmt.Sprintf("(%s, %s, %s, %s, %s)", val(nullPct), val(nullPct), val(nullPct), val(nullPct), val(nullPct)))
		}
		out = append(out, fmt.Sprintf("INSERT INTO t%d VALUES %s", i, strings.Join(rows, ", ")))
	}
	for i := sltWideTables + 1; i <= sltWideTables+sltNarrowTables; i++ {
		out = append(out, fmt.Sprintf("CREATE TABLE t%d (a%[1]d INTEGER, b%[1]d INTEGER, x%[1]d VARCHAR(40))", i))
		var rows []string
		for r := 1; r <= 10; r++ {
			b := fmt.Sprint(1 + rng.IntN(10))
			if rng.IntN(12) == 0 {
				b = "NULL"
			}
			rows = append(rows, fmt.Sprintf("(%d, %s, 'table t%d row %d')", r, b, i, r))
		}
		out = append(out, fmt.Sprintf("INSERT INTO t%d VALUES %s", i, strings.Join(rows, ", ")))
	}
	return out
}

// sltGen draws queries; outer is the table the current query reads, whose
// columns a subquery may correlate to.
type sltGen struct {
	r     *rand.Rand
	outer string
}

var sltCols = []string{"a", "b", "c", "d", "e"}

func (g *sltGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *sltGen) col() string              { return sltCols[g.r.IntN(len(sltCols))] }
func (g *sltGen) table() string            { return fmt.Sprintf("t%d", 1+g.r.IntN(sltWideTables)) }
func (g *sltGen) cmp() string              { return g.pick("<", "<=", "=", "<>", ">", ">=") }
func (g *sltGen) konst() string            { return fmt.Sprint(95 + g.r.IntN(50)) }

// intExpr is an integer expression over the outer row.
func (g *sltGen) intExpr(depth int) string {
	if depth <= 0 {
		if g.r.IntN(6) == 0 {
			return g.konst()
		}
		return g.col()
	}
	switch g.r.IntN(14) {
	case 0:
		return g.intExpr(depth-1) + " + " + g.intExpr(depth-1)
	case 1:
		return g.intExpr(depth-1) + " - " + g.intExpr(depth-1)
	case 2:
		return fmt.Sprintf("%s*%d", g.col(), 1+g.r.IntN(5))
	case 3:
		return fmt.Sprintf("(%s)/%d", g.intExpr(depth-1), 1+g.r.IntN(7))
	case 4:
		return fmt.Sprintf("(%s) %% %d", g.intExpr(depth-1), 2+g.r.IntN(9))
	case 5:
		return fmt.Sprintf("abs(%s)", g.intExpr(depth-1))
	case 6:
		return "-" + g.col()
	case 7:
		cs := g.r.Perm(5)[:2+g.r.IntN(4)]
		var names []string
		for _, c := range cs {
			names = append(names, sltCols[c])
		}
		return "coalesce(" + strings.Join(names, ", ") + ")"
	case 8:
		return g.caseExpr(depth - 1)
	case 9:
		// select1's a+b*2+c*3+d*4+e*5
		n := 2 + g.r.IntN(4)
		terms := []string{"a"}
		for i := 1; i < n; i++ {
			terms = append(terms, fmt.Sprintf("%s*%d", sltCols[i], i+1))
		}
		return strings.Join(terms, "+")
	case 10:
		return g.scalarSub(true)
	case 11:
		return g.scalarSub(false)
	case 12:
		return "(" + g.intExpr(depth-1) + ")"
	}
	return fmt.Sprintf("nullif(%s, %s)", g.col(), g.konst())
}

// caseExpr is select1's CASE shapes: searched with several arms, simple,
// and the one over an uncorrelated AVG.
func (g *sltGen) caseExpr(depth int) string {
	switch g.r.IntN(4) {
	case 0:
		c := g.col()
		return fmt.Sprintf("CASE WHEN %s>(SELECT avg(%s) FROM %s) THEN %s*2 ELSE %s*10 END", c, c, g.outer, g.col(), g.col())
	case 1:
		x, y := g.col(), g.col()
		return fmt.Sprintf("CASE WHEN %s<%s-3 THEN 111 WHEN %[1]s<=%[2]s THEN 222 WHEN %[1]s<%[2]s+3 THEN 333 ELSE 444 END", x, y)
	case 2:
		s := "CASE " + g.col()
		for range 1 + g.r.IntN(3) {
			s += fmt.Sprintf(" WHEN %s THEN %s", g.konst(), g.intExpr(depth))
		}
		if g.r.IntN(2) == 0 {
			s += " ELSE " + g.intExpr(depth)
		}
		return s + " END"
	}
	s := "CASE"
	for range 1 + g.r.IntN(2) {
		s += fmt.Sprintf(" WHEN %s THEN %s", g.pred(0), g.intExpr(depth))
	}
	if g.r.IntN(3) > 0 {
		s += " ELSE " + g.intExpr(depth)
	}
	return s + " END"
}

// scalarSub is an aggregate subquery: correlated to the outer row
// (select1's "(SELECT count(*) FROM t1 AS x WHERE x.b<t1.b)") or not.
func (g *sltGen) scalarSub(correlated bool) string {
	agg := g.pick("count(*)", "count(x.%s)", "max(x.%s)", "min(x.%s)", "sum(x.%s)")
	if strings.Contains(agg, "%s") {
		agg = fmt.Sprintf(agg, g.col())
	}
	inner := g.table()
	where := ""
	if correlated {
		where = fmt.Sprintf(" WHERE x.%s%s%s.%s", g.col(), g.cmp(), g.outer, g.col())
		if g.r.IntN(3) == 0 {
			where += fmt.Sprintf(" AND x.%s%s%s.%s", g.col(), g.cmp(), g.outer, g.col())
		}
	} else if g.r.IntN(2) == 0 {
		where = fmt.Sprintf(" WHERE x.%s%s%s", g.col(), g.cmp(), g.konst())
	}
	return fmt.Sprintf("(SELECT %s FROM %s AS x%s)", agg, inner, where)
}

// pred is a condition over the outer row.
func (g *sltGen) pred(depth int) string {
	if depth > 0 {
		switch g.r.IntN(5) {
		case 0:
			return g.pred(depth-1) + " AND " + g.pred(depth-1)
		case 1:
			return "(" + g.pred(depth-1) + " OR " + g.pred(depth-1) + ")"
		case 2:
			return "NOT (" + g.pred(depth-1) + ")"
		}
	}
	switch g.r.IntN(13) {
	case 0, 1:
		return g.col() + g.cmp() + g.col()
	case 2:
		return g.intExpr(1) + g.cmp() + g.intExpr(1)
	case 3:
		return fmt.Sprintf("%s %sBETWEEN %s AND %s", g.intExpr(1), g.pick("", "NOT "), g.intExpr(0)+"-"+fmt.Sprint(g.r.IntN(5)), g.intExpr(0)+"+"+fmt.Sprint(g.r.IntN(5)))
	case 4:
		return g.col() + g.pick(" IS NULL", " IS NOT NULL")
	case 5:
		return fmt.Sprintf("%sEXISTS(SELECT 1 FROM %s AS x WHERE x.%s%s%s.%s)", g.pick("", "NOT "), g.table(), g.col(), g.cmp(), g.outer, g.col())
	case 6:
		var list []string
		for range 1 + g.r.IntN(5) {
			if g.r.IntN(8) == 0 {
				list = append(list, "NULL")
			} else {
				list = append(list, g.konst())
			}
		}
		return fmt.Sprintf("%s %sIN (%s)", g.col(), g.pick("", "NOT "), strings.Join(list, ", "))
	case 7:
		where := ""
		if g.r.IntN(2) == 0 {
			where = fmt.Sprintf(" WHERE x.%s%s%s.%s", g.col(), g.cmp(), g.outer, g.col())
		} else if g.r.IntN(2) == 0 {
			where = fmt.Sprintf(" WHERE x.%s%s%s", g.col(), g.cmp(), g.konst())
		}
		return fmt.Sprintf("%s %sIN (SELECT x.%s FROM %s AS x%s)", g.col(), g.pick("", "NOT "), g.col(), g.table(), where)
	case 8:
		c := g.col()
		return fmt.Sprintf("%s%s(SELECT avg(%s) FROM %s)", c, g.pick(">", "<"), c, g.outer)
	case 9:
		return g.col() + g.cmp() + g.scalarSub(g.r.IntN(2) == 0)
	case 10:
		return fmt.Sprintf("(%s>%s-2 AND %[1]s<%[2]s+2)", g.col(), g.col())
	}
	return g.col() + g.cmp() + g.konst()
}

// query draws one query of any shape.
func (g *sltGen) query() sltQuery {
	g.outer = g.table()
	switch n := g.r.IntN(100); {
	case n < 50:
		return g.selectExprs()
	case n < 62:
		return g.aggregate()
	case n < 80:
		return g.compound()
	case n < 92:
		return g.join()
	default:
		return g.derived()
	}
}

// selectExprs is select1–3's shape: expressions of one table filtered by
// a few conditions, ordered by every column or compared as a row set.
func (g *sltGen) selectExprs() sltQuery {
	k := 1 + g.r.IntN(4)
	var exprs []string
	types := ""
	for range k {
		if g.r.IntN(25) == 0 {
			exprs = append(exprs, fmt.Sprintf("(SELECT avg(x.%s) FROM %s AS x WHERE x.%s%s%s.%s)", g.col(), g.table(), g.col(), g.cmp(), g.outer, g.col()))
			types += "R"
			continue
		}
		exprs = append(exprs, g.intExpr(g.r.IntN(3)))
		types += "I"
	}
	distinct := ""
	if g.r.IntN(10) == 0 {
		distinct = "DISTINCT "
	}
	q := "SELECT " + distinct + strings.Join(exprs, ", ") + " FROM " + g.outer
	if g.r.IntN(5) > 0 {
		var conds []string
		for range 1 + g.r.IntN(3) {
			conds = append(conds, g.pred(g.r.IntN(2)))
		}
		q += " WHERE " + strings.Join(conds, g.pick(" AND ", " AND ", " OR "))
	}
	return g.ordered(q, types, "select")
}

// ordered finishes a query: ORDER BY every column (compared in order), with
// a LIMIT now and then, or no order (compared sorted).
func (g *sltGen) ordered(q, types, shape string) sltQuery {
	switch g.r.IntN(4) {
	case 0, 1:
		var by, bySQLite []string
		for _, i := range g.r.Perm(len(types)) {
			dir := g.pick("", " DESC")
			by = append(by, fmt.Sprint(i+1)+dir)
			nulls := " NULLS LAST"
			if dir != "" {
				nulls = " NULLS FIRST"
			}
			bySQLite = append(bySQLite, fmt.Sprint(i+1)+dir+nulls)
		}
		limit := ""
		if g.r.IntN(4) == 0 {
			limit = fmt.Sprintf(" LIMIT %d", g.r.IntN(8))
			if g.r.IntN(2) == 0 {
				limit += fmt.Sprintf(" OFFSET %d", g.r.IntN(5))
			}
		}
		return sltQuery{sql: q + " ORDER BY " + strings.Join(by, ", ") + limit, sqlite: q + " ORDER BY " + strings.Join(bySQLite, ", ") + limit, types: types, sort: 'n', shape: shape}
	case 2:
		return sltQuery{sql: q, sqlite: q, types: types, sort: 'v', shape: shape}
	}
	return sltQuery{sql: q, sqlite: q, types: types, sort: 'r', shape: shape}
}

// aggregate is an aggregate query, whole-table or grouped, with HAVING.
// Aggregates take DISTINCT and subqueries in their arguments (correlated
// to the row); a grouped query's select list and HAVING have subqueries
// over its groups, correlated to the group key.
func (g *sltGen) aggregate() sltQuery {
	aggs := []struct{ sql, typ string }{
		{"count(*)", "I"}, {"count(%s)", "I"}, {"sum(%s)", "I"}, {"min(%s)", "I"}, {"max(%s)", "I"}, {"avg(%s)", "R"},
		{"count(DISTINCT %s)", "I"}, {"sum(DISTINCT %s)", "I"}, {"avg(DISTINCT %s)", "R"},
	}
	var exprs []string
	types := ""
	group := ""
	if g.r.IntN(2) == 0 {
		group = g.col()
		exprs = append(exprs, group)
		types += "I"
	}
	for range 1 + g.r.IntN(3) {
		if group != "" && g.r.IntN(8) == 0 {
			exprs = append(exprs, g.groupSub(group))
			types += "I"
			continue
		}
		if g.r.IntN(8) == 0 {
			s, typ := g.subqueryAgg()
			exprs = append(exprs, s)
			types += typ
			continue
		}
		a := aggs[g.r.IntN(len(aggs))]
		s := a.sql
		if strings.Contains(s, "%s") {
			arg := g.col()
			if g.r.IntN(3) == 0 {
				arg = g.intExpr(1)
			}
			s = fmt.Sprintf(s, arg)
		}
		exprs = append(exprs, s)
		types += a.typ
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + g.outer
	if g.r.IntN(2) == 0 {
		q += " WHERE " + g.pred(1)
	}
	if group != "" {
		q += " GROUP BY " + group
		switch g.r.IntN(6) {
		case 0, 1:
			q += fmt.Sprintf(" HAVING count(*) %s %d", g.pick(">", "<", ">="), 1+g.r.IntN(3))
		case 2:
			q += fmt.Sprintf(" HAVING %s %s %s", g.pick("count(*)", "max("+g.col()+")", "sum(DISTINCT "+g.col()+")"), g.cmp(), g.groupSub(group))
		case 3:
			q += fmt.Sprintf(" HAVING %sEXISTS(SELECT 1 FROM %s AS x WHERE x.%s%s%s.%s)", g.pick("", "NOT "), g.table(), g.col(), g.cmp(), g.outer, group)
		case 4:
			q += fmt.Sprintf(" HAVING %s %sIN (SELECT x.%s FROM %s AS x WHERE x.%s%s%s)", g.pick(group, "count(*)+99"), g.pick("", "NOT "), g.col(), g.table(), g.col(), g.cmp(), g.konst())
		}
	}
	return g.ordered(q, types, "aggregate")
}

// groupSub is a subquery over the groups of a query grouped by the
// outer table's column group: correlated to it, or not.
func (g *sltGen) groupSub(group string) string {
	agg := g.pick("count(*)", "count(x.%s)", "max(x.%s)", "min(x.%s)", "sum(x.%s)")
	if strings.Contains(agg, "%s") {
		agg = fmt.Sprintf(agg, g.col())
	}
	where := ""
	switch g.r.IntN(3) {
	case 0, 1:
		where = fmt.Sprintf(" WHERE x.%s%s%s.%s", g.col(), g.cmp(), g.outer, group)
	default:
		where = fmt.Sprintf(" WHERE x.%s%s%s", g.col(), g.cmp(), g.konst())
	}
	return fmt.Sprintf("(SELECT %s FROM %s AS x%s)", agg, g.table(), where)
}

// subqueryAgg is an aggregate over a subquery of each row: its value
// (correlated or not), or a count of the rows where it holds, and the
// type of the result.
func (g *sltGen) subqueryAgg() (string, string) {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%s(%s)", g.pick("sum", "max", "min", "count"), g.scalarSub(g.r.IntN(2) == 0)), "I"
	case 1:
		return fmt.Sprintf("avg(%s)", g.scalarSub(true)), "R"
	case 2:
		return fmt.Sprintf("count(CASE WHEN %sEXISTS(SELECT 1 FROM %s AS x WHERE x.%s%s%s.%s) THEN 1 END)",
			g.pick("", "NOT "), g.table(), g.col(), g.cmp(), g.outer, g.col()), "I"
	}
	return fmt.Sprintf("sum(CASE WHEN %s %sIN (SELECT x.%s FROM %s AS x) THEN %s ELSE 0 END)",
		g.col(), g.pick("", "NOT "), g.col(), g.table(), g.col()), "I"
}

// compound is select4's shape: SELECTs of one or two columns joined by
// UNION [ALL], INTERSECT and EXCEPT.
func (g *sltGen) compound() sltQuery {
	k := 1 + g.r.IntN(2)
	arm := func() string {
		g.outer = g.table()
		var exprs []string
		for range k {
			if g.r.IntN(3) == 0 {
				exprs = append(exprs, g.intExpr(1))
			} else {
				exprs = append(exprs, g.col())
			}
		}
		s := "SELECT " + strings.Join(exprs, ", ") + " FROM " + g.outer
		if g.r.IntN(4) > 0 {
			s += " WHERE " + g.pred(g.r.IntN(2))
		}
		return s
	}
	q := arm()
	onlyIntersect := true
	for range 1 + g.r.IntN(3) {
		op := g.pick("UNION", "UNION ALL", "INTERSECT", "EXCEPT")
		if op == "INTERSECT" && !onlyIntersect {
			op = "UNION"
		}
		if op != "INTERSECT" {
			onlyIntersect = false
		}
		q += " " + op + " " + arm()
	}
	return g.ordered(q, strings.Repeat("I", k), "compound")
}

// join is select5's shape: a many-way join of the narrow tables by their
// integer columns, printing their text.
func (g *sltGen) join() sltQuery {
	n := 2 + g.r.IntN(3)
	perm := g.r.Perm(sltNarrowTables)[:n]
	var names, conds, outs []string
	for i, p := range perm {
		t := sltWideTables + 1 + p
		names = append(names, fmt.Sprintf("t%d", t))
		if i > 0 {
			prev := sltWideTables + 1 + perm[g.r.IntN(i)]
			conds = append(conds, fmt.Sprintf("%s%d=%s%d", g.pick("a", "b"), t, g.pick("a", "b"), prev))
		}
		if g.r.IntN(3) > 0 || i == 0 {
			outs = append(outs, fmt.Sprintf("x%d", t))
		}
	}
	t0 := sltWideTables + 1 + perm[g.r.IntN(n)]
	conds = append(conds, fmt.Sprintf("%s%d%s%d", g.pick("a", "b"), t0, g.pick("=", "<", ">"), 1+g.r.IntN(10)))
	g.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	g.r.Shuffle(len(conds), func(i, j int) { conds[i], conds[j] = conds[j], conds[i] })
	types := strings.Repeat("T", len(outs))
	q := "SELECT " + strings.Join(outs, ", ") + " FROM " + strings.Join(names, ", ") + " WHERE " + strings.Join(conds, " AND ")
	if g.r.IntN(4) == 0 {
		// The same join in JOIN ... ON spelling.
		q = "SELECT " + strings.Join(outs, ", ") + " FROM " + names[0]
		for _, nm := range names[1:] {
			q += " CROSS JOIN " + nm
		}
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return sltQuery{sql: q, sqlite: q, types: types, sort: g.pick("r", "v")[0], shape: "join"}
}

// derived reads a subquery in FROM, or selects without FROM.
func (g *sltGen) derived() sltQuery {
	if g.r.IntN(4) == 0 {
		// SELECT without FROM over uncorrelated subqueries.
		g.outer = g.table()
		q := fmt.Sprintf("SELECT %s, %s", g.scalarSub(false), g.scalarSub(false))
		return sltQuery{sql: q, sqlite: q, types: "II", sort: 'n', shape: "nofrom"}
	}
	inner := fmt.Sprintf("SELECT %s AS p, %s AS q FROM %s", g.intExpr(1), g.intExpr(1), g.outer)
	if g.r.IntN(2) == 0 {
		inner += " WHERE " + g.pred(0)
	}
	q := fmt.Sprintf("SELECT p, q FROM (%s) AS s WHERE p %s q", inner, g.cmp())
	if g.r.IntN(2) == 0 {
		q = fmt.Sprintf("SELECT q, count(*) FROM (%s) AS s GROUP BY q", inner)
	}
	return g.ordered(q, "II", "derived")
}
