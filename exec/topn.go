package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/keys"
	"github.com/streamsql/streamsql/state/writeback"
)

// TopN is the top-N, dedup and window top-N operator (planner.TopN): it
// ranks each partition's rows as PostgreSQL's ROW_NUMBER, RANK and
// DENSE_RANK do and outputs those ranked MinRank to Limit.
//
// State, through the write-back cache, is one key per partition:
//
//	0x00                                → watermark, late count (window top-N)
//	0x01 [window_end] partition values  → the partition's rows, in rank order
//
// Each stored row is its sort key (the order columns, NULL above every
// value, a descending column's bytes inverted) then the row in the plain
// encoding, with its multiplicity. Rows are ordered by those bytes, so
// ROW_NUMBER breaks ties by the encoded row: the same input gives the same
// output. An append-only input keeps only the rows that can still be in
// the top (rank <= Limit, all the ties at the bound for RANK and
// DENSE_RANK; a dedup keeps one row), since its ranks only grow. A
// retracting input keeps every row of a partition: the row a deletion
// lets in must be at hand.
//
// Partitions are cached decoded, like the join's buckets, and written back
// at Flush or when more than the cache's bound are cached after a batch. A
// batch's output is the net change of the partitions whose top it
// touched: each one's output before the batch against after, so a row
// whose rank moves is retracted and inserted once (only when the rank is
// output) however many rows of the batch moved it.
//
// A window top-N puts window_end first in the key: rows buffer until the
// watermark passes window_end, then the windows closed go out once and
// their state with one DeleteRange. A row for a closed window is late and
// dropped. Its watermark is stored at Flush, so a restart neither emits a
// window again nor takes late rows into it. Any other top-N's output has
// no event time, so, as at a regular join, watermarks stop here.
type TopN struct {
	fn             planner.RankFunc
	partition      []int
	order          []planner.SortKey
	minRank, limit int64
	rankOut        bool
	windowEnd      int
	// trim: the input is append-only, so rows past the top are dropped.
	trim  bool
	width int
	backed
	out  Operator
	outB *vec.Batch

	// parts caches decoded partitions by key, dirty lists the changed
	// ones, byEnd a window top-N's by window_end; at most maxCached stay
	// cached after a batch.
	parts map[string]*topPart
	dirty []*topPart
	byEnd map[int64][]*topPart
	// checked says load ran; complete that every stored partition is
	// cached, so that a miss is an absent partition.
	checked, complete bool

	wm   int64
	late atomic.Int64

	// touched lists the partitions whose output the batch may change;
	// before holds their outputs as the batch found them.
	touched []*topPart
	before  []topOut
	after   []topOut
	// Scratch: key, sort key and row encodings.
	keyBuf, rowBuf, valBuf []byte
}

var _ Stateful = (*TopN)(nil)

// topEntry is one distinct row of a partition: k is its sort key (the
// first sk bytes) followed by the row; k is never changed in place.
type topEntry struct {
	k    []byte
	sk   int
	mult int64
}

// topPart is a cached partition: its rows in rank order. dirty says the
// store has not seen its change; dead that its window closed; stored that
// the store may hold it. [lo, hi) are its rows of before while touched.
type topPart struct {
	key                 string
	end                 int64
	ents                []topEntry
	dirty, dead, stored bool
	touched             bool
	lo, hi              int
}

// topOut is an output row: an entry's row with a rank (0 when the rank is
// not output) and its multiplicity.
type topOut struct {
	k    []byte
	sk   int
	rank int64
	n    int64
}

// topNBatchRows is how many output rows the operator gathers before it
// pushes them.
const topNBatchRows = 4096

// topMetaKey holds the watermark and late count; partitions follow it.
var topMetaKey = []byte{0}

const topPartPrefix = 1

