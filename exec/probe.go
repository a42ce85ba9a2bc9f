package exec

import (
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
)

// Each plan node's operator is wrapped by two probes, which count the
// rows that go in and out of it and the time spent in it (EXPLAIN ANALYZE,
// the dashboard, the per-view metrics). They do their work once a batch,
// never a row, and only the goroutine that runs the operator writes them
// (a join's or union's sides run under one lock; a replica has its own),
// so a counter is a plain load and store of an atomic: no locked
// instruction, no shared cache line on the hot path; readers load them
// at any time. Reading the clock costs more than the rest (a few hundred
// ns a batch on a VM), so one batch or watermark in sampleEvery is timed
// and the time scaled by the calls; the calls the pipeline makes itself
// (Emit, OnProcTime, Finish), rarer, are all timed.

// sampleEvery is how many of an operator's batches and watermarks go by
// for one that is timed.
const sampleEvery = 16

// timing says what the operator's current call is doing with the clock.
type timing uint8

const (
	untimed  timing = iota
	sampling        // a sampled Push or OnWatermark: into sampledNanos
	whole           // a call timed whole: into otherNanos
)

// OpStats are one operator's figures since the pipeline was built.
type OpStats struct {
	rowsIn, rowsOut, batches atomic.Int64
	// calls counts Push and OnWatermark calls, sampled those timed, and
	// sampledNanos their own time; otherNanos is the time of the calls
	// timed whole.
	calls, sampled, sampledNanos, otherNanos atomic.Int64
	// mode is the current call's, so that the output probe takes the
	// time spent downstream off the right sum (and none off when the call
	// came from outside, untimed); the owner's alone.
	mode timing
}

// bump adds n to c; only c's owner goroutine calls it.
func bump(c *atomic.Int64, n int64) { c.Store(c.Load() + n) }

// Time is the operator's own time, the sampled calls' scaled up to all.
func (s *OpStats) Time() time.Duration {
	t := s.otherNanos.Load()
	if n := s.sampled.Load(); n > 0 {
		t += int64(float64(s.sampledNanos.Load()) * float64(s.calls.Load()) / float64(n))
	}
	return time.Duration(max(t, 0))
}

// call runs f, one Push or OnWatermark, timing it if it is sampled.
func (s *OpStats) call(f func() error) error {
	n := s.calls.Load()
	s.calls.Store(n + 1)
	if n%sampleEvery != 0 || s.mode != untimed {
		return f()
	}
	bump(&s.sampled, 1)
	s.mode = sampling
	t := time.Now()
	err := f()
	bump(&s.sampledNanos, int64(time.Since(t)))
	s.mode = untimed
	return err
}

// timed runs f as the operator's own work, timed whole: for the calls the
// pipeline makes on an operator directly (Emit, OnProcTime, Finish).
func (s *OpStats) timed(f func() error) error {
	was := s.mode
	s.mode = whole
	t := time.Now()
	err := f()
	d := int64(time.Since(t))
	s.mode = was
	switch was {
	case untimed, whole:
		bump(&s.otherNanos, d)
	case sampling:
		bump(&s.sampledNanos, d)
	}
	return err
}

// downstream runs f, a call into the next operator, taking its time off
// the current call's.
func (s *OpStats) downstream(f func() error) error {
	if s.mode == untimed {
		return f()
	}
	mode := s.mode
	t := time.Now()
	err := f()
	d := int64(time.Since(t))
	if mode == sampling {
		bump(&s.sampledNanos, -d)
	} else {
		bump(&s.otherNanos, -d)
	}
	return err
}

// Probe is a plan node and its operator's figures. A node run by several
// replicas has a probe for each.
type Probe struct {
	Node  planner.Node
	Stats *OpStats
	// State is the operator's when it keeps state.
	State Stateful
	// Replica is the replica the operator belongs to (0 when unsharded).
	Replica int
}

// probeIn counts and times what goes into an operator.
type probeIn struct {
	op Operator
	s  *OpStats
}

func (p *probeIn) Push(b *vec.Batch) error {
	if !probesOn {
		return p.op.Push(b)
	}
	bump(&p.s.rowsIn, int64(b.N))
	bump(&p.s.batches, 1)
	return p.s.call(func() error { return p.op.Push(b) })
}

func (p *probeIn) OnWatermark(wm int64) error {
	if !probesOn {
		return p.op.OnWatermark(wm)
	}
	return p.s.call(func() error { return p.op.OnWatermark(wm) })
}

