// Package pebble is the disk state backend: operator state lives in a Pebble
// LSM (github.com/cockroachdb/pebble/v2), so it may outgrow memory, and
// checkpoints are Pebble checkpoints guarded by a checksummed manifest.
//
// # Keys
//
// Every namespace is the contiguous key range prefixed by its id as 8
// big-endian bytes, so a scan is one bounded Pebble iterator and DropNamespace
// one range tombstone. Pebble cannot count a range cheaply, so each Store
// keeps its Stats in memory (a Put reads the old value's size first, unless
// the Store has seen the key since the last checkpoint) and checkpoints
// persist them. DeleteRange visits the range's keys to count them;
// DeleteRangeKnown (state.KnownRangeDeleter) takes the count from a caller
// that knows it, and Stats are then as exact as that count.
//
// # Directory
//
//	dir/LOCK                      held while a Backend is open
//	dir/live/<gen>/               the working Pebble DB; Open and Close discard it
//	dir/checkpoints/<seq>-<id>/   the committed checkpoint: Pebble files plus MANIFEST-STREAMSQL
//	dir/checkpoints/tmp-<seq>/    a checkpoint being written; Open removes it
//
// # Checkpoints and exactly-once
//
// The engine wants exactly the last checkpoint back after a crash, never the
// writes made after it, so the live DB needs no write-ahead log: it runs with
// Pebble's WAL disabled, and whatever it holds at a crash is thrown away.
//
// Checkpoint(id) flushes the memtable, lets Pebble write a checkpoint into
// tmp-<seq> (sstables hard-linked, MANIFEST and OPTIONS copied and synced),
// then writes MANIFEST-STREAMSQL: the id, every namespace's Stats, and the
// size and CRC-32C of every file. That file and the directory are synced,
// tmp-<seq> is renamed to <seq>-<id> and checkpoints/ is synced: the rename is
// the commit point, so a crash before it leaves the previous checkpoint and
// one after it the new one. Older checkpoints are then deleted; only the
// latest is kept, because a damaged latest one is reported, not skipped.
// The seq (not the id) orders checkpoints, so the one written last wins.
//
// The first Restore after Open takes the highest seq, checks every file
// against the manifest (a torn, truncated or flipped file is ErrCorrupt, and
// the contents are left as they were), links the sstables and copies the
// other files into a fresh live/<gen>, opens it, and only then closes and
// deletes the old live DB. Later Restores roll the live DB back in place to a
// Pebble snapshot of the last checkpoint (see undo.go), which touches no file.
//
// A checkpoint costs a flush of the memtable (the writes since the previous
// one), a hard link per sstable, a copy of Pebble's MANIFEST (kept short by
// maxManifestSize) and a checksum of the new sstables only: sstables never
// change and their numbers are not reused within a generation, so their
// checksums are cached.
//
// # Other backends
//
// ImportSnapshot and ExportSnapshot read and write package snapshot's format,
// which the memory backend uses as its checkpoint file, so state moves between
// the backends in both directions.
package pebble

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
)

// Options configures a Backend. The zero value is usable.
type Options struct {
	// MemTableSize is the size of Pebble's memtable, where recent writes live
	// until a checkpoint or a full memtable flushes them. Default 32 MiB.
	MemTableSize uint64
	// CacheSize is the size of the block cache shared by the live DB and
	// every DB Restore opens. Default 64 MiB.
	CacheSize int64
	// FS is the file system; default vfs.Default. Tests pass one that skips
	// fsync, injects faults, or simulates a crash (vfs.NewCrashableMem).
	FS vfs.FS
	// Logger receives Pebble's errors; informational messages are dropped by
	// default to keep server logs quiet.
	Logger pebble.Logger
}

const (
	defaultMemTableSize = 32 << 20
	defaultCacheSize    = 64 << 20
)

// maxManifestSize is the size past which Pebble starts a new MANIFEST
// (once the edits since the last one outnumber the live files; see
// record.RotationHelper). Every checkpoint copies the MANIFEST and
// checksums the copy, and every flush and compaction appends an edit to
// it, so with Pebble's default of 128 MiB a checkpoint's cost grew with the
// number of checkpoints before it: at the 1,000th checkpoint of
// statetest's CheckpointSmallChange it copied 24 MB.
const maxManifestSize = 8 << 10

