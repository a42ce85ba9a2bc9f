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
	"github.com/streamsql/streamsql/state/keys"
	"github.com/streamsql/streamsql/state/writeback"
)

// Join is the regular join of two changelogs (planner.Join). Each side's
// rows are kept in a bucket per join key: [side, key values] holds every
// row of that side with those key values, each with its multiplicity and,
// for the outer joins, the number of the other side's rows it matches. A
// change on one side reads the other side's bucket, emits the joined rows
// times their multiplicities, and adds to (or takes from) its own bucket;
// so a retraction retracts exactly the rows its insert produced, and an
// outer join's padded row comes and goes as a row's matches go from none
// to some and back.
//
// Buckets are cached decoded (at most state_cache_size of them after a
// batch), so a row added to a hot key costs an append, not a rewrite of
// its bucket; the changed ones reach the backend at Flush (before every
// checkpoint) or when the cache overflows, through the write-back cache,
// as one Apply.
//
// A row with a NULL key matches nothing and is kept nowhere: an outer
// join pads it at once.
//
// A regular join's output has no event time, so watermarks stop here (as
// in Flink: it pairs new rows with old ones); an interval join's has one
// (see intervalState).
type Join struct {
	kind  planner.JoinKind
	keys  [2][]Evaluator
	cond  Evaluator
	width [2]int
	backed
	out   Operator
	sides [2]*JoinSide
	// stored[s] lists the columns of side s that its stored rows keep
	// (nil: all): the others nothing above the join reads.
	stored [2][]int
	// iv is set for an interval join.
	iv *intervalState
	// buckets caches decoded buckets by key, dirty lists the changed
	// ones; at most maxCached stay cached after a batch.
	buckets map[string]*bucket
	dirty   []*bucket
	// checked says load ran; complete that every stored bucket is cached,
	// so that a miss is an absent bucket.
	checked, complete bool
	// Scratch: the output batch, the candidates the condition judges,
	// key and row encodings and the buckets being rewritten.
	outB, cand    *vec.Batch
	keyBuf, rowB  []byte
	own           []byte
	keyVecs       []*vec.Vec
	matchedIdx    []int
	emitThreshold int
}

// intervalState is an interval join's (planner.JoinInterval): its buckets
// are by key and by time, [side, time bucket, key values], each time
// bucket width µs wide, so that a probe reads the few buckets the
// interval spans and the rows the other side's watermark has passed go
// with a DeleteRange of whole buckets.
type intervalState struct {
	time   [2]int // each side's event-time column
	lo, hi int64
	width  int64
	wm     [2]int64
	// gone[s] is the first time bucket of side s still kept: those before
	// it are deleted.
	gone  [2]int64
	outWM int64
	// cached lists each side's cached buckets by time bucket, so that
	// expiring them needs no scan of the cache.
	cached [2]map[int64][]*bucket
}

// JoinSide is the operator one input of a join feeds.
type JoinSide struct {
	j    *Join
	side int
}

var (
	_ Operator = (*JoinSide)(nil)
	_ Operator = (*Join)(nil)
)

// joinBatchRows is how many output rows a join gathers before it pushes.
const joinBatchRows = 4096

