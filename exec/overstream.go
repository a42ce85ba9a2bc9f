package exec

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/writeback"
)

// OverStream computes a view's Over node over event time (Flink's OVER
// aggregation): a row waits until the watermark passes its time, since
// until then a row before it may still arrive; then the rows released,
// in time order per partition, get their values over the partition's
// earlier rows, and go out once. A row behind the watermark when it
// arrives is late and dropped.
//
// A partition keeps only what its frames can still reach: the last k
// rows for ROWS k PRECEDING or LAG(x, k), the rows within the offset of
// the latest for RANGE ... PRECEDING, and for a frame from UNBOUNDED
// PRECEDING an accumulator, not rows.
//
// LEAD(x, n) is known once n later rows of the partition are released:
// a released row waits in its partition's kept rows (wait counts them)
// until then, and goes out with the rows after it as context. (With a
// RANGE frame, it waits for its peers too, so that the accumulator of an
// UNBOUNDED PRECEDING frame takes in only rows output.) Its state is one value,
// [h, partition values] → kept rows and accumulators, cached decoded and
// written back at Flush through the write-back cache. The rows waiting
// for the watermark (few: the watermark's delay's worth) are in memory
// and written at Flush under [p], with the watermark under [w].
type OverStream struct {
	ev *overEval
	backed
	out   Operator
	types []types.T
	time  int
	wm    int64
	late  int64
	// pending are the rows waiting for the watermark, in arrival order.
	pending      []pendingRow
	pendingDirty bool
	loaded       bool
	parts        map[string]*overPart
	// keepRows and keepRange bound what a partition keeps (see above).
	keepRows  int
	keepRange int64
	hasRange  bool
	// lead is the largest LEAD offset: how many rows after it a row
	// waits for; peers, that a row waits for its peers too.
	lead  int
	peers bool
	// Scratch.
	keyBuf  []byte
	partVec []*vec.Vec
	outB    *vec.Batch
	val     []byte
}

type pendingRow struct {
	ts   int64
	part string
	row  []byte
}

// overPart is a partition's state.
type overPart struct {
	key   string
	rows  [][]byte // kept rows, encoded, in time order
	carry []aggVal
	// wait is how many of the last rows are released but not yet output
	// (waiting for the rows their LEAD reads).
	wait  int
	dirty bool
}

var errCorruptOver = errors.New("exec: corrupt OVER state")

// NewOverStream returns the operator for a view's Over node, its state in
// store.
func NewOverStream(p *planner.Over, store state.Store, out Operator, errs *RowErrors) *OverStream {
	o := &OverStream{ev: newOverEval(p, errs), backed: backed{store: writeback.New(store), maxCached: DefaultCacheGroups}, out: out, wm: math.MinInt64,
		types: catalog.Types(p.Input.Columns()), time: p.Order[0].Col, parts: map[string]*overPart{}}
	for _, c := range p.Calls {
		switch {
		case c.Kind == planner.OverLag:
			k := int64(1)
			if len(c.Args) > 1 {
				k = c.Args[1].(*planner.Const).I
			}
			o.keepRows = max(o.keepRows, int(k))
		case c.Kind == planner.OverLead:
			k := int64(1)
			if len(c.Args) > 1 {
				k = c.Args[1].(*planner.Const).I
			}
			o.lead = max(o.lead, int(k))
		case c.Frame.Start.Kind == planner.Preceding && c.Frame.Mode == planner.FrameRows:
			o.keepRows = max(o.keepRows, int(c.Frame.Start.Offset))
		case c.Frame.Start.Kind == planner.Preceding:
			o.keepRange, o.hasRange = max(o.keepRange, c.Frame.Start.Offset), true
		}
		o.peers = o.peers || c.Kind == planner.OverAgg && c.Frame.Mode != planner.FrameRows
	}
	return o
}

