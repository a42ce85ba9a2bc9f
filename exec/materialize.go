package exec

import (
	"encoding/binary"
	"fmt"

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
type Materialize struct {
	store state.Store
	types []types.T
	pk    []int
	Out   Tee

	key, val []byte
	buf      *vec.Batch
}

// NewMaterialize returns a store of rows of the given types.
func NewMaterialize(store state.Store, ts []types.T, pk []int) *Materialize {
	return &Materialize{store: store, types: ts, pk: pk, buf: vec.NewBatch(ts, 0)}
}

func (m *Materialize) Push(b *vec.Batch) error {
	if m.pk != nil {
		return m.upsert(b)
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

func (m *Materialize) OnWatermark(wm int64) error { return m.Out.OnWatermark(wm) }
func (m *Materialize) OnBarrier(id uint64) error  { return m.Out.OnBarrier(id) }
func (m *Materialize) Close() error               { return nil }

// ScanBatchSize is how many rows a scan hands over at a time.
const ScanBatchSize = 1024

// Scan calls fn with the current rows in batches (diff = multiplicity).
// The batch is reused between calls.
func (m *Materialize) Scan(fn func(b *vec.Batch) error) error {
	it := m.store.NewIter(nil, nil)
	b := vec.NewBatch(m.types, ScanBatchSize)
	b.Diff = make([]int64, 0, ScanBatchSize)
	for ok := it.First(); ok; ok = it.Next() {
		var err error
		n := int64(1)
		if m.pk != nil {
			_, err = decodeRow(it.Value(), b.Cols)
		} else {
			_, err = decodeRow(it.Key(), b.Cols)
			n, _ = binary.Varint(it.Value())
		}
		if err != nil {
			it.Close()
			return fmt.Errorf("exec: corrupt row in materialized state: %w", err)
		}
		b.EndRow(n)
		if b.N == ScanBatchSize {
			if err := fn(b); err != nil {
				it.Close()
				return err
			}
			b.Reset()
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	if b.N > 0 {
		return fn(b)
	}
	return nil
}

// Stats reports the size of the stored rows.
func (m *Materialize) Stats() state.Stats { return m.store.Stats() }
