package exec

import (
	"encoding/binary"
	"fmt"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/keys"
)

// SESSION windows are per group key and change shape as rows arrive, so
// they cannot lead the key with a fixed window end. Their state has three
// parts (the input is append-only, which the planner enforces, so a
// session only grows or merges):
//
//	's' keys start           → last row time, session id, accumulators
//	'e' end keys start       → (empty) index by end: closing is a bounded scan
//	'm' id agg value         → count of value (COUNT DISTINCT), by session id
//	'i'                      → the next session id
//
// A row at t joins every open session of its key with start - gap < t <
// end (end = last row + gap); joining two or more merges them, their
// accumulators and value counts combined, not recomputed. The merged
// session keeps the id of the first, so only the others' value counts move.
const (
	sessPrefix  = 's'
	sessEnd     = 'e'
	sessValues  = 'm'
	sessNextKey = 'i'
)

// session is one open session as read from state.
type session struct {
	key         []byte // state key: 's' keys start
	start, last int64
	id          uint64
	rows        int64
	acc         []aggVal
}

func (a *Aggregate) pushSession(b *vec.Batch) error {
	w := a.plan.Window
	tv := &b.Cols[w.Time]
	a.outB.Reset()
	for r := 0; r < b.N; r++ {
		if tv.IsNull(r) {
			continue
		}
		if d := b.DiffAt(r); d != 1 {
			return fmt.Errorf("exec: SESSION window got a retraction (diff %d); its input must be append-only", d)
		}
		if err := a.sessionRow(r, tv.I64[r]); err != nil {
			return err
		}
	}
	if a.outB.N == 0 {
		return nil
	}
	return a.out.Push(a.outB)
}

// sessionRow adds row r at time t to its key's sessions.
func (a *Aggregate) sessionRow(r int, t int64) error {
	w := a.plan.Window
	gk := a.keyBuf[:0]
	for _, v := range a.keyVecs {
		gk = encodeValue(gk, v, r)
	}
	a.keyBuf = gk
	prefix := append([]byte{sessPrefix}, gk...)
	matched, err := a.sessionsOf(prefix, t)
	if err != nil {
		return err
	}
	if len(matched) == 0 && t+w.Size+w.Grace <= a.wm {
		a.late.Add(1)
		return nil
	}
	m := &session{start: t, last: t, acc: make([]aggVal, len(a.plan.Aggs))}
	if len(matched) > 0 {
		m.id = matched[0].id
	} else if m.id, err = a.nextSessionID(); err != nil {
		return err
	}
	emit := !a.plan.EmitOnClose
	for _, s := range matched {
		if emit {
			if err := a.appendSession(prefix[1:], s, -1); err != nil {
				return err
			}
		}
		m.start, m.last = min(m.start, s.start), max(m.last, s.last)
		m.rows += s.rows
		for j, c := range a.plan.Aggs {
			if !a.multiset[j] {
				mergeVal(c.Func, a.argTypes[j].Kind, &m.acc[j], &s.acc[j])
			} else {
				m.acc[j].n += s.acc[j].n
			}
		}
		if err := a.store.Delete(s.key); err != nil {
			return err
		}
		if err := a.store.Delete(a.sessionEndKey(gk, s.start, s.last+w.Size)); err != nil {
			return err
		}
		if s.id != m.id {
			if err := a.moveValues(s.id, m.id, m.acc); err != nil {
				return err
			}
		}
	}
	// Fold in the row itself.
	m.rows++
	for j, c := range a.plan.Aggs {
		if c.Func == planner.AggCountStar {
			m.acc[j].n++
			continue
		}
		x := a.argVecs[j]
		if x.IsNull(r) {
			continue
		}
		if a.multiset[j] {
			k := keys.AppendUint64([]byte{sessValues}, m.id)
			k = append(k, byte(j))
			k = encodeValue(k, x, r)
			if added, err := a.addValue(k, 1); err != nil {
				return err
			} else if added {
				m.acc[j].n++
			}
			continue
		}
		foldVal(c.Func, &m.acc[j], x, r, 1)
	}
	m.key = keys.AppendInt64(append([]byte(nil), prefix...), m.start)
	a.accBuf = binary.AppendVarint(a.accBuf[:0], m.last)
	a.accBuf = binary.AppendUvarint(a.accBuf, m.id)
	a.accBuf = encodeAcc(a.accBuf, m.rows, m.acc)
	if err := a.store.Put(m.key, a.accBuf); err != nil {
		return err
	}
	if err := a.store.Put(a.sessionEndKey(gk, m.start, m.last+w.Size), nil); err != nil {
		return err
	}
	if emit {
		return a.appendSession(prefix[1:], m, 1)
	}
	return nil
}

// sessionsOf returns the open sessions of a key that a row at t joins.
// A key has few open sessions (they close as the watermark passes), so
// all of them are read.
func (a *Aggregate) sessionsOf(prefix []byte, t int64) ([]*session, error) {
	gap := a.plan.Window.Size
	it := a.store.NewIter(prefix, keys.PrefixEnd(prefix))
	var out []*session
	for ok := it.First(); ok; ok = it.Next() {
		start, _, err := keys.DecodeInt64(it.Key()[len(prefix):])
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("%w: %v", errCorruptAcc, err)
		}
		if start >= t+gap {
			break
		}
		s, err := a.decodeSession(it.Key(), start, it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		if t > s.start-gap && t < s.last+gap {
			out = append(out, s)
		}
	}
	return out, it.Close()
}

