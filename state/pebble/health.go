package pebble

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state/durable"
)

// A failing disk (full, read-only, gone) must neither wedge the engine nor
// flood its log. Pebble retries a failed flush or compaction at once and
// forever (its flush loop has a TODO for a backoff), logging each attempt,
// and DB.Flush waits for the flush to succeed. So the backend:
//
//   - records the background errors Pebble reports, and logs one per retry;
//   - makes Pebble's background jobs wait before they create a file again
//     after a failure, for durable.NextRetry's delay, which resets on the
//     next success, instead of spinning (a
//     flush or compaction begins by creating its output file, and only those
//     jobs write files of their categories);
//   - flushes for a checkpoint without waiting on a failing flush: each
//     checkpoint attempt makes the failing job retry now and fails with its
//     error, so the engine's own checkpoint backoff decides how soon a disk
//     that can be written again is noticed;
//   - tells the engine of each failure (OnBackgroundError), so it stops
//     writing before the memtables fill and Pebble blocks writes.
var (
	// flushTimeout bounds a checkpoint's wait for a flush that neither
	// finishes nor fails (a hung disk), so the engine's lock is released.
	flushTimeout = 10 * time.Second
)

// health tracks Pebble's background failures. Its zero value is healthy.
type health struct {
	mu      sync.Mutex
	err     error         // the last background error since the last success
	delay   time.Duration // how long background jobs wait before retrying
	until   time.Time     // when they may retry
	changed chan struct{} // closed and replaced when err is set or cleared, or a retry is asked for
	closed  bool
	logger  pebble.Logger
	notify  func(error) // see Backend.OnBackgroundError
	// failing is err != nil, read without the lock on every write.
	failing atomic.Bool
	// broken is set when Pebble could not write its MANIFEST: it treats
	// that as fatal, since whether the record reached the file is unknown,
	// so the live DB can take neither writes nor checkpoints any more.
	broken error
}

func newHealth(logger pebble.Logger) *health {
	return &health{changed: make(chan struct{}), logger: logger}
}

// notifyLocked wakes everyone waiting on the current changed channel.
func (h *health) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// fail records a background error: Pebble will retry the job, after delay.
func (h *health) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.delay = durable.NextRetry(h.delay) // 0 since the last success
	h.err = err
	if h.broken != nil {
		h.err = h.broken
	}
	h.failing.Store(true)
	h.until = time.Now().Add(h.delay)
	h.logger.Errorf("pebble: background write failed (retrying in %s): %v", h.delay, err)
	h.notifyLocked()
	if h.notify != nil {
		h.notify(err)
	}
}

// ok records a successful background job.
func (h *health) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil || h.broken != nil {
		return
	}
	h.logger.Infof("pebble: background writes succeed again after: %v", h.err)
	h.err, h.delay = nil, 0
	h.failing.Store(false)
	h.notifyLocked()
}

// state returns the recorded error and a channel closed at its next change.
func (h *health) state() (<-chan struct{}, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed, h.err
}

// breakDB records Pebble's fatal failure to write its MANIFEST.
func (h *health) breakDB(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.broken == nil {
		h.broken = fmt.Errorf("pebble: the live DB stopped after a failed MANIFEST write, and a restart is needed (the insert log replays every acknowledged INSERT): %w", err)
		h.logger.Errorf("%v", h.broken)
	}
	h.err = h.broken
	h.failing.Store(true)
	h.notifyLocked()
	if h.notify != nil {
		h.notify(h.broken)
	}
}

// reset forgets the failures of a live DB that was replaced.
func (h *health) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err, h.broken, h.delay = nil, nil, 0
	h.failing.Store(false)
	h.notifyLocked()
}

// retryNow lets a waiting background job retry at once. It returns the
// channel closed at the next change, which the retry's report will be.
func (h *health) retryNow() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.until = time.Time{}
	h.notifyLocked()
	return h.changed
}

// close lets every waiting job go for good, so DB.Close (which waits for
// running jobs) is not held up by a backoff.
func (h *health) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.notifyLocked()
}

// wait blocks a background job while a failure's retry delay runs.
func (h *health) wait() {
	h.mu.Lock()
	for h.err != nil && !h.closed {
		d := time.Until(h.until)
		if d <= 0 {
			break
		}
		ch := h.changed
		h.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		h.mu.Lock()
	}
	h.mu.Unlock()
}

// listener feeds Pebble's events into h. Pebble's default listener would log
// every failed attempt; fail logs them with their delay instead.
func (h *health) listener() *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: h.fail,
		FlushEnd: func(info pebble.FlushInfo) {
			if info.Err == nil {
				h.ok()
			}
		},
		CompactionEnd: func(info pebble.CompactionInfo) {
			if info.Err == nil {
				h.ok()
			}
		},
	}
}

// backoffFS is the file system Pebble runs on: a background job's file
// creation waits out h's retry delay.
type backoffFS struct {
	vfs.FS
	h *health
}

func (fs backoffFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if background(category) {
		fs.h.wait()
	}
	return fs.FS.Create(name, category)
}

// background reports whether category is one of Pebble's flushes or
// compactions (see pebble's getDiskWriteCategoryForCompaction).
func background(c vfs.DiskWriteCategory) bool {
	return strings.HasPrefix(string(c), "pebble-memtable-flush") || strings.HasPrefix(string(c), "pebble-compaction") ||
		strings.HasPrefix(string(c), "pebble-blob-file-rewrite")
}