// load reads the rows waiting and the watermark after a restart.
func (o *OverStream) load() error {
	if o.loaded {
		return nil
	}
	o.loaded = true
	if v, ok, err := o.store.Get([]byte{'w'}); err != nil {
		return err
	} else if ok {
		wm, n := binary.Varint(v)
		if n <= 0 {
			return errCorruptOver
		}
		o.wm = wm
	}
	v, ok, err := o.store.Get([]byte{'p'})
	if err != nil || !ok {
		return err
	}
	for len(v) > 0 {
		ts, n := binary.Varint(v)
		if n <= 0 {
			return errCorruptOver
		}
		v = v[n:]
		var part, row []byte
		if part, v, err = takeBytes(v); err != nil {
			return err
		}
		if row, v, err = takeBytes(v); err != nil {
			return err
		}
		o.pending = append(o.pending, pendingRow{ts: ts, part: string(part), row: row})
	}
	return nil
}

// takeBytes reads a length-prefixed byte string.
func takeBytes(b []byte) ([]byte, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return nil, nil, errCorruptOver
	}
	return b[n : n+int(l) : n+int(l)], b[n+int(l):], nil
}

func (o *OverStream) Push(b *vec.Batch) error {
	if err := o.load(); err != nil {
		return err
	}
	o.partVec = o.partVec[:0]
	for _, c := range o.ev.plan.Partition {
		o.partVec = append(o.partVec, &b.Cols[c])
	}
	tv := &b.Cols[o.time]
	for r := 0; r < b.N; r++ {
		if tv.IsNull(r) || tv.I64[r] < o.wm {
			o.late++ // behind the watermark: its partition's later rows are out
			continue
		}
		o.keyBuf = append(o.keyBuf[:0], 'h')
		for _, v := range o.partVec {
			o.keyBuf = encodeGroup(o.keyBuf, v, r)
		}
		row := encodeRow(nil, b.Cols, r)
		for d := b.DiffAt(r); d > 0; d-- {
			o.pending = append(o.pending, pendingRow{ts: tv.I64[r], part: string(o.keyBuf), row: row})
		}
		o.pendingDirty = true
	}
	return nil
}

// OnWatermark releases the rows before wm, partition by partition.
func (o *OverStream) OnWatermark(wm int64) error {
	if err := o.load(); err != nil {
		return err
	}
	if wm <= o.wm {
		return o.out.OnWatermark(wm)
	}
	o.wm = wm
	var ready []pendingRow
	kept := o.pending[:0]
	for _, p := range o.pending {
		if p.ts < wm {
			ready = append(ready, p)
		} else {
			kept = append(kept, p)
		}
	}
	o.pending = kept
	if len(ready) == 0 {
		return o.out.OnWatermark(wm)
	}
	o.pendingDirty = true
	slices.SortStableFunc(ready, func(x, y pendingRow) int {
		if x.part != y.part {
			if x.part < y.part {
				return -1
			}
			return 1
		}
		return int(min(max(x.ts-y.ts, -1), 1))
	})
	if o.outB == nil {
		o.outB = vec.NewBatch(catalog.Types(o.ev.plan.Columns()), len(ready))
	}
	o.outB.Reset()
	for lo := 0; lo < len(ready); {
		hi := lo + 1
		for hi < len(ready) && ready[hi].part == ready[lo].part {
			hi++
		}
		if err := o.release(ready[lo:hi]); err != nil {
			return err
		}
		lo = hi
	}
	if o.outB.N > 0 {
		if err := o.out.Push(o.outB); err != nil {
			return err
		}
	}
	if len(o.parts) > o.maxCached {
		if err := o.Flush(); err != nil {
			return err
		}
		clear(o.parts)
	}
	return o.out.OnWatermark(wm)
}

