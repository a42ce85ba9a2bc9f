package memory

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/google/btree"

	"github.com/streamsql/streamsql/state"
)

// degree of the B-trees: nodes of up to 63 items keep a million keys within
// four levels, and every level costs key-pointer chasing.
const degree = 32

// item is one key-value pair. key and value share one allocation and are
// never modified after insertion, which is what lets Get and iterators hand
// them out without copying and lets an iterator's snapshot outlive writes.
type item struct {
	key, value []byte
}

func lessItem(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 }

func newTree() *btree.BTreeG[item] { return btree.NewG(degree, lessItem) }

// store is one namespace. It is used by one goroutine at a time, so it has no
// lock of its own; the Backend's closed flag is atomic because Close may come
// from another goroutine once the engine has stopped the operator.
type store struct {
	b     *Backend
	tree  *btree.BTreeG[item]
	stats state.Stats
	// track is set on the Stores of a durable Backend: they record what
	// changed since the last checkpoint, which the next delta writes.
	track bool
	changes
}

// changes is what a Store changed since the last checkpoint:
//
//   - whole: the namespace was cleared, or half its keys changed, or too
//     many ranges, so the delta clears it and writes every live key; the
//     rest is unused.
//   - ranges: the DeleteRanges, in any order (deletes commute).
//   - dirty: every key Put or Deleted since, mapped to whether it existed
//     when it was first changed. The delta writes each one's value now, or
//     a delete. A key that did not exist then and does not now needs
//     neither (it was not in the checkpoint, or a recorded range removed
//     it), so such a key leaves the map when it is deleted, and a range
//     drops the keys it removes: a window opened and closed between two
//     checkpoints costs one range in the delta.
//
// dirty's keys alias the tree items' key bytes, which are never modified,
// so recording a Put allocates nothing.
type changes struct {
	whole  bool
	ranges []keyRange
	dirty  map[string]bool
}

// keyRange is a recorded DeleteRange; end nil is unbounded.
type keyRange struct{ start, end []byte }

// maxRanges bounds the ranges a Store records between checkpoints; past it
// the namespace is written whole.
const maxRanges = 4096

// empty reports whether there is nothing to write.
func (c *changes) empty() bool { return !c.whole && len(c.ranges) == 0 && len(c.dirty) == 0 }

// reset forgets the changes, once a checkpoint has them (or Restore has
// replaced the contents). A big map is dropped rather than cleared, since
// clearing costs its capacity, not its length, at every checkpoint after.
func (c *changes) reset() {
	c.whole, c.ranges = false, nil
	if len(c.dirty) > 1024 {
		c.dirty = nil
	} else {
		clear(c.dirty)
	}
}

// changed records that key (the tree's own immutable bytes) was written;
// existed is whether it was there before this write.
func (s *store) changed(key []byte, existed bool) {
	if !s.track || s.whole {
		return
	}
	k := unsafe.String(unsafe.SliceData(key), len(key))
	if s.dirty == nil {
		s.dirty = make(map[string]bool)
	}
	// An update is one map write: marking a key that was born since the
	// checkpoint as existing only costs a needless delete in the delta if
	// it goes again. A key that is new now must not lose the mark of a
	// key deleted since the checkpoint.
	if existed {
		s.dirty[k] = true
	} else if _, ok := s.dirty[k]; !ok {
		s.dirty[k] = false
		if n := len(s.dirty); n > minWhole && n > s.tree.Len()/2 {
			// Half the namespace changed: writing it whole costs at most
			// twice the delta, and saves recording the rest.
			s.rewriteWhole()
		}
	}
}

// minWhole is the number of changed keys below which a Store keeps
// recording them however small it is.
const minWhole = 1024

// deleted records that the existing key (the tree's own bytes) was removed.
func (s *store) deleted(key []byte) {
	if !s.track || s.whole {
		return
	}
	k := unsafe.String(unsafe.SliceData(key), len(key))
	existed, ok := s.dirty[k]
	switch {
	case !ok:
		if s.dirty == nil {
			s.dirty = make(map[string]bool)
		}
		s.dirty[k] = true
	case !existed:
		delete(s.dirty, k) // born and gone since the checkpoint
	}
}

// rewriteWhole makes the next delta write the namespace whole.
func (s *store) rewriteWhole() {
	if s.track {
		s.reset()
		s.whole = true
	}
}

var (
	_ state.Store             = (*store)(nil)
	_ state.KnownRangeDeleter = (*store)(nil)
)

func (s *store) Get(key []byte) ([]byte, bool, error) {
	if s.b.closed.Load() {
		return nil, false, state.ErrClosed
	}
	it, ok := s.tree.Get(item{key: key})
	return it.value, ok, nil
}

func (s *store) Put(key, value []byte) error {
	if s.b.closed.Load() {
		return state.ErrClosed
	}
	buf := make([]byte, len(key)+len(value))
	n := copy(buf, key)
	copy(buf[n:], value)
	old, existed := s.tree.ReplaceOrInsert(item{key: buf[:n:n], value: buf[n:]})
	if existed {
		s.stats.Bytes -= int64(len(old.key) + len(old.value))
	} else {
		s.stats.Keys++
	}
	s.stats.Bytes += int64(len(buf))
	s.changed(buf[:n:n], existed)
	return nil
}

func (s *store) Delete(key []byte) error {
	if s.b.closed.Load() {
		return state.ErrClosed
	}
	if old, ok := s.tree.Delete(item{key: key}); ok {
		s.stats.Keys--
		s.stats.Bytes -= int64(len(old.key) + len(old.value))
		s.deleted(old.key)
	}
	return nil
}