// Backend is the Pebble implementation of state.Backend.
type Backend struct {
	dir    string
	fs     vfs.FS
	opts   Options
	cache  *pebble.Cache
	lock   io.Closer
	closed atomic.Bool // read by every Store operation, hence atomic
	dirty  atomic.Bool // the memtable may hold writes not yet in an sstable
	cur    atomic.Pointer[generation]
	// lastBytes is what the last checkpoint wrote (CheckpointBytes).
	lastBytes atomic.Int64
	limits    limits

	mu      sync.Mutex // guards the fields below
	stores  map[uint64]*store
	lastID  uint64             // last checkpoint written, restored or imported
	nextSeq uint64             // seq of the next checkpoint directory
	nextGen uint64             // name of the next live DB directory
	sums    map[string]fileSum // checksums of the current generation's immutable files

	// imported is set by ImportSnapshot until the next Checkpoint, which
	// may then commit the imported state under its own id.
	imported bool

	itersMu sync.Mutex // guards iters
	iters   map[*iterator]struct{}

	health  *health         // Pebble's background failures; see health.go
	pending <-chan struct{} // a checkpoint's flush that failed and will be retried; guarded by mu
}

var _ state.Backend = (*Backend)(nil)

// generation is one live Pebble DB. Restore and ImportSnapshot build a new
// generation beside the current one and switch only once it is complete, so
// a failure leaves the contents unchanged.
type generation struct {
	db   *pebble.DB
	path string
	base *pebble.Snapshot // the last checkpoint, when this DB holds it; see undo.go
}

// Open opens the Backend over dir, creating it if needed. The contents are
// empty until Restore loads the last checkpoint. Open reads no checkpoint, so
// it succeeds over a damaged directory and leaves the report to Restore; nor
// does it create the live DB, which happens on first use.
func Open(dir string, opts Options) (*Backend, error) {
	if opts.MemTableSize == 0 {
		opts.MemTableSize = defaultMemTableSize
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = defaultCacheSize
	}
	if opts.FS == nil {
		opts.FS = vfs.Default
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger{}
	}
	b := &Backend{
		dir: dir, fs: opts.FS, opts: opts,
		stores: make(map[uint64]*store),
		iters:  make(map[*iterator]struct{}),
		sums:   make(map[string]fileSum),
		limits: limits{touched: maxTouched, spans: maxSpans},
		health: newHealth(opts.Logger),
	}
	if err := b.open(); err != nil {
		if b.lock != nil {
			b.lock.Close()
		}
		if errors.Is(err, durable.ErrInUse) {
			return nil, err // it names the directory already
		}
		return nil, fmt.Errorf("pebble: open %s: %w", dir, err)
	}
	return b, nil
}

func (b *Backend) open() error {
	fs := b.fs
	if err := mkdirAllSynced(fs, fs.PathJoin(b.dir, checkpointsDir)); err != nil {
		return err
	}
	lockPath := fs.PathJoin(b.dir, "LOCK")
	lock, err := fs.Lock(lockPath)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
		// fcntl's answer when another process holds the lock.
		return durable.InUse(b.dir, lockPath)
	}
	if err != nil {
		return err
	}
	b.lock = lock
	// The live DB of a previous run holds writes after its last checkpoint,
	// which exactly-once requires us to forget.
	if err := fs.RemoveAll(fs.PathJoin(b.dir, liveDir)); err != nil {
		return err
	}
	cks, err := b.listCheckpoints()
	if err != nil {
		return err
	}
	for _, c := range cks {
		b.nextSeq = max(b.nextSeq, c.seq+1)
		if c.tmp {
			if err := fs.RemoveAll(c.path); err != nil {
				return fmt.Errorf("remove interrupted checkpoint: %w", err)
			}
		}
	}
	b.cache = pebble.NewCache(b.opts.CacheSize)
	return nil
}