// NewJoin returns the join of plan p over store, feeding out.
func NewJoin(p *planner.Join, store state.Store, out Operator, errs *RowErrors) *Join {
	lt, rt := catalog.Types(p.Left.Columns()), catalog.Types(p.Right.Columns())
	j := &Join{kind: p.Kind, width: [2]int{len(lt), len(rt)}, backed: backed{store: writeback.New(store), maxCached: writeback.DefaultLimit}, out: out,
		buckets: map[string]*bucket{},
		outB:    vec.NewBatch(append(append([]types.T{}, lt...), rt...), 64), emitThreshold: joinBatchRows}
	for i := range p.LeftKeys {
		j.keys[0] = append(j.keys[0], Compile(p.LeftKeys[i], errs))
		j.keys[1] = append(j.keys[1], Compile(p.RightKeys[i], errs))
	}
	if p.Cond != nil {
		j.cond = Compile(p.Cond, errs)
		j.cand = vec.NewBatch(j.outB.Types(), 64)
	}
	j.sides = [2]*JoinSide{{j: j, side: 0}, {j: j, side: 1}}
	for s, keep := range [2][]bool{p.LeftStored, p.RightStored} {
		if keep != nil && slices.Contains(keep, false) {
			j.stored[s] = []int{}
			for c, k := range keep {
				if k {
					j.stored[s] = append(j.stored[s], c)
				}
			}
		}
	}
	if iv := p.Interval; iv != nil {
		// Buckets half the interval wide (at least a second): a probe
		// reads at most three or four, and a row stays at most half an
		// interval longer than it must.
		w := max((iv.Hi-iv.Lo)/2, 1e6)
		j.iv = &intervalState{time: [2]int{iv.LeftTime, iv.RightTime}, lo: iv.Lo, hi: iv.Hi, width: w,
			wm: [2]int64{math.MinInt64, math.MinInt64}, gone: [2]int64{math.MinInt64, math.MinInt64}, outWM: math.MinInt64,
			cached: [2]map[int64][]*bucket{{}, {}}}
	}
	return j
}

// Side returns the operator that input 0 (left) or 1 (right) feeds.
func (j *Join) Side(s int) *JoinSide { return j.sides[s] }

// keeps reports whether side s's unmatched rows are output, padded.
func (j *Join) keeps(s int) bool {
	if s == 0 {
		return j.kind.KeepsLeft()
	}
	return j.kind.KeepsRight()
}

// bucketEntry is one row of a bucket, as decoded.
type bucketEntry struct {
	row     []byte // the row in the plain encoding
	mult    int64
	matches int64
}

func decodeBucket(b []byte, out []bucketEntry) ([]bucketEntry, error) {
	out = out[:0]
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errBucket
		}
		e := bucketEntry{row: b[k : k+int(n)]}
		b = b[k+int(n):]
		if e.mult, k = binary.Varint(b); k <= 0 {
			return nil, errBucket
		}
		b = b[k:]
		if e.matches, k = binary.Varint(b); k <= 0 {
			return nil, errBucket
		}
		b = b[k:]
		out = append(out, e)
	}
	return out, nil
}

func appendEntry(b []byte, row []byte, mult, matches int64) []byte {
	b = binary.AppendUvarint(b, uint64(len(row)))
	b = append(b, row...)
	b = binary.AppendVarint(b, mult)
	return binary.AppendVarint(b, matches)
}

var errBucket = errors.New("exec: corrupt join bucket")

// encodeKey writes side s's bucket key for row i, reporting a NULL key
// part. Floats are normalized so that -0 joins 0 and NaN joins NaN, as
// PostgreSQL's equality has it.
func (j *Join) encodeKey(s int, i int) (null bool) {
	j.keyBuf = append(j.keyBuf[:0], byte(s))
	if j.iv != nil {
		j.keyBuf = keys.AppendInt64(j.keyBuf, 0) // the time bucket, set by bucketKey
	}
	for _, v := range j.keyVecs {
		if v.IsNull(i) {
			return true
		}
		if v.Type.Kind == types.Float64 {
			f := v.F64[i]
			switch {
			case f == 0:
				f = 0
			case f != f:
				f = math.NaN()
			}
			j.keyBuf = keys.AppendFloat64(keys.AppendNotNull(j.keyBuf), f)
			continue
		}
		j.keyBuf = encodeMatch(j.keyBuf, v, i)
	}
	return false
}

// encodeRow appends row i of b, of side s, as the bucket stores it: the
// columns the side stores, in the plain encoding.
func (j *Join) encodeRow(buf []byte, s int, b *vec.Batch, i int) []byte {
	if j.stored[s] == nil {
		return appendPlainRow(buf, b.Cols, i)
	}
	for _, c := range j.stored[s] {
		buf = appendPlainRow(buf, b.Cols[c:c+1], i)
	}
	return buf
}