// NewTopN returns the top-N of plan p over store, feeding out. A window
// top-N reads back the watermark its store holds.
func NewTopN(p *planner.TopN, store state.Store, out Operator) (*TopN, error) {
	in := catalog.Types(p.Input.Columns())
	ts := in
	if p.RankOut {
		ts = append(in[:len(in):len(in)], types.BigInt)
	}
	t := &TopN{fn: p.Func, partition: p.Partition, order: p.Order, minRank: max(p.MinRank, 1), limit: p.Limit,
		rankOut: p.RankOut, windowEnd: p.WindowEnd, trim: p.Input.AppendOnly(), width: len(in),
		backed: backed{store: writeback.New(store), maxCached: writeback.DefaultLimit}, out: out, outB: vec.NewBatch(ts, 64),
		parts: map[string]*topPart{}, byEnd: map[int64][]*topPart{}, wm: math.MinInt64}
	if t.windowEnd >= 0 {
		v, ok, err := t.store.Get(topMetaKey)
		if err != nil {
			return nil, fmt.Errorf("exec: top-N watermark: %w", err)
		}
		if ok {
			wm, rest, err := keys.DecodeInt64(v)
			late, k := binary.Varint(rest)
			if err != nil || k <= 0 {
				return nil, fmt.Errorf("exec: top-N watermark: %w", errTopState)
			}
			t.wm = wm
			t.late.Store(late)
		}
	}
	return t, nil
}

var errTopState = errors.New("exec: corrupt top-N state")

// Late is the number of rows dropped because their window had closed.
func (t *TopN) Late() int64 { return t.late.Load() }

func (t *TopN) Push(b *vec.Batch) error {
	for i := 0; i < b.N; i++ {
		var end int64
		if t.windowEnd >= 0 {
			v := &b.Cols[t.windowEnd]
			if v.IsNull(i) {
				continue // in no window
			}
			if end = v.I64[i]; end <= t.wm {
				t.late.Add(1)
				continue
			}
		}
		p, err := t.part(b, i, end)
		if err != nil {
			return err
		}
		sk := t.sortKey(b, i)
		d := b.DiffAt(i)
		if t.trim && d > 0 && t.beyond(p, t.rowBuf[:sk]) {
			continue // after a full top: it can never rank
		}
		t.rowBuf = appendPlainRow(t.rowBuf, b.Cols, i)
		t.change(p, t.rowBuf, sk, d)
	}
	for _, p := range t.touched {
		t.after = t.outputs(p, t.after[:0])
		p.touched = false
		if err := t.diff(t.before[p.lo:p.hi], t.after); err != nil {
			return err
		}
		if t.outB.N >= topNBatchRows {
			if err := t.flushOut(); err != nil {
				return err
			}
		}
	}
	clear(t.touched)
	t.touched, t.before = t.touched[:0], t.before[:0]
	if err := t.flushOut(); err != nil {
		return err
	}
	if len(t.parts) > t.maxCached {
		return t.evict()
	}
	return nil
}

// sortKey writes row i's sort key to rowBuf and returns its length: per
// order column, NULL as 0x02 above the 0x01 of every value, then the
// bytes inverted where the column is descending.
func (t *TopN) sortKey(b *vec.Batch, i int) int {
	buf := t.rowBuf[:0]
	for _, o := range t.order {
		start := len(buf)
		if v := &b.Cols[o.Col]; v.IsNull(i) {
			buf = append(buf, 2)
		} else {
			buf = encodeValue(buf, v, i)
		}
		if o.Desc {
			for k := start; k < len(buf); k++ {
				buf[k] = ^buf[k]
			}
		}
	}
	t.rowBuf = buf
	return len(buf)
}

// beyond reports that a row with sort key sk would rank past Limit in an
// append-only partition, which keeps exactly the rows ranked within it:
// the partition fills the limit (rows for ROW_NUMBER and RANK, distinct
// keys for DENSE_RANK) and sk sorts after its last row. Most rows of a
// long-running top-N are such, and skip the search and the encoding.
func (t *TopN) beyond(p *topPart, sk []byte) bool {
	if len(p.ents) == 0 {
		return false
	}
	last := &p.ents[len(p.ents)-1]
	if bytes.Compare(sk, last.k[:last.sk]) <= 0 {
		return false
	}
	n := int64(0)
	for j := range p.ents {
		e := &p.ents[j]
		switch {
		case t.fn != planner.DenseRank:
			n += e.mult
		case j == 0 || !bytes.Equal(e.k[:e.sk], p.ents[j-1].k[:p.ents[j-1].sk]):
			n++ // a new key
		}
	}
	return n >= t.limit
}

