// Package planner turns parsed statements into pure-data plans: a tree of
// nodes (scan → filter/project → window aggregate → view) that EXPLAIN
// prints and exec runs. It resolves names and types and rejects what
// cannot run, with a SQLSTATE-carrying error, before anything starts.
package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Node is a plan operator. Its output is a changelog stream of rows with
// the columns Columns.
type Node interface {
	Columns() []catalog.Column
	Inputs() []Node
	// EventTime is the output column the stream's watermark applies to,
	// or -1.
	EventTime() int
	// AppendOnly reports that the output never retracts a row.
	AppendOnly() bool
	String() string
}

// Scan reads a relation's stream (or, for an ad-hoc query, its contents).
type Scan struct {
	Rel *catalog.Relation
}

// Filter keeps the rows for which Pred is true.
type Filter struct {
	Input Node
	Pred  Expr
}

// Project computes a new row from each input row.
type Project struct {
	Input Node
	Exprs []Expr
	Names []string
	// Time is the output column that carries the input's event time, or -1.
	Time int
}

// WindowKind is the kind of a group window.
type WindowKind uint8

const (
	Tumble WindowKind = iota
	Hop
	Cumulate
	Session
)

func (k WindowKind) String() string { return [...]string{"TUMBLE", "HOP", "CUMULATE", "SESSION"}[k] }

// Window assigns rows to time windows by the input column Time. Times are
// in microseconds.
//
//   - TUMBLE: Size == Slide.
//   - HOP: windows of Size starting every Slide.
//   - CUMULATE: windows starting every Size, each cut into ends every Slide
//     (the step): [s, s+Slide), [s, s+2*Slide), ... [s, s+Size).
//   - SESSION: per group key, rows less than Size (the gap) apart share a
//     window [first row, last row + Size).
//
// A window closes when the watermark reaches its end plus Grace; until
// then a late row still updates it.
type Window struct {
	Kind        WindowKind
	Time        int
	Size, Slide int64
	Grace       int64
	// ProcTime: Time is a processing-time attribute, so the windows close
	// as the clock passes their end, not with the event-time watermark.
	ProcTime bool
	// Zoned: Time is a TIMESTAMPTZ, and so are the windows' bounds.
	Zoned bool
}

// Bounds is the type of window_start and window_end: the time column's.
func (w *Window) Bounds() types.T {
	if w != nil && w.Zoned {
		return types.TsTZ
	}
	return types.Ts
}

// Start returns the start of a fixed (not SESSION) window from its end.
func (w *Window) Start(end int64) int64 {
	if w.Kind == Cumulate {
		return FloorDiv(end-1, w.Size) * w.Size
	}
	return end - w.Size
}

// Each calls fn with the bounds of every fixed (not SESSION) window that
// time t falls in.
func (w *Window) Each(t int64, fn func(start, end int64)) {
	if w.Kind == Cumulate {
		// One start; ends every step after t up to the max size.
		s := FloorDiv(t, w.Size) * w.Size
		for e := s + (FloorDiv(t-s, w.Slide)+1)*w.Slide; e <= s+w.Size; e += w.Slide {
			fn(s, e)
		}
		return
	}
	for s := FloorDiv(t, w.Slide) * w.Slide; s > t-w.Size; s -= w.Slide {
		fn(s, s+w.Size)
	}
}

// FloorDiv divides rounding toward negative infinity, which is how window
// starts align for times before the epoch.
func FloorDiv(x, y int64) int64 {
	q := x / y
	if x%y != 0 && (x < 0) != (y < 0) {
		q--
	}
	return q
}

// AggFunc is an aggregate function.
type AggFunc uint8

const (
	AggCount AggFunc = iota // COUNT(x): non-NULL x
	AggCountStar
	AggSum
	AggAvg
	AggMin
	AggMax
	// The variances and standard deviations, sample (NULL of one row) and
	// population: retractable sums of x and x² (exec/variance.go).
	AggVarSamp
	AggVarPop
	AggStddevSamp
	AggStddevPop
	// bool_and (every) and bool_or: retractable counts of true and false.
	AggBoolAnd
	AggBoolOr
	// string_agg(x, Sep): in arrival order over an append-only input, in
	// value order over a retracting one (whose values it keeps).
	AggStringAgg
	// approx_count_distinct(x): a HyperLogLog sketch, append-only input.
	AggApproxCountDistinct
	// percentile_cont(Frac) and percentile_disc(Frac) WITHIN GROUP (ORDER
	// BY x): from the group's value counts, kept in order (as MIN's over a
	// retracting input); approx_percentile is percentile_cont, exactly.
	AggPercentileCont
	AggPercentileDisc
	// FIRST_VALUE(x) and LAST_VALUE(x) as aggregates (Flink's): the first
	// and the last non-NULL value by arrival, append-only input.
	AggFirstValue
	AggLastValue
	// array_agg(x): string_agg's list of ARRAY[x] (so a NULL x is kept),
	// whose elements make the array.
	AggArrayAgg
	// json_agg(x) and jsonb_agg(x): string_agg's list of to_json(x) (and
	// to_jsonb), a NULL x kept as null, made a JSON array.
	AggJSONAgg
	AggJSONBAgg
)

