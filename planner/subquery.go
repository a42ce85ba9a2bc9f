package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Subqueries in expressions are decorrelated into joins, so that a view
// over them updates as its inputs change, with the join and aggregate
// operators it already has:
//
//   - a scalar subquery, (SELECT agg(x) FROM s WHERE s.k = t.k ...), is a
//     LEFT JOIN of the outer rows with the subquery grouped by the outer
//     columns it reads, on those columns; COUNT of no rows is 0. An
//     uncorrelated one is a global aggregate, joined with every row;
//   - [NOT] EXISTS is the same join with the subquery's distinct outer
//     columns and a marker, tested for NULL;
//   - x [NOT] IN (SELECT y ...) joins the distinct y on x, and counts
//     the subquery's rows and NULLs, for SQL's NULL rules.
//
// A correlated subquery reads the distinct values of the outer columns it
// refers to (D), joined with its own FROM: its conditions on them then
// become that join's keys or conditions, whatever they are (x.b < t.b).

// subCtx lets a binder plan subqueries: each joins onto *input.
type subCtx struct {
	p     *Planner
	input *Node
	scope *[]scopeCol
	mode  Mode
}

// fromFor gives selectStmt a FROM already planned for sel (a correlated
// subquery's own FROM joined with D).
type fromFor struct {
	sel   *ast.SelectStmt
	input Node
	table string
	scope []scopeCol
}

// subquery binds a subquery expression.
func (b *binder) subquery(n ast.ExprNode) (Expr, error) {
	ctx := b.sub
	if ctx == nil {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "subqueries are not supported here yet")
	}
	if b.agg != nil {
		return b.agg.groupsBinder(b).subquery(n)
	}
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		return b.scalarSub(x)
	case *ast.ExistsSubqueryExpr:
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			break
		}
		m, err := b.existsSub(sq)
		if err != nil {
			return nil, err
		}
		fn := FnIsNotNull
		if x.Not {
			fn = FnIsNull
		}
		return &Call{Fn: fn, Args: []Expr{m}, T: types.Boolean}, nil
	case *ast.PatternInExpr:
		return b.inSub(x)
	case *ast.CompareSubqueryExpr:
		return b.compareSub(x)
	}
	return nil, b.errAt(sqlerr.FeatureNotSupported, n, "this subquery is not supported yet")
}

// groupsBinder binds a subquery of the select list or HAVING of a
// grouped query (out binds the rest): over the groups, the Aggregate's
// output (and the joins of the subqueries before it), where the outer
// columns a subquery may read are the group keys and window bounds, by
// their names. A subquery then decorrelates onto the groups as onto any
// rows. The left operand of IN, ANY and ALL is bound by out, so that it
// may be an aggregate.
func (a *aggScope) groupsBinder(out *binder) *binder {
	ctx := out.sub
	cols := slices.Clone((*ctx.input).Columns())
	scope := make([]scopeCol, len(cols))
	for i := range scope {
		scope[i].hidden = true
	}
	if a.window != nil {
		scope[0].hidden, scope[1].hidden = false, false
	}
	in := a.input
	seen := map[int]bool{}
	for k, key := range a.keys {
		c, ok := key.(*ColRef)
		if !ok || seen[c.Idx] {
			continue // GROUP BY x, x: the first
		}
		seen[c.Idx] = true
		i := a.winCols() + k
		scope[i].hidden = false
		cols[i].Name = in.cols[c.Idx].Name
		if in.scope != nil {
			scope[i].qual = in.scope[c.Idx].qual
		} else {
			scope[i].qual = in.table
		}
	}
	return &binder{q: out.q, cols: cols, scope: scope, params: out.params, fns: out.fns, clock: out.clock, zone: out.zone,
		sub: ctx, grouped: a, lhs: out}
}

// subSelect is the SELECT of a subquery.
func (b *binder) subSelect(sq *ast.SubqueryExpr) (*ast.SelectStmt, error) {
	sel, ok := sq.Query.(*ast.SelectStmt)
	if !ok {
		return nil, b.errAt(sqlerr.FeatureNotSupported, sq, "a subquery with a set operation is not supported here yet")
	}
	return sel, nil
}