// decodeRow appends a stored row of side s to cols (that side's), NULL
// where the side does not store a column.
func (j *Join) decodeRow(row []byte, s int, cols []vec.Vec) error {
	if j.stored[s] == nil {
		_, err := decodePlainRow(row, cols)
		return err
	}
	next := 0
	for c := range cols {
		if next < len(j.stored[s]) && j.stored[s][next] == c {
			var err error
			if row, err = decodePlainRow(row, cols[c:c+1]); err != nil {
				return err
			}
			next++
			continue
		}
		cols[c].AppendNull()
	}
	return nil
}

// bucketKey points keyBuf at side s's bucket (time bucket k for an
// interval join) of the key it holds.
func (j *Join) bucketKey(s int, k int64) {
	j.keyBuf[0] = byte(s)
	if j.iv != nil {
		keys.AppendInt64(j.keyBuf[1:1], k)
	}
}

// bucket is one decoded bucket of the join's cache: the rows of a side
// with one key (and time bucket tb). dirty says the store has not seen its
// change yet; dead that an interval join dropped it.
type bucket struct {
	key   string
	ents  []bucketEntry
	tb    int64
	dirty bool
	dead  bool
}

// bucket returns the decoded bucket of key (keyBuf), reading the store on
// a miss. An absent bucket is created when create is set; otherwise it is
// nil, and cached empty when the store had to be asked, so that probing a
// key the other side lacks, again and again, reads the backend once.
// While the cache holds every stored bucket (complete), a miss needs no
// read at all.
func (j *Join) bucket(key []byte, create bool) (*bucket, error) {
	if bk, ok := j.buckets[string(key)]; ok {
		return bk, nil
	}
	if !j.checked {
		if err := j.load(); err != nil {
			return nil, err
		}
		if bk, ok := j.buckets[string(key)]; ok {
			return bk, nil
		}
	}
	if j.complete && !create {
		return nil, nil
	}
	bk := &bucket{key: string(key)}
	if !j.complete {
		v, ok, err := j.store.Get(key)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := bk.decode(v); err != nil {
				return nil, err
			}
		}
	}
	j.cache(bk)
	return bk, nil
}

// decode reads a stored bucket, copying its rows: the store's value lives
// only until its next write.
func (bk *bucket) decode(v []byte) error {
	var err error
	if bk.ents, err = decodeBucket(v, nil); err != nil {
		return err
	}
	for k := range bk.ents {
		bk.ents[k].row = append([]byte(nil), bk.ents[k].row...)
	}
	return nil
}

// cache adds bk to the cache (and, for an interval join, to its time
// bucket's list).
func (j *Join) cache(bk *bucket) {
	j.buckets[bk.key] = bk
	if j.iv != nil {
		s := int(bk.key[0])
		bk.tb, _, _ = keys.DecodeInt64([]byte(bk.key[1:9]))
		j.iv.cached[s][bk.tb] = append(j.iv.cached[s][bk.tb], bk)
	}
}

// load runs before the first bucket is read: when the store is empty (a
// new view) the cache is complete from the start; an interval join's
// bounded state is read whole, so that it is complete too.
func (j *Join) load() error {
	j.checked = true
	it := j.store.NewIter(nil, nil)
	empty := !it.First()
	if empty || j.iv == nil {
		j.complete = empty
		return it.Close()
	}
	for ok := true; ok; ok = it.Next() {
		bk := &bucket{key: string(it.Key())}
		if err := bk.decode(it.Value()); err != nil {
			it.Close()
			return err
		}
		j.cache(bk)
	}
	j.complete = true
	return it.Close()
}

// touch marks a bucket changed.
func (j *Join) touch(bk *bucket) {
	if !bk.dirty {
		bk.dirty = true
		j.dirty = append(j.dirty, bk)
	}
}

