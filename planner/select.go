package planner

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Mode says what a query is planned for.
type Mode uint8

const (
	// Streaming plans a view's continuous query.
	Streaming Mode = iota
	// AdHoc plans a SELECT answered once from current contents.
	AdHoc
)

// Planner plans queries against a catalog.
type Planner struct {
	Cat catalog.Lookup
	// Params, when set, gives a prepared statement's parameters their
	// types and values; without it a $n is an error.
	Params *Params
	// Zone is the session's TimeZone (nil: UTC). A view's expressions
	// keep the zone they were planned in.
	Zone *time.Location
	// Session, when set, is the session's settings (SET, and those of
	// its startup message), which current_setting() reads before the
	// server's.
	Session map[string]string
	// ctes are the common table expressions in scope (see cte.go).
	ctes []cte
	// fromFor, when set, is a FROM already planned (see subquery.go).
	fromFor *fromFor
	// lateralLeft, when set, is the first item of a FROM being planned
	// (see lateral.go).
	lateralLeft *leftItem
	// Now is the statement's time (µs since the epoch), what NOW() is in
	// an ad-hoc query or an INSERT; zero means the time of planning.
	Now int64
	// clock is the statement's NOW(), set while Query plans.
	clock *clock
	// fnScope is the statement's view of the SQL functions (udf.go).
	fnScope *fnScope
}

// Query plans a SELECT. For a view, emitOnClose asks for final rows only.
func (p *Planner) Query(q *parser.Query, mode Mode, emitOnClose bool) (Node, error) {
	if p.clock == nil {
		p.clock = p.clockFor(mode)
		defer func() { p.clock = nil }()
	}
	var n Node
	var err error
	switch st := q.Node.(type) {
	case *ast.SelectStmt:
		n, err = p.selectStmt(q, st, mode, emitOnClose)
	case *ast.SetOprStmt:
		n, err = p.setOpr(q, st, mode, emitOnClose)
	default:
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(q.Node), "this query is not supported yet")
	}
	if err == nil {
		err = checkWindows(n)
	}
	if err == nil && mode == Streaming {
		err = checkRanks(n)
	}
	if err == nil {
		pruneRanks(n, nil)
	}
	if err == nil && hasJoin(n) {
		need := make([]bool, len(n.Columns()))
		for i := range need {
			need[i] = true
		}
		storedColumns(n, need)
	}
	return n, err
}

