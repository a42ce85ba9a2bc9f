// Package memory is the state backend that keeps all operator state in Go
// memory: one B-tree per namespace, no serialization on the hot path.
//
// Durability comes only from checkpoints, and a checkpoint costs what
// changed since the previous one, not what exists. The directory holds a
// base, the whole state as of some checkpoint in package snapshot's format
// (readable by any backend), and a chain of deltas on top of it, each what
// one later checkpoint changed (see delta.go):
//
//	dir/state.ckpt          the base, a plain snapshot
//	dir/state-<id>.delta    checkpoint id's changes since its parent
//	dir/state-<id>.tmp      a file being written, fsynced, then renamed
//
// Every file is written whole under a .tmp name, fsynced, renamed into
// place, and the directory fsynced: the rename is the commit point, so a
// crash at any moment leaves the previous or the new checkpoint complete.
// Open removes leftover .tmp files.
//
// A checkpoint writes a delta, unless there is no base this process knows
// (the first checkpoint after Open without a Restore), the base file is not
// the one it knows, the deltas would outgrow the base, or there are
// maxDeltas of them: then it writes a new base, which replaces state.ckpt,
// and removes the deltas. So the files never hold more than about twice the
// state, and rewriting the state costs at most once more what changed.
//
// Restore loads the base and then the chain of deltas written on it: a
// delta names its parent checkpoint and the base (id, size, checksum), so
// deltas of an older base are ignored, and a delta that chains from nothing
// ahead of the last one applied (one lost in between) is ErrCorrupt, as is
// any file that fails its checksum. Compact folds the deltas into the base,
// after which state.ckpt alone is the last checkpoint.
package memory

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/snapshot"
)

// CheckpointFile is the name of the base checkpoint inside the directory.
// It is a plain snapshot; after Compact it is the whole last checkpoint.
const CheckpointFile = "state.ckpt"

// deltaSuffix ends the name of a delta file, state-<id>.delta.
const deltaSuffix = ".delta"

// maxDeltas bounds the chain, and so the files Restore opens.
const maxDeltas = 64

// minBaseBytes is the base size below which deltas are still allowed to
// grow to: a tiny base is cheap to rewrite, but not every second.
const minBaseBytes = 64 << 10

// Backend is the memory implementation of state.Backend.
type Backend struct {
	dir    string
	fs     durable.FS
	closed atomic.Bool // read by every Store operation, hence atomic

	mu     sync.Mutex // guards stores, lastID and chain
	stores map[uint64]*store
	lastID uint64 // last checkpoint written or restored; ids must exceed it
	chain  chain
	// lastBytes is the size of the file the last checkpoint wrote (the
	// base or a delta), for the engine's metrics.
	lastBytes atomic.Int64
}

// chain is what the directory holds as far as this process knows: the base
// and the deltas committed on it, the last of which is lastID.
type chain struct {
	valid      bool // base is known: this process wrote or restored it
	base       baseRef
	deltas     int
	deltaBytes int64
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
		s = b.newStore()
		b.stores[id] = s
	}
	return s
}

func (b *Backend) newStore() *store {
	return &store{b: b, tree: newTree(), track: b.dir != ""}
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
		s.rewriteWhole()
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
		var err error
		if b.deltaFits() && b.baseIntact() {
			err = b.writeDelta(id)
		} else {
			err = b.writeBase(id)
		}
		if err != nil {
			return fmt.Errorf("memory: checkpoint %d: %w", id, err)
		}
	}
	for _, s := range b.stores {
		s.reset()
	}
	b.lastID = id
	return nil
}

// deltaFits reports whether the next checkpoint may be a delta: the base is
// known, the chain is short, and the deltas, this one's estimated size
// included, stay within the base's size. b.mu is held.
func (b *Backend) deltaFits() bool {
	c := &b.chain
	if !c.valid || c.deltas >= maxDeltas {
		return false
	}
	var est int64
	for _, s := range b.stores {
		switch {
		case s.whole:
			est += s.stats.Bytes + 4*s.stats.Keys
		case len(s.dirty) > 0 || len(s.ranges) > 0:
			perKey := int64(8)
			if s.stats.Keys > 0 {
				perKey += s.stats.Bytes / s.stats.Keys
			}
			est += int64(len(s.dirty))*perKey + int64(len(s.ranges))*64
		}
	}
	return c.deltaBytes+est <= max(c.base.size, minBaseBytes)
}

