package exec

import (
	"fmt"
	"sync"

	"github.com/streamsql/streamsql/exec/vec"
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

// owns reports whether row r's group key hashes to this replica: FNV-1a
// of the key's encoding, which is the same in every process, so a
// restart finds each group in the replica that wrote it.
func (a *Aggregate) owns(r int) bool {
	k := a.keyBuf[:0]
	for _, v := range a.keyVecs {
		k = encodeValue(k, v, r)
	}
	a.keyBuf = k
	h := uint64(14695981039346656037)
	for _, c := range k {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h%a.shards == a.shard
}
