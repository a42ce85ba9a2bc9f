package planner

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// aggScope binds the expressions above a GROUP BY (select list, HAVING,
// ORDER BY): aggregates and grouped expressions become references to the
// Aggregate node's output columns; anything else ungrouped is an error.
type aggScope struct {
	input  *binder // binds over the Aggregate's input columns
	window *Window
	// tvfIn is, when the window came from a window table function's
	// GROUP BY window_start, window_end, the number of the function's
	// input columns (whose own columns follow them), else 0.
	tvfIn  int
	keys   []Expr
	keyStr []string
	aggStr []string
	// node receives the aggregate calls as binding finds them.
	node *Aggregate
	// argSub plans the subqueries in aggregate arguments (SUM((SELECT
	// ...)), count(CASE WHEN EXISTS (...) THEN 1 END)) as joins onto the
	// Aggregate's input, of argScope; nil where they are not decorrelated
	// (a window function's frame). joined records that one did: the
	// query finishes the input's joins once everything is bound.
	argSub   *subCtx
	argScope []scopeCol
	joined   bool
	// bound is each aggregate call's column by the call's node, so that
	// a call bound twice (registered ahead, then bound where it is
	// written) plans its argument's subqueries once.
	bound map[ast.ExprNode]Expr
}

func (a *aggScope) winCols() int {
	if a.window != nil {
		return 2
	}
	return 0
}

func (a *aggScope) intercept(b *binder, n ast.ExprNode) (Expr, bool, error) {
	switch n := n.(type) {
	case *ast.AggregateFuncExpr:
		e, err := a.aggregate(n)
		return e, true, err
	case *ast.FuncCallExpr:
		switch name := n.FnName.L; name {
		case "bool_and", "bool_or", "every", "string_agg", "first_value_agg", "last_value_agg", "array_agg", "json_agg", "jsonb_agg":
			e, err := a.aggregateCall(n, name, n.Args, false)
			return e, true, err
		case "tumble_start", "hop_start", "session_start", "tumble_end", "hop_end", "session_end":
			if a.window == nil {
				return nil, true, b.errAt(sqlerr.Grouping, n, "%s requires a GROUP BY with a window", strings.ToUpper(name))
			}
			if strings.HasSuffix(name, "_start") {
				return &ColRef{Idx: 0, Name: "window_start", T: a.window.Bounds()}, true, nil
			}
			return &ColRef{Idx: 1, Name: "window_end", T: a.window.Bounds()}, true, nil
		}
	case *ast.ParenthesesExpr:
		return nil, false, nil
	}
	e, err := a.input.expr(n)
	if err == nil {
		s := e.String()
		for i, k := range a.keyStr {
			if k == s {
				return &ColRef{Idx: a.winCols() + i, Name: colName(a.keys[i], i), T: a.keys[i].Type()}, true, nil
			}
		}
		switch e.(type) {
		case *Const:
			return e, true, nil
		case *ColRef:
			return nil, true, b.errAt(sqlerr.Grouping, n, "%s", ungrouped(a.input.table, e.String()))
		}
		return nil, false, nil
	}
	if col, ok := n.(*ast.ColumnNameExpr); ok {
		switch name := col.Name.Name.O; {
		case a.tvfIn > 0 && name == WindowTime:
			return windowRef(a.tvfIn+2, a.tvfIn, a.window.Bounds()), true, nil
		case a.window != nil && (name == "window_start" || name == "window_end"):
			idx := 0
			if name == "window_end" {
				idx = 1
			}
			return &ColRef{Idx: idx, Name: name, T: a.window.Bounds()}, true, nil
		}
		return nil, true, err
	}
	return nil, false, nil
}

// groupedRef maps an input column a * expanded to into the Aggregate's
// output column of the same key. Any other column is a grouping error at
// pos, where the user wrote the *.
func (a *aggScope) groupedRef(c *ColRef, table string, pos int) (Expr, error) {
	if a.tvfIn > 0 && c.Idx >= a.tvfIn {
		return windowRef(c.Idx, a.tvfIn, a.window.Bounds()), nil
	}
	s := c.String()
	for i, k := range a.keyStr {
		if k == s {
			return &ColRef{Idx: a.winCols() + i, Name: c.Name, T: c.T}, nil
		}
	}
	return nil, sqlerr.At(sqlerr.Grouping, pos, "%s", ungrouped(table, c.Name))
}

// ungrouped is PostgreSQL's message for a column used outside GROUP BY.
func ungrouped(table, col string) string {
	if table != "" {
		col = table + "." + col
	}
	return fmt.Sprintf("column %q must appear in the GROUP BY clause or be used in an aggregate function", col)
}