func (p *probeIn) OnBarrier(id uint64) error { return p.op.OnBarrier(id) }
func (p *probeIn) Close() error              { return p.op.Close() }

// probeOut counts what an operator sends on, and takes the time spent
// downstream out of the operator's own.
type probeOut struct {
	out Operator
	s   *OpStats
}

func (p *probeOut) Push(b *vec.Batch) error {
	if !probesOn {
		return p.out.Push(b)
	}
	bump(&p.s.rowsOut, int64(b.N))
	return p.s.downstream(func() error { return p.out.Push(b) })
}

func (p *probeOut) OnWatermark(wm int64) error {
	if !probesOn {
		return p.out.OnWatermark(wm)
	}
	return p.s.downstream(func() error { return p.out.OnWatermark(wm) })
}

func (p *probeOut) OnBarrier(id uint64) error { return p.out.OnBarrier(id) }
func (p *probeOut) Close() error              { return p.out.Close() }

// probeScan counts the rows a scan feeds the plan.
type probeScan struct {
	op Operator
	s  *OpStats
}

func (p *probeScan) Push(b *vec.Batch) error {
	if !probesOn {
		return p.op.Push(b)
	}
	bump(&p.s.rowsIn, int64(b.N))
	bump(&p.s.rowsOut, int64(b.N))
	bump(&p.s.batches, 1)
	return p.op.Push(b)
}

func (p *probeScan) OnWatermark(wm int64) error { return p.op.OnWatermark(wm) }
func (p *probeScan) OnBarrier(id uint64) error  { return p.op.OnBarrier(id) }
func (p *probeScan) Close() error               { return p.op.Close() }

// probe registers a probe for n and returns its figures.
func (p *Pipeline) probe(n planner.Node, st Stateful) *OpStats {
	s := &OpStats{}
	p.Probes = append(p.Probes, Probe{Node: n, Stats: s, State: st, Replica: p.replica})
	return s
}

// OpFigures are a plan node's figures summed over its replicas.
type OpFigures struct {
	RowsIn, RowsOut, Batches int64
	// Time is spent in the operator itself, not in those it feeds.
	Time time.Duration
	// Stateful says the operator keeps state: Keys and Bytes in the
	// backend as of its last write-back, Cached groups decoded in memory.
	Stateful    bool
	Keys, Bytes int64
	Cached      int
	// Replicas is how many copies of the operator run (parallelism).
	Replicas int
}

// Figures returns n's figures (false when n has no operator of its own).
// Each replica of a sharded aggregate sees every row below it, so rows
// in are the largest replica's and rows out too, except the aggregate's,
// whose replicas each emit their own groups; times add up. The state is
// read as StateStats reads it: the caller holds the dataflow's lock.
func (p *Pipeline) Figures(n planner.Node) (OpFigures, bool) {
	var f OpFigures
	found := false
	_, isAgg := n.(*planner.Aggregate)
	for _, pr := range p.Probes {
		if pr.Node != n {
			continue
		}
		found = true
		f.Replicas++
		in, out, b := pr.Stats.rowsIn.Load(), pr.Stats.rowsOut.Load(), pr.Stats.batches.Load()
		f.RowsIn, f.Batches = max(f.RowsIn, in), max(f.Batches, b)
		if isAgg {
			f.RowsOut += out
		} else {
			f.RowsOut = max(f.RowsOut, out)
		}
		f.Time += pr.Stats.Time()
		if pr.State != nil {
			f.Stateful = true
			st := pr.State.Stats()
			f.Keys += st.Keys
			f.Bytes += st.Bytes
			f.Cached += pr.State.Cached()
		}
	}
	return f, found
}

// RowsIn is the rows the plan's scans took in; RowsOut those its root
// sent to the output. Both read atomics only: no lock is needed.
func (p *Pipeline) RowsIn() int64 {
	var n int64
	for _, pr := range p.Probes {
		if _, ok := pr.Node.(*planner.Scan); ok {
			n += pr.Stats.rowsIn.Load()
		}
	}
	return n
}

// RowsOut is the rows the plan's root operator sent to the output.
func (p *Pipeline) RowsOut() int64 {
	var n int64
	_, isAgg := p.root.(*planner.Aggregate)
	for _, pr := range p.Probes {
		if pr.Node == p.root {
			if out := pr.Stats.rowsOut.Load(); isAgg {
				n += out
			} else {
				n = max(n, out)
			}
		}
	}
	return n
}
