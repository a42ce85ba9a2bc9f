package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/writeback"
)

// Materialize keeps a relation's current rows in its state namespace and
// forwards the changelog to the views that read it. Without a primary key
// the rows are a multiset (key: the encoded row, value: its count), which
// handles retractions exactly. With a primary key, the key is the encoded
// key columns and the value the encoded row, and an INSERT of an existing
// key replaces the row: the changelog carries the retraction of the old one.
//
// An append-only relation (no retraction can arrive) needs neither: its
// rows are appended in segments, one per pushed batch, under a sequence
// number (as a log stores them), so storing a batch is one Put of its
// encoded rows, with no read and no per-row index entry:
//
//	0x00           → next segment number, row count (uvarints), then the
//	                 watermark (varint; absent before one arrived)
//	0x01 seq       → [0x00, watermark varint,] row count n (uvarint), then
//	                 n × (multiplicity varint, row in the plain encoding of
//	                 appendPlainRow)
//
// A segment keeps the watermark its batch arrived under (a row count is
// never 0, so the 0x00 marker tells the two layouts apart, and segments
// written before watermarks were kept read as having none): Replay hands a
// new view the batches in arrival order with the watermark moving between
// them as it did, so the view drops the same late rows as one that was
// there when they arrived.
//
// A view whose rows have a key (Layout.Key: a grouped view's group columns
// and window bounds) stores each row under it, as its producer upserts
// it: the aggregate retracts a key's old row before it adds the new one,
// so a retraction is a blind delete and an addition a blind put, with no
// read. They go through a write-back cache, which collapses a key's
// changes between checkpoints to one write:
//
//	0x02 key columns → the row in the plain encoding of appendPlainRow
//
// (a multiset row's key starts with a NULL marker, 0x00 or 0x01, so the
// tag tells the layouts apart: state written before keyed views is
// converted when first used).
type Materialize struct {
	store      state.Store
	types      []types.T
	pk         []int
	appendOnly bool
	Out        Tee

	// viewKey: the key of a keyed view's rows (see Layout.Key); nil for
	// the other layouts.
	viewKey []int
	// cache is the write path of every layout but segments; pend is the
	// size change since its last flush, which the store's Stats do not
	// show yet, counted at flush generation pendGen.
	cache    *writeback.Cache
	pend     state.Stats
	pendGen  uint64
	migrated bool

	key, val []byte
	key2     []byte // pushKeyed's look-ahead
	lkey     []byte // Lookup's
	buf      *vec.Batch
	seq      uint64 // next segment number; 0 until read from state
	rows     int64  // rows in the segments
	seqDirty bool   // seq, rows or wm changed since Flush
	// wm is the last watermark passed on (math.MinInt64 before one); an
	// append-only relation stores it with seq, the other layouts forget
	// it at a restart.
	wm int64
}

const (
	matSeqKey = 0x00
	matRowTag = 0x01
	matKeyTag = 0x02
)

// Layout says how a Materialize keeps its rows.
type Layout struct {
	// PK is a table's primary key: an INSERT of an existing key replaces
	// its row.
	PK []int
	// Key identifies a view's rows (planner.GroupKey); its producer
	// retracts a key's row before it adds the key's next one. Ignored
	// with PK or AppendOnly.
	Key []int
	// AppendOnly promises that no row will be retracted (the relation's
	// plan is append-only): rows are appended in segments, cheaper still
	// than keyed rows. Ignored with PK.
	AppendOnly bool
}

// NewMaterialize returns a store of rows of the given types.
func NewMaterialize(store state.Store, ts []types.T, l Layout) *Materialize {
	m := &Materialize{store: store, types: ts, pk: l.PK, buf: vec.NewBatch(ts, 0), wm: math.MinInt64}
	switch {
	case l.PK != nil:
		m.cache = writeback.New(store)
	case l.AppendOnly:
		m.appendOnly = true
	case l.Key != nil:
		m.viewKey, m.cache = l.Key, writeback.New(store)
	default: // a multiset
		m.cache = writeback.New(store)
	}
	m.SetCacheSize(writeback.DefaultLimit)
	return m
}