func (s *store) DeleteRange(start, end []byte) error {
	_, err := s.deleteRange(start, end)
	return err
}

// DeleteRangeKnown implements state.KnownRangeDeleter by checking the
// caller's count against the keys it removes.
func (s *store) DeleteRangeKnown(start, end []byte, removed state.Stats) error {
	held, err := s.deleteRange(start, end)
	if err == nil && removed.Keys != 0 && removed != held {
		return fmt.Errorf("memory: %w", state.Miscounted(start, end, removed, held))
	}
	return err
}

// deleteRange removes [start, end) and returns what it held.
func (s *store) deleteRange(start, end []byte) (state.Stats, error) {
	if s.b.closed.Load() {
		return state.Stats{}, state.ErrClosed
	}
	if len(start) == 0 && end == nil {
		held := s.stats
		s.tree, s.stats = newTree(), state.Stats{}
		s.rewriteWhole() // which is nothing but the clear
		return held, nil
	}
	// The btree cannot delete while ascending, so collect the victims first;
	// their keys are immutable, so holding them across deletes is safe.
	var victims []item
	ascend(s.tree, start, end, func(it item) bool {
		victims = append(victims, it)
		return true
	})
	var held state.Stats
	for _, it := range victims {
		s.tree.Delete(it)
		held.Keys++
		held.Bytes += int64(len(it.key) + len(it.value))
	}
	s.stats.Keys -= held.Keys
	s.stats.Bytes -= held.Bytes
	if s.track && !s.whole && len(victims) > 0 {
		for _, it := range victims {
			delete(s.dirty, unsafe.String(unsafe.SliceData(it.key), len(it.key)))
		}
		if len(s.ranges) == maxRanges {
			s.rewriteWhole()
		} else {
			s.ranges = append(s.ranges, keyRange{start: clone(start), end: clone(end)})
		}
	}
	return held, nil
}

func (s *store) Apply(b *state.Batch) error {
	for _, op := range b.Ops() {
		var err error
		if op.Delete {
			err = s.Delete(op.Key)
		} else {
			err = s.Put(op.Key, op.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *store) NewIter(start, end []byte) state.Iterator {
	if s.b.closed.Load() {
		return &iterator{b: s.b, err: state.ErrClosed}
	}
	// Clone is O(1): both trees share nodes copy-on-write, which gives the
	// iterator a snapshot and leaves the Store free to be mutated.
	return &iterator{b: s.b, tree: s.tree.Clone(), start: clone(start), end: clone(end)}
}

func (s *store) Stats() state.Stats { return s.stats }

// ascend calls fn for the items in [start, end) in order until fn returns
// false. A nil end is unbounded; a nil start is the smallest key.
func ascend(t *btree.BTreeG[item], start, end []byte, fn func(item) bool) {
	if end != nil && bytes.Compare(start, end) >= 0 {
		return
	}
	t.AscendGreaterOrEqual(item{key: start}, func(it item) bool {
		if end != nil && bytes.Compare(it.key, end) >= 0 {
			return false
		}
		return fn(it)
	})
}

// clone copies a bound, keeping nil (unbounded) distinct from empty.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// The btree package only iterates by callback, so a pull iterator re-enters
// the tree at its last key and copies out a batch of items per descent. The
// batch starts small, because most scans (one window, one group) are short,
// and doubles up to maxBatch so that long scans amortize the O(log n)
// descent, whose comparisons each chase a key pointer.
const (
	minBatch = 16
	maxBatch = 1024
)

// iterator pulls items out of a snapshot of a store in batches.
type iterator struct {
	b          *Backend
	tree       *btree.BTreeG[item] // private clone, never mutated
	start, end []byte
	buf        []item
	batch      int // items to fetch per descent
	pos        int
	exhausted  bool // buf holds the last items of the range
	positioned bool
	err        error
}

var _ state.Iterator = (*iterator)(nil)

// fill loads the next batch starting at from, skipping from itself unless
// inclusive.
func (it *iterator) fill(from []byte, inclusive bool) {
	if it.b.closed.Load() {
		it.err = state.ErrClosed
	}
	it.buf, it.pos = it.buf[:0], 0
	if it.err != nil {
		return
	}
	skip := !inclusive // only the first item can be from itself
	ascend(it.tree, from, it.end, func(x item) bool {
		if skip {
			skip = false
			if bytes.Equal(x.key, from) {
				return true
			}
		}
		it.buf = append(it.buf, x)
		return len(it.buf) < it.batch
	})
	it.exhausted = len(it.buf) < it.batch
}

func (it *iterator) First() bool {
	it.positioned = true
	it.batch = minBatch
	it.fill(it.start, true)
	return it.Valid()
}

func (it *iterator) Next() bool {
	if !it.positioned {
		return it.First()
	}
	if !it.Valid() {
		return false
	}
	it.pos++
	if it.pos == len(it.buf) && !it.exhausted {
		it.batch = min(2*it.batch, maxBatch)
		it.fill(it.buf[len(it.buf)-1].key, false)
	}
	return it.Valid()
}

func (it *iterator) Valid() bool {
	return it.err == nil && it.positioned && it.pos < len(it.buf)
}

func (it *iterator) Key() []byte   { return it.buf[it.pos].key }
func (it *iterator) Value() []byte { return it.buf[it.pos].value }
func (it *iterator) Error() error  { return it.err }

func (it *iterator) Close() error {
	it.tree, it.buf = nil, nil
	return it.err
}