func (p *Planner) selectStmt(q *parser.Query, sel *ast.SelectStmt, mode Mode, emitOnClose bool) (Node, error) {
	if len(sel.WindowSpecs) > 0 {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(sel), "WINDOW clauses are not supported yet")
	}
	if f := p.fromFor; f == nil || f.sel != sel {
		if outer := distinctOverSubqueries(sel); outer != nil {
			return p.selectStmt(q, outer, mode, emitOnClose)
		}
	}
	leave, err := p.with(q, sel.With)
	if err != nil {
		return nil, err
	}
	defer leave()
	if n, ok, err := p.fromFunctionSelect(q, sel); ok {
		return n, err
	}
	var input Node
	var table string
	var scope []scopeCol
	if f := p.fromFor; f != nil && f.sel == sel {
		p.fromFor = nil
		input, table, scope = f.input, f.table, f.scope
	} else if input, table, scope, err = p.from(q, sel, mode, emitOnClose); err != nil {
		return nil, err
	}
	// * is the FROM's columns, not those the subqueries below add.
	fields, err := expandStar(sel, input, table, scope, q)
	if err != nil {
		return nil, err
	}
	b := &binder{q: q, cols: input.Columns(), table: table, scope: scope, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	b.sub = &subCtx{p: p, input: &input, scope: &scope, mode: mode}
	var temporal *TemporalFilter
	if sel.Where != nil {
		w := *b
		w.noAggs, w.nowOK = "WHERE", true
		pred, err := w.expr(sel.Where)
		if err != nil {
			return nil, err
		}
		if pred.Type().Kind != types.Bool && pred.Type().Kind != types.Null {
			return nil, sqlerr.At(sqlerr.DatatypeMismatch, q.Pos(sel.Where), "argument of WHERE must be type boolean, not type %s", pred.Type())
		}
		if pred, err = w.coerce(pred, types.Boolean, sel.Where); err != nil {
			return nil, err
		}
		if pred, temporal, err = w.temporal(pred, sel.Where); err != nil {
			return nil, err
		}
		switch {
		case pred == nil:
		case scope == nil:
			// A condition on a subquery's rank bounds its TopN.
			var kept Expr
			for _, c := range splitAnd(pred) {
				if !rankFilter(input, c) {
					kept = and(kept, c)
				}
			}
			if kept != nil {
				input = underWindows(input, kept)
			}
		default:
			// Each conjunct as deep into the joins as it can go, where an
			// equality of two sides becomes a join key.
			for _, c := range splitAnd(pred) {
				input = pushFilter(input, c)
			}
		}
	}
	b.cols, b.scope = input.Columns(), scope
	if hasJoin(input) {
		if input, err = finishJoins(q, input, mode, sel); err != nil {
			return nil, err
		}
	}
	if temporal != nil {
		temporal.Input = input
		input = temporal
	}
	setReturning, err := findSRFs(q, fields)
	if err != nil {
		return nil, err
	}
	if len(setReturning) > 0 && sel.Distinct {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(setReturning[0].call),
			"SELECT DISTINCT over a set-returning function in the select list is not supported yet; call it in FROM (FROM t, unnest(t.a) AS u(x))")
	}
	grouped := sel.GroupBy != nil || sel.Having != nil
	for _, f := range fields {
		grouped = grouped || f.expr != nil && hasAggregate(f.expr)
	}
	// DISTINCT alone groups by the select list; over a grouped query it
	// is a second grouping, of the first one's rows.
	distinctOnTop := sel.Distinct && grouped
	grouped = grouped || sel.Distinct
	out := b
	var agg *Aggregate
	var aggScope *aggScope
	if !grouped {
		if input, err = overFields(q, b, input, fields, mode); err != nil {
			return nil, err
		}
	}
	if grouped {
		scope, a, err := p.groupBy(q, sel, b, input, fields, sel.Distinct && !distinctOnTop, emitOnClose)
		if err != nil {
			return nil, err
		}
		scope.argScope = slices.Clone(b.scope)
		scope.argSub = &subCtx{p: p, input: &a.Input, scope: &scope.argScope, mode: mode}
		input, agg, aggScope = a, a, scope
		out = &binder{q: q, agg: scope, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
		// Subqueries over the groups join onto the Aggregate's output.
		out.sub = &subCtx{p: p, input: &input, scope: new([]scopeCol), mode: mode}
		if groupSubqueries(sel, fields) {
			// Its columns must be final before the first join onto it.
			if err := registerAggs(out, sel, fields); err != nil {
				return nil, err
			}
		}
	} else if emitOnClose && !closesWindows(input) {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(sel), "EMIT ON WINDOW CLOSE needs a GROUP BY with a window (TUMBLE or HOP)")
	}
	if sel.Having != nil {
		var kept Expr
		before := input
		for _, c := range conjuncts(sel.Having.Expr) {
			pred, err := out.expr(c)
			if err != nil {
				return nil, err
			}
			if pred, err = out.coerce(pred, types.Boolean, c); err != nil {
				return nil, err
			}
			if sel.GroupBy != nil && p.pushHaving(out.agg.input, agg, c) {
				continue
			}
			if kept != nil {
				pred = &Call{Fn: FnAnd, Args: []Expr{kept, pred}, T: types.Boolean}
			}
			kept = pred
		}
		if input != before {
			// HAVING's subqueries joined onto the groups.
			if input, err = finishJoins(q, input, mode, sel); err != nil {
				return nil, err
			}
		}
		if kept != nil {
			input = &Filter{Input: input, Pred: kept}
		}
	}
	if grouped && !distinctOnTop {
		// Window functions over the groups, as PostgreSQL computes them
		// after GROUP BY and HAVING: the aggregates they read are the
		// Aggregate's (registered first, so that its columns are final
		// before a window reads them).
		windows := false
		for _, f := range fields {
			if f.expr == nil || !hasOver(f.expr) {
				continue
			}
			windows = true
			var aggs []ast.Node
			f.expr.Accept(&finder{is: func(n ast.Node) bool {
				if _, ok := n.(*ast.AggregateFuncExpr); ok {
					aggs = append(aggs, n)
				}
				return false
			}})
			for _, a := range aggs {
				if _, err := out.expr(a.(ast.ExprNode)); err != nil {
					return nil, err
				}
			}
		}
		if windows {
			if input, err = overFields(q, out, input, fields, mode); err != nil {
				return nil, err
			}
		}
	}
	if len(setReturning) > 0 {
		if agg != nil {
			// The aggregates first, so the Aggregate's columns are final
			// before the ProjectSet above it numbers its own after them.
			var aggs []ast.Node
			for _, f := range fields {
				if f.expr == nil {
					continue
				}
				f.expr.Accept(&finder{is: func(n ast.Node) bool {
					switch x := n.(type) {
					case *ast.AggregateFuncExpr:
						aggs = append(aggs, n)
					case *ast.FuncCallExpr:
						if hasAggregate(&ast.FuncCallExpr{FnName: x.FnName}) {
							aggs = append(aggs, n)
						}
					}
					return false
				}})
			}
			for _, a := range aggs {
				if _, err := out.expr(a.(ast.ExprNode)); err != nil {
					return nil, err
				}
			}
		}
		if input, err = selectSRFs(out, input, setReturning); err != nil {
			return nil, err
		}
	}
	proj := &Project{Input: input, Time: -1}
	for _, f := range fields {
		e := f.ref
		var err error
		switch {
		case e == nil:
			e, err = out.expr(f.expr)
		case grouped && !f.win:
			// A * column reads the Aggregate's output, so it must be one
			// of its keys.
			e, err = out.agg.groupedRef(f.ref.(*ColRef), table, f.pos)
		}
		if err != nil {
			return nil, err
		}
		if c, ok := e.(*ColRef); ok && c.Idx == proj.Input.EventTime() && proj.Time < 0 {
			proj.Time = len(proj.Exprs)
		}
		if c, ok := e.(*Const); ok && c.T.Kind == types.Null {
			e = &Const{T: types.Varchar, Null: true}
		}
		proj.Exprs = append(proj.Exprs, e)
		proj.Names = append(proj.Names, f.name)
	}
	if proj.Input != input {
		// The select list's subqueries joined onto the input.
		if proj.Input, err = finishJoins(q, input, mode, sel); err != nil {
			return nil, err
		}
	}
	if distinctOnTop {
		proj, out = distinct(proj), &binder{q: q, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
		out.cols = proj.Columns()
	}
	if mode == Streaming {
		if sel.OrderBy != nil || sel.Limit != nil {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(sel), "ORDER BY and LIMIT are not supported in views; use them when you SELECT from the view")
		}
		seen := map[string]bool{}
		for i, n := range proj.Names {
			if seen[n] {
				return nil, sqlerr.At(sqlerr.DuplicateObject, fields[i].pos, "column %q specified more than once; give it an alias with AS", n)
			}
			seen[n] = true
		}
		if err := finishArgJoins(q, agg, aggScope, mode, sel); err != nil {
			return nil, err
		}
		return proj, nil
	}
	n, err := p.orderLimit(q, sel, proj, out)
	if err != nil {
		return nil, err
	}
	if err := finishArgJoins(q, agg, aggScope, mode, sel); err != nil {
		return nil, err
	}
	return n, nil
}

