package exec

import (
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
)

// Windows runs a window table function over rows (planner.Windows): each
// row goes on once for every window its time falls in, with the window's
// start, end and time (its last instant) appended; a row whose time is
// NULL is in none. Diffs pass through, so a retraction retracts the
// row in each of its windows.
type Windows struct {
	w   *planner.Window
	out Operator
	buf *vec.Batch
}

// NewWindows returns the window assignment feeding out.
func NewWindows(n *planner.Windows, out Operator) *Windows { return &Windows{w: n.Window, out: out} }

func (o *Windows) Push(b *vec.Batch) error {
	if o.buf == nil {
		t := o.w.Bounds()
		o.buf = vec.NewBatch(append(b.Types(), t, t, t), b.N)
	}
	o.buf.Reset()
	n := len(b.Cols)
	tv := &b.Cols[o.w.Time]
	r, d := 0, int64(0)
	add := func(start, end int64) {
		for c := range n {
			o.buf.Cols[c].AppendFrom(&b.Cols[c], r)
		}
		o.buf.Cols[n].AppendI64(start)
		o.buf.Cols[n+1].AppendI64(end)
		o.buf.Cols[n+2].AppendI64(end - 1)
		o.buf.EndRow(d)
	}
	for r = 0; r < b.N; r++ {
		if tv.IsNull(r) {
			continue
		}
		d = b.DiffAt(r)
		o.w.Each(tv.I64[r], add)
	}
	return pushOut(o.out, o.buf)
}

func (o *Windows) OnWatermark(wm int64) error { return o.out.OnWatermark(wm) }
func (o *Windows) OnBarrier(id uint64) error  { return o.out.OnBarrier(id) }
func (o *Windows) Close() error               { return nil }