// aggregate registers an aggregate call and returns a reference to its
// output column. Identical calls share one column.
func (a *aggScope) aggregate(n *ast.AggregateFuncExpr) (Expr, error) {
	return a.aggregateCall(n, strings.ToLower(n.F), n.Args, n.Distinct)
}

// aggregateCall is aggregate for the call n of the function name with
// args, which TiDB may have parsed as an ordinary function's.
func (a *aggScope) aggregateCall(n ast.ExprNode, name string, args []ast.ExprNode, distinct bool) (Expr, error) {
	if e, ok := a.bound[n]; ok {
		return e, nil
	}
	in := a.node.Input
	e, err := a.bindCall(n, name, args, distinct)
	if err != nil {
		return nil, err
	}
	if a.node.Input != in {
		a.joined = true
	}
	if a.bound == nil {
		a.bound = map[ast.ExprNode]Expr{}
	}
	a.bound[n] = e
	return e, nil
}

// argBinder binds aggregate arguments over the Aggregate's input, their
// subqueries joined onto it.
func (a *aggScope) argBinder() binder {
	inner := *a.input
	inner.noAggs = "the arguments of an aggregate function (aggregate calls cannot be nested)"
	inner.sub = a.argSub
	return inner
}

// bindCall is aggregateCall's work.
func (a *aggScope) bindCall(n ast.ExprNode, name string, args []ast.ExprNode, distinct bool) (Expr, error) {
	b := a.input
	call := AggCall{Distinct: distinct}
	inner := a.argBinder()
	var arg Expr
	// The parser refuses COUNT(DISTINCT *), so COUNT(DISTINCT 1) is a count
	// of distinct constants, not a COUNT(*).
	star := name == "count" && !distinct && len(args) == 1 && isStar(args[0])
	args, order, distinct, err := a.orderArgs(n, name, args, distinct)
	if err != nil {
		return nil, err
	}
	call.Distinct = distinct
	if k := len(args) - 1; k >= 0 {
		if c, ok := args[k].(*ast.FuncCallExpr); ok && c.FnName.L == parser.AggFilterFunc {
			f, err := inner.expr(c.Args[0])
			if err != nil {
				return nil, err
			}
			if t := f.Type(); t.Kind != types.Bool && !isNullConst(f) {
				return nil, b.errAt(sqlerr.DatatypeMismatch, c.Args[0], "argument of FILTER must be type boolean, not type %s", pgTypeName(t))
			}
			call.Filter, args = f, args[:k]
		}
	}
	if name == "group_concat" {
		// MySQL's; TiDB adds the separator as an argument.
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function group_concat does not exist")
	}
	switch name {
	case "stddev_pop", "var_pop":
		// TiDB reads STDDEV, STD and VARIANCE as the population ones;
		// PostgreSQL's STDDEV and VARIANCE are the sample ones.
		switch w := b.written(n, name); w {
		case "stddev", "variance":
			name = map[string]string{"stddev": "stddev_samp", "variance": "var_samp"}[w]
		case "std", "stddev_samp", "var_samp":
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s does not exist", w)
		}
	}
	nargs := 1
	switch name {
	case PercentileName:
		nargs = len(args)
		if nargs != 3 && nargs != 2 {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s with %d arguments does not exist", b.written(n, name), len(args))
		}
		fallthrough
	case "string_agg", "array_agg", "json_agg", "jsonb_agg":
		if name == "string_agg" {
			nargs = 2
		}
		fallthrough
	case "approx_count_distinct":
		if a.node.Input == nil { // a window function's frame (see overCall)
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s OVER (...) is not supported yet", name)
		}
	}
	if !star {
		if len(args) != nargs {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s with %d arguments does not exist", name, len(args))
		}
		var err error
		if arg, err = inner.expr(args[0]); err != nil {
			return nil, err
		}
		if c, ok := arg.(*Const); ok && c.T.Kind == types.Null {
			arg = &Const{T: types.Int, Null: true}
		}
	}
	at := arg
	switch name {
	case "count":
		call.Func, call.T = AggCount, types.BigInt
		if star {
			call.Func = AggCountStar
		}
	case "sum":
		call.Func = AggSum
		switch t := at.Type(); {
		case t.Kind == types.Int32:
			call.T = types.BigInt
		case t.Kind == types.Int64 || t.Exact():
			// Exact, as PostgreSQL's sum(int8) and sum(numeric).
			call.T = types.Unconstrained
		case t.Kind == types.Float64:
			call.T = types.Double
		case t.Kind == types.Interval:
			call.T = types.Ival
		default:
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function sum(%s) does not exist", t)
		}
	case "avg":
		call.Func = AggAvg
		switch t := at.Type(); {
		case t.Kind == types.Float64:
			call.T = types.Double
		case t.Kind == types.Interval:
			call.T = types.Ival
		case t.Numeric():
			// Exact, as PostgreSQL's avg of integers and numerics.
			call.T = types.Unconstrained
		default:
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function avg(%s) does not exist", t)
		}
	case "var_samp", "var_pop", "stddev_samp", "stddev_pop":
		// Of integers, decimals and numerics exact NUMERIC, as
		// PostgreSQL's (and AVG's); of DOUBLE a DOUBLE.
		call.Func = map[string]AggFunc{"var_samp": AggVarSamp, "var_pop": AggVarPop,
			"stddev_samp": AggStddevSamp, "stddev_pop": AggStddevPop}[name]
		t := at.Type()
		if !t.Numeric() {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s(%s) does not exist", name, t)
		}
		call.T = types.Unconstrained
		if t.Kind == types.Float64 {
			call.T = types.Double
		}
	case "bool_and", "every", "bool_or":
		call.Func, call.T = AggBoolAnd, types.Boolean
		if name == "bool_or" {
			call.Func = AggBoolOr
		}
		if t := at.Type(); t.Kind != types.Bool && !(t.Kind == types.Int32 && isNullConst(at)) {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s(%s) does not exist", name, t)
		}
	case "array_agg":
		if at.Type().Kind == types.Array {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "array_agg of arrays (a two-dimensional array) is not supported")
		}
		et := at.Type()
		if isNullConst(at) {
			et = types.Varchar
			at = &Const{T: et, Null: true}
		}
		call.Func, call.T = AggArrayAgg, types.ArrayOf(et)
		arg = &Call{Fn: FnBuiltin, B: arrayCtor, Args: []Expr{at}, T: call.T}
	case "json_agg", "jsonb_agg":
		// The list of each row's to_json(x) (to_jsonb), NULL as null.
		call.Func, call.T = AggJSONAgg, types.Json
		if name == "jsonb_agg" {
			call.Func, call.T = AggJSONBAgg, types.Jsonb
		}
		conv := &ast.FuncCallExpr{Schema: ast.NewCIStr("pg_catalog"), FnName: ast.NewCIStr("to_" + strings.TrimSuffix(name, "_agg")), Args: args[:1]}
		var err error
		if arg, err = inner.expr(conv); err != nil {
			return nil, err
		}
	case "string_agg":
		call.Func, call.T = AggStringAgg, types.Varchar
		if t := at.Type(); t.Kind != types.String && !isNullConst(at) {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function string_agg(%s, unknown) does not exist", t)
		}
		sep, err := inner.expr(args[1])
		if err != nil {
			return nil, err
		}
		c, ok := sep.(*Const)
		switch {
		case !ok || c.Param > 0:
			return nil, b.errAt(sqlerr.FeatureNotSupported, args[1], "string_agg's separator must be a constant")
		case !c.Null && c.T.Kind != types.String:
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function string_agg(%s, %s) does not exist", at.Type(), c.T)
		}
		call.Sep = c.S // NULL separates by nothing, as in PostgreSQL
	case PercentileName:
		// percentile_cont(f) WITHIN GROUP (ORDER BY x), as the front end
		// wrote it: approx_percentile(x, f, 'cont' | 'disc').
		f, err := inner.expr(args[1])
		if err != nil {
			return nil, err
		}
		var frac float64
		switch c, _ := f.(*Const); {
		case c == nil || c.Null || c.Param > 0 || !c.T.Numeric():
			return nil, b.errAt(sqlerr.FeatureNotSupported, args[1], "the fraction of %s must be a numeric constant", b.written(n, name))
		case c.T.Kind == types.Float64:
			frac = c.F
		case c.T.Kind == types.Decimal:
			frac = float64(c.I) / float64(types.Pow10[c.T.Scale])
		default:
			frac = float64(c.I)
		}
		if frac < 0 || frac > 1 {
			return nil, b.errAt(sqlerr.InvalidParameter, args[1], "percentile value %g is not between 0 and 1", frac)
		}
		call.Frac, call.Func, call.T = frac, AggPercentileCont, types.Double
		if len(args) == 3 {
			if k, ok := args[2].(interface{ GetString() string }); ok && k.GetString() == "disc" {
				call.Func, call.T = AggPercentileDisc, at.Type()
			}
		}
		if call.Func == AggPercentileCont && !at.Type().Numeric() {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function percentile_cont(%s) does not exist", at.Type())
		}
		if a.window != nil && a.window.Kind == Session {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "percentiles over SESSION windows are not supported yet")
		}
	case "first_value_agg", "last_value_agg":
		// Flink's FIRST_VALUE(x) and LAST_VALUE(x): the first and the last
		// non-NULL value by arrival.
		call.Func, call.T = AggFirstValue, at.Type()
		if name == "last_value_agg" {
			call.Func = AggLastValue
		}
		shown := strings.TrimSuffix(name, parser.AggSuffix)
		switch {
		case len(order) > 0:
			// Ordered, it keeps its values: any input, NULLs kept (as
			// RisingWave's).
		case !a.node.Input.AppendOnly():
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s needs an append-only input: over retractions, which row was first is gone (give it an ORDER BY: %s(x ORDER BY y))", shown, shown)
		case a.window != nil && a.window.Kind == Session:
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s over SESSION windows is not supported yet", shown)
		}
	case "approx_count_distinct":
		call.Func, call.T = AggApproxCountDistinct, types.BigInt
		if !a.node.Input.AppendOnly() {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n,
				"approx_count_distinct needs an append-only input: its sketch cannot forget a retracted row (use COUNT(DISTINCT x))")
		}
	case "min", "max", singleValueAgg:
		call.Func = AggMin
		if name != "min" {
			call.Func = AggMax
		}
		if isJSON(at.Type()) && name != singleValueAgg {
			// PostgreSQL has no min or max of json or jsonb.
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s(%s) does not exist", name, pgTypeName(at.Type()))
		}
		call.T = at.Type()
		call.Distinct = false // DISTINCT does not change MIN or MAX
	default:
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "aggregate function %s is not supported yet", b.written(n, name))
	}
	switch call.Func {
	case AggCount, AggSum, AggAvg, AggVarSamp, AggVarPop, AggStddevSamp, AggStddevPop, AggBoolAnd, AggBoolOr:
		// Their result does not depend on the order of the rows: an
		// ORDER BY in the call orders nothing (after the DISTINCT check
		// below). DISTINCT keeps value counts, as COUNT(DISTINCT) does.
		if call.Distinct {
			if err := distinctOrder(b, n, order, at); err != nil {
				return nil, err
			}
			if a.window != nil && a.window.Kind == Session && call.Func != AggCount {
				return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s(DISTINCT ...) over SESSION windows is not supported yet", name)
			}
		}
		order = nil
	case AggStringAgg, AggArrayAgg, AggMin, AggMax:
	default:
		if call.Distinct {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s(DISTINCT ...) is not supported yet", b.written(n, name))
		}
	}
	if len(order) > 0 || call.Distinct && call.Func != AggCount {
		if call.Distinct {
			if err := distinctOrder(b, n, order, at); err != nil {
				return nil, err
			}
		}
		if a.window != nil && a.window.Kind == Session {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s with DISTINCT or ORDER BY over SESSION windows is not supported yet", strings.TrimSuffix(name, parser.AggSuffix))
		}
		if call.Distinct && len(order) == 0 && call.Func == AggArrayAgg {
			// Distinct values come out sorted, NULL last, as PostgreSQL
			// sorts them to find the distinct ones.
			order = []AggOrder{{X: at}}
		}
		call.Order = order
	}
	call.Arg = arg
	s := callKey(call)
	idx := -1
	for i, x := range a.aggStr {
		if x == s {
			idx = i
		}
	}
	if idx < 0 {
		idx = len(a.aggStr)
		a.node.Aggs = append(a.node.Aggs, call)
		a.aggStr = append(a.aggStr, s)
	}
	return &ColRef{Idx: a.winCols() + len(a.keys) + idx, Name: call.Func.String(), T: call.T}, nil
}

