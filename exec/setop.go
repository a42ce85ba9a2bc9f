package exec

import (
	"math"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
)

// Union passes every input's rows on (UNION ALL). With an event time its
// watermark is the least of its inputs'.
type Union struct {
	out   Operator
	wms   []int64
	wm    int64
	timed bool
}

// UnionSide is one input of a Union.
type UnionSide struct {
	u *Union
	i int
}

// NewUnion returns a union of n inputs feeding out; timed says its output
// has an event time, so that watermarks pass.
func NewUnion(n int, timed bool, out Operator) *Union {
	u := &Union{out: out, wms: make([]int64, n), wm: math.MinInt64, timed: timed}
	for i := range u.wms {
		u.wms[i] = math.MinInt64
	}
	return u
}

// Side returns input i.
func (u *Union) Side(i int) *UnionSide { return &UnionSide{u: u, i: i} }

func (s *UnionSide) Push(b *vec.Batch) error { return s.u.out.Push(b) }

func (s *UnionSide) OnWatermark(wm int64) error {
	u := s.u
	if !u.timed {
		return nil
	}
	u.wms[s.i] = max(u.wms[s.i], wm)
	least := u.wms[0]
	for _, w := range u.wms[1:] {
		least = min(least, w)
	}
	if least <= u.wm {
		return nil
	}
	u.wm = least
	return u.out.OnWatermark(least)
}

func (s *UnionSide) OnBarrier(uint64) error { return nil }
func (s *UnionSide) Close() error           { return nil }

// Replicate outputs each row's first columns as many times as its count
// says (planner.Replicate): INTERSECT's and EXCEPT's rows from their
// counts on each side, a change of a count retracting the old copies.
type Replicate struct {
	width int
	count Evaluator
	out   Operator
	buf   *vec.Batch
}

// NewReplicate returns the operator feeding out.
func NewReplicate(n *planner.Replicate, out Operator, errs *RowErrors) *Replicate {
	return &Replicate{width: n.Width, count: Compile(n.Count, errs), out: out}
}

func (o *Replicate) Push(b *vec.Batch) error {
	c := o.count.Eval(b)
	if o.buf == nil {
		o.buf = vec.NewBatch(b.Types()[:o.width], b.N)
	}
	o.buf.Reset()
	for r := 0; r < b.N; r++ {
		if c.IsNull(r) || c.I64[r] <= 0 {
			continue
		}
		for k := range o.width {
			o.buf.Cols[k].AppendFrom(&b.Cols[k], r)
		}
		o.buf.EndRow(b.DiffAt(r) * c.I64[r])
	}
	return pushOut(o.out, o.buf)
}

func (o *Replicate) OnWatermark(wm int64) error { return o.out.OnWatermark(wm) }
func (o *Replicate) OnBarrier(id uint64) error  { return o.out.OnBarrier(id) }
func (o *Replicate) Close() error               { return nil }