// outerRefs plans the FROM of sel and finds the outer columns sel refers
// to: the names its FROM does not have and b's scope does.
func (b *binder) outerRefs(sel *ast.SelectStmt) (Node, string, []scopeCol, []*ColRef, error) {
	ctx := b.sub
	var refs []*ColRef
	var ungrouped error
	v := &refFinder{}
	addRef := func(c *ast.ColumnNameExpr) {
		e, err := b.column(c)
		if err != nil {
			if b.grouped != nil && ungrouped == nil && (v.depth <= 1 || c.Name.Table.L != "") {
				// (An unqualified name in a subquery of this one may be
				// that one's.)
				// A column of the grouped rows that is no group key.
				if e, err := b.grouped.input.column(c); err == nil {
					name := e.(*ColRef).Name
					if !strings.Contains(name, ".") {
						qual := b.grouped.input.table
						if s := b.grouped.input.scope; s != nil {
							qual = s[e.(*ColRef).Idx].qual
						}
						if qual != "" {
							name = qual + "." + name
						}
					}
					ungrouped = b.errAt(sqlerr.Grouping, c, "subquery uses ungrouped column %q from outer query", name)
					if v.inAgg > 0 {
						// PostgreSQL's outer aggregate: agg(t.x) of the groups.
						ungrouped = b.errAt(sqlerr.FeatureNotSupported, c, "an aggregate of the outer query's column %q inside a subquery is not supported yet", name)
					}
				}
			}
			return
		}
		r := e.(*ColRef)
		for _, x := range refs {
			if x.Idx == r.Idx {
				return
			}
		}
		refs = append(refs, r)
	}
	in, table, scope, err := ctx.p.from(b.q.(*parser.Query), sel, ctx.mode, false)
	if lf, ok := b.lateralFrom(sel); ok {
		// FROM f(outer columns): a function of D's rows (plan).
		in, table, scope, err = lf, lf.f.name(), nil, nil
		lf.f.call.Accept(&refFinder{visit: addRef})
	} else if err != nil && sel.From != nil {
		// Its FROM reads the outer query's columns (lateral.go).
		if _, ok := undefinedName(err); ok {
			in, scope, refs, err = b.outerRefsOverD(sel, err)
			return in, "", scope, refs, err
		}
	}
	if err != nil {
		return nil, "", nil, nil, err
	}
	inner := &binder{q: b.q, cols: in.Columns(), table: table, scope: scope, params: b.params, fns: b.fns, clock: b.clock, zone: b.zone}
	v.visit = func(c *ast.ColumnNameExpr) {
		if _, err := inner.column(c); err == nil {
			return
		}
		addRef(c)
	}
	sel.Accept(v)
	if ungrouped != nil {
		return nil, "", nil, nil, ungrouped
	}
	return in, table, scope, refs, nil
}

// refFinder calls visit with every column name of a subquery outside its
// FROM items (whose own names are not references out).
type refFinder struct {
	visit func(*ast.ColumnNameExpr)
	// inAgg counts the aggregate calls around the name visited, depth
	// the SELECTs.
	inAgg, depth int
}

func (v *refFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		v.visit(x)
	case *ast.TableSource:
		return n, true
	case *ast.SelectStmt:
		v.depth++
	}
	if isAggCall(n) {
		v.inAgg++
	}
	return n, false
}

func (v *refFinder) Leave(n ast.Node) (ast.Node, bool) {
	if isAggCall(n) {
		v.inAgg--
	}
	if _, ok := n.(*ast.SelectStmt); ok {
		v.depth--
	}
	return n, true
}