// push applies a batch of side s.
func (j *Join) push(s int, b *vec.Batch) error {
	j.keyVecs = j.keyVecs[:0]
	for _, k := range j.keys[s] {
		j.keyVecs = append(j.keyVecs, k.Eval(b))
	}
	var times *vec.Vec
	if j.iv != nil {
		times = &b.Cols[j.iv.time[s]]
	}
	for i := 0; i < b.N; i++ {
		d := b.DiffAt(i)
		if j.encodeKey(s, i) || times != nil && times.IsNull(i) {
			if j.keeps(s) {
				j.appendPadded(s, b, i, d)
			}
			continue
		}
		var m int64
		var err error
		var tb int64
		if j.iv == nil {
			m, err = j.probe(s, b, i, d, 0)
		} else {
			t := times.I64[i]
			tb = planner.FloorDiv(t, j.iv.width)
			// The other side's times this row matches.
			lo, hi := t+j.iv.lo, t+j.iv.hi
			if s == 1 {
				lo, hi = t-j.iv.hi, t-j.iv.lo
			}
			for k := max(planner.FloorDiv(lo, j.iv.width), j.iv.gone[1-s]); k <= planner.FloorDiv(hi, j.iv.width) && err == nil; k++ {
				var n int64
				n, err = j.probe(s, b, i, d, k)
				m += n
			}
		}
		if err != nil {
			return err
		}
		if j.iv != nil && tb < j.iv.gone[s] {
			// Behind the other side's watermark: nothing to come can
			// match it, so it is not kept.
			if j.keeps(s) && m == 0 {
				j.appendPadded(s, b, i, d)
			}
			continue
		}
		if j.keeps(s) && m == 0 && j.iv == nil {
			j.appendPadded(s, b, i, d)
		}
		if err := j.keep(s, b, i, d, m, tb); err != nil {
			return err
		}
		if j.outB.N >= j.emitThreshold {
			if err := j.flushOut(); err != nil {
				return err
			}
		}
	}
	if len(j.buckets) > j.maxCached {
		if err := j.evict(); err != nil {
			return err
		}
	}
	return j.flushOut()
}

// keep changes row i's multiplicity in its bucket by d. An addition is
// a new entry (an equal row's entry joins alike, so none is looked for),
// with the m matches the probe found; a retraction takes from an equal
// row's entry.
func (j *Join) keep(s int, b *vec.Batch, i int, d, m, tb int64) error {
	j.bucketKey(s, tb)
	bk, err := j.bucket(j.keyBuf, d > 0)
	if err != nil || bk == nil {
		return err // (nil: a retraction of a row never added)
	}
	j.rowB = j.encodeRow(j.rowB[:0], s, b, i)
	if d > 0 {
		bk.ents = append(bk.ents, bucketEntry{row: append([]byte(nil), j.rowB...), mult: d, matches: m})
		j.touch(bk)
		return nil
	}
	// Equal rows may sit in several entries: take from each in turn.
	left := -d
	for k := 0; k < len(bk.ents) && left > 0; {
		e := &bk.ents[k]
		if string(e.row) != string(j.rowB) {
			k++
			continue
		}
		take := min(e.mult, left)
		e.mult -= take
		left -= take
		j.touch(bk)
		if e.mult == 0 {
			last := len(bk.ents) - 1
			bk.ents[k] = bk.ents[last]
			bk.ents = bk.ents[:last]
			continue
		}
		k++
	}
	return nil
}

// probe joins row i of side s (diff d) with the other side's bucket of
// its key (in keyBuf), time bucket k: it appends the joined rows, updates
// the matched rows' match counts when the other side is kept unmatched,
// and returns how many rows (by multiplicity) matched.
func (j *Join) probe(s int, b *vec.Batch, i int, d int64, k int64) (int64, error) {
	o := 1 - s
	j.bucketKey(o, k)
	bk, err := j.bucket(j.keyBuf, false)
	if err != nil || bk == nil || len(bk.ents) == 0 {
		return 0, err
	}
	ents := bk.ents
	matched := j.matchedIdx[:0]
	if j.cond == nil {
		for k := range ents {
			matched = append(matched, k)
		}
	} else {
		j.cand.Reset()
		for k := range ents {
			if err := j.appendJoined(j.cand, s, b, i, ents[k].row, 1); err != nil {
				return 0, err
			}
		}
		keep := j.cond.Eval(j.cand)
		for k := range ents {
			if keep.Bool[k] && !keep.IsNull(k) {
				matched = append(matched, k)
			}
		}
	}
	j.matchedIdx = matched
	var m int64
	for _, k := range matched {
		e := &ents[k]
		m += e.mult
		if j.cond != nil {
			j.outB.AppendRow(j.cand, k, d*e.mult)
		} else if err := j.appendJoined(j.outB, s, b, i, e.row, d*e.mult); err != nil {
			return 0, err
		}
	}
	if !j.keeps(o) || len(matched) == 0 {
		return m, nil
	}
	// The matched rows of a side kept unmatched: a padded row goes when
	// its first match comes and comes back when its last one goes (an
	// interval join pads a row only when it leaves unmatched).
	for _, k := range matched {
		e := &ents[k]
		before := e.matches
		e.matches += d
		switch {
		case j.iv != nil:
		case before == 0 && e.matches != 0:
			err = j.appendPaddedRow(o, e.row, -e.mult)
		case before != 0 && e.matches == 0:
			err = j.appendPaddedRow(o, e.row, e.mult)
		}
		if err != nil {
			return 0, err
		}
	}
	j.touch(bk)
	return m, nil
}