// finishArgJoins finishes the joins that the subqueries of aggregate
// arguments added to agg's input (see aggScope.argSub), once every
// aggregate is bound.
func finishArgJoins(q *parser.Query, agg *Aggregate, scope *aggScope, mode Mode, at ast.Node) error {
	if agg == nil || scope == nil || !scope.joined {
		return nil
	}
	in, err := finishJoins(q, agg.Input, mode, at)
	agg.Input = in
	return err
}

// groupSubqueries reports a subquery over the groups of a grouped query:
// in its select list or HAVING, outside aggregate calls.
func groupSubqueries(sel *ast.SelectStmt, fields []field) bool {
	v := &groupSubFinder{}
	for _, f := range fields {
		if f.expr != nil {
			f.expr.Accept(v)
		}
	}
	if sel.Having != nil {
		sel.Having.Expr.Accept(v)
	}
	return v.found
}

type groupSubFinder struct{ found bool }

func (v *groupSubFinder) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok {
		v.found = true
		return n, true
	}
	if isAggCall(n) {
		return n, true // its argument's subqueries are over the rows
	}
	return n, v.found
}

func (v *groupSubFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// registerAggs binds, by out, every aggregate call of the select list,
// HAVING and ORDER BY of sel (outside subqueries, whose own they are),
// so that the Aggregate's columns are final.
func registerAggs(out *binder, sel *ast.SelectStmt, fields []field) error {
	var calls []ast.ExprNode
	v := &aggCallFinder{found: &calls}
	for _, f := range fields {
		if f.expr != nil {
			f.expr.Accept(v)
		}
	}
	if sel.Having != nil {
		sel.Having.Expr.Accept(v)
	}
	if sel.OrderBy != nil {
		for _, item := range sel.OrderBy.Items {
			item.Expr.Accept(v)
		}
	}
	for _, c := range calls {
		if _, err := out.expr(c); err != nil {
			return err
		}
	}
	return nil
}

type aggCallFinder struct{ found *[]ast.ExprNode }

func (v *aggCallFinder) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok {
		return n, true
	}
	if isAggCall(n) {
		*v.found = append(*v.found, n.(ast.ExprNode))
		return n, true
	}
	return n, false
}