// baseIntact reports whether state.ckpt is still the base the chain
// extends; a delta written on any other file would not restore. (A base
// moved away or replaced makes the checkpoint write a new one instead.)
func (b *Backend) baseIntact() bool {
	f, err := b.fs.Open(filepath.Join(b.dir, CheckpointFile))
	if err != nil {
		return false
	}
	defer f.Close()
	ref, err := refOf(f, b.chain.base.id)
	return err == nil && ref == b.chain.base
}

// refOf identifies the base file f, holding checkpoint id, by its size and
// its snapshot trailer's checksum.
func refOf(f durable.File, id uint64) (baseRef, error) {
	fi, err := f.Stat()
	if err != nil {
		return baseRef{}, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < 4 {
		return baseRef{}, corruptf("%s is not a checkpoint file", CheckpointFile)
	}
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], fi.Size()-4); err != nil {
		return baseRef{}, err
	}
	return baseRef{id: id, size: fi.Size(), crc: binary.BigEndian.Uint32(tail[:])}, nil
}

// commit writes a file under a temporary name with write, syncs it, renames
// it to name and syncs the directory. On failure before the rename the
// temporary file is removed; after it, the failure is returned with the
// file in place, for the caller to decide.
func (b *Backend) commit(id uint64, name string, write func(w io.Writer) error) (renamed bool, err error) {
	tmp := filepath.Join(b.dir, fmt.Sprintf("state-%d.tmp", id))
	f, err := b.fs.Create(tmp)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil && !renamed {
			f.Close()
			b.fs.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return false, err
	}
	if err := f.Sync(); err != nil {
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := b.fs.Rename(tmp, filepath.Join(b.dir, name)); err != nil {
		return false, err
	}
	// The rename is only durable once the directory entry is.
	return true, b.fs.SyncDir(b.dir)
}

// writeBase writes the whole state as the new base and then removes the
// deltas, which no longer apply to it (removal failures only leave files
// that Restore ignores). b.mu is held.
func (b *Backend) writeBase(id uint64) error {
	b.chain.valid = false // whatever happens, state.ckpt may be another file now
	renamed, err := b.commit(id, CheckpointFile, func(w io.Writer) error {
		return snapshot.Write(w, id, b.records)
	})
	if err != nil {
		return err
	}
	if renamed {
		if f, err := b.fs.Open(filepath.Join(b.dir, CheckpointFile)); err == nil {
			if ref, err := refOf(f, id); err == nil {
				b.chain = chain{valid: true, base: ref}
				b.lastBytes.Store(ref.size)
			}
			f.Close()
		}
	}
	names, _ := b.fs.List(b.dir)
	for _, name := range names {
		if _, ok := deltaID(name); ok {
			b.fs.Remove(filepath.Join(b.dir, name))
		}
	}
	return nil
}

// writeDelta writes what changed since lastID as delta id. If it fails once
// renamed into place (the directory sync), it is removed again, so that
// Restore finds the previous checkpoint as the contract wants. b.mu is held.
func (b *Backend) writeDelta(id uint64) error {
	name := deltaName(id)
	var size int64
	renamed, err := b.commit(id, name, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		d := newDeltaWriter(bw, id, b.lastID, b.chain.base)
		b.writeChanges(d)
		if err := d.finish(); err != nil {
			return err
		}
		size = d.n
		return bw.Flush()
	})
	if err != nil {
		if renamed {
			b.fs.Remove(filepath.Join(b.dir, name))
		}
		return err
	}
	b.chain.deltas++
	b.chain.deltaBytes += size
	b.lastBytes.Store(size)
	return nil
}

// CheckpointBytes is the size of the file the last checkpoint wrote: the
// whole state (a base) or what changed (a delta).
func (b *Backend) CheckpointBytes() int64 { return b.lastBytes.Load() }

// writeChanges encodes every Store's changes, namespaces in order. b.mu is
// held.
func (b *Backend) writeChanges(d *deltaWriter) {
	var keys []string
	for _, ns := range slices.Sorted(maps.Keys(b.stores)) {
		s := b.stores[ns]
		if s.empty() {
			continue
		}
		if s.whole {
			d.clear(ns)
			s.tree.Ascend(func(it item) bool {
				d.put(ns, it.key, it.value)
				return d.err == nil
			})
			continue
		}
		for _, r := range s.ranges {
			d.deleteRange(ns, r.start, r.end)
		}
		keys = keys[:0]
		for k := range s.dirty {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic files
		for _, k := range keys {
			key := unsafe.Slice(unsafe.StringData(k), len(k)) // the tree's bytes, read only
			if it, ok := s.tree.Get(item{key: key}); ok {
				d.put(ns, it.key, it.value)
			} else {
				d.del(ns, key)
			}
		}
	}
}

func deltaName(id uint64) string { return "state-" + strconv.FormatUint(id, 10) + deltaSuffix }

// deltaID parses a delta file's name.
func deltaID(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, "state-")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, deltaSuffix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(num, 10, 64)
	return id, err == nil
}