// flush writes the memtable to sstables for a checkpoint, failing fast on a
// failing disk; the caller holds b.mu.
func (b *Backend) flush(db *pebble.DB) error {
	if err := b.brokenErr(); err != nil {
		return err
	}
	if _, err := b.health.state(); err != nil {
		// A flush or compaction is failing and waits to retry: retry it now,
		// and fail with its error unless it succeeds. AsyncFlush is not
		// called meanwhile: with the memtables full it would block.
		if err := b.retry(); err != nil {
			return err
		}
	}
	if b.pending != nil {
		if err := b.await(b.pending, flushTimeout); err != nil {
			return err
		}
		b.pending = nil
	}
	if b.memtablesFull(db) {
		// AsyncFlush would block until a flush in progress frees one: see
		// how it ends first.
		if err := b.retry(); err != nil {
			return err
		}
		if b.memtablesFull(db) {
			return fmt.Errorf("pebble: the memtables are full and their flush did not finish in %s", retryTimeout)
		}
	}
	ch, err := db.AsyncFlush()
	if err != nil {
		return err
	}
	b.pending = ch
	if err := b.await(ch, flushTimeout); err != nil {
		return err
	}
	b.pending = nil
	return nil
}

// retry makes the failing background jobs retry now and waits (at most
// retryTimeout) for one to report: nil if it succeeded, its error if not.
// If none reports, no job is left waiting to retry (Pebble may not pick a
// failed compaction again), and the flush is tried.
func (b *Backend) retry() error {
	changed := b.health.retryNow()
	t := time.NewTimer(retryTimeout)
	defer t.Stop()
	select {
	case <-changed:
		_, err := b.health.state()
		return err
	case <-t.C:
		return nil
	}
}

// retryTimeout bounds retry's wait for a background job to report.
var retryTimeout = 2 * time.Second

// errFlushTimeout is a flush that took longer than flushTimeout.
var errFlushTimeout = errors.New("pebble: flush did not finish")

// await waits for a flush to finish, returning early with the next
// background error reported while it waits.
func (b *Backend) await(done <-chan struct{}, timeout time.Duration) error {
	changed, _ := b.health.state()
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-changed:
			var err error
			if changed, err = b.health.state(); err != nil {
				select {
				case <-done: // it failed, then succeeded
					return nil
				default:
				}
				return err
			}
		case <-t.C:
			return fmt.Errorf("%w in %s", errFlushTimeout, timeout)
		}
	}
}

// memtableStopWrites is Pebble's MemTableStopWritesThreshold: writes (and
// AsyncFlush) block while the memtables hold that many times MemTableSize.
// writable refuses writes once a flush failed and a memtable waits for it,
// so the memtables after it are room for the writes made before the
// failure is known (Pebble's default of 2 leaves one).
const memtableStopWrites = 4

// memtablesFull reports whether a write or AsyncFlush on db would block
// until a flush finishes.
func (b *Backend) memtablesFull(db *pebble.DB) bool {
	return db.Metrics().MemTable.Size >= memtableStopWrites*b.opts.MemTableSize
}

// writable fails a write to db while background writes fail and a memtable
// waits for its flush: it would soon block until the disk can be written
// again, under the caller's locks. Otherwise it costs one atomic load.
func (b *Backend) writable(db *pebble.DB) error {
	if !b.health.failing.Load() {
		return nil
	}
	if err := b.brokenErr(); err != nil {
		return err
	}
	if db.Metrics().MemTable.Count < 2 {
		return nil
	}
	_, err := b.health.state()
	if err == nil {
		return nil
	}
	return fmt.Errorf("pebble: writes refused while the memtable cannot be flushed: %w", err)
}

// RetryWrites makes failing background writes retry now, and returns nil
// if they succeed (or none were failing) and their error if not. A
// checkpoint calls it before writing anything: while they fail, writes are
// refused (see writable).
func (b *Backend) RetryWrites() error {
	if !b.health.failing.Load() {
		return nil
	}
	if err := b.brokenErr(); err != nil {
		return err
	}
	return b.retry()
}

// brokenErr is the error of a live DB Pebble stopped, or nil.
func (b *Backend) brokenErr() error {
	b.health.mu.Lock()
	defer b.health.mu.Unlock()
	return b.health.broken
}

// pebbleLogger is the logger Pebble runs with. Pebble's Fatalf ends the
// process; for a failed MANIFEST write (a full or failing disk) it marks the
// live DB broken instead, so the server keeps answering reads and can be
// stopped cleanly. Pebble returns the error after such a Fatalf.
type pebbleLogger struct {
	pebble.Logger
	h *health
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.HasPrefix(msg, "MANIFEST") {
		var err error = errors.New(msg)
		for _, a := range args {
			if e, ok := a.(error); ok {
				err = e
			}
		}
		l.h.breakDB(err)
		return
	}
	l.Logger.Fatalf(format, args...)
}

// OnBackgroundError registers fn to be told of each failure of Pebble's
// background writes (flushes, compactions), so the engine learns of a
// failing disk before its next checkpoint. fn must not block.
func (b *Backend) OnBackgroundError(fn func(error)) {
	b.health.mu.Lock()
	b.health.notify = fn
	b.health.mu.Unlock()
}