func (v *aggCallFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(n ast.ExprNode) []ast.ExprNode {
	switch e := n.(type) {
	case *ast.ParenthesesExpr:
		return conjuncts(e.Expr)
	case *ast.BinaryOperationExpr:
		if e.Op == opcode.LogicAnd {
			return append(conjuncts(e.L), conjuncts(e.R)...)
		}
	}
	return []ast.ExprNode{n}
}

// pushHaving filters agg's input by c, a condition of HAVING already
// checked to read only what the groups have in common, when c has no
// aggregate and reads the input's columns: as in PostgreSQL, which
// moves such a condition to WHERE, the rows it rejects are not grouped,
// so an expression that would fail on them (a group key that overflows)
// is never computed, and a view keeps no state for them. PostgreSQL then
// orders WHERE's conditions by cost, the free ones (column tests such as
// v IS NOT NULL) first: so does this, a free condition filtering the
// rows before WHERE's, which may fail on the rows it rejects.
func (p *Planner) pushHaving(in *binder, agg *Aggregate, c ast.ExprNode) bool {
	if hasAggregate(c) {
		return false
	}
	w := *in
	w.noAggs = "HAVING"
	pred, err := w.expr(c)
	if err == nil {
		pred, err = w.coerce(pred, types.Boolean, c)
	}
	if err != nil {
		return false // a window's bounds or a select-list alias
	}
	if free(below(agg.Input, pred)) {
		agg.Input = pushFilter(agg.Input, pred)
	} else {
		agg.Input = &Filter{Input: agg.Input, Pred: pred}
	}
	return true
}

// below is pred as read below the projections and filters on top of n,
// where pushFilter takes it.
func below(n Node, pred Expr) Expr {
	for {
		switch x := n.(type) {
		case *Project:
			pred, n = substitute(pred, x.Exprs), x.Input
		case *Filter:
			n = x.Input
		default:
			return pred
		}
	}
}

// free reports whether e costs nothing to compute in PostgreSQL's
// estimate (cost_qual_eval): column references, constants, AND, OR, NOT
// and IS [NOT] NULL, no operator or function that could fail.
func free(e Expr) bool {
	switch x := e.(type) {
	case *ColRef, *Const:
		return true
	case *Call:
		switch x.Fn {
		case FnAnd, FnOr, FnNot, FnIsNull, FnIsNotNull:
			for _, a := range x.Args {
				if !free(a) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// distinct groups the rows of proj by all their columns and projects the
// groups back out: SELECT DISTINCT over a grouped query.
func distinct(proj *Project) *Project {
	cols := proj.Columns()
	a := &Aggregate{Input: proj}
	top := &Project{Input: a, Time: -1}
	for i, c := range cols {
		ref := &ColRef{Idx: i, Name: c.Name, T: c.Type}
		a.Keys = append(a.Keys, ref)
		a.KeyNames = append(a.KeyNames, c.Name)
		top.Exprs = append(top.Exprs, ref)
		top.Names = append(top.Names, proj.Names[i])
	}
	return top
}

// field is one select-list entry before binding.
type field struct {
	expr ast.ExprNode
	ref  Expr // set for expanded * columns and window functions
	win  bool // ref is a window function's output column
	name string
	pos  int
}

// expandStar lists the select fields, expanding * (and table.*) into the
// input's columns, as references to the input.
func expandStar(sel *ast.SelectStmt, input Node, table string, scope []scopeCol, q *parser.Query) ([]field, error) {
	var out []field
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil && scope != nil {
			t := f.WildCard.Table.O
			n := len(out)
			for i, c := range input.Columns() {
				s := scope[i]
				if !s.outer && (t == "" && !s.hidden || t != "" && s.qual == t) {
					name := c.Name
					if s.qual != "" {
						name = s.qual + "." + c.Name
					}
					out = append(out, field{ref: &ColRef{Idx: i, Name: name, T: c.Type}, name: c.Name, pos: q.FieldPos(f)})
				}
			}
			if t != "" && len(out) == n {
				return nil, sqlerr.At(sqlerr.UndefinedTable, q.FieldPos(f), "missing FROM-clause entry for table %q", t)
			}
			continue
		}
		if f.WildCard != nil {
			if t := f.WildCard.Table; t.O != "" && (sel.From == nil || t.O != table) {
				return nil, sqlerr.At(sqlerr.UndefinedTable, q.FieldPos(f), "missing FROM-clause entry for table %q", t.O)
			}
			if sel.From == nil {
				return nil, sqlerr.At(sqlerr.Syntax, q.FieldPos(f), "SELECT * with no tables specified is not valid")
			}
			for i, c := range input.Columns() {
				out = append(out, field{ref: &ColRef{Idx: i, Name: c.Name, T: c.Type}, name: c.Name, pos: q.FieldPos(f)})
			}
			continue
		}
		name := f.AsName.O
		if name == "" {
			name = exprName(f.Expr)
		}
		if a, ok := f.Expr.(*ast.AggregateFuncExpr); ok && f.AsName.O == "" && strings.ToLower(a.F) == PercentileName {
			name = strings.ToLower(q.Word(a)) // percentile_cont, as the user wrote it
		}
		out = append(out, field{expr: f.Expr, name: name, pos: q.Pos(f.Expr)})
	}
	return out, nil
}

// exprName names an unaliased select expression as PostgreSQL does.
func exprName(n ast.ExprNode) string {
	switch n := n.(type) {
	case *ast.ColumnNameExpr:
		return n.Name.Name.O
	case *ast.AggregateFuncExpr:
		return strings.ToLower(n.F)
	case *ast.FuncCallExpr:
		switch name := n.FnName.L; name {
		case parser.CastFunc:
			if len(n.Args) == 2 {
				if c, ok := n.Args[0].(*ast.ColumnNameExpr); ok {
					return c.Name.Name.O
				}
				if v, ok := n.Args[1].(*test_driver.ValueExpr); ok {
					t := strings.TrimSuffix(strings.ToLower(v.Datum.GetString()), "[]")
					if i := strings.IndexAny(t, "("); i >= 0 {
						t = t[:i]
					}
					return t
				}
			}
		case parser.RegexFunc, parser.ContainsFunc, parser.ContainedFunc, parser.OverlapFunc: // an operator
			return "?column?"
		case parser.ArrayFunc, parser.ArraySubFunc:
			return "array"
		case parser.SubscriptFunc, parser.SliceFunc:
			return exprName(n.Args[0])
		case "tumble_start", "hop_start", "session_start":
			return "window_start"
		case "tumble_end", "hop_end", "session_end":
			return "window_end"
		case parser.DivFunc:
			return "div"
		case parser.ExtractFunc:
			return "extract"
		case parser.ConcatFunc:
			return "concat"
		case "concat": // a || b
			return "?column?"
		case "trim": // PostgreSQL 15 names TRIM by the function it calls
			if len(n.Args) == 3 {
				if d, ok := n.Args[2].(*ast.TrimDirectionExpr); ok && d.Direction != ast.TrimBoth {
					return map[ast.TrimDirectionType]string{ast.TrimLeading: "ltrim", ast.TrimTrailing: "rtrim"}[d.Direction]
				}
			}
			return "btrim"
		default:
			return name
		}
	case *ast.ParenthesesExpr:
		return exprName(n.Expr)
	case *ast.CaseExpr:
		return "case"
	}
	return "?column?"
}

// from plans the FROM clause. For one relation it returns its name or
// alias; for a join, the scope of the joined columns.
func (p *Planner) from(q *parser.Query, sel *ast.SelectStmt, mode Mode, eowc bool) (Node, string, []scopeCol, error) {
	if sel.From == nil {
		if mode == Streaming {
			return nil, "", nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(sel), "a view needs a FROM clause")
		}
		return &Values{Rows: [][]Expr{{}}}, "", nil, nil
	}
	j := sel.From.TableRefs
	for j.Right == nil {
		inner, ok := j.Left.(*ast.Join)
		if !ok {
			break
		}
		j = inner
	}
	if j.Right == nil {
		ts, ok := j.Left.(*ast.TableSource)
		if !ok {
			return nil, "", nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(j.Left), "this FROM item is not supported yet")
		}
		n, alias, err := p.tableSource(q, ts, mode, eowc)
		return n, alias, nil, err
	}
	n, scope, err := p.join(q, j, mode, eowc)
	return n, "", scope, err
}

// tableSource plans a relation or subquery in FROM and names it.
func (p *Planner) tableSource(q *parser.Query, ts *ast.TableSource, mode Mode, eowc bool) (Node, string, error) {
	alias := ts.AsName.O
	switch src := ts.Source.(type) {
	case *ast.TableName:
		name := src.Name.O
		if src.Schema.L == "" {
			n, err := p.cteNamed(q, src.Name.L, mode, eowc)
			if err != nil || n != nil {
				if alias == "" {
					alias = name
				}
				return n, alias, err
			}
		}
		if rel, ok := SystemRelation(src.Schema.L, src.Name.L); ok || src.Schema.L == PgCatalog || src.Schema.L == InfoSchema || src.Schema.L == StreamsqlCatalog {
			return p.systemScan(q, src, rel, alias, mode)
		}
		rel, ok := p.Cat.Relation(name)
		if !ok {
			return nil, "", sqlerr.At(sqlerr.UndefinedTable, q.NamePos(src, src.Name.O), "relation %q does not exist", src.Name.O)
		}
		if alias == "" {
			alias = name
		}
		if rel.Kind == parser.KindView {
			n, ok := rel.Query.(Node)
			if !ok {
				return nil, "", sqlerr.New(sqlerr.Internal, "view %q has no plan", name)
			}
			p.funcs().use(rel.Functions...) // its plan holds them inlined
			return n, alias, nil
		}
		if mode == AdHoc && rel.Kind == parser.KindSource {
			return nil, "", sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(src),
				"source %q is not materialized, so it cannot be queried directly; CREATE MATERIALIZED VIEW over it and SELECT from that", name)
		}
		if rel.Kind == parser.KindSink {
			return nil, "", sqlerr.At(sqlerr.WrongObjectType, q.Pos(src), "%q is a sink, not a relation", name)
		}
		return &Scan{Rel: rel}, alias, nil
	case *ast.SelectStmt:
		if q.WindowTVF(src) {
			n, err := p.windowTVF(q, src, mode, eowc)
			return n, alias, err
		}
		// In an EMIT ON WINDOW CLOSE view, a subquery's windows emit on
		// close too, so that what reads them (a join) is append-only.
		n, err := p.resultSet(q, src, mode, eowc)
		return n, alias, err
	case *ast.SetOprStmt:
		n, err := p.resultSet(q, src, mode, eowc)
		return n, alias, err
	}
	return nil, "", sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(ts), "this FROM item is not supported yet")
}