// callKey identifies an aggregate call, so that identical calls share one
// column: its text and the columns it reads by position, since names may
// repeat (the hidden columns of two subqueries joined onto the input), and
// its result and argument types, since calls that print alike may differ
// in type (SUM(4) and SUM(CAST(4 AS DOUBLE PRECISION)), whose constant
// prints as 4).
func callKey(c AggCall) string {
	var b strings.Builder
	b.WriteString(c.String())
	b.WriteString(" " + c.T.String())
	if c.Arg != nil {
		b.WriteString(" " + c.Arg.Type().String())
	}
	col := func(r *ColRef) { fmt.Fprintf(&b, "#%d", r.Idx) }
	if c.Arg != nil {
		walkExpr(c.Arg, col)
	}
	if c.Filter != nil {
		b.WriteString("|")
		walkExpr(c.Filter, col)
	}
	for _, o := range c.Order {
		b.WriteString("|")
		walkExpr(o.X, col)
	}
	return b.String()
}

// distinctOrder checks the ORDER BY of an aggregate call n with DISTINCT
// over at, as PostgreSQL: it may order only by the argument.
func distinctOrder(b *binder, n ast.ExprNode, order []AggOrder, at Expr) error {
	for _, o := range order {
		if o.X.String() != at.String() {
			return b.errAt(sqlerr.InvalidColumnReference, n, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
		}
	}
	return nil
}

// orderArgs takes the front end's DISTINCT and ORDER BY arguments (see
// parser.AggOrderFunc) off the call of an ordered aggregate, binding the
// ORDER BY keys over the aggregate's input.
func (a *aggScope) orderArgs(n ast.ExprNode, name string, args []ast.ExprNode, distinct bool) ([]ast.ExprNode, []AggOrder, bool, error) {
	marker := func(x ast.ExprNode, fn string) *ast.FuncCallExpr {
		c, ok := x.(*ast.FuncCallExpr)
		if ok && c.FnName.L == fn {
			return c
		}
		return nil
	}
	if len(args) > 0 && marker(args[0], parser.AggDistinctFunc) != nil {
		distinct, args = true, args[1:]
	}
	var order []AggOrder
	k, filter := len(args), []ast.ExprNode(nil)
	if k > 0 && marker(args[k-1], parser.AggFilterFunc) != nil {
		k, filter = k-1, args[k-1:]
	}
	end := k
	for k > 0 && marker(args[k-1], parser.AggOrderFunc) != nil {
		k--
	}
	inner := a.argBinder()
	for _, x := range args[k:end] {
		c := marker(x, parser.AggOrderFunc)
		mods := ""
		if v, ok := c.Args[1].(interface{ GetString() string }); ok {
			mods = v.GetString()
		}
		e, err := inner.expr(c.Args[0])
		if err != nil {
			return nil, nil, false, err
		}
		if _, ok := e.(*Const); ok {
			// ORDER BY 1 inside a call is the constant, not a column
			// number: it orders nothing.
			continue
		}
		switch t := e.Type(); t.Kind {
		case types.JSON:
			return nil, nil, false, a.input.errAt(sqlerr.UndefinedFunction, c.Args[0], "could not identify an ordering operator for type json")
		case types.JSONB:
			return nil, nil, false, a.input.errAt(sqlerr.FeatureNotSupported, c.Args[0], "ORDER BY a jsonb value inside an aggregate is not supported yet")
		}
		o := AggOrder{X: e, Desc: strings.HasPrefix(mods, "DESC")}
		o.NullsFirst = o.Desc
		switch {
		case strings.HasSuffix(mods, "NULLS FIRST"):
			o.NullsFirst = true
		case strings.HasSuffix(mods, "NULLS LAST"):
			o.NullsFirst = false
		}
		order = append(order, o)
	}
	return append(args[:k:k], filter...), order, distinct, nil
}

func isNullConst(e Expr) bool {
	c, ok := e.(*Const)
	return ok && c.Null
}

func isStar(n ast.ExprNode) bool {
	// TiDB parses COUNT(*) as COUNT(1).
	if v, ok := n.(interface{ GetValue() any }); ok {
		if x, ok := v.GetValue().(int64); ok && x == 1 {
			return true
		}
	}
	return false
}

// colName names an expression's output column as PostgreSQL would.
func colName(e Expr, i int) string {
	if c, ok := e.(*ColRef); ok {
		return c.Name
	}
	return "?column?"
}

// hasAggregate reports whether n contains an aggregate call.
func hasAggregate(n ast.Node) bool {
	v := &aggFinder{}
	n.Accept(v)
	return v.found
}

type aggFinder struct{ found bool }

func (v *aggFinder) Enter(n ast.Node) (ast.Node, bool) {
	if isAggCall(n) {
		v.found = true
		return n, true
	}
	if _, ok := n.(*ast.SubqueryExpr); ok {
		return n, true
	}
	return n, v.found
}

// isAggCall reports an aggregate call: TiDB's, or one of the aggregates
// it reads as a plain function.
func isAggCall(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.AggregateFuncExpr:
		return true
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "bool_and", "bool_or", "every", "string_agg", "first_value_agg", "last_value_agg", "array_agg", "json_agg", "jsonb_agg":
			return true
		}
	}
	return false
}

func (v *aggFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }
