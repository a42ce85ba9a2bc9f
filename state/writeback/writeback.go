// Package writeback is the one cached, batched write path in front of a
// state backend, for every operator that keeps raw key-value state.
//
// A Cache wraps a state.Store and is one itself. Puts and deletes land in
// memory, the last write to a key replacing the one before (so the changes
// of a key between two flushes collapse to one), and reach the backend as a
// single Store.Apply at Flush: one commit and one ordered pass over the
// backend's index per flush, where a write per change would pay a commit
// and a lookup each. Reads go through the cache and keep what they read, so
// a key read or written once is not read from the backend again until the
// cache is dropped.
//
// An operator calls Flush at every barrier (the engine does before a
// checkpoint), so a checkpoint holds everything written. The cache holds at
// most Limit keys: past that, a write flushes and drops every key first.
// Iterating or deleting a range flushes first, so the backend's iterator,
// with its snapshot semantics, sees every write.
//
// Stats are the backend's as of the last flush: the cache does not know
// whether a blind write replaces a key. An operator that needs exact sizes
// between flushes tracks them (see exec.Materialize).
package writeback

import (
	"bytes"
	"slices"
	"strings"
	"unsafe"

	"github.com/streamsql/streamsql/state"
)

// DefaultLimit bounds a Cache's keys unless SetLimit says otherwise.
const DefaultLimit = 1 << 20

// Cache is a write-back cache over one state.Store. Like a Store it is used
// by one goroutine at a time.
type Cache struct {
	store state.Store
	limit int
	idx   map[string]int32 // key → ents index
	ents  []entry
	dirty int // entries whose write the store has not seen
	// arena holds the keys and values of entries. It is never reused in
	// place once a Flush has dropped the entries, since a value handed out
	// by Get stays valid until the next mutation.
	arena   []byte
	batch   state.Batch
	order   []int32 // flush's scratch
	flushes uint64
}

// entry is one cached key: its value, or its absence.
type entry struct {
	key   string // points into the arena
	val   []byte // points into the arena; nil when absent
	found bool   // the key has a value
	dirty bool
	dead  bool // removed by DeleteRange; its idx slot is gone
}

var _ state.Store = (*Cache)(nil)

// New returns an empty cache over store.
func New(store state.Store) *Cache {
	return &Cache{store: store, limit: DefaultLimit, idx: map[string]int32{}}
}

// SetLimit bounds the number of cached keys (at least 1).
func (c *Cache) SetLimit(n int) { c.limit = max(n, 1) }

// Len is the number of cached keys, clean ones included.
func (c *Cache) Len() int { return len(c.idx) }

// Dirty is the number of cached writes the store has not seen.
func (c *Cache) Dirty() int { return c.dirty }

// Flushes counts the flushes that wrote back every pending write. A caller
// that tracks sizes between flushes resets its tally when it changes.
func (c *Cache) Flushes() uint64 { return c.flushes }

func (c *Cache) Get(key []byte) ([]byte, bool, error) {
	if i, ok := c.idx[string(key)]; ok {
		e := &c.ents[i]
		return e.val, e.found, nil
	}
	// Room first: a flush would end the life of what the store returns.
	if err := c.room(); err != nil {
		return nil, false, err
	}
	v, ok, err := c.store.Get(key)
	if err != nil {
		return nil, false, err
	}
	e := c.add(key)
	e.found = ok
	if ok {
		e.val = c.keep(v)
	}
	return e.val, ok, nil
}

func (c *Cache) Put(key, value []byte) error { return c.set(key, value, true) }

func (c *Cache) Delete(key []byte) error { return c.set(key, nil, false) }

// set records a write of key: value when found, else a delete.
func (c *Cache) set(key, value []byte, found bool) error {
	i, ok := c.idx[string(key)]
	var e *entry
	if ok {
		e = &c.ents[i]
	} else {
		if err := c.room(); err != nil {
			return err
		}
		e = c.add(key)
	}
	if !e.dirty {
		e.dirty = true
		c.dirty++
	}
	e.found = found
	switch {
	case !found:
		e.val = nil
	case cap(e.val) >= len(value):
		// In place: the value handed out before is invalid after a write.
		e.val = append(e.val[:0], value...)
	case e.val != nil:
		// A value rewritten longer (a join's bucket of rows) gets room to
		// grow, so that growing it by a row at a time costs amortized
		// copies, not a copy of the whole per row.
		e.val = c.keepRoom(value, len(value)+len(value)/2)
	default:
		e.val = c.keep(value)
	}
	return nil
}

// room makes space for one more key, flushing and dropping every key when
// the cache is full.
func (c *Cache) room() error {
	if len(c.idx) < c.limit {
		return nil
	}
	return c.flush(true)
}

