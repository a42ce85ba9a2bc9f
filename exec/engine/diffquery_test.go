package engine_test

import (
	"fmt"
	"strings"
)

// query is a random query over g.t: a projection, a grouped query or a
// global aggregate, each with an optional WHERE. Every output column
// other than `*`'s has an alias, so the query can be a view.
func (g *diffGen) query() string {
	var b strings.Builder
	switch r := g.n(100); {
	case r < 40:
		g.projection(&b)
	case r < 85:
		g.grouped(&b)
	default:
		b.WriteString("SELECT " + g.aggList(1+g.n(4)) + " FROM " + g.t.name)
		g.where(&b)
		if g.p(30) {
			b.WriteString(" HAVING " + g.havingPred(nil))
		}
	}
	if g.p(8) {
		return "SELECT * FROM (" + b.String() + ") AS q"
	}
	return b.String()
}

func (g *diffGen) projection(b *strings.Builder) {
	distinct := g.p(25)
	items := make([]string, 1+g.n(4))
	star := false
	for i := range items {
		// A view's columns need distinct names: one * at most there.
		if g.p(12) && (!distinct || genStarInGroup) && !(g.view && star) {
			items[i], star = "*", true
			continue
		}
		items[i] = fmt.Sprintf("%s AS c%d", g.expr(pick[byte](g, 'I', 'I', 'N', 'F', 'S', 'B', 'T'), 1+g.n(3)), i)
	}
	b.WriteString("SELECT ")
	if distinct {
		b.WriteString("DISTINCT ")
	}
	b.WriteString(strings.Join(items, ", ") + " FROM " + g.t.name)
	g.where(b)
	// Ordered by every column, a LIMIT keeps the same rows on both sides
	// (it tests NULL ordering too); views take no ORDER BY.
	if !g.view && !star && g.p(15) {
		pos := make([]string, len(items))
		for i := range pos {
			pos[i] = fmt.Sprintf("%d%s", i+1, pick(g, "", " DESC"))
		}
		fmt.Fprintf(b, " ORDER BY %s LIMIT %d", strings.Join(pos, ", "), g.n(10))
		if g.p(30) {
			fmt.Fprintf(b, " OFFSET %d", g.n(5))
		}
	}
}

func (g *diffGen) grouped(b *strings.Builder) {
	keys := make([]string, 1+g.n(3))
	kinds := make([]byte, len(keys))
	for i := range keys {
		kinds[i] = pick[byte](g, 'I', 'I', 'N', 'F', 'S', 'B', 'T')
		if g.p(70) {
			keys[i] = g.col(kinds[i])
		} else {
			// PostgreSQL refuses a constant key.
			for keys[i] = g.node(kinds[i], 1); !hasColumn(keys[i]); {
				keys[i] = g.node(kinds[i], 1)
			}
		}
	}
	var items []string
	for i, k := range keys {
		if g.p(75) {
			items = append(items, fmt.Sprintf("%s AS g%d", k, i))
		}
	}
	if genStarInGroup && g.p(10) {
		items = append(items, "*")
	}
	items = append(items, g.aggList(1+g.n(3)))
	having := ""
	if g.aux != nil {
		// Subqueries over the groups, correlated to a key column or not
		// (drawn from aux, so that rng's queries stay as they were).
		main := g.rng
		g.rng = g.aux
		key := ""
		for _, k := range keys {
			for _, c := range g.t.cols {
				if c.name == k {
					key = k
				}
			}
		}
		t := g.t.name
		if key != "" && g.p(15) {
			items = append(items, fmt.Sprintf("(SELECT %s FROM %s AS s WHERE s.%s = %s.%s) AS sq",
				pick(g, "COUNT(*)", "MAX(s.i)", "SUM(DISTINCT s.s)", "COUNT(DISTINCT s.v)"), t, key, t, key))
		}
		if g.p(10) {
			if key != "" && g.p(50) {
				having = fmt.Sprintf("COUNT(*) * 2 > (SELECT COUNT(*) FROM %s AS s WHERE s.%s = %s.%s)", t, key, t, key)
			} else {
				having = fmt.Sprintf("COUNT(*) >= (SELECT COUNT(*) FROM %s AS s) / 4", t)
			}
		}
		g.rng = main
	}
	g.shuffle(items)
	b.WriteString("SELECT ")
	if genDistinctGrouped && g.p(15) {
		b.WriteString("DISTINCT ")
	}
	b.WriteString(strings.Join(items, ", ") + " FROM " + g.t.name)
	g.where(b)
	b.WriteString(" GROUP BY " + strings.Join(keys, ", "))
	switch {
	case g.p(40):
		b.WriteString(" HAVING " + g.havingPred(keys))
		if having != "" {
			b.WriteString(" AND " + having)
		}
	case having != "":
		b.WriteString(" HAVING " + having)
	}
}

