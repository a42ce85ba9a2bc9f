package pebble

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Every Store remembers which keys it touched since the base, the last
// checkpoint this process committed or restored, which the live DB keeps as a
// Pebble snapshot. That buys two things:
//
//   - Restore within a process rolls the touched keys and ranges back to the
//     snapshot in one batch: its cost follows the writes since the
//     checkpoint, and it creates no file. The checkpoint on disk is read
//     (and verified) only by the first Restore after Open or ImportSnapshot.
//   - The size of a touched key's value is known, so the Put of a
//     read-modify-write (Get, then Put of the same key: how an aggregate
//     updates its state) or a repeated Put needs no second Pebble lookup to
//     keep Stats exact. A checkpoint changes no value, so the sizes outlive
//     it (up to half of maxTouched keys): the write-back of the groups a
//     checkpoint wrote last time reads no prior size at the next one.
//
// The memory is bounded: past maxTouched keys or maxSpans ranges a Store
// stops recording, and Restore goes back to the disk copy. (Backend.limits
// holds them, so that tests can exercise that path.)
const (
	maxTouched = 1 << 16
	maxSpans   = 1 << 12
)

// limits bounds what each Store records; see maxTouched.
type limits struct{ touched, spans int }

// absent is the size of a key known not to exist.
const absent = -1

// sizeEntry is what a Store knows of one touched key: the size of its value
// (or absent) as of epoch, and the base it was last touched on. A
// DeleteRange bumps the Store's epoch, which makes every size recorded
// before it unknown again, in O(1); a checkpoint bumps the Store's base,
// which leaves the sizes known but the keys untouched since the new base.
type sizeEntry struct {
	size  int32
	epoch uint32
	base  uint32
}

// span is a range of Pebble keys deleted since the base; hi nil is unbounded.
type span struct{ lo, hi []byte }

// knownSize returns the size of key's value when the Store knows it.
func (s *store) knownSize(key []byte) (size int, exists, known bool) {
	e := s.touched[string(key)]
	if e == nil || e.epoch != s.epoch {
		return 0, false, false
	}
	return int(e.size), e.size != absent, true
}

// note records the size of key's value, or absent.
func (s *store) note(key []byte, size int) {
	if e := s.touched[string(key)]; e != nil {
		e.size, e.epoch, e.base = int32(size), s.epoch, s.base
		return
	}
	if len(s.touched) >= s.b.limits.touched || size > 1<<30 {
		s.overflow = true
		return
	}
	if s.touched == nil {
		s.touched = make(map[string]*sizeEntry)
	}
	s.touched[string(key)] = &sizeEntry{size: int32(size), epoch: s.epoch, base: s.base}
}

// noteSpan records that [lo, hi) was deleted.
func (s *store) noteSpan(lo, hi []byte) {
	s.epoch++
	if len(s.spans) >= s.b.limits.spans {
		s.overflow = true
		return
	}
	s.spans = append(s.spans, span{lo: lo, hi: hi})
}

// forget drops what the Store knows, after its contents were replaced or
// became the new base.
func (s *store) forget() {
	if len(s.touched) > 1024 {
		s.touched = nil // let a burst's big map go
	}
	clear(s.touched)
	s.spans, s.overflow = nil, false
	s.epoch++
}

// rebased makes the Store's contents its base: nothing is touched since,
// but the sizes it knows stay known, unless they are so many that they
// would crowd out the keys touched before the next checkpoint.
func (s *store) rebased() {
	if len(s.touched) > s.b.limits.touched/2 {
		s.forget()
		return
	}
	s.base++
	s.spans, s.overflow = nil, false
}

// rebase makes the live contents the base: Checkpoint committed them or
// Restore loaded them. b.mu is held.
func (b *Backend) rebase() error {
	g := b.cur.Load()
	for _, s := range b.stores {
		s.baseStats = s.stats
		s.rebased()
	}
	if g == nil {
		return nil
	}
	if g.base != nil {
		if err := g.base.Close(); err != nil {
			return err
		}
	}
	g.base = g.db.NewSnapshot()
	return nil
}

// canRollback reports whether Restore can roll back in place. b.mu is held.
func (b *Backend) canRollback() bool {
	if g := b.cur.Load(); g == nil || g.base == nil {
		return false
	}
	for _, s := range b.stores {
		if s.overflow {
			return false
		}
	}
	return true
}

// rollback writes the base's version of every touched key and range in one
// batch, so that a failure changes nothing. b.mu is held.
func (b *Backend) rollback() error {
	g := b.cur.Load()
	batch := g.db.NewBatch()
	defer batch.Close()
	for _, s := range b.stores {
		for _, sp := range s.spans {
			if err := rollbackSpan(g, batch, sp); err != nil {
				return err
			}
		}
		var k []byte
		for key, e := range s.touched {
			if e.base != s.base {
				continue // not touched since the base
			}
			k = append(append(k[:0], s.prefix...), key...)
			v, closer, err := g.base.Get(k)
			if errors.Is(err, pebble.ErrNotFound) {
				err = batch.Delete(k, nil)
			} else if err == nil {
				err = batch.Set(k, v, nil)
				closer.Close()
			}
			if err != nil {
				return err
			}
		}
	}
	if err := batch.Commit(noSync); err != nil {
		return fmt.Errorf("roll back: %w", err)
	}
	b.releaseIters(errRestored)
	b.dirty.Store(true)
	for _, s := range b.stores {
		s.stats = s.baseStats
		s.forget()
	}
	return nil
}

// rollbackSpan deletes the live keys of sp and copies the base's back.
func rollbackSpan(g *generation, batch *pebble.Batch, sp span) error {
	if sp.hi != nil {
		if err := batch.DeleteRange(sp.lo, sp.hi, nil); err != nil {
			return err
		}
	} else if err := eachKey(g.db, sp, func(k, _ []byte) error { return batch.Delete(k, nil) }); err != nil {
		return err
	}
	return eachKey(g.base, sp, func(k, v []byte) error { return batch.Set(k, v, nil) })
}

// eachKey calls fn for every key of sp in r (the DB or a snapshot).
func eachKey(r interface {
	NewIter(*pebble.IterOptions) (*pebble.Iterator, error)
}, sp span, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: sp.lo, UpperBound: sp.hi})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), v)
		}
		if err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}