// plan plans sel with outer references refs: over its FROM joined with D,
// the distinct values of the outer columns, which it outputs first (as
// columns ?d0?, ...). It returns the plan; grouped says to add D's columns
// to sel's GROUP BY (an aggregate), distinct to output distinct rows.
func (b *binder) plan(sel *ast.SelectStmt, in Node, table string, scope []scopeCol, refs []*ColRef, fields []*ast.SelectField, grouped, distinct bool) (Node, error) {
	ctx := b.sub
	p := ctx.p
	s := *sel
	s.Fields = &ast.FieldList{}
	s.Distinct = distinct
	s.With = nil
	if od, ok := in.(*overD); ok {
		// D is in the FROM already, first.
		p.fromFor = &fromFor{sel: &s, input: od.Node, scope: scope}
		for i := range refs {
			ref := &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(od.quals[i]), Name: ast.NewCIStr(od.names[i])}}
			s.Fields.Fields = append(s.Fields.Fields, &ast.SelectField{Expr: ref, AsName: ast.NewCIStr(fmt.Sprintf("?d%d?", i))})
			if grouped {
				groupBy(&s, ref)
			}
		}
	} else if len(refs) > 0 {
		outer := *ctx.input
		d := &Aggregate{Input: outer}
		for _, r := range refs {
			d.Keys = append(d.Keys, r)
			d.KeyNames = append(d.KeyNames, r.Name)
		}
		if scope == nil {
			scope = qualified(in, table)
		}
		scope = append(append([]scopeCol(nil), scope...), make([]scopeCol, len(refs))...)
		for i, r := range refs {
			qual, name := b.table, r.Name
			if b.scope != nil {
				qual = b.scope[r.Idx].qual
				name = b.cols[r.Idx].Name
			}
			scope[len(scope)-len(refs)+i].qual = qual
			// Unqualified, a name the subquery's FROM has is its own.
			for _, c := range in.Columns() {
				if c.Name == name {
					scope[len(scope)-len(refs)+i].hidden = true
				}
			}
			d.KeyNames[i] = name
		}
		dQuals := make([]string, len(refs))
		for i := range refs {
			dQuals[i] = scope[len(scope)-len(refs)+i].qual
		}
		if lf, ok := in.(*lateralFrom); ok {
			// D's rows, each with the function's rows over them.
			dScope := scope[len(scope)-len(refs):]
			fb := &binder{q: b.q, cols: d.Columns(), scope: dScope, params: b.params, fns: b.fns, clock: b.clock, zone: b.zone}
			ps, err := lf.f.projectSet(fb, d, false)
			if err != nil {
				return nil, err
			}
			in = renameOrdinality(ps, lf.f)
			scope = append(slices.Clone(dScope), qualified(lf, lf.f.name())...)
		} else {
			in = &Join{Kind: InnerJoin, Left: in, Right: d}
		}
		p.fromFor = &fromFor{sel: &s, input: in, table: "", scope: scope}
		for i := range refs {
			qual := dQuals[i]
			ref := &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(qual), Name: ast.NewCIStr(d.KeyNames[i])}}
			s.Fields.Fields = append(s.Fields.Fields, &ast.SelectField{Expr: ref, AsName: ast.NewCIStr(fmt.Sprintf("?d%d?", i))})
			if grouped {
				groupBy(&s, ref)
			}
		}
	}
	for i, f := range fields {
		g := *f
		g.AsName = ast.NewCIStr(fmt.Sprintf("?v%d?", i))
		s.Fields.Fields = append(s.Fields.Fields, &g)
	}
	defer func() { p.fromFor = nil }()
	return p.selectStmt(b.q.(*parser.Query), &s, ctx.mode, false)
}

// groupBy adds ref to s's GROUP BY, copying the clause.
func groupBy(s *ast.SelectStmt, ref ast.ExprNode) {
	if s.GroupBy == nil {
		s.GroupBy = &ast.GroupByClause{}
	} else {
		g := *s.GroupBy
		s.GroupBy = &g
	}
	s.GroupBy.Items = append(append([]*ast.ByItem(nil), s.GroupBy.Items...), &ast.ByItem{Expr: ref})
}

// attach LEFT JOINs sub onto the outer input on refs = sub's first
// columns and returns the offset of sub's columns in the joined row.
func (b *binder) attach(sub Node, refs []*ColRef) int {
	cols := sub.Columns()
	var lk, rk []Expr
	for i, r := range refs {
		lk, rk = append(lk, r), append(rk, &ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type})
	}
	return b.joinOn(sub, lk, rk)
}

// joinOn LEFT JOINs right onto the outer input on the key pairs (none:
// onto every row, right being one aggregated row) and returns the offset
// of right's columns in the joined row, hidden from names.
func (b *binder) joinOn(right Node, lk, rk []Expr) int {
	ctx := b.sub
	off := len((*ctx.input).Columns())
	*ctx.input = &Join{Kind: LeftJoin, Left: *ctx.input, Right: right, LeftKeys: lk, RightKeys: rk}
	b.hide(len(right.Columns()))
	return off
}

