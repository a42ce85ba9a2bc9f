package planner

import (
	"slices"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// FROM items that read the columns of items before them (LATERAL):
//
//   - t, LATERAL (SELECT ... WHERE x = t.y) s is planned over t itself:
//     the subquery's FROM joined with t (t first, its columns in scope
//     as outer ones, answering to their names unless the subquery's own
//     FROM has them), its select list after t's columns. A subquery
//     that aggregates, DISTINCT, ORDER BY or LIMIT would have to run per
//     row of t, which this does not do yet.
//   - t, f(t.x), a function, is a ProjectSet over t (lateralFunction).
//   - A correlated subquery whose FROM reads the outer query's columns,
//     (SELECT ... FROM generate_series(1, t.n) g, u WHERE u.k = g), is
//     planned over D, the distinct outer values it reads, put first in
//     its FROM: its items then read them laterally (outerRefsOverD).
//
// PostgreSQL reads a subquery's references to the outer query without
// LATERAL, and to the items before it only with LATERAL; so does this.

// leftItem is the planned first item of a FROM (see fromOver), which
// fromItem gives for marker.
type leftItem struct {
	marker *ast.TableSource
	node   Node
	scope  []scopeCol
}

// fromOver plans sel's FROM with left as its first item, which the
// other items may read as LATERAL ones do: (left, a, b ...). Without a
// FROM it is left.
func (p *Planner) fromOver(q *parser.Query, sel *ast.SelectStmt, left Node, lscope []scopeCol, mode Mode, eowc bool) (Node, []scopeCol, error) {
	if sel.From == nil || sel.From.TableRefs == nil {
		return left, lscope, nil
	}
	marker := &ast.TableSource{Source: &ast.TableName{Name: ast.NewCIStr("?lateral?")}}
	tree, err := withLeftmost(q, sel.From.TableRefs, marker)
	if err != nil {
		return nil, nil, err
	}
	saved := p.lateralLeft
	p.lateralLeft = &leftItem{marker: marker, node: left, scope: lscope}
	defer func() { p.lateralLeft = saved }()
	return p.fromItem(q, tree, mode, eowc)
}

// withLeftmost copies the join tree's left spine with (marker CROSS
// JOIN leaf) for its leftmost leaf: a cross product with the left item
// distributes over the inner and left joins above it, not over a right
// or full one.
func withLeftmost(q *parser.Query, rs ast.ResultSetNode, marker *ast.TableSource) (ast.ResultSetNode, error) {
	j, ok := rs.(*ast.Join)
	if !ok {
		return &ast.Join{Left: marker, Right: rs, Tp: ast.CrossJoin}, nil
	}
	if j.Right == nil {
		return withLeftmost(q, j.Left, marker)
	}
	if j.Tp == ast.RightJoin || j.StraightJoin {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(j.Right),
			"a RIGHT or FULL JOIN in a subquery's FROM that reads the outer query's columns is not supported yet")
	}
	left, err := withLeftmost(q, j.Left, marker)
	if err != nil {
		return nil, err
	}
	c := *j
	c.Left = left
	return &c, nil
}

// outerScope is the scope of l as a lateral subquery sees it: outer
// columns, which a name of the subquery's own FROM hides, and none of
// them but the outer query's unless lateral.
func outerScope(ls []scopeCol, lateral bool) []scopeCol {
	out := make([]scopeCol, len(ls))
	for i, s := range ls {
		if lateral || s.outer {
			s.outer = true
			out[i] = s
		} else {
			out[i] = scopeCol{hidden: true} // answers to no name
		}
	}
	return out
}

// hasOuter reports a scope with the outer query's columns in it.
func hasOuter(scope []scopeCol) bool {
	return slices.ContainsFunc(scope, func(s scopeCol) bool { return s.outer })
}

// undefinedName reports an error of a name that is not in scope.
func undefinedName(err error) (*sqlerr.Error, bool) {
	e, ok := sqlerr.As(err)
	return e, ok && (e.Kind == sqlerr.UndefinedColumn || e.Kind == sqlerr.UndefinedTable)
}