// PercentileName is the aggregate the front end writes the percentiles as
// (parser.PercentileFunc).
const PercentileName = "approx_percentile"

func (f AggFunc) String() string {
	return [...]string{"count", "count", "sum", "avg", "min", "max", "var_samp", "var_pop", "stddev_samp", "stddev_pop",
		"bool_and", "bool_or", "string_agg", "approx_count_distinct", "percentile_cont", "percentile_disc", "first_value", "last_value", "array_agg", "json_agg", "jsonb_agg"}[f]
}

// AggCall is one aggregate in an Aggregate node.
type AggCall struct {
	Func     AggFunc
	Distinct bool
	Arg      Expr // nil for COUNT(*)
	T        types.T
	// Sep is string_agg's separator, a constant.
	Sep string
	// Frac is a percentile's fraction, in [0, 1].
	Frac float64
	// Order is the ORDER BY inside the call (string_agg, array_agg,
	// first_value, last_value): the aggregate keeps its values ordered by
	// it, on any input.
	Order []AggOrder
	// Filter, when set, is the FILTER (WHERE ...) of an aggregate that
	// keeps NULLs (array_agg, an ordered first_value): the rows it does
	// not hold true for are skipped. Other aggregates' filters are CASEs
	// in their argument.
	Filter Expr
}

// AggOrder is one ORDER BY key of an aggregate's call.
type AggOrder struct {
	X          Expr
	Desc       bool
	NullsFirst bool
}

// orderString is the call's ORDER BY as written, with what it defaults.
func (a AggCall) orderString() string {
	if len(a.Order) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	for i, o := range a.Order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(o.X.String())
		if o.Desc {
			b.WriteString(" DESC")
		}
		if o.NullsFirst != o.Desc {
			b.WriteString(map[bool]string{true: " NULLS FIRST", false: " NULLS LAST"}[o.NullsFirst])
		}
	}
	return b.String()
}

func (a AggCall) String() string {
	if a.Func == AggCountStar {
		return "count(*)"
	}
	d := ""
	if a.Distinct {
		d = "DISTINCT "
	}
	o := a.orderString()
	if a.Filter != nil {
		o += ") FILTER (WHERE " + a.Filter.String()
	}
	if a.Func == AggArrayAgg || a.Func == AggJSONAgg || a.Func == AggJSONBAgg {
		if c, ok := a.Arg.(*Call); ok && len(c.Args) == 1 {
			return fmt.Sprintf("%s(%s%s%s)", a.Func, d, c.Args[0], o)
		}
	}
	if a.Func == AggStringAgg {
		return fmt.Sprintf("%s(%s%s, %s%s)", a.Func, d, a.Arg, (&Const{T: types.Varchar, S: a.Sep}), o)
	}
	if a.Func == AggPercentileCont || a.Func == AggPercentileDisc {
		return fmt.Sprintf("%s(%g) WITHIN GROUP (ORDER BY %s)", a.Func, a.Frac, a.Arg)
	}
	return fmt.Sprintf("%s(%s%s%s)", a.Func, d, a.Arg, o)
}

// Aggregate groups its input by an optional window and key expressions.
// Output columns: [window_start, window_end,] keys..., aggregates...
type Aggregate struct {
	Input  Node
	Window *Window
	Keys   []Expr
	// KeyNames name the key output columns.
	KeyNames []string
	Aggs     []AggCall
	// EmitOnClose holds each window's rows back until the watermark
	// passes the window's end, then emits them once.
	EmitOnClose bool
}

// Sort orders an ad-hoc query's result.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// SortKey is one ORDER BY term.
type SortKey struct {
	Col  int
	Desc bool
}

// Limit keeps Count rows after skipping Offset (Count < 0: no limit).
type Limit struct {
	Input         Node
	Offset, Count int64
}

// Values is a constant relation, for SELECT without FROM.
type Values struct {
	Cols []catalog.Column
	Rows [][]Expr
}

var (
	_ Node = (*Scan)(nil)
	_ Node = (*Filter)(nil)
	_ Node = (*Project)(nil)
	_ Node = (*Aggregate)(nil)
	_ Node = (*Sort)(nil)
	_ Node = (*Limit)(nil)
	_ Node = (*Values)(nil)
)

func (n *Scan) Columns() []catalog.Column   { return n.Rel.Columns }
func (n *Filter) Columns() []catalog.Column { return n.Input.Columns() }
func (n *Sort) Columns() []catalog.Column   { return n.Input.Columns() }
func (n *Limit) Columns() []catalog.Column  { return n.Input.Columns() }
func (n *Values) Columns() []catalog.Column { return n.Cols }
func (n *Project) Columns() []catalog.Column {
	cols := make([]catalog.Column, len(n.Exprs))
	var in []catalog.Column
	for i, e := range n.Exprs {
		cols[i] = catalog.Column{Name: n.Names[i], Type: e.Type()}
		if c, ok := e.(*ColRef); ok {
			if in == nil {
				in = n.Input.Columns()
			}
			cols[i].ProcTime = in[c.Idx].ProcTime // a processing-time attribute stays one
		}
	}
	return cols
}

