package exec

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// A view WITH (parallelism = n) runs its aggregate as n replicas, each
// keeping the groups whose key hashes to it (DESIGN §4's keyed split).
// Each replica runs on a goroutine of its own, fed through a queue: a
// batch is copied once and shared by all of them (each skips the rows of
// other shards itself, so there is no serial scatter), and Push returns
// as soon as it is queued, so the dataflow's goroutine goes on to its
// next batch while the replicas work on this one. Watermarks follow the
// batches down the same queues, in order. What a replica emits is
// buffered until a sync: Emit, Flush and OnProcTime (and so every emit of
// held-back changes, at least every 100 ms, before every read and every
// checkpoint) wait for the queues to drain, then hand the buffers, replica
// by replica, to the operators after the aggregate, and the watermark
// after them. A checkpoint, taken after a Flush under the dataflow's
// lock, therefore finds the replicas idle and aligned. Replica i keeps
// its state in its own namespace (the aggregate's k + i), so n is fixed
// for the view's life: it is part of its statement.

// parallel is the entry operator of a sharded pipeline.
type parallel struct {
	entries []Operator   // each replica's first operator
	outs    []*shardOut  // what each replica's aggregate emitted
	post    Operator     // the operators after the aggregate, shared
	aggs    []*Aggregate // the replicas

	workers []*worker
	free    chan *sharedBatch // copies of batches no replica holds
}

var _ Operator = (*parallel)(nil)

// queueDepth is how many jobs a replica's queue holds before Push waits.
const queueDepth = 8

// worker is one replica's goroutine and its queue. err and panicked are
// its first failure, which the dataflow's goroutine reads after a sync.
type worker struct {
	jobs     chan func() error
	err      error
	panicked any
}

// sharedBatch is a copy of a pushed batch, shared by the replicas; the
// last to finish with it returns it to the free list.
type sharedBatch struct {
	b    vec.Batch
	refs atomic.Int32
}

func (p *parallel) start() {
	if p.workers != nil {
		return
	}
	p.free = make(chan *sharedBatch, queueDepth+2)
	for range p.entries {
		w := &worker{jobs: make(chan func() error, queueDepth)}
		p.workers = append(p.workers, w)
		go w.run()
	}
}

func (w *worker) run() {
	for job := range w.jobs {
		func() {
			defer func() {
				if r := recover(); r != nil && w.panicked == nil {
					w.panicked = r
				}
			}()
			if err := job(); err != nil && w.err == nil {
				w.err = err
			}
		}()
	}
}

// each queues f(i) for every replica i.
func (p *parallel) each(f func(i int) error) {
	p.start()
	for i, w := range p.workers {
		w.jobs <- func() error { return f(i) }
	}
}

// sync waits until every replica has done what is queued, then hands
// what they emitted on in replica order, and their watermark once. A
// replica's panic is raised again here, where the view's guard catches
// it; its error is returned.
func (p *parallel) sync() error {
	if p.workers == nil {
		return nil
	}
	var wg sync.WaitGroup
	wg.Add(len(p.workers))
	for _, w := range p.workers {
		w.jobs <- func() error { wg.Done(); return nil }
	}
	wg.Wait()
	for i, w := range p.workers {
		if w.panicked != nil {
			panic(fmt.Sprintf("in replica %d: %v", i, w.panicked))
		}
	}
	for _, w := range p.workers {
		if w.err != nil {
			return w.err
		}
	}
	for _, o := range p.outs {
		if err := o.drain(p.post); err != nil {
			return err
		}
	}
	// Every replica passed the same watermark on: pass it once.
	if o := p.outs[0]; o.wmNew {
		for _, x := range p.outs {
			x.wmNew = false
		}
		return p.post.OnWatermark(o.wm)
	}
	return nil
}

// run queues f for every replica and syncs.
func (p *parallel) run(f func(i int) error) error {
	p.each(f)
	return p.sync()
}

