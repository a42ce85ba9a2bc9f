// Package memory is the state backend that keeps all operator state in Go
// memory: one B-tree per namespace, no serialization on the hot path.
//
// Durability comes only from checkpoints. Checkpoint writes every namespace
// into one snapshot file (package snapshot, readable by any backend) and
// atomically renames it into place, so a crash at any moment leaves either the
// previous or the new checkpoint complete:
//
//	dir/state-<id>.tmp   written and fsynced, then
//	dir/state.ckpt       renamed over the old one, then the dir is fsynced.
//
// Restore loads state.ckpt; a leftover .tmp file is an interrupted checkpoint
// and is ignored (and removed by Open).
package memory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/snapshot"
)

// CheckpointFile is the name of the committed checkpoint inside the directory.
const CheckpointFile = "state.ckpt"

// Backend is the memory implementation of state.Backend.
type Backend struct {
	dir    string
	fs     durable.FS
	closed atomic.Bool // read by every Store operation, hence atomic

	mu     sync.Mutex // guards stores and lastID
	stores map[uint64]*store
	lastID uint64 // last checkpoint written or restored; ids must exceed it
}

var _ state.Backend = (*Backend)(nil)

// Open returns an empty Backend that checkpoints into dir, creating it if
// needed. With dir "" nothing is durable: Checkpoint succeeds without writing
// and Restore always finds no checkpoint, which suits tests and throwaway
// sessions. Call Restore to load the last checkpoint.
func Open(dir string) (*Backend, error) { return OpenFS(dir, durable.OS) }

// OpenFS is Open writing and reading the checkpoint through fsys, which
// fault-injection tests replace.
func OpenFS(dir string, fsys durable.FS) (*Backend, error) {
	b := &Backend{dir: dir, fs: fsys, stores: make(map[uint64]*store)}
	if dir == "" {
		return b, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("memory: open: %w", err)
	}
	stale, err := filepath.Glob(filepath.Join(dir, "state-*.tmp"))
	if err != nil {
		return nil, fmt.Errorf("memory: open: %w", err)
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("memory: open: remove interrupted checkpoint: %w", err)
		}
	}
	return b, nil
}

// Namespace implements state.Backend.
func (b *Backend) Namespace(id uint64) state.Store {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.namespace(id)
}

func (b *Backend) namespace(id uint64) *store {
	s := b.stores[id]
	if s == nil {
		s = &store{b: b, tree: newTree()}
		b.stores[id] = s
	}
	return s
}

// DropNamespace implements state.Backend. The Store object stays in the map,
// empty, so that handles the operator still holds keep their identity.
func (b *Backend) DropNamespace(id uint64) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.stores[id]; s != nil {
		s.tree, s.stats = newTree(), state.Stats{}
	}
	return nil
}

// Checkpoint implements state.Backend.
func (b *Backend) Checkpoint(id uint64) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if id <= b.lastID {
		return fmt.Errorf("memory: checkpoint %d is not after checkpoint %d", id, b.lastID)
	}
	if b.dir != "" {
		if err := b.writeCheckpoint(id); err != nil {
			return fmt.Errorf("memory: checkpoint %d: %w", id, err)
		}
	}
	b.lastID = id
	return nil
}

// writeCheckpoint writes, syncs and renames the snapshot file. On failure it
// removes the temporary file; the committed checkpoint is untouched.
func (b *Backend) writeCheckpoint(id uint64) (err error) {
	tmp := filepath.Join(b.dir, fmt.Sprintf("state-%d.tmp", id))
	f, err := b.fs.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			b.fs.Remove(tmp)
		}
	}()
	if err := snapshot.Write(f, id, b.records); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := b.fs.Rename(tmp, filepath.Join(b.dir, CheckpointFile)); err != nil {
		return err
	}
	// The rename is only durable once the directory entry is.
	return b.fs.SyncDir(b.dir)
}

// records yields every key of every namespace in (namespace, key) order, as
// snapshot.Write requires. b.mu is held.
func (b *Backend) records(yield func(ns uint64, k, v []byte) error) error {
	ids := make([]uint64, 0, len(b.stores))
	for id := range b.stores {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var err error
	for _, id := range ids {
		b.stores[id].tree.Ascend(func(it item) bool {
			err = yield(id, it.key, it.value)
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Restore implements state.Backend. The file is decoded into fresh trees that
// replace the stores' trees only once the checksum has been verified, so a
// corrupt file leaves the contents as they were.
func (b *Backend) Restore() (uint64, error) {
	if b.closed.Load() {
		return 0, state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	trees := make(map[uint64]*store)
	var id uint64
	if b.dir != "" {
		var err error
		if id, err = b.load(trees); err != nil {
			return 0, fmt.Errorf("memory: restore: %w", err)
		}
	}
	for ns, s := range b.stores {
		if trees[ns] == nil {
			s.tree, s.stats = newTree(), state.Stats{}
		}
	}
	for ns, loaded := range trees {
		s := b.namespace(ns)
		s.tree, s.stats = loaded.tree, loaded.stats
	}
	b.lastID = id
	return id, nil
}

// load reads the committed checkpoint into trees, one detached store per
// namespace. A missing file is checkpoint 0.
func (b *Backend) load(trees map[uint64]*store) (uint64, error) {
	f, err := b.fs.Open(filepath.Join(b.dir, CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return snapshot.Read(f, func(ns uint64, k, v []byte) error {
		s := trees[ns]
		if s == nil {
			s = &store{b: b, tree: newTree()}
			trees[ns] = s
		}
		return s.Put(k, v)
	})
}

// Close implements state.Backend. It drops every tree so the memory can be
// collected even while operators still hold their Stores.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.stores {
		s.tree, s.stats = newTree(), state.Stats{}
	}
	return nil
}