// ranker gives a partition's entries, walked in order, their ranks (for
// ROW_NUMBER, that of the entry's first copy).
type ranker struct {
	fn                planner.RankFunc
	rows, rank, dense int64
	prev              []byte
	started           bool
}

func (r *ranker) next(sk []byte, mult int64) int64 {
	if r.fn == planner.RowNumber { // no ties
		r.rows += mult
		return r.rows - mult + 1
	}
	tie := r.started && bytes.Equal(sk, r.prev)
	switch {
	case r.fn == planner.Rank && !tie:
		r.rank = r.rows + 1
	case r.fn == planner.DenseRank && !tie:
		r.dense++
		r.rank = r.dense
	}
	r.rows += mult
	r.prev, r.started = sk, true
	return r.rank
}

// change adds d copies of row k (sort key k[:sk]) to partition p. A
// change that may move the output snapshots the partition's output
// first; one ranked past Limit cannot, and an addition there is dropped
// when the input is append-only.
func (t *TopN) change(p *topPart, k []byte, sk int, d int64) {
	pos, found := slices.BinarySearchFunc(p.ents, k, func(e topEntry, k []byte) int { return bytes.Compare(e.k, k) })
	if d < 0 && !found {
		return // a retraction of a row never added (or trimmed)
	}
	emits := t.windowEnd < 0
	if emits || t.trim && d > 0 {
		rk := ranker{fn: t.fn}
		rank := int64(0)
		for j := 0; j <= pos && rank <= t.limit; j++ {
			if j == pos {
				rank = rk.next(k[:sk], 1)
			} else {
				rank = rk.next(p.ents[j].k[:p.ents[j].sk], p.ents[j].mult)
			}
		}
		if rank > t.limit {
			if t.trim && d > 0 {
				return
			}
			emits = false
		}
	}
	if emits && !p.touched {
		p.touched, p.lo = true, len(t.before)
		t.before = t.outputs(p, t.before)
		p.hi = len(t.before)
		t.touched = append(t.touched, p)
	}
	switch {
	case found:
		e := &p.ents[pos]
		if e.mult += d; e.mult <= 0 {
			p.ents = slices.Delete(p.ents, pos, pos+1)
		}
	case d > 0:
		p.ents = slices.Insert(p.ents, pos, topEntry{k: bytes.Clone(k), sk: sk, mult: d})
	}
	if !p.dirty {
		p.dirty = true
		t.dirty = append(t.dirty, p)
	}
	if t.trim && d > 0 {
		t.trimPart(p)
	}
}

// trimPart drops the rows ranked past Limit, which an append-only
// partition never needs again.
func (t *TopN) trimPart(p *topPart) {
	rk := ranker{fn: t.fn}
	for j := range p.ents {
		e := &p.ents[j]
		r := rk.next(e.k[:e.sk], e.mult)
		if r > t.limit {
			clear(p.ents[j:])
			p.ents = p.ents[:j]
			return
		}
		if t.fn == planner.RowNumber && r+e.mult-1 > t.limit {
			e.mult = t.limit - r + 1
		}
	}
}

// outputs appends partition p's output rows, in entry order (and rank
// order within an entry).
func (t *TopN) outputs(p *topPart, dst []topOut) []topOut {
	rk := ranker{fn: t.fn}
	for j := range p.ents {
		e := &p.ents[j]
		r := rk.next(e.k[:e.sk], e.mult)
		if r > t.limit {
			break
		}
		if t.fn != planner.RowNumber {
			if r >= t.minRank {
				dst = append(dst, topOut{k: e.k, sk: e.sk, rank: t.rankCol(r), n: e.mult})
			}
			continue
		}
		lo, hi := max(r, t.minRank), min(r+e.mult-1, t.limit)
		switch {
		case lo > hi:
		case t.rankOut:
			for x := lo; x <= hi; x++ {
				dst = append(dst, topOut{k: e.k, sk: e.sk, rank: x, n: 1})
			}
		default:
			dst = append(dst, topOut{k: e.k, sk: e.sk, n: hi - lo + 1})
		}
	}
	return dst
}

func (t *TopN) rankCol(r int64) int64 {
	if t.rankOut {
		return r
	}
	return 0
}

