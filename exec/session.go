package exec

import (
	"encoding/binary"
	"fmt"
	"slices"

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
//
// Open sessions are cached by key, like the groups of other windows: a row
// of a cached key touches no state, and a session is written back (its 's'
// and 'e' keys) only at a flush or when the cache overflows, which then
// empties it. A heap of cached sessions by end closes them without a
// scan; the 'e' index is scanned only for sessions that are in state but
// not in the cache (after an eviction or a restore).
const (
	sessPrefix  = 's'
	sessEnd     = 'e'
	sessValues  = 'm'
	sessNextKey = 'i'
)

// session is one open session.
type session struct {
	gk          string // encoded group key
	start, last int64
	id          uint64
	rows        int64
	acc         []aggVal
	// stored says the session is in state, under stStart (its 's' key)
	// and stEnd (its 'e' key), which lag start and last+gap until the next
	// write-back while dirty.
	stored         bool
	stStart, stEnd int64
	dirty, dead    bool
}

// sessState is the session operator's cache.
type sessState struct {
	init bool
	// complete: every session in state is also cached, so a key missing
	// from the cache has no session and closing needs no state scan.
	complete bool
	keys     map[string][]*session // open sessions by group key
	ends     sessHeap
	dirty    []*session
	nextID   uint64 // 0 until read from state
	idDirty  bool
	batch    state.Batch
}

func (a *Aggregate) pushSession(b *vec.Batch) error {
	w := a.plan.Window
	tv := &b.Cols[w.Time]
	if err := a.initSessions(); err != nil {
		return err
	}
	a.outB.Reset()
	for r := 0; r < b.N; r++ {
		if tv.IsNull(r) || a.shards > 1 && a.owner[r] != a.shard {
			continue
		}
		if d := b.DiffAt(r); d != 1 {
			return fmt.Errorf("exec: SESSION window got a retraction (diff %d); its input must be append-only", d)
		}
		if err := a.sessionRow(r, tv.I64[r]); err != nil {
			return err
		}
	}
	if a.cached > a.maxCached {
		if err := a.writeBackSessions(true); err != nil {
			return err
		}
	}
	if a.outB.N == 0 {
		return nil
	}
	return a.out.Push(a.outB)
}

// initSessions reads what the cache needs to know of state once: whether
// it holds any session, and the next session id.
func (a *Aggregate) initSessions() error {
	ss := &a.sess
	if ss.init {
		return nil
	}
	it := a.store.NewIter([]byte{sessPrefix}, []byte{sessPrefix + 1})
	found := it.First()
	if err := it.Close(); err != nil {
		return err
	}
	v, ok, err := a.store.Get([]byte{sessNextKey})
	if err != nil {
		return err
	}
	ss.nextID = 1
	if ok {
		if ss.nextID, _ = binary.Uvarint(v); ss.nextID == 0 {
			return errCorruptAcc
		}
	}
	ss.init, ss.complete, ss.keys = true, !found, map[string][]*session{}
	return nil
}

// sessionRow adds row r at time t to its key's sessions.
func (a *Aggregate) sessionRow(r int, t int64) error {
	w := a.plan.Window
	ss := &a.sess
	gk := a.keyBuf[:0]
	for _, v := range a.keyVecs {
		gk = encodeGroup(gk, v, r)
	}
	a.keyBuf = gk
	list, ok := ss.keys[string(gk)]
	if !ok {
		var err error
		if list, err = a.loadSessions(string(gk)); err != nil {
			return err
		}
	}
	var m *session
	gap := w.Size
	before := len(list)
	n := 0 // sessions the row joins, merged into m
	for _, s := range list {
		if !(t > s.start-gap && t < s.last+gap) {
			list[n] = s
			n++
			continue
		}
		if !a.plan.EmitOnClose {
			if err := a.appendSession(s, -1); err != nil {
				return err
			}
		}
		if m == nil {
			m = s
			list[n] = s
			n++
			continue
		}
		if err := a.mergeSession(m, s); err != nil {
			return err
		}
	}
	clear(list[n:])
	list = list[:n]
	if m == nil {
		if t+w.Size+w.Grace <= a.wm {
			a.late.Add(1)
			if !ok && len(list) > 0 {
				ss.keys[string(gk)] = list // cache what was loaded
			}
			return nil
		}
		m = &session{gk: string(gk), start: t, last: t, id: ss.nextID, acc: make([]aggVal, len(a.plan.Aggs))}
		ss.nextID++
		ss.idDirty = true
		list = append(list, m)
		a.cached++
		ss.ends.push(sessEntry{end: t + gap, s: m})
	}
	if !ok || len(list) != before { // loaded, merged or added to
		ss.keys[m.gk] = list
	}
	m.start, m.last = min(m.start, t), max(m.last, t)
	// Fold in the row itself.
	m.rows++
	for j, c := range a.plan.Aggs {
		if c.Func == planner.AggCountStar {
			m.acc[j].n++
			continue
		}
		x := a.argVecs[j]
		if x.IsNull(r) && !a.keepsNull(j) || a.filtered(j, r) {
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
	if !m.dirty {
		m.dirty = true
		ss.dirty = append(ss.dirty, m)
	}
	if !a.plan.EmitOnClose {
		return a.appendSession(m, 1)
	}
	return nil
}

// mergeSession folds session s into m (a row joined both) and forgets s.
func (a *Aggregate) mergeSession(m, s *session) error {
	m.start, m.last = min(m.start, s.start), max(m.last, s.last)
	m.rows += s.rows
	for j, c := range a.plan.Aggs {
		if !a.multiset[j] {
			mergeVal(c.Func, a.argTypes[j].Kind, &m.acc[j], &s.acc[j])
		} else {
			m.acc[j].n += s.acc[j].n
		}
	}
	if s.id != m.id {
		if err := a.moveValues(s.id, m.id, m.acc); err != nil {
			return err
		}
	}
	a.cached--
	return a.forgetSession(s)
}

// forgetSession marks a session gone (closed or merged) and deletes what
// state holds of it. Its value counts are the caller's business.
func (a *Aggregate) forgetSession(s *session) error {
	s.dead = true
	if !s.stored {
		return nil
	}
	s.stored = false
	if err := a.store.Delete(a.sessionKey(s.gk, s.stStart)); err != nil {
		return err
	}
	return a.store.Delete(a.sessionEndKey(s.gk, s.stStart, s.stEnd))
}

// loadSessions caches the sessions state holds for a key missing from the
// cache (none when the cache is complete).
func (a *Aggregate) loadSessions(gk string) ([]*session, error) {
	ss := &a.sess
	if ss.complete {
		return nil, nil
	}
	prefix := append([]byte{sessPrefix}, gk...)
	it := a.store.NewIter(prefix, keys.PrefixEnd(prefix))
	var out []*session
	for ok := it.First(); ok; ok = it.Next() {
		start, _, err := keys.DecodeInt64(it.Key()[len(prefix):])
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("%w: %v", errCorruptAcc, err)
		}
		s, err := a.decodeSession(gk, start, it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		s.stored, s.stStart, s.stEnd = true, s.start, s.last+a.plan.Window.Size
		out = append(out, s)
		a.cached++
		ss.ends.push(sessEntry{end: s.stEnd, s: s})
	}
	return out, it.Close()
}

func (a *Aggregate) sessionKey(gk string, start int64) []byte {
	return keys.AppendInt64(append([]byte{sessPrefix}, gk...), start)
}

// writeBackSessions writes dirty sessions and the next id to state; with
// drop it also empties the cache, which is then no longer complete.
func (a *Aggregate) writeBackSessions(drop bool) error {
	ss := &a.sess
	if !ss.init {
		return nil
	}
	gap := a.plan.Window.Size
	b := &ss.batch
	b.Reset()
	for _, s := range ss.dirty {
		if s.dead || !s.dirty {
			continue
		}
		s.dirty = false
		end := s.last + gap
		if s.stored && s.stStart != s.start {
			b.Delete(a.sessionKey(s.gk, s.stStart))
		}
		if s.stored && (s.stStart != s.start || s.stEnd != end) {
			b.Delete(a.sessionEndKey(s.gk, s.stStart, s.stEnd))
		}
		a.accBuf = binary.AppendVarint(a.accBuf[:0], s.last)
		a.accBuf = binary.AppendUvarint(a.accBuf, s.id)
		a.accBuf = encodeAcc(a.accBuf, s.rows, s.acc)
		b.Put(a.sessionKey(s.gk, s.start), a.accBuf)
		b.Put(a.sessionEndKey(s.gk, s.start, end), nil)
		s.stored, s.stStart, s.stEnd = true, s.start, end
	}
	clear(ss.dirty)
	ss.dirty = ss.dirty[:0]
	if ss.idDirty {
		b.Put([]byte{sessNextKey}, binary.AppendUvarint(nil, ss.nextID))
		ss.idDirty = false
	}
	if err := a.store.Apply(b); err != nil {
		return err
	}
	if drop {
		clear(ss.keys)
		clear(ss.ends)
		ss.ends = ss.ends[:0]
		ss.complete = false
		a.cached = 0
	}
	return nil
}

func (a *Aggregate) decodeSession(gk string, start int64, v []byte) (*session, error) {
	s := &session{gk: gk, start: start, acc: make([]aggVal, len(a.plan.Aggs))}
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

func (a *Aggregate) sessionEndKey(gk string, start, end int64) []byte {
	k := keys.AppendInt64([]byte{sessEnd}, end)
	k = append(k, gk...)
	return keys.AppendInt64(k, start)
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

// appendSession appends a session's row with diff d.
func (a *Aggregate) appendSession(s *session, d int64) error {
	a.scratch.Reset()
	if _, err := decodeRow([]byte(s.gk), a.scratch.Cols); err != nil {
		return err
	}
	a.appendRow(nil, 0, s.start, s.last+a.plan.Window.Size, s.acc, d)
	return nil
}

// closeSessions drops every session ending at or before wm, first
// emitting its final row under EMIT ON WINDOW CLOSE: the cached ones from
// the heap, then, unless the cache is complete, those only in state from
// the 'e' index.
func (a *Aggregate) closeSessions(wm int64) error {
	if err := a.initSessions(); err != nil {
		return err
	}
	ss := &a.sess
	gap := a.plan.Window.Size
	a.outB.Reset()
	for len(ss.ends) > 0 && ss.ends[0].end <= wm {
		e := ss.ends.pop()
		s := e.s
		if s.dead {
			continue
		}
		if end := s.last + gap; end > e.end { // extended since pushed
			ss.ends.push(sessEntry{end: end, s: s})
			continue
		}
		if a.plan.EmitOnClose {
			if err := a.appendSession(s, 1); err != nil {
				return err
			}
		}
		if err := a.forgetSession(s); err != nil {
			return err
		}
		if err := a.dropValues(s.id); err != nil {
			return err
		}
		list := ss.keys[s.gk]
		list = slices.DeleteFunc(list, func(x *session) bool { return x == s })
		if len(list) == 0 {
			delete(ss.keys, s.gk)
		} else {
			ss.keys[s.gk] = list
		}
		a.cached--
	}
	if !ss.complete {
		if err := a.closeStoredSessions(wm); err != nil {
			return err
		}
	}
	if a.outB.N > 0 {
		return a.out.Push(a.outB)
	}
	return nil
}

// closeStoredSessions closes the sessions ending at or before wm that are
// in state and not cached. An 'e' key of a cached key is the cache's: it
// is stale (the session moved on, and the next write-back replaces it) or
// its session closed from the heap, which deleted it already.
func (a *Aggregate) closeStoredSessions(wm int64) error {
	lo := []byte{sessEnd}
	hi := keys.AppendInt64([]byte{sessEnd}, wm+1)
	it := a.store.NewIter(lo, hi)
	var batch state.Batch
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		_, rest, err := keys.DecodeInt64(k[1:])
		if err != nil || len(rest) < 8 {
			it.Close()
			return fmt.Errorf("%w: bad session end key", errCorruptAcc)
		}
		gk, startB := rest[:len(rest)-8], rest[len(rest)-8:]
		if _, cached := a.sess.keys[string(gk)]; cached {
			continue
		}
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
		s, err := a.decodeSession(string(gk), start, v)
		if err != nil {
			it.Close()
			return err
		}
		if a.plan.EmitOnClose {
			if err := a.appendSession(s, 1); err != nil {
				it.Close()
				return err
			}
		}
		batch.Delete(sk)
		if err := a.dropValues(s.id); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	if err := a.store.Apply(&batch); err != nil {
		return err
	}
	return a.store.DeleteRange(lo, hi)
}

// dropValues deletes a closed session's value counts.
func (a *Aggregate) dropValues(id uint64) error {
	if !a.hasMultiset() {
		return nil
	}
	lo := keys.AppendUint64([]byte{sessValues}, id)
	return a.store.DeleteRange(lo, keys.PrefixEnd(lo))
}

func (a *Aggregate) hasMultiset() bool {
	for _, m := range a.multiset {
		if m {
			return true
		}
	}
	return false
}

// sessEntry is a cached session in the heap by end; end is the session's
// end when pushed, which may since have grown.
type sessEntry struct {
	end int64
	s   *session
}

// sessHeap is a min-heap of sessEntry by end, then key, so sessions
// closing together are emitted in key order. (Two live sessions of a key
// never share an end: the row at that time would have merged them. The
// order reads only fields that never change while an entry is in the heap.)
type sessHeap []sessEntry

func (h sessHeap) less(i, j int) bool {
	x, y := &h[i], &h[j]
	if x.end != y.end {
		return x.end < y.end
	}
	return x.s.gk < y.s.gk
}

func (h *sessHeap) push(e sessEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *sessHeap) pop() sessEntry {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = sessEntry{}
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s.less(l, m) {
			m = l
		}
		if l+1 < n && s.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
