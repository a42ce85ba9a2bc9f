package exec

import (
	"slices"
	"sort"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// overEval computes an Over node's window functions over partitions of
// rows held in one batch: the ad-hoc operator's whole snapshot, or a
// streaming partition's kept rows and the rows the watermark releases.
type overEval struct {
	plan *planner.Over
	errs *RowErrors
	// args[c][k] evaluates call c's argument k.
	args [][]Evaluator
	// Per partition scratch: peer group of each position, each group's
	// first and last position.
	group      []int
	gLo, gHi   []int
	argVecs    [][]*vec.Vec
	argTypes   []types.T
	aggScratch aggVal
}

func newOverEval(p *planner.Over, errs *RowErrors) *overEval {
	o := &overEval{plan: p, errs: errs}
	for _, c := range p.Calls {
		var evs []Evaluator
		for _, a := range c.Args {
			evs = append(evs, Compile(a, errs))
		}
		if c.Kind == planner.OverAgg && c.Agg.Arg != nil {
			evs = append(evs, Compile(c.Agg.Arg, errs))
		}
		o.args = append(o.args, evs)
		t := types.T{}
		if c.Kind == planner.OverAgg && c.Agg.Arg != nil {
			t = c.Agg.Arg.Type()
		}
		o.argTypes = append(o.argTypes, t)
	}
	return o
}

// prepare evaluates the calls' arguments over b.
func (o *overEval) prepare(b *vec.Batch) {
	o.argVecs = o.argVecs[:0]
	for _, evs := range o.args {
		var vs []*vec.Vec
		for _, e := range evs {
			v := e.Eval(b)
			c := vec.New(v.Type, v.Len()) // an evaluator reuses its output
			for r := 0; r < v.Len(); r++ {
				c.AppendFrom(v, r)
			}
			vs = append(vs, &c)
		}
		o.argVecs = append(o.argVecs, vs)
	}
}

// sortRows orders b's rows (idx) by partition, then by the window's
// order; ties keep their order.
func (o *overEval) sortRows(b *vec.Batch, idx []int) {
	slices.SortStableFunc(idx, func(x, y int) int {
		for _, c := range o.plan.Partition {
			if d := compareAt(&b.Cols[c], x, y); d != 0 {
				return d
			}
		}
		return o.compareOrder(b, x, y)
	})
}

// compareOrder compares rows by the window's ORDER BY.
func (o *overEval) compareOrder(b *vec.Batch, x, y int) int {
	return CompareRows(b, o.plan.Order, x, y)
}

// CompareRows compares rows x and y of b by sort keys, NULLs last
// ascending and first descending, as in PostgreSQL: ORDER BY's order, of
// an ad-hoc query, a subquery's LIMIT and a window.
func CompareRows(b *vec.Batch, keys []planner.SortKey, x, y int) int {
	for _, k := range keys {
		d := compareAt(&b.Cols[k.Col], x, y)
		if k.Desc {
			d = -d
		}
		if d != 0 {
			return d
		}
	}
	return 0
}

// compareAt compares v[x] and v[y], a NULL after every value.
func compareAt(v *vec.Vec, x, y int) int {
	xn, yn := v.IsNull(x), v.IsNull(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return vec.Compare(v, x, v, y)
}

// samePartition reports whether rows x and y are in one partition.
func (o *overEval) samePartition(b *vec.Batch, x, y int) bool {
	for _, c := range o.plan.Partition {
		if compareAt(&b.Cols[c], x, y) != 0 {
			return false
		}
	}
	return true
}

// partition appends to out, for the partition's rows part (in window
// order) at positions [from, to), each row and its calls' values. The
// rows before from are context only (a streaming partition's kept rows),
// and so are those from to on (the rows a streaming LEAD looks ahead to,
// output later).
//
// carry, when set, holds for each call over a frame from UNBOUNDED
// PRECEDING the accumulator of the partition's rows before from that are
// not in part (a streaming partition keeps accumulators, not rows); it
// is updated to include the rows output, which needs the frames of the
// rows before to to end before to.
func (o *overEval) partition(b *vec.Batch, part []int, from, to int, out *vec.Batch, carry []aggVal) {
	n := len(part)
	o.group, o.gLo, o.gHi = o.group[:0], o.gLo[:0], o.gHi[:0]
	for i := range n {
		if i == 0 || o.compareOrder(b, part[i-1], part[i]) != 0 {
			o.gLo = append(o.gLo, i)
			o.gHi = append(o.gHi, i)
		}
		g := len(o.gLo) - 1
		o.gHi[g] = i
		o.group = append(o.group, g)
	}
	nIn := len(b.Cols)
	for i := from; i < to; i++ {
		for c := range nIn {
			out.Cols[c].AppendFrom(&b.Cols[c], part[i])
		}
	}
	for ci, call := range o.plan.Calls {
		o.call(b, part, from, to, ci, call, &out.Cols[nIn+ci], carry)
	}
	for range to - from {
		out.EndRow(1)
	}
}

// call appends call ci's value for each position in [from, to) to dst.
func (o *overEval) call(b *vec.Batch, part []int, from, to, ci int, call planner.OverCall, dst *vec.Vec, carry []aggVal) {
	n := len(part)
	args := o.argVecs[ci]
	switch call.Kind {
	case planner.OverRowNumber:
		for i := from; i < to; i++ {
			dst.AppendI64(int64(i + 1))
		}
	case planner.OverRank:
		for i := from; i < to; i++ {
			dst.AppendI64(int64(o.gLo[o.group[i]] + 1))
		}
	case planner.OverDenseRank:
		for i := from; i < to; i++ {
			dst.AppendI64(int64(o.group[i] + 1))
		}
	case planner.OverPercentRank:
		for i := from; i < to; i++ {
			if n == 1 {
				dst.AppendF64(0)
			} else {
				dst.AppendF64(float64(o.gLo[o.group[i]]) / float64(n-1))
			}
		}
	case planner.OverCumeDist:
		for i := from; i < to; i++ {
			dst.AppendF64(float64(o.gHi[o.group[i]]+1) / float64(n))
		}
	case planner.OverNtile:
		buckets := max(call.Args[0].(*planner.Const).I, 1)
		for i := from; i < to; i++ {
			dst.AppendI64(ntile(int64(i), int64(n), buckets))
		}
	case planner.OverLag, planner.OverLead:
		off := int64(1)
		if len(call.Args) > 1 {
			off = call.Args[1].(*planner.Const).I
		}
		if call.Kind == planner.OverLag {
			off = -off
		}
		for i := from; i < to; i++ {
			j := int64(i) + off
			switch {
			case j >= 0 && j < int64(n):
				dst.AppendFrom(args[0], part[j])
			case len(args) > 2:
				dst.AppendFrom(args[2], part[i])
			default:
				dst.AppendNull()
			}
		}
	case planner.OverFirstValue, planner.OverLastValue, planner.OverNthValue:
		for i := from; i < to; i++ {
			lo, hi := o.frame(b, part, i, call.Frame)
			j := -1
			switch call.Kind {
			case planner.OverFirstValue:
				j = lo
			case planner.OverLastValue:
				j = hi
			default:
				j = lo + int(call.Args[1].(*planner.Const).I) - 1
			}
			if lo > hi || j > hi {
				dst.AppendNull()
			} else {
				dst.AppendFrom(args[0], part[j])
			}
		}
	case planner.OverAgg:
		var seed *aggVal
		if carry != nil && call.Frame.Start.Kind == planner.UnboundedPreceding {
			seed = &carry[ci]
		}
		o.aggregate(b, part, from, to, ci, call, dst, seed)
	}
}

// ntile is PostgreSQL's: n rows in b buckets, the first n % b buckets
// one row larger.
func ntile(i, n, b int64) int64 {
	size, big := n/b, n%b
	if i < big*(size+1) {
		return i/(size+1) + 1
	}
	return big + (i-big*(size+1))/max(size, 1) + 1
}

// aggregate computes an aggregate over each row's frame. Frames only move
// forward as the row does, so the accumulator slides: rows entering are
// added, rows leaving taken out (MIN, MAX and float sums, which cannot
// take a value out exactly, start again when the frame's start moves).
//
// With seed, the frames start before part: seed accumulates those rows,
// and ends accumulating every row of part.
func (o *overEval) aggregate(b *vec.Batch, part []int, from, to, ci int, call planner.OverCall, dst *vec.Vec, seed *aggVal) {
	f := call.Agg.Func
	var x *vec.Vec
	if len(o.argVecs[ci]) > 0 {
		x = o.argVecs[ci][0]
	}
	add := func(acc *aggVal, r int, d int64) {
		switch {
		case f == planner.AggCountStar:
			acc.n += d
		case x.IsNull(r):
		default:
			foldVal(f, acc, x, r, d)
		}
	}
	// A float sum is not taken out of: what is left of it would carry the
	// rounding of values no longer in the frame (PostgreSQL restarts it too).
	retract := f != planner.AggMin && f != planner.AggMax && (x == nil || x.Type.Kind != types.Float64)
	var acc aggVal
	curLo, curHi := 0, -1
	if seed != nil {
		acc, curLo, curHi = *seed, from, from-1
	}
	for i := from; i < to; i++ {
		lo, hi := o.frame(b, part, i, call.Frame)
		if seed != nil {
			lo = from
		}
		if lo > hi {
			o.aggScratch = aggVal{}
			aggResult(call.Agg, o.argTypes[ci], &o.aggScratch, dst, o.errs)
			continue
		}
		if seed == nil && (lo > curHi || lo < curLo || !retract && lo != curLo) {
			acc, curLo, curHi = aggVal{}, lo, lo-1
		}
		for curHi < hi {
			curHi++
			add(&acc, part[curHi], 1)
		}
		for curLo < lo {
			add(&acc, part[curLo], -1)
			curLo++
		}
		o.aggScratch = acc
		aggResult(call.Agg, o.argTypes[ci], &o.aggScratch, dst, o.errs)
	}
	if seed != nil {
		*seed = acc
	}
}

// frame returns the first and last positions of position i's frame
// (first > last: empty).
func (o *overEval) frame(b *vec.Batch, part []int, i int, f planner.Frame) (int, int) {
	n := len(part)
	g := o.group[i]
	bound := func(x planner.FrameBound, start bool) int {
		switch x.Kind {
		case planner.UnboundedPreceding:
			return 0
		case planner.UnboundedFollowing:
			return n - 1
		case planner.CurrentRow:
			switch {
			case f.Mode == planner.FrameRows:
				return i
			case start:
				return o.gLo[g]
			}
			return o.gHi[g]
		}
		off := x.Offset
		if x.Kind == planner.Preceding {
			off = -off
		}
		switch f.Mode {
		case planner.FrameRows:
			return int(max(min(int64(i)+off, int64(n)), -1))
		case planner.FrameGroups:
			h := int64(g) + off
			switch {
			case h < 0 && start:
				return 0
			case h < 0:
				return -1
			case h >= int64(len(o.gLo)) && start:
				return n
			case h >= int64(len(o.gLo)):
				return n - 1
			case start:
				return o.gLo[h]
			}
			return o.gHi[h]
		}
		return o.rangeBound(b, part, i, off, start)
	}
	lo, hi := bound(f.Start, true), bound(f.End, false)
	return max(lo, 0), min(hi, n-1)
}

// rangeBound finds a RANGE frame's bound at the value off from row i's
// (one integer or timestamp ORDER BY column): the first row at or past it
// for a start, the last row at or before it for an end, in the window's
// order. A NULL row's frame with an offset is its peers, and NULLs are
// in no other row's.
func (o *overEval) rangeBound(b *vec.Batch, part []int, i int, off int64, start bool) int {
	k := o.plan.Order[0]
	v := &b.Cols[k.Col]
	n := len(part)
	if v.IsNull(part[i]) {
		if start {
			return o.gLo[o.group[i]]
		}
		return o.gHi[o.group[i]]
	}
	// The non-NULL rows: [nlo, nhi).
	nlo, nhi := 0, n
	if k.Desc {
		for nlo < n && v.IsNull(part[nlo]) {
			nlo++
		}
	} else {
		for nhi > 0 && v.IsNull(part[nhi-1]) {
			nhi--
		}
	}
	target := sat(v.I64[part[i]], off)
	if k.Desc {
		target = sat(v.I64[part[i]], -off)
	}
	// before(j): row j comes before the target in the window's order.
	before := func(j int) bool {
		x := v.I64[part[j]]
		if k.Desc {
			return x > target
		}
		return x < target
	}
	after := func(j int) bool {
		x := v.I64[part[j]]
		if k.Desc {
			return x < target
		}
		return x > target
	}
	if start {
		return nlo + sort.Search(nhi-nlo, func(j int) bool { return !before(nlo + j) })
	}
	return nlo + sort.Search(nhi-nlo, func(j int) bool { return after(nlo + j) }) - 1
}

// OverBatch computes an Over node in an ad-hoc query: it takes the whole
// snapshot and, at Finish, outputs every row with its values.
type OverBatch struct {
	ev   *overEval
	out  Operator
	rows finalRows
}

// NewOverBatch returns the ad-hoc window operator feeding out.
func NewOverBatch(p *planner.Over, out Operator, errs *RowErrors) *OverBatch {
	return &OverBatch{ev: newOverEval(p, errs), out: out}
}

func (o *OverBatch) Push(b *vec.Batch) error { return o.rows.Push(b) }

// finalRows is the whole input of an operator that answers at Finish. The
// input is a changelog: an ad-hoc snapshot's rows are inserts, but what an
// operator below outputs at its own Finish (a subquery's ORDER BY and
// LIMIT under an aggregate) may retract a row sent before, so the rows are
// netted, in the order they first came.
type finalRows struct{ c *Collect }

func (f *finalRows) Push(b *vec.Batch) error {
	if f.c == nil {
		f.c = NewCollect(vec.NewBatch(b.Types(), b.N))
	}
	return f.c.Push(b)
}

// rows are the netted rows, each as many times as its multiplicity (nil
// when none came).
func (f *finalRows) rows() *vec.Batch {
	if f.c == nil {
		return nil
	}
	in := f.c.Rows
	out := vec.NewBatch(in.Types(), in.N)
	for r := 0; r < in.N; r++ {
		for d := in.DiffAt(r); d > 0; d-- {
			out.AppendRow(in, r, 1)
		}
	}
	return out
}

// Finish computes and outputs the window functions over every row pushed.
func (o *OverBatch) Finish() error {
	b := o.rows.rows()
	if b == nil || b.N == 0 {
		return nil
	}
	o.ev.prepare(b)
	idx := make([]int, b.N)
	for i := range idx {
		idx[i] = i
	}
	o.ev.sortRows(b, idx)
	out := vec.NewBatch(catalog.Types(o.ev.plan.Columns()), b.N)
	for lo := 0; lo < len(idx); {
		hi := lo + 1
		for hi < len(idx) && o.ev.samePartition(b, idx[lo], idx[hi]) {
			hi++
		}
		o.ev.partition(b, idx[lo:hi], 0, hi-lo, out, nil)
		lo = hi
	}
	return o.out.Push(out)
}

func (o *OverBatch) OnWatermark(wm int64) error { return nil }
func (o *OverBatch) OnBarrier(id uint64) error  { return o.out.OnBarrier(id) }
func (o *OverBatch) Close() error               { return nil }
