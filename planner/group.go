package planner

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// groupBy plans GROUP BY (windows and keys), and with distinct the select
// list's keys of a DISTINCT query without GROUP BY, and returns the scope that
// binds expressions above it, plus the Aggregate node. Its aggregate list
// fills in as the select list, HAVING and ORDER BY are bound.
func (p *Planner) groupBy(q *parser.Query, sel *ast.SelectStmt, b *binder, input Node, fields []field, distinct, emitOnClose bool) (*aggScope, *Aggregate, error) {
	in := *b
	in.noAggs = "GROUP BY"
	in.sub = nil // a subquery over groups is not decorrelated yet
	scope := &aggScope{input: &in}
	agg := &Aggregate{Input: input, EmitOnClose: emitOnClose}
	var items []*ast.ByItem
	if sel.GroupBy != nil {
		items = sel.GroupBy.Items
	}
	if wn, ok := input.(*Windows); ok {
		fused, w, rest, err := fuseWindows(q, &in, wn, items)
		if err != nil {
			return nil, nil, err
		}
		if fused != nil {
			input, items, scope.window = fused, rest, w
			scope.tvfIn = len(fused.Columns())
			in.cols = fused.Columns()
			agg.Input = input
		}
	}
	for _, item := range items {
		if fc, ok := item.Expr.(*ast.FuncCallExpr); ok && isWindowFunc(fc.FnName.L) {
			if scope.window != nil {
				return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(fc), "only one window per GROUP BY is supported")
			}
			w, err := p.window(q, &in, fc, input)
			if err != nil {
				return nil, nil, err
			}
			scope.window = w
			continue
		}
		key, name, err := groupKey(q, &in, item.Expr, fields)
		if err != nil {
			return nil, nil, err
		}
		scope.keys = append(scope.keys, key)
		scope.keyStr = append(scope.keyStr, key.String())
		agg.KeyNames = append(agg.KeyNames, name)
	}
	// As in PostgreSQL, grouping by a table's whole primary key groups by
	// every column of it too: the other columns the query reads become
	// keys of their own, which does not change the groups.
	if pk := primaryKey(input); pk != nil && covers(scope.keys, pk) {
		for _, c := range usedColumns(sel, fields, &in) {
			if s := c.String(); !slices.Contains(scope.keyStr, s) {
				scope.keys = append(scope.keys, c)
				scope.keyStr = append(scope.keyStr, s)
				agg.KeyNames = append(agg.KeyNames, c.Name)
			}
		}
	}
	if distinct {
		for i, f := range fields {
			if f.ref != nil {
				scope.keys = append(scope.keys, f.ref)
				scope.keyStr = append(scope.keyStr, f.ref.String())
				agg.KeyNames = append(agg.KeyNames, f.name)
				continue
			}
			if hasAggregate(f.expr) {
				continue
			}
			key, err := in.expr(f.expr)
			if err != nil {
				return nil, nil, err
			}
			scope.keys = append(scope.keys, key)
			scope.keyStr = append(scope.keyStr, key.String())
			agg.KeyNames = append(agg.KeyNames, fields[i].name)
		}
	}
	if emitOnClose {
		switch {
		case scope.window == nil:
			return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(sel), "EMIT ON WINDOW CLOSE needs a GROUP BY with a window (TUMBLE, HOP, CUMULATE or SESSION)")
		case input.EventTime() != scope.window.Time && !scope.window.ProcTime: // processing time closes them too
			col := input.Columns()[scope.window.Time].Name
			return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(sel),
				"EMIT ON WINDOW CLOSE needs a watermark on %q, or windows would never close: declare WATERMARK FOR %s in the table or source", col, col)
		}
	}
	agg.Window = scope.window
	agg.Keys = scope.keys
	scope.node = agg
	return scope, agg, nil
}

// primaryKey returns the primary key of the table input scans (through
// filters), or nil: only a table's key makes its other columns
// functionally dependent on it.
func primaryKey(input Node) []int {
	for {
		switch n := input.(type) {
		case *Filter:
			input = n.Input
		case *Scan:
			if len(n.Rel.PrimaryKey) == 0 {
				return nil
			}
			return n.Rel.PrimaryKey
		default:
			return nil
		}
	}
}