// oneColumn is the SELECT of the one-column subquery of IN, ANY or ALL,
// and whether it reads the outer query's columns.
func (b *binder) oneColumn(sq *ast.SubqueryExpr) (*ast.SelectStmt, bool, error) {
	sel, err := b.subSelect(sq)
	if err != nil {
		return nil, false, err
	}
	if len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].WildCard != nil {
		return nil, false, b.errAt(sqlerr.Syntax, sq, "subquery has too many columns")
	}
	_, _, _, refs, err := b.outerRefs(sel)
	if err != nil {
		return nil, false, err
	}
	if len(refs) > 0 && (sel.OrderBy != nil || sel.Limit != nil || sel.GroupBy != nil || sel.Having != nil || hasAggregate(sel.Fields.Fields[0].Expr)) {
		return nil, false, b.errAt(sqlerr.FeatureNotSupported, sq, "a correlated subquery of IN, ANY or ALL with ORDER BY, LIMIT or an aggregate is not supported yet")
	}
	return sel, len(refs) > 0, nil
}

// perRow plans fields over the rows of sel, the one-column subquery of IN,
// ANY or ALL (its value y, which the fields read through the y function),
// and LEFT JOINs them onto the outer input: aggregated once for an
// uncorrelated subquery, per outer row (grouped by the outer values it
// reads) for a correlated one. It returns the offset of the fields in the
// joined row. With x, the fields are not aggregates but the rows'
// distinct values, joined on x = the first field (in their common type).
func (b *binder) perRow(sel *ast.SelectStmt, correlated bool, alias string, fields func(y func() ast.ExprNode) []*ast.SelectField, x Expr, xAt, at ast.Node) (int, Node, error) {
	distinct := x != nil
	if !correlated {
		y := func() ast.ExprNode {
			return &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(subColumn(sel))}}
		}
		q := over(sel, alias, fields(y)...)
		if distinct {
			q = withDistinct(q)
		}
		n, err := b.sub.p.selectStmt(b.q.(*parser.Query), q, b.sub.mode, false)
		if err != nil {
			return 0, nil, err
		}
		if !distinct {
			return b.joinOn(n, nil, nil), n, nil
		}
		n, xk, yk, err := b.keyPair(n, 0, x, xAt, at)
		if err != nil {
			return 0, nil, err
		}
		return b.joinOn(n, []Expr{xk}, []Expr{yk}), n, nil
	}
	in, table, scope, refs, err := b.outerRefs(sel)
	if err != nil {
		return 0, nil, err
	}
	y := func() ast.ExprNode { return sel.Fields.Fields[0].Expr }
	n, err := b.plan(sel, in, table, scope, refs, fields(y), !distinct, distinct)
	if err != nil {
		return 0, nil, err
	}
	if !distinct {
		return b.attach(n, refs) + len(refs), n, nil
	}
	n, xk, yk, err := b.keyPair(n, len(refs), x, xAt, at)
	if err != nil {
		return 0, nil, err
	}
	var lk, rk []Expr
	cols := n.Columns()
	for i, r := range refs {
		lk, rk = append(lk, r), append(rk, &ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type})
	}
	return b.joinOn(n, append(lk, xk), append(rk, yk)) + len(refs), n, nil
}

// keyPair gives x and column k of n their common type (projecting n if
// it must) and returns n and the two as join keys.
func (b *binder) keyPair(n Node, k int, x Expr, xAt, at ast.Node) (Node, Expr, *ColRef, error) {
	cols := n.Columns()
	ref := &ColRef{Idx: k, Name: cols[k].Name, T: cols[k].Type}
	t, err := b.commonType([]Expr{x, ref}, []ast.Node{xAt, at}, at)
	if err != nil {
		return nil, nil, nil, err
	}
	xk, err := b.coerce(x, t, xAt)
	if err != nil {
		return nil, nil, nil, err
	}
	if sameType(ref.T, t) {
		return n, xk, ref, nil
	}
	vb := &binder{q: b.q, cols: cols, params: b.params, fns: b.fns, clock: b.clock, zone: b.zone}
	yk, err := vb.coerce(ref, t, at)
	if err != nil {
		return nil, nil, nil, err
	}
	pr := identity(n)
	pr.Exprs[k] = yk
	return pr, xk, &ColRef{Idx: k, Name: cols[k].Name, T: t}, nil
}