// appendJoined appends to out the join of row i of b (side s) with the
// other side's stored row, with diff d.
func (j *Join) appendJoined(out *vec.Batch, s int, b *vec.Batch, i int, row []byte, d int64) error {
	lo, ro := 0, j.width[0]
	if s == 1 {
		lo, ro = ro, 0
	}
	for c := range b.Cols {
		out.Cols[lo+c].AppendFrom(&b.Cols[c], i)
	}
	o := 1 - s
	if err := j.decodeRow(row, o, out.Cols[ro:ro+j.width[o]]); err != nil {
		return err
	}
	out.EndRow(d)
	return nil
}

// appendPadded appends row i of b (side s) padded with NULLs.
func (j *Join) appendPadded(s int, b *vec.Batch, i int, d int64) {
	off := 0
	if s == 1 {
		off = j.width[0]
	}
	for c := range j.outB.Cols {
		if c >= off && c < off+j.width[s] {
			j.outB.Cols[c].AppendFrom(&b.Cols[c-off], i)
		} else {
			j.outB.Cols[c].AppendNull()
		}
	}
	j.outB.EndRow(d)
}

// appendPaddedRow appends a stored row of side s padded with NULLs.
func (j *Join) appendPaddedRow(s int, row []byte, d int64) error {
	off := 0
	if s == 1 {
		off = j.width[0]
	}
	for c := 0; c < off; c++ {
		j.outB.Cols[c].AppendNull()
	}
	if err := j.decodeRow(row, s, j.outB.Cols[off:off+j.width[s]]); err != nil {
		return err
	}
	for c := off + j.width[s]; c < len(j.outB.Cols); c++ {
		j.outB.Cols[c].AppendNull()
	}
	j.outB.EndRow(d)
	return nil
}

func (j *Join) flushOut() error { return pushOut(j.out, j.outB) }

// Flush writes the changed buckets to the backend (before a checkpoint),
// through the write-back cache: one Apply.
func (j *Join) Flush() error {
	for _, bk := range j.dirty {
		if !bk.dirty || bk.dead {
			continue
		}
		bk.dirty = false
		var err error
		if len(bk.ents) == 0 {
			err = j.store.Delete([]byte(bk.key))
		} else {
			j.own = j.own[:0]
			for _, e := range bk.ents {
				j.own = appendEntry(j.own, e.row, e.mult, e.matches)
			}
			err = j.store.Put([]byte(bk.key), j.own)
		}
		if err != nil {
			return err
		}
	}
	clear(j.dirty)
	j.dirty = j.dirty[:0]
	return j.store.Flush()
}

// evict writes back and forgets every cached bucket, when there are more
// than the cache's bound; the cache is then no longer complete.
func (j *Join) evict() error {
	if err := j.Flush(); err != nil {
		return err
	}
	clear(j.buckets)
	if j.iv != nil {
		clear(j.iv.cached[0])
		clear(j.iv.cached[1])
	}
	j.complete = false
	return nil
}

// Cached is the number of cached buckets.
func (j *Join) Cached() int { return len(j.buckets) }