// add caches key (absent, clean) and returns its entry.
func (c *Cache) add(key []byte) *entry {
	k := c.keep(key)
	s := ""
	if len(k) > 0 {
		s = unsafe.String(&k[0], len(k))
	}
	c.idx[s] = int32(len(c.ents))
	c.ents = append(c.ents, entry{key: s})
	return &c.ents[len(c.ents)-1]
}

// keep copies b into the arena.
func (c *Cache) keep(b []byte) []byte { return c.keepRoom(b, len(b)) }

// keepRoom copies b into the arena with capacity for n bytes.
func (c *Cache) keepRoom(b []byte, n int) []byte {
	if cap(c.arena)-len(c.arena) < n {
		// Strings and values in the old buffer stay valid.
		c.arena = make([]byte, 0, max(2*cap(c.arena), 64<<10, n))
	}
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	c.arena = c.arena[:start+n]
	return c.arena[start : start+len(b) : start+n]
}

// DeleteRange drops the cached keys in [start, end), pending writes
// included, and deletes the range from the store.
func (c *Cache) DeleteRange(start, end []byte) error {
	for i := range c.ents {
		e := &c.ents[i]
		if e.dead || !inRange(e.key, start, end) {
			continue
		}
		if e.dirty {
			c.dirty--
		}
		e.dead, e.dirty = true, false
		delete(c.idx, e.key)
	}
	return c.store.DeleteRange(start, end)
}

func inRange(k string, start, end []byte) bool {
	kb := unsafe.Slice(unsafe.StringData(k), len(k))
	return bytes.Compare(kb, start) >= 0 && (end == nil || bytes.Compare(kb, end) < 0)
}

func (c *Cache) Apply(b *state.Batch) error {
	for _, op := range b.Ops() {
		if err := c.set(op.Key, op.Value, !op.Delete); err != nil {
			return err
		}
	}
	return nil
}

// NewIter flushes, then iterates the store: the iterator sees every write
// made so far, and none made after.
func (c *Cache) NewIter(start, end []byte) state.Iterator {
	if err := c.Flush(); err != nil {
		return errIter{err}
	}
	return c.store.NewIter(start, end)
}

// Stats are the store's, as of the last flush.
func (c *Cache) Stats() state.Stats { return c.store.Stats() }

// Flush writes every pending write to the store in one Apply and drops
// every cached key: between barriers the cache holds what changed, not a
// second copy of the state.
func (c *Cache) Flush() error { return c.flush(true) }

// Drop forgets every cached key without writing anything: for after the
// store was restored or dropped under the cache.
func (c *Cache) Drop() {
	c.reset()
	c.flushes++
}

func (c *Cache) flush(drop bool) error {
	if c.dirty > 0 {
		c.batch.Reset()
		c.order = c.order[:0]
		for i := range c.ents {
			if c.ents[i].dirty {
				c.order = append(c.order, int32(i))
			}
		}
		// In key order: the backend's index is then walked, not jumped.
		slices.SortFunc(c.order, func(x, y int32) int { return strings.Compare(c.ents[x].key, c.ents[y].key) })
		for _, i := range c.order {
			e := &c.ents[i]
			if e.found {
				c.batch.Put([]byte(e.key), e.val)
			} else {
				c.batch.Delete([]byte(e.key))
			}
		}
		if err := c.store.Apply(&c.batch); err != nil {
			return err // the writes stay pending, for a retry
		}
		for i := range c.ents {
			c.ents[i].dirty = false
		}
		c.dirty = 0
	}
	c.flushes++
	if drop || len(c.ents) > 2*len(c.idx)+1024 {
		if drop {
			c.reset()
		} else {
			c.compact()
		}
	}
	return nil
}

// reset drops every entry; the arena is left to the values handed out.
func (c *Cache) reset() {
	clear(c.idx)
	c.ents, c.arena, c.dirty = c.ents[:0], nil, 0
}

// compact removes the entries DeleteRange killed.
func (c *Cache) compact() {
	live := c.ents[:0]
	for _, e := range c.ents {
		if !e.dead {
			c.idx[e.key] = int32(len(live))
			live = append(live, e)
		}
	}
	clear(c.ents[len(live):])
	c.ents = live
}

// errIter is an iterator that failed before it started.
type errIter struct{ err error }

func (it errIter) First() bool   { return false }
func (it errIter) Next() bool    { return false }
func (it errIter) Valid() bool   { return false }
func (it errIter) Key() []byte   { return nil }
func (it errIter) Value() []byte { return nil }
func (it errIter) Error() error  { return it.err }
func (it errIter) Close() error  { return it.err }