// SetCacheSize bounds the keys the write-back cache of a keyed layout
// holds (state_cache_size), to at most matCacheKeys.
func (m *Materialize) SetCacheSize(n int) {
	if m.cache != nil {
		m.cache.SetLimit(min(n, matCacheKeys))
	}
}

// matCacheKeys bounds a Materialize's write-back cache. The rows it
// holds are written, never read back from it (a view's rows are read by
// scans, which flush it), so it gains nothing from size beyond collapsing
// a key's changes and batching writes, which this many keys already do;
// larger, its map outgrows the CPU's caches and its entries the
// collector's patience.
const matCacheKeys = 1 << 16

func (m *Materialize) Push(b *vec.Batch) error {
	if m.pk != nil {
		return m.upsert(b)
	}
	if m.viewKey != nil {
		return m.pushKeyed(b)
	}
	if m.appendOnly {
		return m.appendRows(b)
	}
	for i := 0; i < b.N; i++ {
		m.key = encodeRow(m.key[:0], b.Cols, i)
		old, ok, err := m.cache.Get(m.key)
		if err != nil {
			return err
		}
		n, was := b.DiffAt(i), int64(0)
		if ok {
			c, _ := binary.Varint(old)
			n += c
			was = int64(len(m.key) + len(old))
		}
		if n == 0 {
			err = m.cache.Delete(m.key)
		} else {
			m.val = binary.AppendVarint(m.val[:0], n)
			err = m.cache.Put(m.key, m.val)
		}
		if err != nil {
			return err
		}
		switch {
		case n == 0 && ok:
			m.tally(-1, -was)
		case n != 0 && ok:
			m.tally(0, int64(len(m.key)+len(m.val))-was)
		case n != 0:
			m.tally(1, int64(len(m.key)+len(m.val)))
		}
	}
	return m.Out.Push(b)
}

// appendRows stores the rows of an append-only batch as one segment. The
// next segment number is written at the next Flush, before a checkpoint,
// so a restored checkpoint carries on after its own segments.
func (m *Materialize) appendRows(b *vec.Batch) error {
	if b.N == 0 {
		return m.Out.Push(b)
	}
	if err := m.loadSeq(); err != nil {
		return err
	}
	m.val = m.val[:0]
	if m.wm != math.MinInt64 {
		m.val = binary.AppendVarint(append(m.val, 0), m.wm)
	}
	m.val = binary.AppendUvarint(m.val, uint64(b.N))
	for i := 0; i < b.N; i++ {
		d := b.DiffAt(i)
		if d <= 0 {
			return fmt.Errorf("exec: append-only relation got a retraction (diff %d)", d)
		}
		m.val = appendPlainRow(binary.AppendVarint(m.val, d), b.Cols, i)
	}
	m.key = binary.BigEndian.AppendUint64(append(m.key[:0], matRowTag), m.seq)
	if err := m.store.Put(m.key, m.val); err != nil {
		return err
	}
	m.seq++
	m.rows += int64(b.N)
	m.seqDirty = true
	return m.Out.Push(b)
}

// Flush writes the keyed layouts' cached writes to state; in an
// append-only relation, the next segment number, the row count and the
// watermark, which only a checkpoint needs: writing them with every segment would put a key at
// the front of the namespace into every flushed Pebble table, which then
// overlap and must be merged, where segments alone are appended in order.
func (m *Materialize) Flush() error {
	if m.cache != nil {
		// Converted before a checkpoint, so that no read after it writes.
		if err := m.migrate(); err != nil {
			return err
		}
		return m.cache.Flush()
	}
	if !m.seqDirty {
		return nil
	}
	m.val = binary.AppendUvarint(binary.AppendUvarint(m.val[:0], m.seq), uint64(m.rows))
	if m.wm != math.MinInt64 {
		m.val = binary.AppendVarint(m.val, m.wm)
	}
	if err := m.store.Put([]byte{matSeqKey}, m.val); err != nil {
		return err
	}
	m.seqDirty = false
	return nil
}