// over is SELECT fields FROM (sel) AS alias: a query over a subquery's
// rows, whose one column subColumn names.
func over(sel *ast.SelectStmt, alias string, fields ...*ast.SelectField) *ast.SelectStmt {
	return &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, Fields: &ast.FieldList{Fields: fields},
		From: &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: sel, AsName: ast.NewCIStr(alias)}}}}
}

// aggField is the select field f(arg) AS name.
func aggField(f string, arg ast.ExprNode, name string) *ast.SelectField {
	return &ast.SelectField{Expr: &ast.AggregateFuncExpr{F: f, Args: []ast.ExprNode{arg}}, AsName: ast.NewCIStr(name)}
}

// scalarSub plans (SELECT x FROM ...) as a value.
func (b *binder) scalarSub(sq *ast.SubqueryExpr) (Expr, error) {
	sel, err := b.subSelect(sq)
	if err != nil {
		return nil, err
	}
	if len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].WildCard != nil {
		return nil, b.errAt(sqlerr.Syntax, sq, "subquery must return only one column")
	}
	in, table, scope, refs, err := b.outerRefs(sel)
	if err != nil {
		return nil, err
	}
	field := sel.Fields.Fields[0]
	agg := hasAggregate(field.Expr) || sel.GroupBy != nil
	switch {
	case !agg && sel.Having == nil:
		return b.singleSub(sq, sel, in, table, scope, refs)
	case sel.GroupBy != nil:
		return nil, b.errAt(sqlerr.FeatureNotSupported, sq, "a subquery used as a value with GROUP BY is not supported yet")
	case len(refs) > 0 && sel.Having != nil:
		return nil, b.errAt(sqlerr.FeatureNotSupported, sq, "a correlated subquery with HAVING is not supported yet")
	}
	_, bareCount := field.Expr.(*ast.AggregateFuncExpr)
	if a, ok := field.Expr.(*ast.AggregateFuncExpr); ok {
		bareCount = a.F == "count"
	}
	if len(refs) > 0 && !bareCount && hasCount(field.Expr) {
		return nil, b.errAt(sqlerr.FeatureNotSupported, sq, "a correlated subquery's COUNT inside an expression is not supported yet; select the COUNT alone")
	}
	sub, err := b.plan(sel, in, table, scope, refs, sel.Fields.Fields, true, false)
	if err != nil {
		return nil, err
	}
	off := b.attach(sub, refs)
	c := sub.Columns()[len(refs)]
	var v Expr = &ColRef{Idx: off + len(refs), Name: c.Name, T: c.Type}
	if len(refs) > 0 && bareCount {
		// No row of the subquery matched: its count is 0, not NULL.
		v = &Call{Fn: FnCoalesce, Args: []Expr{v, &Const{T: c.Type, I: 0}}, T: c.Type}
	}
	return v, nil
}

// hasCount reports a COUNT in an expression.
func hasCount(n ast.Node) bool {
	return contains(n, func(x ast.Node) bool { a, ok := x.(*ast.AggregateFuncExpr); return ok && a.F == "count" })
}

