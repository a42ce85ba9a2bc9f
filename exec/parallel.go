package exec

import (
	"fmt"
	"slices"
	"sync"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// A view WITH (parallelism = n) runs its aggregate as n replicas, each
// keeping the groups whose key hashes to it (DESIGN §4's keyed split):
// every replica sees every batch and skips the rows of other shards, so
// there is no serial scatter step, and the replicas run on goroutines of
// their own for each call, joined before it returns. What a replica emits
// is buffered and handed, replica by replica, to the operators after the
// aggregate, which run on the caller's goroutine, as does everything else
// of the dataflow. Since every call is joined before the dataflow's lock
// is released, a checkpoint (taken under it) finds the replicas aligned.
// Replica i keeps its state in its own namespace (the aggregate's k + i),
// so n is fixed for the view's life: it is part of its statement.

// parallel is the entry operator of a sharded pipeline.
type parallel struct {
	entries []Operator   // each replica's first operator
	outs    []*shardOut  // what each replica's aggregate emitted
	post    Operator     // the operators after the aggregate, shared
	aggs    []*Aggregate // the replicas
}

var _ Operator = (*parallel)(nil)

// run calls f for every replica, replica 0 on this goroutine and the
// others on goroutines of their own, then hands their output on in
// replica order. A replica's panic is raised again here, where the view's
// guard catches it.
func (p *parallel) run(f func(i int) error) error {
	errs := make([]error, len(p.entries))
	panics := make([]any, len(p.entries))
	var wg sync.WaitGroup
	for i := 1; i < len(p.entries); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = f(i)
		}()
	}
	func() {
		defer func() { panics[0] = recover() }()
		errs[0] = f(0)
	}()
	wg.Wait()
	for i, pn := range panics {
		if pn != nil {
			panic(fmt.Sprintf("in replica %d: %v", i, pn))
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for _, o := range p.outs {
		if err := o.drain(p.post); err != nil {
			return err
		}
	}
	// Every replica passed the same watermark on: pass it once.
	if o := p.outs[0]; o.wmNew {
		o.wmNew = false
		for _, x := range p.outs[1:] {
			x.wmNew = false
		}
		return p.post.OnWatermark(o.wm)
	}
	return nil
}

func (p *parallel) Push(b *vec.Batch) error {
	return p.run(func(i int) error { return p.entries[i].Push(b) })
}

// OnWatermark passes the watermark through every replica, and run passes
// what they pass on (each holds it back alike) once to the operators
// after the aggregate.
func (p *parallel) OnWatermark(wm int64) error {
	return p.run(func(i int) error { return p.entries[i].OnWatermark(wm) })
}

func (p *parallel) OnBarrier(id uint64) error {
	if err := p.run(func(i int) error { return p.aggs[i].Flush() }); err != nil {
		return err
	}
	return p.post.OnBarrier(id)
}

func (p *parallel) Close() error { return nil }

// shardOut buffers what a replica's aggregate emits until the replicas
// are joined, and the last watermark it passed on; barriers are the
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
			case v.Type.Kind == types.String:
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
