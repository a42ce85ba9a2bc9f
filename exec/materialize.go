package exec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
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
type Materialize struct {
	store      state.Store
	types      []types.T
	pk         []int
	appendOnly bool
	Out        Tee

	key, val []byte
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
)

// NewMaterialize returns a store of rows of the given types. appendOnly
// promises that no row will be retracted (the relation's plan is
// append-only); it is ignored with a primary key.
func NewMaterialize(store state.Store, ts []types.T, pk []int, appendOnly bool) *Materialize {
	return &Materialize{store: store, types: ts, pk: pk, appendOnly: appendOnly && pk == nil, buf: vec.NewBatch(ts, 0), wm: math.MinInt64}
}

func (m *Materialize) Push(b *vec.Batch) error {
	if m.pk != nil {
		return m.upsert(b)
	}
	if m.appendOnly {
		return m.appendRows(b)
	}
	for i := 0; i < b.N; i++ {
		m.key = encodeRow(m.key[:0], b.Cols, i)
		old, _, err := m.store.Get(m.key)
		if err != nil {
			return err
		}
		n := b.DiffAt(i)
		if len(old) > 0 {
			c, _ := binary.Varint(old)
			n += c
		}
		if n == 0 {
			err = m.store.Delete(m.key)
		} else {
			m.val = binary.AppendVarint(m.val[:0], n)
			err = m.store.Put(m.key, m.val)
		}
		if err != nil {
			return err
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

// Flush writes the next segment number, the row count and the watermark,
// which only a
// checkpoint needs: writing them with every segment would put a key at
// the front of the namespace into every flushed Pebble table, which then
// overlap and must be merged, where segments alone are appended in order.
func (m *Materialize) Flush() error {
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
		old, ok, err := m.store.Get(m.key)
		if err != nil {
			return err
		}
		if ok {
			if _, err := decodeRow(old, m.buf.Cols); err != nil {
				return fmt.Errorf("exec: corrupt row in materialized state: %w", err)
			}
			m.buf.EndRow(-1)
		}
		if b.DiffAt(i) < 0 {
			if err := m.store.Delete(m.key); err != nil {
				return err
			}
			continue
		}
		m.val = encodeRow(m.val[:0], b.Cols, i)
		if err := m.store.Put(m.key, m.val); err != nil {
			return err
		}
		m.buf.AppendRow(b, i, 1)
	}
	if m.buf.N == 0 {
		return nil
	}
	return m.Out.Push(m.buf)
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
	var it state.Iterator
	if m.appendOnly {
		it = m.store.NewIter([]byte{matRowTag}, []byte{matRowTag + 1})
	} else {
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

// Stats reports the size of the stored rows.
func (m *Materialize) Stats() state.Stats { return m.store.Stats() }

// Rows is the number of stored rows: distinct rows of a multiset, keys of
// a primary key, and every row appended to an append-only relation.
func (m *Materialize) Rows() int64 {
	if m.appendOnly && m.loadSeq() == nil {
		return m.rows
	}
	return m.store.Stats().Keys
}