// loadSeq reads the next segment number, row count and watermark once.
func (m *Materialize) loadSeq() error {
	if m.seq != 0 {
		return nil
	}
	v, ok, err := m.store.Get([]byte{matSeqKey})
	if err != nil {
		return err
	}
	m.seq, m.rows = 1, 0
	if ok {
		seq, k := binary.Uvarint(v)
		rows, k2 := binary.Uvarint(v[max(k, 0):])
		if k <= 0 || k2 <= 0 || seq == 0 {
			return fmt.Errorf("exec: corrupt segment number in materialized state")
		}
		m.seq, m.rows = seq, int64(rows)
		if rest := v[k+k2:]; len(rest) > 0 {
			wm, k3 := binary.Varint(rest)
			if k3 <= 0 {
				return fmt.Errorf("exec: corrupt watermark in materialized state")
			}
			m.wm = max(m.wm, wm)
		}
	}
	return nil
}

// upsert applies inserts by primary key, retracting replaced rows.
func (m *Materialize) upsert(b *vec.Batch) error {
	m.buf.Reset()
	for i := 0; i < b.N; i++ {
		m.key = m.key[:0]
		for _, c := range m.pk {
			m.key = encodeValue(m.key, &b.Cols[c], i)
		}
		old, ok, err := m.cache.Get(m.key)
		if err != nil {
			return err
		}
		oldSize := int64(0)
		if ok {
			if _, err := decodeRow(old, m.buf.Cols); err != nil {
				return fmt.Errorf("exec: corrupt row in materialized state: %w", err)
			}
			m.buf.EndRow(-1)
			oldSize = int64(len(m.key) + len(old))
		}
		if b.DiffAt(i) < 0 {
			if err := m.cache.Delete(m.key); err != nil {
				return err
			}
			if ok {
				m.tally(-1, -oldSize)
			}
			continue
		}
		m.val = encodeRow(m.val[:0], b.Cols, i)
		if err := m.cache.Put(m.key, m.val); err != nil {
			return err
		}
		if ok {
			m.tally(0, int64(len(m.key)+len(m.val))-oldSize)
		} else {
			m.tally(1, int64(len(m.key)+len(m.val)))
		}
		m.buf.AppendRow(b, i, 1)
	}
	if m.buf.N == 0 {
		return nil
	}
	return m.Out.Push(m.buf)
}

// pushKeyed upserts a keyed view's rows: a retraction deletes its key, an
// addition puts its row, neither reading state (see Layout.Key).
func (m *Materialize) pushKeyed(b *vec.Batch) error {
	if err := m.migrate(); err != nil {
		return err
	}
	// next is row i+1's key when it has been encoded to look ahead.
	next := false
	for i := 0; i < b.N; i++ {
		if next {
			m.key, m.key2 = m.key2, m.key
		} else {
			m.key = m.appendViewKey(m.key[:0], b, i)
		}
		next = false
		m.val = appendPlainRow(m.val[:0], b.Cols, i)
		size := int64(len(m.key) + len(m.val))
		switch d := b.DiffAt(i); {
		case d > 0:
			if err := m.cache.Put(m.key, m.val); err != nil {
				return err
			}
			m.tally(1, size)
		case d < 0:
			m.tally(-1, -size)
			if i+1 < b.N && b.DiffAt(i+1) > 0 {
				m.key2, next = m.appendViewKey(m.key2[:0], b, i+1), true
				if bytes.Equal(m.key, m.key2) {
					continue // the key's new row, next, replaces this one
				}
			}
			if err := m.cache.Delete(m.key); err != nil {
				return err
			}
		}
	}
	return m.Out.Push(b)
}

// appendViewKey appends the keyed layout's key of row i.
func (m *Materialize) appendViewKey(k []byte, b *vec.Batch, i int) []byte {
	k = append(k, matKeyTag)
	for _, c := range m.viewKey {
		k = encodeValue(k, &b.Cols[c], i)
	}
	return k
}

// tally adds a write's size change to what the store's Stats do not show
// yet: after a flush of the cache they do, and the tally starts again.
func (m *Materialize) tally(keys, bytes int64) {
	if g := m.cache.Flushes(); g != m.pendGen {
		m.pend, m.pendGen = state.Stats{}, g
	}
	m.pend.Keys += keys
	m.pend.Bytes += bytes
}