func (n *Aggregate) Columns() []catalog.Column {
	var cols []catalog.Column
	if n.Window != nil {
		cols = append(cols, catalog.Column{Name: "window_start", Type: n.Window.Bounds(), NotNull: true},
			catalog.Column{Name: "window_end", Type: n.Window.Bounds(), NotNull: true})
	}
	for i, k := range n.Keys {
		cols = append(cols, catalog.Column{Name: n.KeyNames[i], Type: k.Type()})
	}
	for _, a := range n.Aggs {
		cols = append(cols, catalog.Column{Name: a.Func.String(), Type: a.T})
	}
	return cols
}

func (n *Scan) Inputs() []Node      { return nil }
func (n *Filter) Inputs() []Node    { return []Node{n.Input} }
func (n *Project) Inputs() []Node   { return []Node{n.Input} }
func (n *Aggregate) Inputs() []Node { return []Node{n.Input} }
func (n *Sort) Inputs() []Node      { return []Node{n.Input} }
func (n *Limit) Inputs() []Node     { return []Node{n.Input} }
func (n *Values) Inputs() []Node    { return nil }

func (n *Scan) EventTime() int    { return n.Rel.EventTime }
func (n *Filter) EventTime() int  { return n.Input.EventTime() }
func (n *Project) EventTime() int { return n.Time }
func (n *Sort) EventTime() int    { return -1 }
func (n *Limit) EventTime() int   { return -1 }
func (n *Values) EventTime() int  { return -1 }

// EventTime of a windowed aggregate is window_end: once the watermark
// passes W, no row with window_end <= W changes again.
func (n *Aggregate) EventTime() int {
	if n.Window != nil {
		return 1
	}
	return -1
}

func (n *Scan) AppendOnly() bool      { return n.Rel.AppendOnly }
func (n *Filter) AppendOnly() bool    { return n.Input.AppendOnly() }
func (n *Project) AppendOnly() bool   { return n.Input.AppendOnly() }
func (n *Aggregate) AppendOnly() bool { return n.EmitOnClose }
func (n *Sort) AppendOnly() bool      { return true }
func (n *Limit) AppendOnly() bool     { return true }
func (n *Values) AppendOnly() bool    { return true }

func (n *Scan) String() string   { return fmt.Sprintf("Scan %s", n.Rel.Name) }
func (n *Filter) String() string { return fmt.Sprintf("Filter %s", n.Pred) }
func (n *Project) String() string {
	parts := make([]string, len(n.Exprs))
	for i, e := range n.Exprs {
		parts[i] = e.String()
		if s := e.String(); s != n.Names[i] {
			parts[i] = s + " AS " + n.Names[i]
		}
	}
	return "Project " + strings.Join(parts, ", ")
}

func (n *Aggregate) String() string {
	var b strings.Builder
	b.WriteString("Aggregate")
	if n.Window != nil {
		b.WriteString(" window=" + windowString(n.Window, n.Input.Columns()))
	}
	if len(n.Keys) > 0 {
		keys := make([]string, len(n.Keys))
		for i, k := range n.Keys {
			keys[i] = k.String()
		}
		fmt.Fprintf(&b, " keys=[%s]", strings.Join(keys, ", "))
	}
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.String()
	}
	fmt.Fprintf(&b, " aggs=[%s]", strings.Join(aggs, ", "))
	if n.EmitOnClose {
		b.WriteString(" emit=on-window-close")
	} else {
		b.WriteString(" emit=on-update")
	}
	if !n.Input.AppendOnly() {
		b.WriteString(" retracting")
	}
	return b.String()
}

func (n *Sort) String() string {
	cols := n.Input.Columns()
	keys := make([]string, len(n.Keys))
	for i, k := range n.Keys {
		keys[i] = cols[k.Col].Name
		if k.Desc {
			keys[i] += " DESC"
		}
	}
	return "Sort " + strings.Join(keys, ", ")
}

func (n *Limit) String() string {
	return fmt.Sprintf("Limit %d offset %d", n.Count, n.Offset)
}

func (n *Values) String() string { return fmt.Sprintf("Values %d row(s)", len(n.Rows)) }

// windowString shows a window as its function call.
func windowString(w *Window, cols []catalog.Column) string {
	col := cols[w.Time].Name
	var s string
	switch w.Kind {
	case Tumble, Session:
		s = fmt.Sprintf("%s(%s, %s", w.Kind, col, ival(w.Size))
	default:
		s = fmt.Sprintf("%s(%s, %s, %s", w.Kind, col, ival(w.Slide), ival(w.Size))
	}
	if w.Grace > 0 {
		s += ", GRACE " + ival(w.Grace)
	}
	return s + ")"
}

func ival(us int64) string { return (&Const{T: types.Ival, I: us}).String() }

// Explain prints a plan tree, one node a line, children indented.
func Explain(n Node) string {
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), n)
		for _, in := range n.Inputs() {
			walk(in, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}
