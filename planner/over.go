package planner

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// rankFuncs are the ranking functions a TopN computes.
var rankFuncs = map[string]RankFunc{"row_number": RowNumber, "rank": Rank, "dense_rank": DenseRank}

// overFields plans the window functions of a select list that does not
// group, each a whole entry (ROW_NUMBER() OVER (...) AS rn). One ranking
// function becomes a TopN (see rankTopN); any other window function an
// Over node per distinct PARTITION BY and ORDER BY. It sets each field's
// ref to the function's output column and returns the new input (input
// itself when no field has a window function).
func overFields(q *parser.Query, b *binder, input Node, fields []field, mode Mode) (Node, error) {
	// Each window function: a whole entry (field >= 0), or one inside an
	// entry's expression (field < 0), whose output column the binder then
	// reads where the call was written (binder.overRefs).
	type winCall struct {
		wf    *ast.WindowFuncExpr
		field int
		name  string
	}
	var wins []winCall
	for i, f := range fields {
		if f.expr == nil || !hasOver(f.expr) {
			continue
		}
		if wf, ok := f.expr.(*ast.WindowFuncExpr); ok {
			wins = append(wins, winCall{wf, i, f.name})
			continue
		}
		v := &overFinder{}
		f.expr.Accept(v)
		for _, wf := range v.found {
			wins = append(wins, winCall{wf, -1, fmt.Sprintf("?over%d?", len(wins))})
		}
	}
	for _, w := range wins {
		if w.wf.Spec.Name.L != "" || w.wf.Spec.Ref.L != "" {
			return nil, b.errAt(sqlerr.FeatureNotSupported, w.wf, "named windows are not supported yet; write the window in OVER (...)")
		}
	}
	if len(wins) == 0 {
		return input, nil
	}
	if w := wins[0]; len(wins) == 1 && w.field >= 0 && w.wf.Spec.Frame == nil {
		if _, ok := rankFuncs[strings.ToLower(w.wf.Name)]; ok {
			return rankTopN(q, b, input, fields, w.field)
		}
	}
	// The calls by window, each window's node over the last one's.
	type window struct {
		part  []int
		order []SortKey
		calls []winCall
	}
	var ws []*window
	pc := &preCols{base: input}
	for _, c := range wins {
		part, order, err := windowSpec(b, c.wf, pc)
		if err != nil {
			return nil, err
		}
		k := slices.IndexFunc(ws, func(w *window) bool { return slices.Equal(w.part, part) && slices.Equal(w.order, order) })
		if k < 0 {
			k = len(ws)
			ws = append(ws, &window{part: part, order: order})
		}
		ws[k].calls = append(ws[k].calls, c)
	}
	cur := pc.node()
	for _, w := range ws {
		n := &Over{Input: cur, Partition: w.part, Order: w.order, Streaming: mode == Streaming}
		for _, c := range w.calls {
			call, err := overCall(b, c.wf, len(w.order) > 0)
			if err != nil {
				return nil, err
			}
			call.Name = c.name
			if n.Streaming {
				if err := streamingOver(b, c.wf, cur, w.order, call); err != nil {
					return nil, err
				}
			}
			ref := &ColRef{Idx: len(cur.Columns()) + len(n.Calls), Name: call.Name, T: call.T}
			if c.field >= 0 {
				fields[c.field].ref, fields[c.field].win = ref, true
			} else {
				if b.overRefs == nil {
					b.overRefs = map[*ast.WindowFuncExpr]Expr{}
				}
				b.overRefs[c.wf] = ref
			}
			n.Calls = append(n.Calls, call)
		}
		cur = n
	}
	return cur, nil
}

// overFinder lists the window functions in an expression, outside its
// subqueries (which plan their own).
type overFinder struct{ found []*ast.WindowFuncExpr }