// covers reports whether every column of pk is a plain group key.
func covers(keys []Expr, pk []int) bool {
	for _, i := range pk {
		if !slices.ContainsFunc(keys, func(k Expr) bool { c, ok := k.(*ColRef); return ok && c.Idx == i }) {
			return false
		}
	}
	return true
}

// usedColumns lists the input columns the select list (with its *
// columns), HAVING and ORDER BY read outside aggregate calls.
func usedColumns(sel *ast.SelectStmt, fields []field, b *binder) []*ColRef {
	var out []*ColRef
	add := func(c *ColRef) {
		if !slices.ContainsFunc(out, func(x *ColRef) bool { return x.Idx == c.Idx }) {
			out = append(out, c)
		}
	}
	v := &colFinder{fn: func(n *ast.ColumnNameExpr) {
		if e, err := b.column(n); err == nil {
			add(e.(*ColRef))
		}
	}}
	for _, f := range fields {
		if f.ref != nil {
			add(f.ref.(*ColRef))
		} else {
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
	return out
}

// colFinder calls fn with every column name outside aggregate calls and
// subqueries.
type colFinder struct{ fn func(*ast.ColumnNameExpr) }

func (v *colFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n := n.(type) {
	case *ast.AggregateFuncExpr, *ast.SubqueryExpr:
		return n, true
	case *ast.ColumnNameExpr:
		v.fn(n)
	}
	return n, false
}

func (v *colFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func isWindowFunc(name string) bool {
	switch name {
	case "tumble", "hop", parser.SessionFunc, "cumulate":
		return true
	}
	return false
}

// groupKey binds one GROUP BY key: a position in the select list, an input
// expression, or (as PostgreSQL allows) a select-list alias.
func groupKey(q *parser.Query, b *binder, n ast.ExprNode, fields []field) (Expr, string, error) {
	k, isPos := int64(0), false
	if p, ok := n.(*ast.PositionExpr); ok {
		k, isPos = int64(p.N), true
	}
	if v, ok := n.(*test_driver.ValueExpr); ok {
		k, isPos = v.Datum.GetValue().(int64)
	}
	if isPos {
		if k < 1 || int(k) > len(fields) {
			return nil, "", sqlerr.At(sqlerr.InvalidParameter, q.Pos(n), "GROUP BY position %d is not in select list", k)
		}
		f := fields[k-1]
		if f.ref != nil {
			return f.ref, f.name, nil
		}
		if hasAggregate(f.expr) {
			return nil, "", sqlerr.At(sqlerr.Grouping, q.Pos(n), "aggregate functions are not allowed in GROUP BY")
		}
		e, err := b.expr(f.expr)
		return e, f.name, err
	}
	e, err := b.expr(n)
	if err == nil {
		return e, colName(e, 0), nil
	}
	if col, ok := n.(*ast.ColumnNameExpr); ok && col.Name.Table.L == "" {
		for _, f := range fields {
			if f.expr != nil && f.name == col.Name.Name.O && !hasAggregate(f.expr) {
				e, err2 := b.expr(f.expr)
				if err2 == nil {
					return e, f.name, nil
				}
			}
		}
	}
	return nil, "", err
}

// windowUsage is each window function's signature, for errors.
var windowUsage = map[string]string{
	"tumble":           "TUMBLE(time_col, size [, GRACE interval])",
	"hop":              "HOP(time_col, slide, size [, GRACE interval])",
	"cumulate":         "CUMULATE(time_col, step, max_size [, GRACE interval])",
	parser.SessionFunc: "SESSION(time_col, gap [, GRACE interval])",
}

// window plans TUMBLE, HOP, CUMULATE or SESSION, each with an optional
// GRACE (allowed lateness) as its last argument.
func (p *Planner) window(q *parser.Query, b *binder, fc *ast.FuncCallExpr, input Node) (*Window, error) {
	name := fc.FnName.L
	shown := strings.ToUpper(name)
	if name == parser.SessionFunc {
		shown = "SESSION"
	}
	args := fc.Args
	var grace int64
	if n := len(args); n > 0 {
		if g, ok := args[n-1].(*ast.FuncCallExpr); ok && g.FnName.L == parser.GraceFunc {
			us, err := intervalArg(q, g.Args[0])
			if err != nil {
				return nil, err
			}
			grace, args = us, args[:n-1]
		}
	}
	want := map[string]int{"tumble": 2, "hop": 3, "cumulate": 3, parser.SessionFunc: 2}[name]
	if len(args) != want {
		return nil, sqlerr.At(sqlerr.UndefinedFunction, q.Pos(fc), "%s takes %d arguments: %s", shown, want, windowUsage[name])
	}
	ts, err := b.expr(args[0])
	if err != nil {
		return nil, err
	}
	col, ok := ts.(*ColRef)
	if !ok || col.T.Kind != types.Timestamp && col.T.Kind != types.TimestampTZ {
		return nil, sqlerr.At(sqlerr.DatatypeMismatch, q.Pos(args[0]), "the first argument of %s must be a TIMESTAMP column, not %s", shown, ts)
	}
	var sizes []int64
	for _, a := range args[1:] {
		us, err := intervalArg(q, a)
		if err != nil {
			return nil, err
		}
		if us <= 0 {
			return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(a), "window sizes must be positive")
		}
		sizes = append(sizes, us)
	}
	w := &Window{Time: col.Idx, Grace: grace, ProcTime: input.Columns()[col.Idx].ProcTime, Zoned: col.T.Kind == types.TimestampTZ}
	switch name {
	case "tumble":
		w.Kind, w.Size, w.Slide = Tumble, sizes[0], sizes[0]
	case parser.SessionFunc:
		w.Kind, w.Size, w.Slide = Session, sizes[0], sizes[0]
		if !input.AppendOnly() {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(fc),
				"SESSION windows need an append-only input (a source, a table fed only by INSERT, or an EMIT ON WINDOW CLOSE view)")
		}
	case "hop":
		w.Kind, w.Slide, w.Size = Hop, sizes[0], sizes[1]
		if w.Slide > w.Size {
			return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(fc), "HOP slide (%s) must not exceed its size (%s)", ival(w.Slide), ival(w.Size))
		}
		if n := (w.Size + w.Slide - 1) / w.Slide; n > MaxWindowsPerRow {
			return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(fc), "HOP size / slide = %d windows per row, more than the limit of %d: use a larger slide or a smaller size", n, MaxWindowsPerRow)
		}
	case "cumulate":
		w.Kind, w.Slide, w.Size = Cumulate, sizes[0], sizes[1]
		if w.Size%w.Slide != 0 {
			return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(fc), "CUMULATE max size (%s) must be a multiple of its step (%s)", ival(w.Size), ival(w.Slide))
		}
		if n := w.Size / w.Slide; n > MaxWindowsPerRow {
			return nil, sqlerr.At(sqlerr.InvalidParameter, q.Pos(fc), "CUMULATE max size / step = %d windows per row, more than the limit of %d: use a larger step or a smaller max size", n, MaxWindowsPerRow)
		}
	}
	return w, nil
}