func (a *Aggregate) decodeSession(key []byte, start int64, v []byte) (*session, error) {
	s := &session{key: append([]byte(nil), key...), start: start, acc: make([]aggVal, len(a.plan.Aggs))}
	var n int
	if s.last, n = binary.Varint(v); n <= 0 {
		return nil, errCorruptAcc
	}
	v = v[n:]
	if s.id, n = binary.Uvarint(v); n <= 0 {
		return nil, errCorruptAcc
	}
	var err error
	s.rows, err = decodeAcc(v[n:], s.acc)
	return s, err
}

func (a *Aggregate) sessionEndKey(gk []byte, start, end int64) []byte {
	k := keys.AppendInt64([]byte{sessEnd}, end)
	k = append(k, gk...)
	return keys.AppendInt64(k, start)
}

func (a *Aggregate) nextSessionID() (uint64, error) {
	v, ok, err := a.store.Get([]byte{sessNextKey})
	if err != nil {
		return 0, err
	}
	id := uint64(1)
	if ok {
		id, _ = binary.Uvarint(v)
	}
	return id, a.store.Put([]byte{sessNextKey}, binary.AppendUvarint(nil, id+1))
}

// addValue adds d to a value's count and reports whether the value is new.
func (a *Aggregate) addValue(k []byte, d int64) (bool, error) {
	old, ok, err := a.store.Get(k)
	if err != nil {
		return false, err
	}
	var c int64
	if ok {
		c, _ = binary.Varint(old)
	}
	return !ok, a.store.Put(k, binary.AppendVarint(nil, c+d))
}

// moveValues merges session from's value counts into session to's,
// correcting to's distinct counts (acc holds their sum so far).
func (a *Aggregate) moveValues(from, to uint64, acc []aggVal) error {
	lo := keys.AppendUint64([]byte{sessValues}, from)
	hi := keys.PrefixEnd(lo)
	it := a.store.NewIter(lo, hi)
	for ok := it.First(); ok; ok = it.Next() {
		rest := it.Key()[len(lo):]
		c, _ := binary.Varint(it.Value())
		k := append(keys.AppendUint64([]byte{sessValues}, to), rest...)
		added, err := a.addValue(k, c)
		if err != nil {
			it.Close()
			return err
		}
		if !added {
			acc[rest[0]].n-- // counted in both sessions
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	return a.store.DeleteRange(lo, hi)
}

// appendSession appends a session's row with diff d; gk is the encoded
// group key.
func (a *Aggregate) appendSession(gk []byte, s *session, d int64) error {
	a.scratch.Reset()
	if _, err := decodeRow(gk, a.scratch.Cols); err != nil {
		return err
	}
	a.appendRow(nil, 0, s.start, s.last+a.plan.Window.Size, s.acc, d)
	return nil
}

// closeSessions drops every session ending at or before wm, first
// emitting its final row under EMIT ON WINDOW CLOSE.
func (a *Aggregate) closeSessions(wm int64) error {
	lo := []byte{sessEnd}
	hi := keys.AppendInt64([]byte{sessEnd}, wm+1)
	it := a.store.NewIter(lo, hi)
	a.outB.Reset()
	var batch state.Batch
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		_, rest, err := keys.DecodeInt64(k[1:])
		if err != nil {
			it.Close()
			return fmt.Errorf("%w: %v", errCorruptAcc, err)
		}
		gk, startB := rest[:len(rest)-8], rest[len(rest)-8:]
		sk := append(append([]byte{sessPrefix}, gk...), startB...)
		v, ok, err := a.store.Get(sk)
		if err != nil || !ok {
			it.Close()
			if err == nil {
				err = fmt.Errorf("%w: session index without session", errCorruptAcc)
			}
			return err
		}
		start, _, _ := keys.DecodeInt64(startB)
		s, err := a.decodeSession(sk, start, v)
		if err != nil {
			it.Close()
			return err
		}
		if a.plan.EmitOnClose {
			if err := a.appendSession(gk, s, 1); err != nil {
				it.Close()
				return err
			}
		}
		batch.Delete(sk)
		if a.hasMultiset() {
			lo := keys.AppendUint64([]byte{sessValues}, s.id)
			if err := a.store.DeleteRange(lo, keys.PrefixEnd(lo)); err != nil {
				it.Close()
				return err
			}
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	if err := a.store.Apply(&batch); err != nil {
		return err
	}
	if err := a.store.DeleteRange(lo, hi); err != nil {
		return err
	}
	if a.outB.N > 0 {
		return a.out.Push(a.outB)
	}
	return nil
}

func (a *Aggregate) hasMultiset() bool {
	for _, m := range a.multiset {
		if m {
			return true
		}
	}
	return false
}