func (g *diffGen) shuffle(xs []string) {
	g.rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

func (g *diffGen) where(b *strings.Builder) {
	if g.p(50) {
		b.WriteString(" WHERE " + g.pred(1+g.n(2)))
	}
}

// aggList is n aggregates aliased a0...
func (g *diffGen) aggList(n int) string {
	aggs := make([]string, n)
	for i := range aggs {
		aggs[i] = fmt.Sprintf("%s AS a%d", g.agg(), i)
	}
	return strings.Join(aggs, ", ")
}

// agg is a random aggregate call. A quarter of them are replaced by one of
// the aggregates added since the seeds' queries were pinned, drawn from
// g.aux, so that the queries drawn from g.rng stay as they were.
func (g *diffGen) agg() string {
	a := g.baseAgg()
	if g.aux == nil || g.aux.IntN(4) != 0 {
		return a
	}
	main := g.rng
	g.rng = g.aux
	defer func() { g.rng = main }()
	distinct := ""
	if g.p(25) {
		distinct = "DISTINCT "
	}
	if g.p(50) {
		return pick(g, "stddev(", "stddev_samp(", "stddev_pop(", "variance(", "var_samp(", "var_pop(") + distinct +
			g.expr(pick[byte](g, 'I', 'I', 'N', 'F'), g.n(2)) + ")"
	}
	if g.p(50) {
		return pick(g, "bool_and(", "bool_or(", "every(") + distinct + g.expr('B', g.n(2)) + ")"
	}
	if g.p(40) {
		return pick(g, "SUM(DISTINCT ", "AVG(DISTINCT ") + g.expr(pick[byte](g, 'I', 'I', 'N', 'F'), g.n(2)) + ")"
	}
	if g.view {
		// Over a retracting input, in value order: the same in the view
		// and the batch query.
		return "string_agg(" + g.expr('S', g.n(2)) + ", " + pick(g, "','", "''", "' | '") + ")"
	}
	// Its order is the rows' (PostgreSQL's scan order, which a sort for
	// GROUP BY may change): the length is the same in any order.
	return "length(string_agg(" + g.expr('S', g.n(2)) + ", " + pick(g, "','", "''", "' | '") + "))"
}

func (g *diffGen) baseAgg() string {
	switch g.n(7) {
	case 0:
		return "COUNT(*)"
	case 1:
		return "COUNT(" + g.expr(pick[byte](g, 'I', 'N', 'F', 'S', 'B', 'T'), g.n(2)) + ")"
	case 2:
		return "COUNT(DISTINCT " + g.expr(pick[byte](g, 'I', 'N', 'F', 'S', 'B', 'T'), g.n(2)) + ")"
	case 3, 4:
		return pick(g, "SUM(", "AVG(") + g.expr(pick[byte](g, 'I', 'I', 'N', 'F'), g.n(2)) + ")"
	default:
		// Not of a constant: PostgreSQL answers MIN and MAX alone of a
		// constant from the first row WHERE admits (a LIMIT 1), so a
		// condition that fails on a later row does not fail it.
		k := pick[byte](g, 'I', 'N', 'F', 'S', 'T')
		e := g.expr(k, g.n(2))
		for !hasColumn(e) {
			e = g.expr(k, g.n(2))
		}
		return pick(g, "MIN(", "MAX(") + e + ")"
	}
}

// havingPred compares an aggregate with a constant, or tests a group key
// when keys are bare columns.
func (g *diffGen) havingPred(keys []string) string {
	if len(keys) > 0 && g.p(25) {
		for _, c := range g.t.cols {
			if c.name == keys[0] {
				return fmt.Sprintf("%s IS NOT NULL", c.name)
			}
		}
	}
	switch g.n(4) {
	case 0:
		return fmt.Sprintf("COUNT(*) %s %d", pick(g, ">", ">=", "<", "="), g.n(4))
	case 1:
		return fmt.Sprintf("SUM(%s) > %s", g.col('I'), g.literal('I'))
	case 2:
		return fmt.Sprintf("MIN(%s) < %s", g.col('S'), g.literal('S'))
	default:
		return fmt.Sprintf("MAX(%s) IS NOT NULL AND COUNT(DISTINCT %s) > 1", g.col('N'), g.col('T'))
	}
}
