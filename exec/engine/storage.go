package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/state/durable"
)

// A data directory that cannot be written (disk full, made read-only,
// gone) fails checkpoints. While it does, the engine refuses writes at once
// with the failure's SQLSTATE (53100 disk full, 58030 other I/O errors):
// INSERT and DDL are refused, and sources pause, because every accepted row
// would grow state that cannot be checkpointed (and, on Pebble, fill the
// memtables until writes block). Reads go on: a checkpoint holds the
// engine's locks only as long as one failing attempt takes. The checkpoint
// loop retries with durable.NextRetry's backoff, logging each attempt, so
// the log says it once per backoff period; the first checkpoint that
// succeeds lets writes in again.

// storageHealth is the state of the last checkpoint's writes.
type storageHealth struct {
	mu       sync.Mutex
	err      error // the last checkpoint's storage failure; nil once one succeeds
	failures int
	delay    time.Duration
	ok       chan struct{} // closed while healthy
	failed   chan struct{} // signalled when checkpoints start failing
	// probe is signalled when the backend reports a failed background
	// write, so a checkpoint attempt finds out before writes block.
	probe chan struct{}
}

func newStorageHealth() storageHealth {
	ok := make(chan struct{})
	close(ok)
	return storageHealth{ok: ok, failed: make(chan struct{}, 1), probe: make(chan struct{}, 1)}
}

// watchBackend asks a backend that writes in the background (Pebble) to
// report its failures.
func (e *Engine) watchBackend() {
	if w, ok := e.backend.(interface{ OnBackgroundError(func(error)) }); ok {
		w.OnBackgroundError(func(error) {
			select {
			case e.storage.probe <- struct{}{}:
			default:
			}
		})
	}
}

// storageError types err for the client when it is a failure of the file
// system (an errno somewhere in its chain), and returns it as is otherwise.
func storageError(what string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return sqlerr.Storage(what, err)
	}
	return err
}

// checkpointFailed records a checkpoint's failure to write the data
// directory and returns it typed for the client.
func (e *Engine) checkpointFailed(err error) error {
	err = sqlerr.Storage("checkpoint", err)
	h := &e.storage
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.ok = make(chan struct{})
		select {
		case h.failed <- struct{}{}:
		default:
		}
	}
	h.delay = durable.NextRetry(h.delay) // 0 since the last success
	h.err = err
	h.failures++
	return err
}

// checkpointSucceeded lets writes in again after failures.
func (e *Engine) checkpointSucceeded() {
	h := &e.storage
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return
	}
	slog.Info("checkpoint succeeded again: writes are accepted", "failed_attempts", h.failures)
	h.err, h.failures, h.delay = nil, 0, 0
	close(h.ok)
}

// retryDelay is how long the checkpoint loop waits before retrying a
// failed checkpoint, 0 when the last one succeeded.
// failures counts the attempts that failed in a row, and err is the last
// one's error.
func (e *Engine) retryDelay() (d time.Duration, failures int, err error) {
	h := &e.storage
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.delay, h.failures, h.err
}

// writable returns nil, or the error refusing a write while checkpoints
// fail.
func (e *Engine) writable() error {
	h := &e.storage
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return nil
	}
	k := sqlerr.IOError
	if se, ok := sqlerr.As(h.err); ok && se.Kind == sqlerr.DiskFull {
		k = sqlerr.DiskFull
	}
	return &sqlerr.Error{Kind: k, Msg: "writes are refused until a checkpoint succeeds again (retried automatically): " + h.err.Error(), Err: h.err}
}

// waitWritable blocks a source while checkpoints fail, until one succeeds
// or ctx ends.
func (e *Engine) waitWritable(ctx context.Context) error {
	h := &e.storage
	h.mu.Lock()
	ok := h.ok
	h.mu.Unlock()
	select {
	case <-ok:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isStorage reports whether err is a failure of the data directory.
func isStorage(err error) bool {
	se, ok := sqlerr.As(err)
	return ok && (se.Kind == sqlerr.DiskFull || se.Kind == sqlerr.IOError) && !errors.Is(err, context.Canceled)
}