// records yields every key of every namespace in (namespace, key) order, as
// snapshot.Write requires. b.mu is held.
func (b *Backend) records(yield func(ns uint64, k, v []byte) error) error {
	var err error
	for _, id := range slices.Sorted(maps.Keys(b.stores)) {
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

// Restore implements state.Backend. The files are decoded into fresh trees
// that replace the stores' trees only once every checksum has been
// verified, so a corrupt file leaves the contents as they were.
func (b *Backend) Restore() (uint64, error) {
	if b.closed.Load() {
		return 0, state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	trees := make(map[uint64]*store)
	var id uint64
	var ch chain
	if b.dir != "" {
		var err error
		if id, ch, err = b.load(trees); err != nil {
			return 0, fmt.Errorf("memory: restore: %w", err)
		}
	}
	for ns, s := range b.stores {
		if trees[ns] == nil {
			s.tree, s.stats = newTree(), state.Stats{}
		}
		s.reset()
	}
	for ns, loaded := range trees {
		s := b.namespace(ns)
		s.tree, s.stats = loaded.tree, loaded.stats
	}
	b.lastID, b.chain = id, ch
	return id, nil
}

// load reads the committed checkpoint into trees, one detached store per
// namespace: the base, then its chain of deltas. A missing base is
// checkpoint 0.
func (b *Backend) load(trees map[uint64]*store) (uint64, chain, error) {
	detached := func() *store { return &store{b: b, tree: newTree()} }
	f, err := b.fs.Open(filepath.Join(b.dir, CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, chain{}, nil
	}
	if err != nil {
		return 0, chain{}, err
	}
	defer f.Close()
	id, err := snapshot.Read(f, func(ns uint64, k, v []byte) error {
		s := trees[ns]
		if s == nil {
			s = detached()
			trees[ns] = s
		}
		return s.Put(k, v)
	})
	if err != nil {
		return 0, chain{}, err
	}
	ref, err := refOf(f, id)
	if err != nil {
		return 0, chain{}, err
	}
	ch := chain{valid: true, base: ref}
	children, err := b.deltasOf(ref)
	if err != nil {
		return 0, chain{}, err
	}
	for {
		next := children[id]
		if len(next) == 0 {
			break
		}
		// Of two deltas on one parent, the older is a checkpoint that
		// failed after its rename and could not be removed.
		d := slices.MaxFunc(next, func(x, y *delta) int { return cmp.Compare(x.id, y.id) })
		if err := d.apply(trees, detached); err != nil {
			return 0, chain{}, err
		}
		delete(children, id)
		id = d.id
		ch.deltas++
		ch.deltaBytes += d.size
	}
	for _, ds := range children {
		for _, d := range ds {
			if d.id > id {
				return 0, chain{}, corruptf("checkpoint %d follows checkpoint %d, which is missing", d.id, d.parent)
			}
		}
	}
	return id, ch, nil
}

// deltasOf reads and checks every delta written on base, indexed by parent.
// Deltas of another base are left out.
func (b *Backend) deltasOf(base baseRef) (map[uint64][]*delta, error) {
	names, err := b.fs.List(b.dir)
	if err != nil {
		return nil, err
	}
	out := map[uint64][]*delta{}
	for _, name := range names {
		id, ok := deltaID(name)
		if !ok || id <= base.id {
			continue
		}
		data, err := b.readFile(name)
		if err != nil {
			return nil, err
		}
		d, err := parseDelta(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if d.base != base {
			continue
		}
		if d.id != id {
			return nil, corruptf("%s holds checkpoint %d", name, d.id)
		}
		out[d.parent] = append(out[d.parent], d)
	}
	return out, nil
}

func (b *Backend) readFile(name string) ([]byte, error) {
	f, err := b.fs.Open(filepath.Join(b.dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Compact folds the deltas of the checkpoint in dir into its base, so that
// CheckpointFile alone is the last checkpoint, a plain snapshot that another
// backend can import. The checkpoint keeps its id. No Backend may be open
// over dir.
func Compact(dir string) error {
	b, err := Open(dir)
	if err != nil {
		return err
	}
	defer b.Close()
	id, err := b.Restore()
	if err != nil || b.chain.deltas == 0 {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.writeBase(id); err != nil {
		return fmt.Errorf("memory: compact checkpoint %d: %w", id, err)
	}
	return nil
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
		s.reset()
	}
	return nil
}
