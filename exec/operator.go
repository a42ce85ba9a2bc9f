package exec

import (
	"github.com/streamsql/streamsql/exec/vec"
)

// Operator is one step of a dataflow. Calls arrive on one goroutine (the
// dataflow's), in stream order. A pushed batch is only valid during Push:
// an operator that keeps rows copies them. Push, OnWatermark and OnBarrier
// forward downstream after doing their own work.
type Operator interface {
	// Push processes a changelog batch.
	Push(b *vec.Batch) error
	// OnWatermark says no more rows with event time below wm will matter;
	// windows ending at or before wm close. Watermarks never go backwards.
	OnWatermark(wm int64) error
	// OnBarrier marks a checkpoint boundary in the stream.
	OnBarrier(id uint64) error
	// Close releases the operator's resources (not its durable state).
	Close() error
}

var (
	_ Operator = (*Filter)(nil)
	_ Operator = (*Project)(nil)
	_ Operator = (*Tee)(nil)
	_ Operator = (*Aggregate)(nil)
	_ Operator = (*Materialize)(nil)
	_ Operator = (*Collect)(nil)
)

// Filter keeps the rows whose predicate is true (not NULL, not false).
type Filter struct {
	pred Evaluator
	out  Operator
	buf  *vec.Batch
}

// NewFilter returns a filter feeding out.
func NewFilter(pred Evaluator, out Operator) *Filter { return &Filter{pred: pred, out: out} }

func (f *Filter) Push(b *vec.Batch) error {
	keep := f.pred.Eval(b)
	all := true
	for i := 0; i < b.N; i++ {
		if !keep.Bool[i] || keep.IsNull(i) {
			all = false
			break
		}
	}
	if all {
		return f.out.Push(b)
	}
	if f.buf == nil {
		f.buf = vec.NewBatch(b.Types(), b.N)
	}
	f.buf.Reset()
	for i := 0; i < b.N; i++ {
		if keep.Bool[i] && !keep.IsNull(i) {
			f.buf.AppendRow(b, i, b.DiffAt(i))
		}
	}
	if f.buf.N == 0 {
		return nil
	}
	return f.out.Push(f.buf)
}

func (f *Filter) OnWatermark(wm int64) error { return f.out.OnWatermark(wm) }
func (f *Filter) OnBarrier(id uint64) error  { return f.out.OnBarrier(id) }
func (f *Filter) Close() error               { return nil }

// Project computes output columns from input rows; diffs pass through.
type Project struct {
	exprs []Evaluator
	out   Operator
	buf   vec.Batch
}

// NewProject returns a projection feeding out.
func NewProject(exprs []Evaluator, out Operator) *Project {
	return &Project{exprs: exprs, out: out, buf: vec.Batch{Cols: make([]vec.Vec, len(exprs))}}
}

func (p *Project) Push(b *vec.Batch) error {
	for i, e := range p.exprs {
		p.buf.Cols[i] = *e.Eval(b)
	}
	p.buf.N, p.buf.Diff = b.N, b.Diff
	return p.out.Push(&p.buf)
}

func (p *Project) OnWatermark(wm int64) error { return p.out.OnWatermark(wm) }
func (p *Project) OnBarrier(id uint64) error  { return p.out.OnBarrier(id) }
func (p *Project) Close() error               { return nil }

// Tee fans a relation's changelog out to the views that read it. Views
// attach and detach while the dataflow is paused (under its lock).
type Tee struct {
	outs []Operator
}

// Attach adds a downstream operator.
func (t *Tee) Attach(o Operator) { t.outs = append(t.outs, o) }

// Detach removes a downstream operator.
func (t *Tee) Detach(o Operator) {
	for i, x := range t.outs {
		if x == o {
			t.outs = append(t.outs[:i], t.outs[i+1:]...)
			return
		}
	}
}

// Len is the number of attached operators.
func (t *Tee) Len() int { return len(t.outs) }

func (t *Tee) Push(b *vec.Batch) error {
	for _, o := range t.outs {
		if err := o.Push(b); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tee) OnWatermark(wm int64) error {
	for _, o := range t.outs {
		if err := o.OnWatermark(wm); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tee) OnBarrier(id uint64) error {
	for _, o := range t.outs {
		if err := o.OnBarrier(id); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tee) Close() error { return nil }

// Collect gathers an ad-hoc query's final rows, netting out retractions.
type Collect struct {
	Rows *vec.Batch
	idx  map[string]int
	key  []byte
}

// NewCollect returns a collector for rows of the given column types.
func NewCollect(b *vec.Batch) *Collect { return &Collect{Rows: b, idx: map[string]int{}} }

func (c *Collect) Push(b *vec.Batch) error {
	if c.Rows.Diff == nil {
		c.Rows.Diff = make([]int64, 0, 16)
	}
	for i := 0; i < b.N; i++ {
		c.key = encodeRow(c.key[:0], b.Cols, i)
		d := b.DiffAt(i)
		if j, ok := c.idx[string(c.key)]; ok {
			c.Rows.Diff[j] += d
			continue
		}
		c.idx[string(c.key)] = c.Rows.N
		c.Rows.AppendRow(b, i, d)
	}
	return nil
}

func (c *Collect) OnWatermark(int64) error { return nil }
func (c *Collect) OnBarrier(uint64) error  { return nil }
func (c *Collect) Close() error            { return nil }

// pushOut sends an operator's output batch on, if it has rows, and empties
// it for the next.
func pushOut(out Operator, b *vec.Batch) error {
	if b.N == 0 {
		return nil
	}
	err := out.Push(b)
	b.Reset()
	return err
}