// release outputs one partition's released rows, after its kept ones.
func (o *OverStream) release(rows []pendingRow) error {
	p, err := o.part(rows[0].part)
	if err != nil {
		return err
	}
	scratch := vec.NewBatch(o.types, len(p.rows)+len(rows))
	all := append(slices.Clip(p.rows), make([][]byte, 0, len(rows))...)
	for _, r := range rows {
		all = append(all, r.row)
	}
	for _, r := range all {
		if _, err := decodeRow(r, scratch.Cols); err != nil {
			return err
		}
		scratch.EndRow(1)
	}
	o.ev.prepare(scratch)
	idx := make([]int, scratch.N)
	for i := range idx {
		idx[i] = i
	}
	// Output the rows from the first waiting one up to those without
	// lead rows after them.
	from := len(p.rows) - p.wait
	to := max(len(all)-o.lead, from)
	tv := &scratch.Cols[o.time]
	if o.peers && o.lead > 0 {
		for to > from && to < len(all) && tv.I64[to-1] == tv.I64[to] {
			to--
		}
	}
	if to > from {
		o.ev.partition(scratch, idx, from, to, o.outB, p.carry)
	}
	// Keep the waiting rows and what the frames of the rows from them on
	// can still reach.
	start := max(to-o.keepRows, 0)
	if o.hasRange {
		ref := tv.I64[min(to, scratch.N-1)]
		for start > 0 && tv.I64[start-1] >= sat(ref, -o.keepRange) {
			start--
		}
	}
	p.rows, p.wait = all[start:], len(all)-to
	p.dirty = true
	return nil
}

// part returns a partition's state, cached.
func (o *OverStream) part(key string) (*overPart, error) {
	if p, ok := o.parts[key]; ok {
		return p, nil
	}
	p := &overPart{key: key, carry: make([]aggVal, len(o.ev.plan.Calls))}
	v, ok, err := o.store.Get([]byte(key))
	if err != nil {
		return nil, err
	}
	if ok {
		n, k := binary.Uvarint(v)
		if k <= 0 {
			return nil, errCorruptOver
		}
		v = v[k:]
		for range n {
			var r []byte
			if r, v, err = takeBytes(v); err != nil {
				return nil, err
			}
			p.rows = append(p.rows, r)
		}
		w, err := decodeAcc(v, p.carry)
		if err != nil {
			return nil, err
		}
		if w < 0 || w > int64(len(p.rows)) {
			return nil, errCorruptOver
		}
		p.wait = int(w)
	}
	o.parts[key] = p
	return p, nil
}

// Flush writes the changed partitions, the rows waiting and the
// watermark.
func (o *OverStream) Flush() error {
	for _, p := range o.parts {
		if !p.dirty {
			continue
		}
		p.dirty = false
		o.val = binary.AppendUvarint(o.val[:0], uint64(len(p.rows)))
		for _, r := range p.rows {
			o.val = binary.AppendUvarint(o.val, uint64(len(r)))
			o.val = append(o.val, r...)
		}
		o.val = encodeAcc(o.val, int64(p.wait), p.carry) // the rows waiting, in the row count's place
		if err := o.store.Put([]byte(p.key), o.val); err != nil {
			return err
		}
	}
	if o.pendingDirty {
		o.pendingDirty = false
		o.val = o.val[:0]
		for _, p := range o.pending {
			o.val = binary.AppendVarint(o.val, p.ts)
			o.val = binary.AppendUvarint(o.val, uint64(len(p.part)))
			o.val = append(o.val, p.part...)
			o.val = binary.AppendUvarint(o.val, uint64(len(p.row)))
			o.val = append(o.val, p.row...)
		}
		if err := o.store.Put([]byte{'p'}, o.val); err != nil {
			return err
		}
		if err := o.store.Put([]byte{'w'}, binary.AppendVarint(nil, o.wm)); err != nil {
			return err
		}
	}
	return o.store.Flush()
}

// Late is how many rows arrived behind the watermark.
func (o *OverStream) Late() int64 { return o.late }

func (o *OverStream) Cached() int               { return len(o.parts) }
func (o *OverStream) OnBarrier(id uint64) error { return o.out.OnBarrier(id) }
func (o *OverStream) Close() error              { return nil }