// migrate converts a keyed view's rows stored in the multiset layout (by
// a version without keyed views) to the keyed layout, once.
func (m *Materialize) migrate() error {
	if m.migrated || m.viewKey == nil {
		return nil
	}
	b := vec.NewBatch(m.types, 1)
	var batch state.Batch
	it := m.store.NewIter(nil, []byte{matKeyTag})
	var err error
	for ok := it.First(); ok && err == nil; ok = it.Next() {
		b.Reset()
		if _, err = decodeRow(it.Key(), b.Cols); err != nil {
			err = fmt.Errorf("exec: corrupt row in materialized state: %w", err)
			break
		}
		b.EndRow(1)
		m.key = append(m.key[:0], matKeyTag)
		for _, c := range m.viewKey {
			m.key = encodeValue(m.key, &b.Cols[c], 0)
		}
		batch.Put(m.key, appendPlainRow(m.val[:0], b.Cols, 0))
	}
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err == nil && batch.Len() > 0 {
		if err = m.store.DeleteRange(nil, []byte{matKeyTag}); err == nil {
			err = m.store.Apply(&batch)
		}
	}
	if err != nil {
		return err
	}
	m.migrated = true
	return nil
}

// OnWatermark passes wm on, keeping it for Watermark and, in an
// append-only relation, for the segments to come.
func (m *Materialize) OnWatermark(wm int64) error {
	if wm > m.wm {
		if m.appendOnly {
			if err := m.loadSeq(); err != nil {
				return err
			}
			m.seqDirty = true
		}
		m.wm = max(m.wm, wm)
	}
	return m.Out.OnWatermark(wm)
}

// RestoreWatermark sets the watermark a checkpoint saved for a relation
// that does not store its own.
func (m *Materialize) RestoreWatermark(wm int64) { m.wm = max(m.wm, wm) }

// Watermark is the last watermark passed on, or math.MinInt64 if none is
// known (none came, or a relation that is not append-only restarted).
func (m *Materialize) Watermark() (int64, error) {
	if m.appendOnly {
		if err := m.loadSeq(); err != nil {
			return 0, err
		}
	}
	return m.wm, nil
}
func (m *Materialize) OnBarrier(id uint64) error { return m.Out.OnBarrier(id) }
func (m *Materialize) Close() error              { return nil }

// ScanBatchSize is how many rows a scan hands over at a time.
const ScanBatchSize = 1024

// Scan calls fn with the current rows in batches (diff = multiplicity).
// The batch is reused between calls.
func (m *Materialize) Scan(fn func(b *vec.Batch) error) error { return m.scan(fn, nil) }

// Replay is Scan for a new reader that must see the rows as a reader that
// was there all along did: an append-only relation's segments come in
// arrival order, each batch behind the watermark it arrived under
// (onWatermark is called, between batches, as it rises). Other layouts
// keep no arrival order and are scanned.
func (m *Materialize) Replay(fn func(b *vec.Batch) error, onWatermark func(wm int64) error) error {
	return m.scan(fn, onWatermark)
}