// Push is not called: the inputs push into the sides.
func (j *Join) Push(*vec.Batch) error { return errors.New("exec: push into a join's side") }

func (j *Join) OnWatermark(int64) error { return nil }
func (j *Join) OnBarrier(uint64) error  { return nil }
func (j *Join) Close() error            { return nil }

func (s *JoinSide) Push(b *vec.Batch) error {
	if b.N == 0 {
		return nil
	}
	return s.j.push(s.side, b)
}

// OnWatermark stops at a regular join, whose output has no event time;
// an interval join drops the rows it passes and passes on its own.
func (s *JoinSide) OnWatermark(wm int64) error {
	if s.j.iv == nil {
		return nil
	}
	return s.j.onWatermark(s.side, wm)
}

// onWatermark moves side s's watermark: the other side's rows that no row
// to come on s can match go (an outer join pads the unmatched ones), and
// the output's watermark is the least time a joined row can still have.
func (j *Join) onWatermark(s int, wm int64) error {
	iv := j.iv
	if wm <= iv.wm[s] {
		return nil
	}
	iv.wm[s] = wm
	o := 1 - s
	// Side o's rows at t are done once wm > t + hi (o left) or
	// wm > t - lo (o right): whole buckets of them.
	var gone int64
	if o == 0 {
		gone = planner.FloorDiv(sat(wm, -iv.hi), iv.width)
	} else {
		gone = planner.FloorDiv(sat(wm, iv.lo), iv.width)
	}
	if gone > iv.gone[o] {
		if err := j.expire(o, iv.gone[o], gone); err != nil {
			return err
		}
		iv.gone[o] = gone
		if err := j.flushOut(); err != nil {
			return err
		}
	}
	if iv.wm[0] == math.MinInt64 || iv.wm[1] == math.MinInt64 {
		return nil
	}
	out := min(iv.wm[0], sat(iv.wm[1], -iv.hi))
	if out <= iv.outWM {
		return nil
	}
	iv.outWM = out
	return j.out.OnWatermark(out)
}

// expire deletes side s's time buckets [from, to), first padding their
// unmatched rows when s is kept unmatched: the cached ones from the
// cache, the others (when it is not complete) from the store.
func (j *Join) expire(s int, from, to int64) error {
	lo := keys.AppendInt64([]byte{byte(s)}, from)
	hi := keys.AppendInt64([]byte{byte(s)}, to)
	if from == math.MinInt64 {
		lo = []byte{byte(s)}
	}
	if j.keeps(s) && !j.complete {
		it := j.store.NewIter(lo, hi)
		for ok := it.First(); ok; ok = it.Next() {
			if _, cached := j.buckets[string(it.Key())]; cached {
				continue
			}
			entries, err := decodeBucket(it.Value(), nil)
			if err != nil {
				it.Close()
				return err
			}
			if err := j.padUnmatched(s, entries); err != nil {
				it.Close()
				return err
			}
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	for tb, bks := range j.iv.cached[s] {
		if tb >= to {
			continue
		}
		for _, bk := range bks {
			if j.keeps(s) {
				if err := j.padUnmatched(s, bk.ents); err != nil {
					return err
				}
			}
			bk.dead = true
			delete(j.buckets, bk.key)
		}
		delete(j.iv.cached[s], tb)
	}
	return j.store.DeleteRange(lo, hi)
}

// padUnmatched appends the padded rows of the entries that match nothing.
func (j *Join) padUnmatched(s int, ents []bucketEntry) error {
	for _, e := range ents {
		if e.matches == 0 {
			if err := j.appendPaddedRow(s, e.row, e.mult); err != nil {
				return err
			}
		}
	}
	return nil
}

// sat is x + d, saturated at int64's ends.
func sat(x, d int64) int64 {
	switch {
	case d > 0 && x > math.MaxInt64-d:
		return math.MaxInt64
	case d < 0 && x < math.MinInt64-d:
		return math.MinInt64
	}
	return x + d
}

func (s *JoinSide) OnBarrier(uint64) error { return nil }
func (s *JoinSide) Close() error           { return nil }
