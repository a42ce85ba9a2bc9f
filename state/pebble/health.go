package pebble

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A failing disk (full, read-only, gone) must neither wedge the engine nor
// flood its log. Pebble retries a failed flush or compaction at once and
// forever (its flush loop has a TODO for a backoff), logging each attempt,
// and DB.Flush waits for the flush to succeed. So the backend:
//
//   - records the background errors Pebble reports, and logs one per retry;
//   - makes Pebble's background jobs wait before they create a file again
//     after a failure, for a delay that doubles from minRetryDelay up to
//     maxRetryDelay and resets on the next success, instead of spinning (a
//     flush or compaction begins by creating its output file, and only those
//     jobs write files of their categories);
//   - flushes for a checkpoint without waiting on a failing flush: it fails
//     at once with the recorded error, and each checkpoint attempt makes the
//     pending flush retry now, so the engine's own checkpoint backoff decides
//     how soon a disk that can be written again is noticed.
var (
	minRetryDelay = 100 * time.Millisecond
	maxRetryDelay = 10 * time.Second
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
	if h.err == nil {
		h.delay = minRetryDelay
	} else {
		h.delay = min(2*h.delay, maxRetryDelay)
	}
	h.err = err
	h.until = time.Now().Add(h.delay)
	h.logger.Errorf("pebble: background write failed (retrying in %s): %v", h.delay, err)
	h.notifyLocked()
}

// ok records a successful background job.
func (h *health) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return
	}
	h.logger.Infof("pebble: background writes succeed again after: %v", h.err)
	h.err, h.delay = nil, 0
	h.notifyLocked()
}

// state returns the recorded error and a channel closed at its next change.
func (h *health) state() (error, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err, h.changed
}

// retryNow lets a waiting background job retry at once.
func (h *health) retryNow() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.until = time.Time{}
	h.notifyLocked()
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

// errFlushTimeout is a flush that took longer than flushTimeout.
var errFlushTimeout = errors.New("pebble: flush did not finish")

// flush writes the memtable to sstables for a checkpoint, failing fast on a
// failing disk; the caller holds b.mu.
func (b *Backend) flush(db *pebble.DB) error {
	if b.pending != nil {
		// A flush of an earlier checkpoint failed and is waiting to retry:
		// retry it now, and fail with its error unless it succeeds.
		b.health.retryNow()
		if err := b.await(b.pending); err != nil {
			return err
		}
		b.pending = nil
	}
	if err, _ := b.health.state(); err != nil {
		// A compaction is failing: the flush would fail the same way.
		b.health.retryNow()
	}
	ch, err := db.AsyncFlush()
	if err != nil {
		return err
	}
	b.pending = ch
	if err := b.await(ch); err != nil {
		return err
	}
	b.pending = nil
	return nil
}

// await waits for a flush to finish, returning early with the next
// background error reported while it waits.
func (b *Backend) await(done <-chan struct{}) error {
	_, changed := b.health.state()
	t := time.NewTimer(flushTimeout)
	defer t.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-changed:
			var err error
			if err, changed = b.health.state(); err != nil {
				select {
				case <-done: // it failed, then succeeded
					return nil
				default:
				}
				return err
			}
		case <-t.C:
			return fmt.Errorf("%w in %s", errFlushTimeout, flushTimeout)
		}
	}
}