// Push queues a copy of b for every replica and returns.
func (p *parallel) Push(b *vec.Batch) error {
	p.start()
	var sb *sharedBatch
	select {
	case sb = <-p.free:
	default:
		sb = &sharedBatch{}
	}
	b.CopyTo(&sb.b)
	sb.refs.Store(int32(len(p.workers)))
	p.each(func(i int) error {
		err := p.entries[i].Push(&sb.b)
		if sb.refs.Add(-1) == 0 {
			select {
			case p.free <- sb:
			default:
			}
		}
		return err
	})
	return nil
}

// OnWatermark queues the watermark behind the batches; sync passes on
// what the replicas pass on (each holds it back alike).
func (p *parallel) OnWatermark(wm int64) error {
	p.each(func(i int) error { return p.entries[i].OnWatermark(wm) })
	return nil
}

func (p *parallel) OnBarrier(id uint64) error {
	if err := p.run(func(i int) error { return p.aggs[i].Flush() }); err != nil {
		return err
	}
	return p.post.OnBarrier(id)
}

// Close stops the replicas' goroutines.
func (p *parallel) Close() error {
	for _, w := range p.workers {
		close(w.jobs)
	}
	p.workers = nil
	return nil
}

// shardOut buffers what a replica's aggregate emits until the replicas
// are synced, and the last watermark it passed on; barriers are the
// parallel operator's to pass.
type shardOut struct {
	buf   *vec.Batch
	wm    int64
	wmNew bool // wm came since the last drain
}

func (o *shardOut) Push(b *vec.Batch) error {
	if o.buf == nil {
		o.buf = vec.NewBatch(b.Types(), b.N)
		o.buf.Diff = make([]int64, 0, b.N)
	}
	for i := 0; i < b.N; i++ {
		o.buf.AppendRow(b, i, b.DiffAt(i))
	}
	return nil
}

func (o *shardOut) OnWatermark(wm int64) error {
	o.wm, o.wmNew = wm, true
	return nil
}
func (o *shardOut) OnBarrier(uint64) error { return nil }
func (o *shardOut) Close() error           { return nil }

// drain pushes the buffered rows to out and empties the buffer.
func (o *shardOut) drain(out Operator) error {
	if o.buf == nil || o.buf.N == 0 {
		return nil
	}
	err := out.Push(o.buf)
	o.buf.Reset()
	return err
}

// hashShards computes, for the batch whose key vectors Push evaluated,
// which replica owns each row (a.owner). The hash is fixed (no per-process
// seed), so a restart finds each group in the replica that wrote it:
// integers, timestamps and decimals mix their 64 bits, strings are FNV-1a,
// and the other kinds hash their key encoding, which equal values share.
func (a *Aggregate) hashShards(n int) {
	h := slices.Grow(a.owner[:0], n)[:n]
	for r := range h {
		h[r] = 0x9E3779B97F4A7C15
	}
	for _, v := range a.keyVecs {
		for r := range h {
			var x uint64
			switch {
			case v.IsNull(r):
				x = 0x5bd1e995
			case v.Type.Kind == types.Numeric, v.Type.Kind == types.Interval:
				// By value, so that 1.0 and 1.00 meet, and '1 day' and
				// '24 hours'.
				a.keyBuf = encodeMatch(a.keyBuf[:0], v, r)
				x = 14695981039346656037
				for _, c := range a.keyBuf {
					x = (x ^ uint64(c)) * 1099511628211
				}
			case v.Type.InStr():
				x = 14695981039346656037
				for i := 0; i < len(v.Str[r]); i++ {
					x = (x ^ uint64(v.Str[r][i])) * 1099511628211
				}
			case v.Type.Kind == types.Float64 || v.Type.Kind == types.Bool:
				a.keyBuf = encodeValue(a.keyBuf[:0], v, r)
				x = 14695981039346656037
				for _, c := range a.keyBuf {
					x = (x ^ uint64(c)) * 1099511628211
				}
			default:
				x = uint64(v.I64[r])
			}
			h[r] = mix64(h[r] ^ x)
		}
	}
	for r := range h {
		h[r] %= a.shards
	}
	a.owner = h
}

// mix64 is SplitMix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