func (v *overFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n := n.(type) {
	case *ast.WindowFuncExpr:
		v.found = append(v.found, n)
		return n, true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, false
}

func (v *overFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// preCols gives a window's PARTITION BY and ORDER BY expressions columns:
// a column is itself; any other expression is computed by a projection
// below the window, after the input's columns, which keep their places.
type preCols struct {
	base  Node
	extra []Expr
}

func (pc *preCols) col(e Expr) int {
	if c, ok := e.(*ColRef); ok {
		return c.Idx
	}
	n := len(pc.base.Columns())
	for i, x := range pc.extra {
		if x.String() == e.String() {
			return n + i
		}
	}
	pc.extra = append(pc.extra, e)
	return n + len(pc.extra) - 1
}

// node is the window's input: base, with the computed columns if any.
func (pc *preCols) node() Node {
	if len(pc.extra) == 0 {
		return pc.base
	}
	pr := identity(pc.base)
	for i, e := range pc.extra {
		pr.Exprs = append(pr.Exprs, e)
		pr.Names = append(pr.Names, fmt.Sprintf("?w%d?", i))
	}
	return pr
}

// windowSpec binds a window's PARTITION BY and ORDER BY.
func windowSpec(b *binder, wf *ast.WindowFuncExpr, pc *preCols) ([]int, []SortKey, error) {
	var part []int
	var order []SortKey
	if p := wf.Spec.PartitionBy; p != nil {
		for _, item := range p.Items {
			x, err := b.expr(item.Expr)
			if err != nil {
				return nil, nil, err
			}
			part = append(part, pc.col(x))
		}
	}
	if o := wf.Spec.OrderBy; o != nil {
		for _, item := range o.Items {
			x, err := b.expr(item.Expr)
			if err != nil {
				return nil, nil, err
			}
			order = append(order, SortKey{Col: pc.col(x), Desc: item.Desc})
		}
	}
	return part, order, nil
}

// overCall binds one window function and its frame.
func overCall(b *binder, wf *ast.WindowFuncExpr, ordered bool) (OverCall, error) {
	name := strings.ToLower(wf.Name)
	call := OverCall{Frame: Frame{Mode: FrameRange, Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: CurrentRow}}}
	if wf.Distinct {
		return call, b.errAt(sqlerr.FeatureNotSupported, wf, "DISTINCT is not implemented for window functions")
	}
	kind, ok := overKinds[name]
	if !ok {
		// An aggregate over the frame, typed as GROUP BY types it.
		tmp := &aggScope{input: b, node: &Aggregate{}}
		agg := &ast.AggregateFuncExpr{F: wf.Name, Args: wf.Args}
		agg.SetOriginTextPosition(wf.OriginTextPosition())
		if _, err := tmp.aggregate(agg); err != nil {
			return call, err
		}
		call.Kind, call.Agg, call.T = OverAgg, tmp.node.Aggs[0], tmp.node.Aggs[0].T
	} else {
		call.Kind = kind
		want := map[OverKind][2]int{OverNtile: {1, 1}, OverLag: {1, 3}, OverLead: {1, 3}, OverFirstValue: {1, 1},
			OverLastValue: {1, 1}, OverNthValue: {2, 2}}[kind]
		if len(wf.Args) < want[0] || len(wf.Args) > want[1] {
			return call, b.errAt(sqlerr.UndefinedFunction, wf, "function %s with %d arguments does not exist", name, len(wf.Args))
		}
		for k, a := range wf.Args {
			x, err := b.expr(a)
			if err != nil {
				return call, err
			}
			if kind == OverNtile || k == 1 {
				// NTILE's buckets, LAG's and LEAD's offset, NTH_VALUE's n:
				// integer constants.
				v, ok := rankConst(x)
				if !ok || v < 0 || v == 0 && kind != OverLag && kind != OverLead {
					return call, b.errAt(sqlerr.FeatureNotSupported, a, "this argument of %s must be a positive integer constant", name)
				}
				x = &Const{T: types.BigInt, I: v}
			}
			if k == 2 { // LAG's and LEAD's default: of the value's type
				if x, err = b.coerce(x, call.Args[0].Type(), a); err != nil {
					return call, err
				}
			}
			call.Args = append(call.Args, x)
		}
		switch kind {
		case OverRowNumber, OverRank, OverDenseRank:
			call.T = types.BigInt
		case OverPercentRank, OverCumeDist:
			call.T = types.Double
		case OverNtile:
			call.T = types.Int
		default:
			call.T = call.Args[0].Type()
		}
	}
	if f := wf.Spec.Frame; f != nil {
		frame, err := frameOf(b, wf, f, ordered)
		if err != nil {
			return call, err
		}
		call.Frame = frame
	}
	return call, nil
}

// frameOf binds ROWS | RANGE | GROUPS BETWEEN start AND end.
func frameOf(b *binder, wf *ast.WindowFuncExpr, f *ast.FrameClause, ordered bool) (Frame, error) {
	fr := Frame{Mode: map[ast.FrameType]FrameMode{ast.Rows: FrameRows, ast.Ranges: FrameRange, ast.Groups: FrameGroups}[f.Type]}
	bound := func(x ast.FrameBound) (FrameBound, error) {
		switch {
		case x.Type == ast.CurrentRow:
			return FrameBound{Kind: CurrentRow}, nil
		case x.UnBounded && x.Type == ast.Preceding:
			return FrameBound{Kind: UnboundedPreceding}, nil
		case x.UnBounded:
			return FrameBound{Kind: UnboundedFollowing}, nil
		}
		k := Preceding
		if x.Type == ast.Following {
			k = Following
		}
		e, err := b.expr(x.Expr)
		if err != nil {
			return FrameBound{}, err
		}
		v, ok := rankConst(e)
		if !ok && e.Type().Kind == types.Interval {
			if c, isConst := e.(*Const); isConst && !c.Null {
				if v, ok = c.FixedLength(); !ok {
					return FrameBound{}, b.errAt(sqlerr.FeatureNotSupported, x.Expr, "a frame's offset must be a fixed length of time, not months")
				}
			}
		}
		if !ok {
			return FrameBound{}, b.errAt(sqlerr.FeatureNotSupported, x.Expr, "frame offsets must be constants")
		}
		if v < 0 {
			return FrameBound{}, b.errAt(sqlerr.Windowing, x.Expr, "frame starting or ending offset must not be negative")
		}
		if x.Unit != ast.TimeUnitInvalid && x.Unit != ast.TimeUnitMicrosecond {
			return FrameBound{}, b.errAt(sqlerr.FeatureNotSupported, x.Expr, "frame offsets are numbers or intervals")
		}
		return FrameBound{Kind: k, Offset: v}, nil
	}
	var err error
	if fr.Start, err = bound(f.Extent.Start); err != nil {
		return fr, err
	}
	if fr.End, err = bound(f.Extent.End); err != nil {
		return fr, err
	}
	switch {
	case fr.Start.Kind == UnboundedFollowing:
		return fr, b.errAt(sqlerr.Windowing, wf, "frame start cannot be UNBOUNDED FOLLOWING")
	case fr.End.Kind == UnboundedPreceding:
		return fr, b.errAt(sqlerr.Windowing, wf, "frame end cannot be UNBOUNDED PRECEDING")
	case fr.Start.Kind == CurrentRow && fr.End.Kind == Preceding:
		return fr, b.errAt(sqlerr.Windowing, wf, "frame starting from current row cannot have preceding rows")
	case fr.Start.Kind == Following && fr.End.Kind <= CurrentRow:
		return fr, b.errAt(sqlerr.Windowing, wf, "frame starting from following row cannot have preceding rows")
	}
	if fr.Mode != FrameRows && (fr.Start.Kind == Preceding || fr.Start.Kind == Following || fr.End.Kind == Preceding || fr.End.Kind == Following) {
		if !ordered {
			return fr, b.errAt(sqlerr.Windowing, wf, "%s mode requires an ORDER BY clause", [...]string{"ROWS", "RANGE", "GROUPS"}[fr.Mode])
		}
		if fr.Mode == FrameRange && (wf.Spec.OrderBy == nil || len(wf.Spec.OrderBy.Items) != 1) {
			return fr, b.errAt(sqlerr.Windowing, wf, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
		}
		if fr.Mode == FrameRange {
			key, err := b.expr(wf.Spec.OrderBy.Items[0].Expr)
			if err != nil {
				return fr, err
			}
			if k := key.Type().Kind; k != types.Int32 && k != types.Int64 && k != types.Timestamp && k != types.TimestampTZ {
				return fr, b.errAt(sqlerr.FeatureNotSupported, wf, "RANGE with an offset needs an integer or timestamp ORDER BY column, not %s", key.Type())
			}
		}
	}
	return fr, nil
}

// streamingOver refuses the window functions a view cannot compute: it
// can output a row only once no later row can change its value, so the
// frame must end at the row, ordered by the input's event time.
func streamingOver(b *binder, wf *ast.WindowFuncExpr, input Node, order []SortKey, call OverCall) error {
	et := input.EventTime()
	name := strings.ToUpper(wf.Name)
	switch {
	case !input.AppendOnly():
		return b.errAt(sqlerr.FeatureNotSupported, wf, "%s OVER (...) in a view needs an append-only input (a source, a table fed only by INSERT, or an EMIT ON WINDOW CLOSE view)", name)
	case et < 0 || len(order) != 1 || order[0].Col != et || order[0].Desc:
		return b.errAt(sqlerr.FeatureNotSupported, wf, "%s OVER (...) in a view must be ORDER BY the input's event-time column (the one its WATERMARK is for), ascending: rows are output as the watermark passes them", name)
	}
	switch call.Kind {
	case OverAgg:
		switch call.Agg.Func {
		case AggCount, AggCountStar, AggSum, AggAvg, AggMin, AggMax:
		default:
			return b.errAt(sqlerr.FeatureNotSupported, wf, "%s OVER (...) is not supported in a view yet", name)
		}
		f := call.Frame
		if f.Mode == FrameGroups || f.End.Kind != CurrentRow || f.Start.Kind != UnboundedPreceding && f.Start.Kind != Preceding {
			return b.errAt(sqlerr.FeatureNotSupported, wf, "a view's OVER frame must end at the CURRENT ROW (ROWS or RANGE BETWEEN ... PRECEDING AND CURRENT ROW): later rows arrive after the row is output")
		}
	case OverLag, OverLead:
		// LEAD's row waits for the rows it reads (see exec.OverStream).
	default:
		return b.errAt(sqlerr.FeatureNotSupported, wf, "%s OVER (...) is not supported in a view: use aggregates over a frame that ends at the current row, LAG or LEAD", name)
	}
	return nil
}

// rankTopN plans the one ranking function of a select list as a TopN that
// ranks every row (Limit unbounded: a filter on its rank in the query that
// reads this one bounds it, see rankFilter), and sets the field's ref to
// the rank column.
func rankTopN(q *parser.Query, b *binder, input Node, fields []field, i int) (Node, error) {
	wf := fields[i].expr.(*ast.WindowFuncExpr)
	name := strings.ToLower(wf.Name)
	fn := rankFuncs[name]
	if len(wf.Args) > 0 {
		return nil, b.errAt(sqlerr.UndefinedFunction, wf, "function %s takes no arguments", name)
	}
	pc := &preCols{base: input}
	part, order, err := windowSpec(b, wf, pc)
	if err != nil {
		return nil, err
	}
	input = pc.node()
	top := &TopN{Input: input, Func: fn, Partition: part, Order: order, MinRank: 1, Limit: math.MaxInt64,
		RankOut: true, RankName: fields[i].name, WindowEnd: -1, Pos: q.Pos(wf)}
	fields[i].ref, fields[i].win = &ColRef{Idx: len(input.Columns()), Name: fields[i].name, T: types.BigInt}, true
	return top, nil
}

// hasOver reports whether an expression holds a window function.
func hasOver(n ast.ExprNode) bool {
	return contains(n, func(x ast.Node) bool { _, ok := x.(*ast.WindowFuncExpr); return ok })
}

// contains reports whether n or a node below it is one that is says.
func contains(n ast.Node, is func(ast.Node) bool) bool {
	v := &finder{is: is}
	n.Accept(v)
	return v.found
}

type finder struct {
	is    func(ast.Node) bool
	found bool
}

func (v *finder) Enter(n ast.Node) (ast.Node, bool) {
	v.found = v.found || v.is(n)
	return n, v.found
}

func (v *finder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// rankFilter takes a condition on a rank (rn <= N, rn < N, rn = N, rn >=
// N, rn > N) into the TopN that computes it, through the projection of
// the subquery that names it (and the filters over that): the TopN then
// outputs only those ranks. It reports whether it did.
func rankFilter(input Node, pred Expr) bool {
	c, ok := pred.(*Call)
	if !ok || len(c.Args) != 2 {
		return false
	}
	ref, ok1 := c.Args[0].(*ColRef)
	k, ok2 := rankConst(c.Args[1])
	fn := c.Fn
	if !ok1 || !ok2 {
		ref, ok1 = c.Args[1].(*ColRef)
		k, ok2 = rankConst(c.Args[0])
		fn = map[Func]Func{FnLt: FnGt, FnLe: FnGe, FnGt: FnLt, FnGe: FnLe, FnEq: FnEq}[c.Fn]
	}
	if !ok1 || !ok2 {
		return false
	}
	for {
		f, ok := input.(*Filter)
		if !ok {
			break
		}
		input = f.Input
	}
	proj, ok := input.(*Project)
	if !ok {
		return false
	}
	top, ok := proj.Input.(*TopN)
	if !ok || !top.RankOut {
		return false
	}
	r, ok := proj.Exprs[ref.Idx].(*ColRef)
	if !ok || r.Idx != len(top.Input.Columns()) {
		return false
	}
	switch fn {
	case FnLe:
		top.Limit = min(top.Limit, k)
	case FnLt:
		top.Limit = min(top.Limit, k-1)
	case FnEq:
		top.MinRank, top.Limit = max(top.MinRank, k), min(top.Limit, k)
	case FnGe:
		top.MinRank = max(top.MinRank, k)
	case FnGt:
		top.MinRank = max(top.MinRank, k+1)
	default:
		return false
	}
	top.MinRank = max(top.MinRank, 1)
	windowTopN(top, proj)
	return true
}

// rankConst reads an integer constant (perhaps cast).
func rankConst(e Expr) (int64, bool) {
	if c, ok := e.(*Cast); ok {
		e = c.X
	}
	k, ok := e.(*Const)
	if !ok || k.Null || !k.T.Integer() {
		return 0, false
	}
	return k.I, true
}

// windowTopN makes a bounded TopN partitioned by a window's bounds over
// an append-only input with a watermark a window top-N: each window's
// ranks are output once, when it closes. proj is the projection over it,
// whose event time follows.
func windowTopN(top *TopN, proj *Project) {
	if top.Limit == math.MaxInt64 || !top.Input.AppendOnly() || top.Input.EventTime() < 0 {
		return
	}
	cols := top.Input.Columns()
	start, end := -1, -1
	for _, c := range top.Partition {
		switch cols[c].Name {
		case WindowStart:
			start = c
		case WindowEnd:
			end = c
		}
	}
	if start < 0 || end < 0 {
		return
	}
	top.WindowEnd = end
	for i, e := range proj.Exprs {
		if c, ok := e.(*ColRef); ok && c.Idx == end {
			proj.Time = i
			break
		}
	}
}

// checkRanks refuses a streaming plan whose ranking no filter bounds: a
// stream cannot be ranked whole.
func checkRanks(n Node) error {
	if t, ok := n.(*TopN); ok && t.Limit == math.MaxInt64 {
		return sqlerr.At(sqlerr.FeatureNotSupported, t.Pos,
			"a view cannot rank a whole stream: filter the rank in an outer query, as in SELECT * FROM (SELECT *, %s() OVER (...) AS rn FROM t) WHERE rn <= 10 (top-N) or rn = 1 (dedup)",
			strings.ToUpper(t.Func.String()))
	}
	for _, in := range n.Inputs() {
		if err := checkRanks(in); err != nil {
			return err
		}
	}
	return nil
}

// pruneRanks drops the rank column of a TopN nothing above reads (need
// says which of n's columns are read): without it, the TopN emits only
// the rows entering and leaving its ranks, not every rank that moves.
func pruneRanks(n Node, need []bool) {
	switch x := n.(type) {
	case *Project:
		in := make([]bool, len(x.Input.Columns()))
		for i, e := range x.Exprs {
			if i >= len(need) || need[i] || i == x.Time {
				walkExpr(e, func(c *ColRef) { in[c.Idx] = true })
			}
		}
		if t, ok := x.Input.(*TopN); ok && t.RankOut && !in[len(in)-1] {
			t.RankOut = false
			for i, e := range x.Exprs {
				refers := false
				walkExpr(e, func(c *ColRef) { refers = refers || c.Idx == len(in)-1 })
				if refers {
					x.Exprs[i] = &Const{T: e.Type(), Null: true}
				}
			}
		}
		pruneRanks(x.Input, in)
	case *Filter:
		in := append([]bool(nil), need...)
		walkExpr(x.Pred, func(c *ColRef) { in[c.Idx] = true })
		pruneRanks(x.Input, in)
	}
}

// Over computes window functions over its input's rows: each row gets,
// for each call, the function's value over its partition (Partition),
// in Order, within the call's frame; the output is the input's columns
// and then one per call. An ad-hoc query computes it over the whole
// snapshot, as PostgreSQL does, with any frame. A view (Streaming) can
// compute it only over event time: ordered by the input's event-time
// column, frames that end at the current row, each row output once the
// watermark has passed it (Flink's OVER aggregation), so the output is
// append-only.
type Over struct {
	Input     Node
	Partition []int
	Order     []SortKey
	Calls     []OverCall
	Streaming bool
}

// OverKind is a window function.
type OverKind uint8

const (
	OverAgg OverKind = iota // an aggregate (AggCall) over the frame
	OverRowNumber
	OverRank
	OverDenseRank
	OverPercentRank
	OverCumeDist
	OverNtile
	OverLag
	OverLead
	OverFirstValue
	OverLastValue
	OverNthValue
)

var overKinds = map[string]OverKind{"row_number": OverRowNumber, "rank": OverRank, "dense_rank": OverDenseRank,
	"percent_rank": OverPercentRank, "cume_dist": OverCumeDist, "ntile": OverNtile, "lag": OverLag, "lead": OverLead,
	"first_value": OverFirstValue, "last_value": OverLastValue, "nth_value": OverNthValue}

// OverCall is one window function of an Over node.
type OverCall struct {
	Kind OverKind
	Agg  AggCall // for OverAgg
	// Args are the function's arguments: the value (LAG, LEAD,
	// FIRST_VALUE, ..., NTH_VALUE's), then LAG's and LEAD's offset and
	// default, NTH_VALUE's n, NTILE's bucket count.
	Args  []Expr
	Frame Frame
	T     types.T
	Name  string
}

// FrameMode is how a frame's offsets count: rows, values of the order
// key, or groups of peers.
type FrameMode uint8

const (
	FrameRows FrameMode = iota
	FrameRange
	FrameGroups
)

// BoundKind is one end of a frame.
type BoundKind uint8

const (
	UnboundedPreceding BoundKind = iota
	Preceding
	CurrentRow
	Following
	UnboundedFollowing
)

// FrameBound is a frame's start or end; Offset counts rows or groups, or
// is a distance in the order key's values (µs for a timestamp).
type FrameBound struct {
	Kind   BoundKind
	Offset int64
}

// Frame is a window function's frame. The default, with an ORDER BY, is
// RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (the row and its
// peers); without one, every row of the partition (all are peers).
type Frame struct {
	Mode       FrameMode
	Start, End FrameBound
}

var _ Node = (*Over)(nil)

func (n *Over) Columns() []catalog.Column {
	cols := slices.Clip(n.Input.Columns())
	for _, c := range n.Calls {
		cols = append(cols, catalog.Column{Name: c.Name, Type: c.T})
	}
	return cols
}

func (n *Over) Inputs() []Node { return []Node{n.Input} }

// EventTime passes through: a row goes out only once the watermark has
// passed its time.
func (n *Over) EventTime() int   { return n.Input.EventTime() }
func (n *Over) AppendOnly() bool { return n.Input.AppendOnly() }

func (n *Over) String() string {
	calls := make([]string, len(n.Calls))
	for i, c := range n.Calls {
		calls[i] = c.String()
	}
	s := fmt.Sprintf("Over %s calls=[%s]", windowOf(n.Input.Columns(), n.Partition, n.Order), strings.Join(calls, ", "))
	if n.Streaming {
		s += " emit=on-watermark"
	}
	return s
}

func (c OverCall) String() string {
	var s string
	if c.Kind == OverAgg {
		s = c.Agg.String()
	} else {
		args := make([]string, len(c.Args))
		for i, a := range c.Args {
			args[i] = a.String()
		}
		name := ""
		for k, v := range overKinds {
			if v == c.Kind {
				name = k
			}
		}
		s = name + "(" + strings.Join(args, ", ") + ")"
	}
	switch c.Kind {
	case OverAgg, OverFirstValue, OverLastValue, OverNthValue:
		s += " " + c.Frame.String()
	}
	return s
}

func (f Frame) String() string {
	bound := func(b FrameBound) string {
		switch b.Kind {
		case UnboundedPreceding:
			return "UNBOUNDED PRECEDING"
		case Preceding:
			return fmt.Sprintf("%d PRECEDING", b.Offset)
		case CurrentRow:
			return "CURRENT ROW"
		case Following:
			return fmt.Sprintf("%d FOLLOWING", b.Offset)
		}
		return "UNBOUNDED FOLLOWING"
	}
	return fmt.Sprintf("%s BETWEEN %s AND %s", [...]string{"ROWS", "RANGE", "GROUPS"}[f.Mode], bound(f.Start), bound(f.End))
}