// orderLimit plans ORDER BY and LIMIT/OFFSET of an ad-hoc query. Sort keys
// are output columns (by position, name, or equal expression) or, as in
// PostgreSQL, hidden columns computed for the sort and dropped after it.
func (p *Planner) orderLimit(q *parser.Query, sel *ast.SelectStmt, proj *Project, scope *binder) (Node, error) {
	var n Node = proj
	visible := len(proj.Exprs)
	if sel.OrderBy != nil {
		sort := &Sort{Input: proj}
		for _, item := range sel.OrderBy.Items {
			col := -1
			switch e := item.Expr.(type) {
			case *ast.PositionExpr:
				if e.N < 1 || e.N > visible {
					return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(e), "ORDER BY position %d is not in select list", e.N)
				}
				col = e.N - 1
			case *test_driver.ValueExpr:
				if k, ok := e.Datum.GetValue().(int64); ok {
					if k < 1 || int(k) > visible {
						return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(e), "ORDER BY position %d is not in select list", k)
					}
					col = int(k) - 1
				}
			case *ast.ColumnNameExpr:
				if e.Name.Table.L == "" {
					for i := 0; i < visible; i++ {
						if proj.Names[i] == e.Name.Name.O {
							col = i
							break
						}
					}
				}
			}
			if col < 0 {
				x, err := scope.expr(item.Expr)
				if err != nil {
					return nil, err
				}
				for i, pe := range proj.Exprs {
					if pe.String() == x.String() {
						col = i
					}
				}
				if col < 0 {
					col = len(proj.Exprs)
					proj.Exprs = append(proj.Exprs, x)
					proj.Names = append(proj.Names, "?sort?")
				}
			}
			sort.Keys = append(sort.Keys, SortKey{Col: col, Desc: item.Desc})
		}
		n = sort
	}
	if sel.Limit != nil {
		lim := &Limit{Input: n, Count: -1}
		var err error
		if c := sel.Limit.Count; c != nil && !isNoLimit(c) {
			if lim.Count, err = constInt(q, c); err != nil {
				return nil, err
			}
		}
		if sel.Limit.Offset != nil {
			if lim.Offset, err = constInt(q, sel.Limit.Offset); err != nil {
				return nil, err
			}
		}
		n = lim
	}
	if len(proj.Exprs) > visible {
		cols := n.Columns()
		drop := &Project{Input: n, Time: -1}
		for i := 0; i < visible; i++ {
			drop.Exprs = append(drop.Exprs, &ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type})
			drop.Names = append(drop.Names, cols[i].Name)
		}
		n = drop
	}
	return n, nil
}