// diff emits what turns output rows before into after (both in entry
// and rank order).
//
// Every retraction goes before every insertion: a keyed view (the
// partition and its ROW_NUMBER, planner.GroupKey) deletes a key's old row
// before it puts the new one.
func (t *TopN) diff(before, after []topOut) error {
	if err := t.diffPass(before, after, false); err != nil {
		return err
	}
	return t.diffPass(before, after, true)
}

// diffPass emits the retractions (adds false) or the insertions that turn
// before into after.
func (t *TopN) diffPass(before, after []topOut, adds bool) error {
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		c := 0
		switch {
		case i == len(before):
			c = 1
		case j == len(after):
			c = -1
		default:
			c = cmp.Or(bytes.Compare(before[i].k, after[j].k), cmp.Compare(before[i].rank, after[j].rank))
		}
		var err error
		switch {
		case c < 0:
			if !adds {
				err = t.emit(&before[i], -before[i].n)
			}
			i++
		case c > 0:
			if adds {
				err = t.emit(&after[j], after[j].n)
			}
			j++
		default:
			if d := after[j].n - before[i].n; d != 0 && d > 0 == adds {
				err = t.emit(&after[j], d)
			}
			i++
			j++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *TopN) emit(o *topOut, d int64) error {
	if _, err := decodePlainRow(o.k[o.sk:], t.outB.Cols[:t.width]); err != nil {
		t.outB.Truncate(t.outB.N)
		return fmt.Errorf("exec: a stored top-N row: %w", err)
	}
	if t.rankOut {
		t.outB.Cols[t.width].AppendI64(o.rank)
	}
	t.outB.EndRow(d)
	return nil
}

func (t *TopN) flushOut() error { return pushOut(t.out, t.outB) }

// part returns row i's partition (window_end end), reading the store on a
// miss; an absent one is created empty.
func (t *TopN) part(b *vec.Batch, i int, end int64) (*topPart, error) {
	t.keyBuf = append(t.keyBuf[:0], topPartPrefix)
	if t.windowEnd >= 0 {
		t.keyBuf = keys.AppendInt64(t.keyBuf, end)
	}
	for _, c := range t.partition {
		t.keyBuf = encodeGroup(t.keyBuf, &b.Cols[c], i)
	}
	if p, ok := t.parts[string(t.keyBuf)]; ok {
		return p, nil
	}
	if !t.checked {
		if err := t.load(); err != nil {
			return nil, err
		}
	}
	p := &topPart{key: string(t.keyBuf), end: end}
	if !t.complete {
		v, ok, err := t.store.Get(t.keyBuf)
		if err != nil {
			return nil, fmt.Errorf("exec: reading a top-N partition: %w", err)
		}
		if ok {
			if p.ents, err = decodeTopPart(v); err != nil {
				return nil, err
			}
			p.stored = true
		}
	}
	t.parts[p.key] = p
	if t.windowEnd >= 0 {
		t.byEnd[end] = append(t.byEnd[end], p)
	}
	return p, nil
}

// load runs before the first partition is read: over an empty store the
// cache is complete from the start.
func (t *TopN) load() error {
	t.checked = true
	it := t.store.NewIter([]byte{topPartPrefix}, nil)
	t.complete = !it.First()
	return it.Close()
}

// decodeTopPart reads a stored partition: per row the sort key's length,
// the row's, its bytes and its multiplicity. The rows are copied out of
// the store's value, which lives only until the next write.
func decodeTopPart(v []byte) ([]topEntry, error) {
	v = bytes.Clone(v)
	var ents []topEntry
	for len(v) > 0 {
		sk, k1 := binary.Uvarint(v)
		n, k2 := binary.Uvarint(v[max(k1, 0):])
		if k1 <= 0 || k2 <= 0 || sk > n || uint64(len(v)-k1-k2) < n {
			return nil, errTopState
		}
		v = v[k1+k2:]
		e := topEntry{k: v[:n:n], sk: int(sk)}
		v = v[n:]
		var k int
		if e.mult, k = binary.Varint(v); k <= 0 {
			return nil, errTopState
		}
		v = v[k:]
		ents = append(ents, e)
	}
	return ents, nil
}

func (t *TopN) encodePart(p *topPart) []byte {
	b := t.valBuf[:0]
	for _, e := range p.ents {
		b = binary.AppendUvarint(b, uint64(e.sk))
		b = binary.AppendUvarint(b, uint64(len(e.k)))
		b = append(b, e.k...)
		b = binary.AppendVarint(b, e.mult)
	}
	t.valBuf = b
	return b
}

// OnWatermark closes a window top-N's windows ending by wm and passes wm
// on; any other top-N's output has no event time, so it stops here.
func (t *TopN) OnWatermark(wm int64) error {
	if t.windowEnd < 0 || wm <= t.wm {
		return nil
	}
	t.wm = wm
	lo := []byte{topPartPrefix}
	hi := keys.PrefixEnd(keys.AppendInt64([]byte{topPartPrefix}, wm))
	stored := !t.complete
	if stored {
		// The uncached partitions, in key order; a cached one is newer.
		it := t.store.NewIter(lo, hi)
		for ok := it.First(); ok; ok = it.Next() {
			if _, cached := t.parts[string(it.Key())]; cached {
				continue
			}
			ents, err := decodeTopPart(it.Value())
			if err != nil {
				it.Close()
				return err
			}
			t.after = t.outputs(&topPart{ents: ents}, t.after[:0])
			if err := t.diff(nil, t.after); err != nil {
				it.Close()
				return err
			}
			if t.outB.N >= topNBatchRows {
				if err := t.flushOut(); err != nil {
					it.Close()
					return err
				}
			}
		}
		if err := it.Close(); err != nil {
			return fmt.Errorf("exec: closing top-N windows: %w", err)
		}
	}
	var ends []int64
	for end := range t.byEnd {
		if end <= wm {
			ends = append(ends, end)
		}
	}
	slices.Sort(ends)
	for _, end := range ends {
		ps := t.byEnd[end]
		slices.SortFunc(ps, func(a, b *topPart) int { return strings.Compare(a.key, b.key) })
		for _, p := range ps {
			t.after = t.outputs(p, t.after[:0])
			if err := t.diff(nil, t.after); err != nil {
				return err
			}
			stored = stored || p.stored
			p.dead = true
			delete(t.parts, p.key)
		}
		delete(t.byEnd, end)
		if err := t.flushOut(); err != nil {
			return err
		}
	}
	if err := t.flushOut(); err != nil {
		return err
	}
	if stored {
		if err := t.store.DeleteRange(lo, hi); err != nil {
			return fmt.Errorf("exec: dropping top-N windows: %w", err)
		}
	}
	return t.out.OnWatermark(wm)
}

// Flush writes the changed partitions (and a window top-N's watermark) to
// the backend through the write-back cache: one Apply.
func (t *TopN) Flush() error {
	for _, p := range t.dirty {
		if !p.dirty || p.dead {
			continue
		}
		p.dirty = false
		var err error
		if len(p.ents) == 0 {
			err = t.store.Delete([]byte(p.key))
		} else {
			err = t.store.Put([]byte(p.key), t.encodePart(p))
		}
		if err != nil {
			return fmt.Errorf("exec: writing a top-N partition: %w", err)
		}
		p.stored = len(p.ents) > 0
	}
	clear(t.dirty)
	t.dirty = t.dirty[:0]
	if t.windowEnd >= 0 && t.wm != math.MinInt64 {
		t.valBuf = binary.AppendVarint(keys.AppendInt64(t.valBuf[:0], t.wm), t.late.Load())
		if err := t.store.Put(topMetaKey, t.valBuf); err != nil {
			return fmt.Errorf("exec: writing the top-N watermark: %w", err)
		}
	}
	return t.store.Flush()
}

// evict writes back and forgets every cached partition; the cache is then
// no longer complete.
func (t *TopN) evict() error {
	if err := t.Flush(); err != nil {
		return err
	}
	clear(t.parts)
	clear(t.byEnd)
	t.complete = false
	return nil
}

// Cached is the number of cached partitions.
func (t *TopN) Cached() int { return len(t.parts) }

func (t *TopN) OnBarrier(id uint64) error { return t.out.OnBarrier(id) }

// Close drops the cache; the state stays in the backend.
func (t *TopN) Close() error {
	t.parts, t.byEnd, t.dirty = nil, nil, nil
	return nil
}