// MaxWindowsPerRow bounds the windows one row of a HOP or CUMULATE falls
// in. Each is a group the row updates (and, at the finest panes, state to
// keep), so HOP(ts, INTERVAL '1' MILLISECOND, INTERVAL '1' DAY) would make
// 86.4M updates of one INSERT and exhaust memory, on every restart too, as
// the insert log replays it. 10,000 windows (a day by 10 seconds is 8,640)
// covers every sensible slide.
const MaxWindowsPerRow = 10000

// intervalArg reads a window-size argument: the parser front end has turned
// INTERVAL literals into strings such as '5 SECOND'.
func intervalArg(q *parser.Query, a ast.ExprNode) (int64, error) {
	v, ok := a.(*test_driver.ValueExpr)
	text := ""
	if ok {
		text = v.Datum.GetString()
	}
	if text == "" {
		return 0, sqlerr.At(sqlerr.DatatypeMismatch, q.Pos(a), "window sizes must be interval constants such as INTERVAL '1' MINUTE")
	}
	us, err := parser.ParseDuration(text)
	if err != nil {
		return 0, sqlerr.WithPos(err, q.Pos(a))
	}
	if us < 0 {
		return 0, sqlerr.At(sqlerr.InvalidParameter, q.Pos(a), "intervals must not be negative")
	}
	return us, nil
}
