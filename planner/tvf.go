package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Windows is a window table function in FROM (Flink's TABLE(TUMBLE(TABLE
// t, DESCRIPTOR(ts), size)), RisingWave's TUMBLE(t, ts, size)): its
// input's rows with window_start, window_end and window_time appended, a
// row for each window the row's time falls in. A row whose time is NULL
// is in no window.
//
// A GROUP BY window_start, window_end over it is not planned over these
// rows: the Aggregate takes the window itself (groupBy's fuseWindows), so
// the two spellings of a window aggregate are one plan. Only what reads
// the rows (a filter, a projection, a top-N) runs this node.
type Windows struct {
	Input  Node
	Window *Window
	// Partition is SESSION's PARTITION BY (input columns).
	Partition []int
	// Pos is where the function stands in the query, for errors.
	Pos int
}

var _ Node = (*Windows)(nil)

// Names of the window table functions' columns.
const (
	WindowStart = "window_start"
	WindowEnd   = "window_end"
	WindowTime  = "window_time"
)

func (n *Windows) Columns() []catalog.Column {
	cols := slices.Clip(n.Input.Columns())
	for _, name := range []string{WindowStart, WindowEnd, WindowTime} {
		cols = append(cols, catalog.Column{Name: name, Type: n.Window.Bounds(), NotNull: true})
	}
	return cols
}

func (n *Windows) Inputs() []Node { return []Node{n.Input} }

// EventTime stays the input's: a window's rows are all in it before the
// watermark passes its end.
func (n *Windows) EventTime() int   { return n.Input.EventTime() }
func (n *Windows) AppendOnly() bool { return n.Input.AppendOnly() }

func (n *Windows) String() string {
	s := "Windows " + windowString(n.Window, n.Input.Columns())
	if len(n.Partition) > 0 {
		cols := n.Input.Columns()
		names := make([]string, len(n.Partition))
		for i, c := range n.Partition {
			names[i] = cols[c].Name
		}
		s += fmt.Sprintf(" partition=%v", names)
	}
	return s
}

// windowTVF plans the subquery the parser front end wrote for a window
// table function: (SELECT * FROM t GROUP BY tumble(ts, size)[, k...]).
func (p *Planner) windowTVF(q *parser.Query, sel *ast.SelectStmt, mode Mode, eowc bool) (Node, error) {
	fc := sel.GroupBy.Items[0].Expr.(*ast.FuncCallExpr)
	src, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok || sel.From.TableRefs.Right != nil {
		return nil, sqlerr.At(sqlerr.Syntax, q.Pos(fc), "the first argument of a window function in FROM must be a table")
	}
	input, table, err := p.tableSource(q, src, mode, eowc)
	if err != nil {
		return nil, err
	}
	for _, c := range input.Columns() {
		switch c.Name {
		case WindowStart, WindowEnd, WindowTime:
			return nil, sqlerr.At(sqlerr.DuplicateObject, q.Pos(fc), "the input of %s already has a column named %q", windowName(fc), c.Name)
		}
	}
	b := &binder{q: q, cols: input.Columns(), table: table, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	w, err := p.window(q, b, fc, input)
	if err != nil {
		return nil, err
	}
	n := &Windows{Input: input, Window: w, Pos: q.Pos(fc)}
	for _, item := range sel.GroupBy.Items[1:] {
		e, err := b.expr(item.Expr)
		if err != nil {
			return nil, err
		}
		c, ok := e.(*ColRef)
		if !ok {
			return nil, sqlerr.At(sqlerr.Syntax, q.Pos(item.Expr), "PARTITION BY takes columns")
		}
		n.Partition = append(n.Partition, c.Idx)
	}
	return n, nil
}

// windowName is how the user wrote a window function.
func windowName(fc *ast.FuncCallExpr) string {
	if fc.FnName.L == parser.SessionFunc {
		return "SESSION"
	}
	return strings.ToUpper(fc.FnName.L)
}

// fuseWindows plans GROUP BY window_start, window_end, ... over a window
// table function as the window aggregate over the function's input: it
// returns that input, its window and the GROUP BY items left (the keys),
// or nil when the GROUP BY does not list both bounds. in binds over the
// function's columns.
func fuseWindows(q *parser.Query, in *binder, wn *Windows, items []*ast.ByItem) (Node, *Window, []*ast.ByItem, error) {
	nIn := len(wn.Input.Columns())
	var rest []*ast.ByItem
	var bounds [3]bool
	var keys []int
	for _, item := range items {
		e, err := in.expr(item.Expr)
		if c, ok := e.(*ColRef); ok && err == nil && c.Idx >= nIn {
			bounds[c.Idx-nIn] = true
			continue
		}
		if c, ok := e.(*ColRef); ok && err == nil {
			keys = append(keys, c.Idx)
		} else {
			keys = append(keys, -1)
		}
		rest = append(rest, item)
	}
	if !bounds[0] || !bounds[1] {
		return nil, nil, nil, nil
	}
	if wn.Window.Kind == Session {
		// Our sessions are per group key, Flink's per PARTITION BY.
		same := len(keys) == len(wn.Partition)
		for _, k := range keys {
			same = same && slices.Contains(wn.Partition, k)
		}
		if !same {
			return nil, nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, wn.Pos,
				"a SESSION window in FROM must be grouped by window_start, window_end and exactly its PARTITION BY columns")
		}
	}
	w := *wn.Window
	return wn.Input, &w, rest, nil
}

// underWindows pushes a filter that reads only the input's columns below
// a window table function, so that a window aggregate over the function
// still sees it: input is the node the filter applies to.
func underWindows(input Node, pred Expr) Node {
	wn, ok := input.(*Windows)
	if !ok {
		return &Filter{Input: input, Pred: pred}
	}
	nIn, below := len(wn.Input.Columns()), true
	walkExpr(pred, func(c *ColRef) { below = below && c.Idx < nIn })
	if !below {
		return &Filter{Input: input, Pred: pred}
	}
	return &Windows{Input: &Filter{Input: wn.Input, Pred: pred}, Window: wn.Window, Partition: wn.Partition, Pos: wn.Pos}
}

// windowRef maps a reference to a window table function's column, once
// its GROUP BY became the window aggregate, to the aggregate's output:
// window_start and window_end are its first columns, and window_time is
// the last instant of the window, as in Flink.
func windowRef(idx, nIn int, t types.T) Expr {
	end := &ColRef{Idx: 1, Name: WindowEnd, T: t}
	switch idx - nIn {
	case 0:
		return &ColRef{Idx: 0, Name: WindowStart, T: t}
	case 1:
		return end
	}
	return &Call{Fn: FnSub, Args: []Expr{end, &Const{T: types.Ival, I: 1}}, T: t}
}

// checkWindows refuses the window table functions that exec cannot run
// over rows: a SESSION's windows are known only once they close.
func checkWindows(n Node) error {
	if wn, ok := n.(*Windows); ok && wn.Window.Kind == Session {
		return sqlerr.At(sqlerr.FeatureNotSupported, wn.Pos, "a SESSION window in FROM needs a GROUP BY window_start, window_end (its rows are known only when the session closes)")
	}
	for _, in := range n.Inputs() {
		if err := checkWindows(in); err != nil {
			return err
		}
	}
	return nil
}