// live returns the live DB, creating an empty one on first use: Open and a
// Restore that finds no checkpoint leave none, so that a restart does not
// pay for creating a DB that Restore replaces right away.
func (b *Backend) live() (*pebble.DB, error) {
	if g := b.cur.Load(); g != nil {
		return g.db, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.liveLocked()
}

// liveLocked is live for callers holding b.mu.
func (b *Backend) liveLocked() (*pebble.DB, error) {
	if g := b.cur.Load(); g != nil {
		return g.db, nil
	}
	g, err := b.newGeneration(nil)
	if err != nil {
		return nil, fmt.Errorf("pebble: create live DB: %w", err)
	}
	b.cur.Store(g)
	return g.db, nil
}

// newGeneration opens a new live DB in live/<gen>, seeded with the files of
// a verified checkpoint when ck is not nil. Sstables are hard-linked (Pebble
// never modifies one), everything else is copied, because Pebble appends to
// or recycles those files in place.
func (b *Backend) newGeneration(ck *checkpoint) (*generation, error) {
	fs := b.fs
	b.nextGen++
	path := fs.PathJoin(b.dir, liveDir, strconv.FormatUint(b.nextGen, 10))
	if err := fs.RemoveAll(path); err != nil {
		return nil, err
	}
	if err := fs.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	if ck != nil {
		for _, f := range ck.manifest.files {
			src, dst := fs.PathJoin(ck.path, f.name), fs.PathJoin(path, f.name)
			var err error
			if immutable(f.name) {
				err = vfs.LinkOrCopy(fs, src, dst)
			} else {
				err = vfs.Copy(fs, src, dst)
			}
			if err != nil {
				fs.RemoveAll(path)
				return nil, err
			}
		}
	}
	po := &pebble.Options{
		FS:                          backoffFS{FS: fs, h: b.health},
		EventListener:               b.health.listener(),
		Cache:                       b.cache,
		MemTableSize:                b.opts.MemTableSize,
		MemTableStopWritesThreshold: memtableStopWrites,
		DisableWAL:                  true,
		MaxManifestFileSize:         maxManifestSize,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{Logger: b.opts.Logger, h: b.health},
	}
	// Bloom filters on every level (the others inherit L0's): an operator
	// whose cache evicted a window looks up keys that are mostly absent, and
	// a filter answers those without reading a block.
	po.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	// Flushed tables are not compressed, and compacted ones with Pebble's
	// fastest profile (MinLZ on amd64), not its default Snappy: storing the
	// Nexmark bids of q0, Snappy was a third of the process's CPU and MinLZ
	// on flushes still a third. Most state is short-lived (windows close)
	// and rewritten by compactions anyway; what lives long is compressed.
	po.Levels[0].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	for i := 1; i < len(po.Levels); i++ {
		po.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.FastestCompression }
	}
	db, err := pebble.Open(path, po)
	if err != nil {
		fs.RemoveAll(path)
		if errors.Is(err, pebble.ErrCorruption) {
			return nil, fmt.Errorf("%w: %w", state.ErrCorrupt, err)
		}
		return nil, err
	}
	return &generation{db: db, path: path}, nil
}

// switchTo makes g (nil: none yet) the live DB and discards the previous
// one. Iterators over the old DB are released first, since Pebble refuses to
// close under them.
func (b *Backend) switchTo(g *generation) error {
	old := b.cur.Swap(g)
	b.pending = nil // a flush of the old DB
	b.health.reset()
	b.releaseIters(errRestored)
	b.dirty.Store(false)
	for _, s := range b.stores {
		s.forget() // it knew the old DB's keys
	}
	return old.discard(b.fs)
}

// discard closes the DB and deletes its directory. A nil generation has
// nothing to discard.
func (g *generation) discard(fs vfs.FS) error {
	if g == nil {
		return nil
	}
	var err error
	if g.base != nil {
		err = g.base.Close()
	}
	if closeErr := g.db.Close(); err == nil {
		err = closeErr
	}
	if rmErr := fs.RemoveAll(g.path); err == nil {
		err = rmErr
	}
	return err
}

// errRestored is the error of an iterator whose DB Restore or ImportSnapshot
// replaced while it was open.
var errRestored = errors.New("pebble: iterator invalidated by Restore")

// releaseIters closes every open Pebble iterator, leaving err in its wrapper.
func (b *Backend) releaseIters(err error) {
	b.itersMu.Lock()
	defer b.itersMu.Unlock()
	for it := range b.iters {
		it.release(err)
		delete(b.iters, it)
	}
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
		s = newStore(b, id)
		b.stores[id] = s
	}
	return s
}

// DropNamespace implements state.Backend: one range tombstone over the
// namespace's prefix. The Store stays in the map, empty, so that handles the
// operator still holds keep their identity.
func (b *Backend) DropNamespace(id uint64) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if g := b.cur.Load(); g != nil {
		if err := b.writable(g.db); err != nil {
			return err
		}
		if err := deleteSpan(g.db, nsPrefix(id), nsEnd(id)); err != nil {
			return fmt.Errorf("pebble: drop namespace %d: %w", id, err)
		}
		b.dirty.Store(true)
	}
	if s := b.stores[id]; s != nil {
		s.stats = state.Stats{}
		s.noteSpan(s.prefix, s.end)
	}
	return nil
}

// Close implements state.Backend. The live DB is deleted: it holds nothing a
// later Open would keep.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.releaseIters(state.ErrClosed)
	b.health.close() // a failing flush must not hold up Pebble's Close
	err := b.cur.Load().discard(b.fs)
	if rmErr := b.fs.RemoveAll(b.fs.PathJoin(b.dir, liveDir)); err == nil {
		err = rmErr
	}
	b.cache.Unref()
	if lockErr := b.lock.Close(); err == nil {
		err = lockErr
	}
	if err != nil {
		return fmt.Errorf("pebble: close: %w", err)
	}
	return nil
}

// quietLogger drops Pebble's informational messages and keeps its errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	pebble.DefaultLogger.Errorf(format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}