func (m *Materialize) scan(fn func(b *vec.Batch) error, onWatermark func(int64) error) error {
	b := vec.NewBatch(m.types, ScanBatchSize)
	b.Diff = make([]int64, 0, ScanBatchSize)
	if err := m.migrate(); err != nil {
		return err
	}
	var it state.Iterator
	switch {
	case m.appendOnly:
		it = m.store.NewIter([]byte{matRowTag}, []byte{matRowTag + 1})
	case m.cache != nil:
		it = m.cache.NewIter(nil, nil) // writes the cache back first
	default:
		it = m.store.NewIter(nil, nil)
	}
	// row ends a decoded row of multiplicity n, handing over full batches.
	row := func(n int64) error {
		b.EndRow(n)
		if b.N < ScanBatchSize {
			return nil
		}
		err := fn(b)
		b.Reset()
		return err
	}
	var err error
	seen := int64(math.MinInt64) // the watermark replayed so far
	for ok := it.First(); ok && err == nil; ok = it.Next() {
		switch {
		case m.appendOnly:
			v := it.Value()
			var wm int64
			if wm, v, err = segmentWatermark(v); err == nil && onWatermark != nil && wm > seen {
				// The rows so far arrived before the watermark rose.
				if b.N > 0 {
					err = fn(b)
					b.Reset()
				}
				if err == nil {
					seen = wm
					err = onWatermark(wm)
				}
			}
			if err == nil {
				err = m.scanSegment(v, b, row)
			}
		case m.viewKey != nil:
			if _, err = decodePlainRow(it.Value(), b.Cols); err != nil {
				err = fmt.Errorf("exec: corrupt row in materialized state: %w", err)
			} else {
				err = row(1)
			}
		case m.pk != nil:
			if _, err = decodeRow(it.Value(), b.Cols); err != nil {
				err = fmt.Errorf("exec: corrupt row in materialized state: %w", err)
			} else {
				err = row(1)
			}
		default:
			if _, err = decodeRow(it.Key(), b.Cols); err != nil {
				err = fmt.Errorf("exec: corrupt row in materialized state: %w", err)
			} else {
				n, _ := binary.Varint(it.Value())
				err = row(n)
			}
		}
	}
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err == nil && b.N > 0 {
		err = fn(b)
	}
	return err
}

// segmentWatermark splits the watermark a segment's batch arrived under
// (math.MinInt64 if it kept none) from the rest of the segment.
func segmentWatermark(v []byte) (int64, []byte, error) {
	if len(v) == 0 || v[0] != 0 {
		return math.MinInt64, v, nil
	}
	wm, k := binary.Varint(v[1:])
	if k <= 0 {
		return 0, nil, fmt.Errorf("exec: corrupt segment watermark in materialized state")
	}
	return wm, v[1+k:], nil
}

// scanSegment decodes the rows of one segment of an append-only relation.
func (m *Materialize) scanSegment(v []byte, b *vec.Batch, row func(int64) error) error {
	n, k := binary.Uvarint(v)
	if k <= 0 {
		return fmt.Errorf("exec: corrupt segment in materialized state")
	}
	for v = v[k:]; n > 0; n-- {
		d, k := binary.Varint(v)
		if k <= 0 {
			return fmt.Errorf("exec: corrupt row multiplicity in materialized state")
		}
		var err error
		if v, err = decodePlainRow(v[k:], b.Cols); err != nil {
			return fmt.Errorf("exec: corrupt row in materialized state: %w", err)
		}
		if err := row(d); err != nil {
			return err
		}
	}
	return nil
}

// Stats reports the size of the stored rows, cached writes included.
func (m *Materialize) Stats() state.Stats {
	st := m.store.Stats()
	if m.cache != nil && m.cache.Flushes() == m.pendGen {
		st.Keys += m.pend.Keys
		st.Bytes += m.pend.Bytes
	}
	return st
}

// Rows is the number of stored rows: distinct rows of a multiset, keys of
// a primary key or of a keyed view, and every row appended to an
// append-only relation.
func (m *Materialize) Rows() int64 {
	if m.appendOnly && m.loadSeq() == nil {
		return m.rows
	}
	return m.Stats().Keys
}

// Lookup appends to cols the row of a table whose primary key is row i of
// key (one vector a key column, in PRIMARY KEY order, of the columns'
// types) and reports whether there is one: a lookup join's read.
func (m *Materialize) Lookup(key []*vec.Vec, i int, cols []vec.Vec) (bool, error) {
	if m.pk == nil {
		return false, errors.New("exec: lookup in a relation without a primary key")
	}
	m.lkey = m.lkey[:0]
	for _, v := range key {
		m.lkey = encodeValue(m.lkey, v, i)
	}
	v, ok, err := m.cache.Get(m.lkey)
	if err != nil || !ok {
		return false, err
	}
	if _, err := decodeRow(v, cols); err != nil {
		return false, fmt.Errorf("exec: corrupt row in materialized state: %w", err)
	}
	return true, nil
}