// existsSub plans the subquery of EXISTS and returns its marker: NULL
// when the subquery has no row for the outer row.
func (b *binder) existsSub(sq *ast.SubqueryExpr) (Expr, error) {
	sel, err := b.subSelect(sq)
	if err != nil {
		return nil, err
	}
	in, table, scope, refs, err := b.outerRefs(sel)
	if err != nil {
		return nil, err
	}
	one := &ast.SelectField{Expr: ast.NewValueExpr(1, "", "")}
	var sub Node
	grouped := sel.GroupBy != nil || sel.Having != nil || hasAggregate(sel.Fields)
	switch {
	case grouped && len(refs) > 0:
		return nil, b.errAt(sqlerr.FeatureNotSupported, sq, "a correlated EXISTS over a GROUP BY is not supported yet")
	case len(refs) > 0:
		sub, err = b.plan(sel, in, table, scope, refs, []*ast.SelectField{one}, false, true)
	default:
		// Uncorrelated: whether it has a row at all, a global count.
		cnt := aggField("count", ast.NewValueExpr(1, "", ""), "?n?")
		sub, err = b.plan(over(sel, "?e?"), nil, "", nil, nil, []*ast.SelectField{cnt}, true, false)
	}
	if err != nil {
		return nil, err
	}
	off := b.attach(sub, refs)
	c := sub.Columns()[len(refs)]
	m := Expr(&ColRef{Idx: off + len(refs), Name: c.Name, T: c.Type})
	if len(refs) == 0 {
		// The count is never NULL: no row is a count of 0.
		m = &Call{Fn: FnNullIf, Args: []Expr{m, &Const{T: c.Type, I: 0}}, T: c.Type}
	}
	return m, nil
}

// inSub plans x [NOT] IN (SELECT y ...), uncorrelated: the distinct y
// joined on x, and the subquery's count of rows and of NULL y, so that
// IN is true on a match, NULL when x is NULL or y has a NULL (and the
// subquery a row), false otherwise.
func (b *binder) inSub(n *ast.PatternInExpr) (Expr, error) {
	sq, ok := n.Sel.(*ast.SubqueryExpr)
	if !ok {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "this IN is not supported yet")
	}
	sel, correlated, err := b.oneColumn(sq)
	if err != nil {
		return nil, err
	}
	x, err := b.lhsExpr(n.Expr)
	if err != nil {
		return nil, err
	}
	// The distinct values (per outer row, if correlated), with a marker.
	off, _, err := b.perRow(sel, correlated, "?in?", func(y func() ast.ExprNode) []*ast.SelectField {
		return []*ast.SelectField{{Expr: y(), AsName: ast.NewCIStr("?y?")}, {Expr: ast.NewValueExpr(1, "", ""), AsName: ast.NewCIStr("?m?")}}
	}, x, n.Expr, sq)
	if err != nil {
		return nil, err
	}
	// How many rows there are and how many are NULL.
	soff, _, err := b.perRow(sel, correlated, "?in?", func(y func() ast.ExprNode) []*ast.SelectField {
		isNull := &ast.IsNullExpr{Expr: y()}
		return []*ast.SelectField{aggField("count", ast.NewValueExpr(1, "", ""), "?total?"),
			aggField("count", &ast.CaseExpr{WhenClauses: []*ast.WhenClause{{Expr: isNull, Result: ast.NewValueExpr(1, "", "")}}}, "?nulls?")}
	}, nil, nil, sq)
	if err != nil {
		return nil, err
	}
	zero := &Const{T: types.BigInt, I: 0}
	orZero := func(e Expr) Expr { return &Call{Fn: FnCoalesce, Args: []Expr{e, zero}, T: types.BigInt} } // no row: none
	m := &ColRef{Idx: off + 1, Name: "?m?", T: types.Int}
	total := orZero(&ColRef{Idx: soff, Name: "?total?", T: types.BigInt})
	nulls := orZero(&ColRef{Idx: soff + 1, Name: "?nulls?", T: types.BigInt})
	isNullX := &Call{Fn: FnIsNull, Args: []Expr{x}, T: types.Boolean}
	in := &Case{Whens: []When{
		{Cond: &Call{Fn: FnIsNotNull, Args: []Expr{m}, T: types.Boolean}, Then: &Const{T: types.Boolean, B: true}},
		{Cond: &Call{Fn: FnEq, Args: []Expr{total, zero}, T: types.Boolean}, Then: &Const{T: types.Boolean, B: false}},
		{Cond: &Call{Fn: FnOr, Args: []Expr{isNullX, &Call{Fn: FnGt, Args: []Expr{nulls, zero}, T: types.Boolean}}, T: types.Boolean},
			Then: &Const{T: types.Boolean, Null: true}},
	}, Else: &Const{T: types.Boolean, B: false}, T: types.Boolean}
	if n.Not {
		return &Call{Fn: FnNot, Args: []Expr{in}, T: types.Boolean}, nil
	}
	return in, nil
}