// lateralSubquery plans l JOIN LATERAL (SELECT ...) x, and a subquery
// that reads the outer query's columns (in l as outer ones) without
// LATERAL. ok is false for any other right side.
func (p *Planner) lateralSubquery(q *parser.Query, j *ast.Join, l Node, ls []scopeCol, mode Mode, eowc bool) (Node, []scopeCol, bool, error) {
	ts, ok := j.Right.(*ast.TableSource)
	if !ok {
		return nil, nil, false, nil
	}
	sel, ok := ts.Source.(*ast.SelectStmt)
	if !ok || q.WindowTVF(sel) {
		return nil, nil, false, nil
	}
	if _, ok := fromFunctionOf(sel); ok {
		return nil, nil, false, nil
	}
	if !ts.Lateral {
		if !hasOuter(ls) {
			return nil, nil, false, nil
		}
		if _, _, err := p.tableSource(q, ts, mode, eowc); err == nil {
			return nil, nil, false, nil
		} else if _, ok := undefinedName(err); !ok {
			return nil, nil, false, nil
		}
	}
	at := q.Pos(j.Right)
	switch {
	case j.StraightJoin || j.Tp == ast.RightJoin:
		return nil, nil, true, sqlerr.At(sqlerr.InvalidColumnReference, at,
			"invalid reference to FROM-clause entry: the combining JOIN type must be INNER or LEFT for a LATERAL reference")
	case j.Tp == ast.LeftJoin:
		return nil, nil, true, sqlerr.At(sqlerr.FeatureNotSupported, at, "LEFT JOIN LATERAL over a subquery is not supported yet; use JOIN LATERAL, or a function")
	case len(j.Using) > 0 || j.NaturalJoin:
		return nil, nil, true, sqlerr.At(sqlerr.FeatureNotSupported, at, "USING and NATURAL with a LATERAL subquery are not supported yet")
	case sel.GroupBy != nil || sel.Having != nil || sel.Distinct || sel.OrderBy != nil || sel.Limit != nil || hasAggregate(sel.Fields):
		return nil, nil, true, sqlerr.At(sqlerr.FeatureNotSupported, at,
			"a LATERAL subquery with an aggregate, GROUP BY, DISTINCT, ORDER BY or LIMIT is not supported yet; use a subquery in the select list")
	}
	in, scope, err := p.fromOver(q, sel, l, outerScope(ls, ts.Lateral), mode, eowc)
	if err != nil {
		return nil, nil, true, err
	}
	s := *sel
	p.fromFor = &fromFor{sel: &s, input: in, scope: scope}
	n, err := p.selectStmt(q, &s, mode, false)
	p.fromFor = nil
	if err != nil {
		return nil, nil, true, err
	}
	nl := len(l.Columns())
	proj, ok := n.(*Project)
	if !ok || len(proj.Input.Columns()) < nl {
		return nil, nil, true, sqlerr.New(sqlerr.Internal, "a LATERAL subquery's plan does not keep its left side")
	}
	// l's columns, then the subquery's.
	out := &Project{Input: proj.Input, Time: -1}
	for i, c := range l.Columns() {
		out.Exprs = append(out.Exprs, &ColRef{Idx: i, Name: c.Name, T: c.Type})
		out.Names = append(out.Names, c.Name)
	}
	out.Exprs, out.Names = append(out.Exprs, proj.Exprs...), append(out.Names, proj.Names...)
	switch {
	case l.EventTime() >= 0:
		out.Time = l.EventTime()
	case proj.Time >= 0:
		out.Time = nl + proj.Time
	}
	alias := ts.AsName.O
	outScope := append(slices.Clone(ls), qualified(proj, alias)...)
	var res Node = out
	if j.On != nil {
		w := &binder{q: q, cols: out.Columns(), scope: outScope, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone, noAggs: "JOIN conditions"}
		for _, c := range conjuncts(j.On.Expr) {
			if isTrue(c) {
				continue
			}
			pred, err := w.expr(c)
			if err != nil {
				return nil, nil, true, err
			}
			if pred, err = w.coerce(pred, types.Boolean, c); err != nil {
				return nil, nil, true, err
			}
			res = &Filter{Input: res, Pred: pred}
		}
	}
	return res, outScope, true, nil
}

// overD is a correlated subquery's FROM planned over D, the distinct
// outer values it reads (first, as columns quals[i].names[i]), so that
// plan does not join D again.
type overD struct {
	Node
	quals, names []string
}

// columnAt finds the column name of sel's FROM that err is at.
func columnAt(q positioner, sel *ast.SelectStmt, e *sqlerr.Error) *ast.ColumnNameExpr {
	var found *ast.ColumnNameExpr
	sel.From.Accept(&finder{is: func(n ast.Node) bool {
		if c, ok := n.(*ast.ColumnNameExpr); ok && found == nil && q.Pos(c) == e.Pos {
			found = c
		}
		return false
	}})
	return found
}

// outerRefsOverD plans sel's FROM, which failed with err on a name of
// the outer query, over D: the distinct outer values sel reads, found
// one by one (each failing name of the FROM that the outer query has,
// then those of the rest of sel), and returns it with them as refs.
func (b *binder) outerRefsOverD(sel *ast.SelectStmt, err error) (Node, []scopeCol, []*ColRef, error) {
	ctx := b.sub
	var refs []*ColRef
	has := func(r *ColRef) bool {
		return slices.ContainsFunc(refs, func(x *ColRef) bool { return x.Idx == r.Idx })
	}
	for {
		if err != nil {
			e, ok := undefinedName(err)
			if !ok {
				return nil, nil, nil, err
			}
			c := columnAt(b.q, sel, e)
			if c == nil {
				return nil, nil, nil, err
			}
			x, cerr := b.column(c)
			if cerr != nil {
				return nil, nil, nil, err
			}
			r := x.(*ColRef)
			if has(r) {
				return nil, nil, nil, err
			}
			refs = append(refs, r)
		}
		d := &Aggregate{Input: *ctx.input}
		dscope := make([]scopeCol, len(refs))
		od := &overD{}
		for i, r := range refs {
			qual, name := b.table, r.Name
			if b.scope != nil {
				qual, name = b.scope[r.Idx].qual, b.cols[r.Idx].Name
			}
			d.Keys, d.KeyNames = append(d.Keys, r), append(d.KeyNames, name)
			dscope[i] = scopeCol{qual: qual, outer: true}
			od.quals, od.names = append(od.quals, qual), append(od.names, name)
		}
		var in Node
		var scope []scopeCol
		in, scope, err = ctx.p.fromOver(b.q.(*parser.Query), sel, d, dscope, ctx.mode, false)
		if err != nil {
			continue
		}
		// The rest of sel's outer names, which D must have too.
		inner := &binder{q: b.q, cols: in.Columns(), scope: scope, params: b.params, fns: b.fns, clock: b.clock, zone: b.zone}
		n := len(refs)
		sel.Accept(&refFinder{visit: func(c *ast.ColumnNameExpr) {
			if _, err := inner.column(c); err == nil {
				return
			}
			if x, err := b.column(c); err == nil && !has(x.(*ColRef)) {
				refs = append(refs, x.(*ColRef))
			}
		}})
		if len(refs) == n {
			od.Node = in
			return od, scope, refs, nil
		}
	}
}
