package pebble

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/snapshot"
)

// importBatchSize bounds the batches ImportSnapshot commits, so that a large
// snapshot streams through the memtable instead of one huge batch.
const importBatchSize = 4 << 20

// ImportSnapshot replaces the contents of every namespace with the snapshot
// r holds (package snapshot's format, which is the memory backend's
// checkpoint file) and returns its checkpoint id. It is Restore from another
// backend's checkpoint: the snapshot is loaded into a new generation and
// swapped in only once its checksum has passed, so a damaged stream yields an
// error wrapping state.ErrCorrupt and leaves the contents unchanged.
//
// The imported state is not durable until the next Checkpoint, whose id must
// be the returned one or later: committing it under its own id keeps the
// insert log that follows it (ins-<id>.log) the one a restart replays. ImportSnapshot has Restore's concurrency rules.
func (b *Backend) ImportSnapshot(r io.Reader) (uint64, error) {
	if b.closed.Load() {
		return 0, state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.importSnapshot(r)
	if err != nil {
		return 0, fmt.Errorf("pebble: import snapshot: %w", err)
	}
	return id, nil
}

func (b *Backend) importSnapshot(r io.Reader) (uint64, error) {
	g, err := b.newGeneration(nil)
	if err != nil {
		return 0, err
	}
	stats := map[uint64]state.Stats{}
	batch := g.db.NewBatch()
	var key []byte
	id, err := snapshot.Read(r, func(ns uint64, k, v []byte) error {
		key = append(binary.BigEndian.AppendUint64(key[:0], ns), k...)
		if err := batch.Set(key, v, nil); err != nil {
			return err
		}
		st := stats[ns]
		st.Keys++
		st.Bytes += int64(len(k) + len(v))
		stats[ns] = st
		if batch.Len() < importBatchSize {
			return nil
		}
		if err := batch.Commit(noSync); err != nil {
			return err
		}
		batch.Reset()
		return nil
	})
	if err == nil {
		err = batch.Commit(noSync)
	}
	batch.Close()
	if err != nil {
		g.discard(b.fs)
		return 0, err
	}
	err = b.switchTo(g)
	b.dirty.Store(true)
	b.setStats(stats)
	b.lastID, b.sums, b.imported = id, map[string]fileSum{}, true
	return id, err
}

// ExportSnapshot writes the current contents of every namespace to w in
// package snapshot's format, labelled with the id of the last checkpoint
// written, restored or imported, and returns that id. Called right after
// Checkpoint or Restore it exports exactly that checkpoint, which the memory
// backend loads as its checkpoint file. Like Checkpoint, it must not run
// while a Store is being mutated. It does not sync w.
func (b *Backend) ExportSnapshot(w io.Writer) (uint64, error) {
	if b.closed.Load() {
		return 0, state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.lastID
	err := snapshot.Write(w, id, func(yield func(ns uint64, k, v []byte) error) error {
		g := b.cur.Load()
		if g == nil {
			return nil // no live DB yet: empty
		}
		it, err := g.db.NewIter(&pebble.IterOptions{})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			k := it.Key()
			v, err := it.ValueAndErr()
			if err != nil {
				it.Close()
				return err
			}
			if err := yield(binary.BigEndian.Uint64(k), k[prefixLen:], v); err != nil {
				it.Close()
				return err
			}
		}
		return it.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("pebble: export snapshot: %w", err)
	}
	return id, nil
}