// isNoLimit reports the count the parser gives LIMIT ALL.
func isNoLimit(e ast.ExprNode) bool {
	v, ok := e.(*test_driver.ValueExpr)
	return ok && v.Datum.GetValue() == any(uint64(math.MaxUint64))
}

func constInt(q *parser.Query, e ast.ExprNode) (int64, error) {
	if v, ok := e.(*test_driver.ValueExpr); ok {
		switch x := v.Datum.GetValue().(type) {
		case int64:
			if x >= 0 {
				return x, nil
			}
		case uint64:
			return int64(x), nil
		}
	}
	return 0, sqlerr.At(sqlerr.InvalidParameter, q.Pos(e), "LIMIT and OFFSET must be non-negative integer constants")
}

// windowed reports whether a SELECT groups by a window function.
func windowed(q *parser.Query, sel *ast.SelectStmt) bool {
	if sel.GroupBy == nil {
		return false
	}
	for _, item := range sel.GroupBy.Items {
		switch f := item.Expr.(type) {
		case *ast.FuncCallExpr:
			switch f.FnName.L {
			case "tumble", "hop", "cumulate", parser.SessionFunc:
				return true
			}
		case *ast.ColumnNameExpr:
			// GROUP BY window_start over a window table function.
			if f.Name.Name.L == WindowStart && sel.From != nil {
				if ts, ok := sel.From.TableRefs.Left.(*ast.TableSource); ok {
					if sub, ok := ts.Source.(*ast.SelectStmt); ok && q.WindowTVF(sub) {
						return true
					}
				}
			}
		}
	}
	return false
}

// closesWindows reports whether a plan's rows come from windows that emit
// on close (through joins, filters and projections): an EMIT ON WINDOW
// CLOSE view over them needs no window of its own.
func closesWindows(n Node) bool {
	if a, ok := n.(*Aggregate); ok {
		return a.EmitOnClose
	}
	for _, in := range n.Inputs() {
		if closesWindows(in) {
			return true
		}
	}
	return false
}