// lhsExpr binds the left operand of IN, ANY or ALL: by b, or over the
// groups by the binder of the grouped query's select list (see
// groupsBinder).
func (b *binder) lhsExpr(n ast.ExprNode) (Expr, error) {
	if b.lhs != nil {
		return b.lhs.expr(n)
	}
	return b.expr(n)
}

// hide extends a join scope with k hidden columns, the subquery's.
func (b *binder) hide(k int) {
	ctx := b.sub
	if ctx.scope != nil && *ctx.scope != nil {
		for range k {
			*ctx.scope = append(*ctx.scope, scopeCol{hidden: true})
		}
	}
}

// subColumn names a one-column subquery's output column.
func subColumn(sel *ast.SelectStmt) string {
	f := sel.Fields.Fields[0]
	if f.AsName.O != "" {
		return f.AsName.O
	}
	return exprName(f.Expr)
}

func withDistinct(s *ast.SelectStmt) *ast.SelectStmt { s.Distinct = true; return s }

// compareSub plans x op ANY (SELECT y ...) and x op ALL (...),
// uncorrelated, from the subquery's count of rows and of non-NULL y and
// their least and greatest: x > ANY is x > min, x > ALL is x > max, each
// with SQL's NULL rules (an empty subquery: ANY false, ALL true; a NULL x
// or y that decides nothing else: NULL). = ANY is IN, <> ALL NOT IN.
func (b *binder) compareSub(n *ast.CompareSubqueryExpr) (Expr, error) {
	sq, ok := n.R.(*ast.SubqueryExpr)
	if !ok {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "ANY and ALL take a subquery here")
	}
	if n.Op == opcode.EQ && !n.All || n.Op == opcode.NE && n.All {
		return b.inSub(&ast.PatternInExpr{Expr: n.L, Sel: sq, Not: n.All})
	}
	fn, ok := map[opcode.Op]Func{opcode.LT: FnLt, opcode.LE: FnLe, opcode.GT: FnGt, opcode.GE: FnGe, opcode.EQ: FnEq, opcode.NE: FnNe}[n.Op]
	if !ok {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "this comparison with ANY or ALL is not supported")
	}
	sel, correlated, err := b.oneColumn(sq)
	if err != nil {
		return nil, err
	}
	x, err := b.lhsExpr(n.L)
	if err != nil {
		return nil, err
	}
	off, stats, err := b.perRow(sel, correlated, "?any?", func(y func() ast.ExprNode) []*ast.SelectField {
		return []*ast.SelectField{aggField("count", ast.NewValueExpr(1, "", ""), "?cnt?"),
			aggField("count", y(), "?nn?"), aggField("min", y(), "?mn?"), aggField("max", y(), "?mx?")}
	}, nil, nil, sq)
	if err != nil {
		return nil, err
	}
	cols := stats.Columns()
	cols = cols[len(cols)-4:] // after the outer values, if correlated
	ref := func(k int) *ColRef { return &ColRef{Idx: off + k, Name: cols[k].Name, T: cols[k].Type} }
	zero := &Const{T: types.BigInt, I: 0}
	orZero := func(e Expr) Expr { return &Call{Fn: FnCoalesce, Args: []Expr{e, zero}, T: types.BigInt} } // no row: none
	cnt, nn, mn, mx := orZero(ref(0)), orZero(ref(1)), ref(2), ref(3)
	t, err := b.commonType([]Expr{x, mn}, []ast.Node{n.L, sq}, n)
	if err != nil {
		return nil, err
	}
	cast := func(e Expr) (Expr, error) { return b.coerce(e, t, n) }
	cmpTo := func(f Func, v *ColRef) (Expr, error) {
		xc, err := cast(x)
		if err != nil {
			return nil, err
		}
		vc, err := cast(v)
		if err != nil {
			return nil, err
		}
		return &Call{Fn: f, Args: []Expr{xc, vc}, T: types.Boolean}, nil
	}
	// decides: some y makes the comparison true (ANY) or false (ALL).
	var decides Expr
	switch {
	case fn == FnEq || fn == FnNe: // = ALL, <> ANY: some y differs from x
		lo, err := cmpTo(FnNe, mn)
		if err != nil {
			return nil, err
		}
		hi, err := cmpTo(FnNe, mx)
		if err != nil {
			return nil, err
		}
		decides = &Call{Fn: FnOr, Args: []Expr{lo, hi}, T: types.Boolean}
	default:
		// x > ANY: x > min; x > ALL fails when NOT x > max.
		v := mn
		if (fn == FnLt || fn == FnLe) != n.All {
			v = mx
		}
		c, err := cmpTo(fn, v)
		if err != nil {
			return nil, err
		}
		decides = c
		if n.All {
			decides = &Call{Fn: FnNot, Args: []Expr{c}, T: types.Boolean}
		}
	}
	boolC := func(v bool) Expr { return &Const{T: types.Boolean, B: v} }
	return &Case{Whens: []When{
		{Cond: &Call{Fn: FnEq, Args: []Expr{cnt, zero}, T: types.Boolean}, Then: boolC(n.All)},
		{Cond: &Call{Fn: FnIsNull, Args: []Expr{x}, T: types.Boolean}, Then: &Const{T: types.Boolean, Null: true}},
		{Cond: and(&Call{Fn: FnGt, Args: []Expr{nn, zero}, T: types.Boolean}, decides), Then: boolC(!n.All)},
		{Cond: &Call{Fn: FnLt, Args: []Expr{nn, cnt}, T: types.Boolean}, Then: &Const{T: types.Boolean, Null: true}},
	}, Else: boolC(n.All), T: types.Boolean}, nil
}

// singleSub plans a subquery used as a value that does not aggregate,
// (SELECT x FROM t WHERE t.k = outer.k): its value is its one row's x,
// NULL for no row, and more than one row is an error (21000) in the row
// that has them. It is the aggregating form over count(*) and max(x),
// which holds x when the count is 1, so it decorrelates as one does. An
// ORDER BY or LIMIT applies to the rows first, so (SELECT x FROM t ORDER
// BY y LIMIT 1) has one; correlated, that would be a top-1 per outer row,
// not supported yet.
// singleValueAgg is the MAX a subquery used as a value is planned with
// (its one row's value, beside a count that finds more rows): of any
// type, json too, which a user's max() is not.
const singleValueAgg = "streamsql_single_value"

func (b *binder) singleSub(sq *ast.SubqueryExpr, sel *ast.SelectStmt, in Node, table string, scope []scopeCol, refs []*ColRef) (Expr, error) {
	count := aggField("count", ast.NewValueExpr(1, "", ""), "?n?")
	var sub Node
	var err error
	if sel.OrderBy != nil || sel.Limit != nil {
		if len(refs) > 0 {
			return nil, b.errAt(sqlerr.FeatureNotSupported, sq, "a correlated subquery with ORDER BY or LIMIT is not supported yet as a value")
		}
		col := &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(subColumn(sel))}}
		sub, err = b.sub.p.selectStmt(b.q.(*parser.Query), over(sel, "?one?", count, aggField(singleValueAgg, col, "?v?")), b.sub.mode, false)
	} else {
		sub, err = b.plan(sel, in, table, scope, refs, []*ast.SelectField{count, aggField(singleValueAgg, sel.Fields.Fields[0].Expr, "?v?")}, true, false)
	}
	if err != nil {
		return nil, err
	}
	off := b.attach(sub, refs)
	cols := sub.Columns()
	n := &ColRef{Idx: off + len(refs), Name: cols[len(refs)].Name, T: cols[len(refs)].Type}
	v := &ColRef{Idx: off + len(refs) + 1, Name: cols[len(refs)+1].Name, T: cols[len(refs)+1].Type}
	many := &Call{Fn: FnGt, Args: []Expr{n, &Const{T: n.T, I: 1}}, T: types.Boolean}
	return &Case{Whens: []When{{Cond: many, Then: &Call{Fn: FnBuiltin, B: tooManyRows, Args: []Expr{v}, T: v.T}}}, Else: v, T: v.T}, nil
}

// tooManyRows is the value of a subquery that returned more than one row:
// NULL, and an error of the row (exec registers its kernel).
var tooManyRows = &Builtin{Name: "?too_many_rows?", NonStrict: true, MayFail: true}
