package engine

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// A panic is a bug, but one bug must not take the server down or leave a
// lock held: every lock taken while a statement or a batch runs is released
// by defer, a statement's panic becomes its client's XX000 error
// (guarded), a panic in a materialized view's operators stops that view
// alone (viewGuard), and one in a source's goroutine stops that source.

// faultHook, when set (by tests only, see export_test.go), is called at
// named points of statement execution and batch processing, and panics
// where the test wants one. The points are per statement or per batch,
// never per row.
var faultHook atomic.Pointer[func(point string)]

func fault(point string) {
	if f := faultHook.Load(); f != nil {
		(*f)(point)
	}
}

// internalError logs a recovered panic with its stack and returns the
// XX000 error a client gets for it.
func internalError(what string, p any) error {
	slog.Error("internal error: recovered a panic", "in", what, "panic", p, "stack", string(debug.Stack()))
	return sqlerr.New(sqlerr.Internal, "internal error: %v", p)
}

// guarded runs f, turning a panic into an internal error. The locks f
// took are released by their defers as the panic unwinds; what f changed
// is the caller's to undo (DDL rolls its catalog change back).
func guarded(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if fp, ok := p.(fatalPanic); ok {
				panic(fp.p) // not ours to survive
			}
			err = internalError(what, p)
		}
	}()
	return f()
}

// fatalPanic carries a panic that must not be recovered as a statement's
// error: one from writing a checkpoint, where the storage underneath
// (Pebble, on a failed fsync) gave up. It ends the connection as before
// (the wire's last-resort recover), with the process's state as it was.
type fatalPanic struct{ p any }

// viewGuard stands between a materialized view's operators and its input.
// A panic in them stops this view only: the view is marked failed (SHOW
// MATERIALIZED VIEWS says why, SELECT from it is an error), it takes no
// more input, and the dataflow's other views, its table and its source go
// on. Its state may hold part of the batch that panicked, so it is not
// resumed: drop it and create it again.
type viewGuard struct {
	op exec.Operator
	x  *entry
}

func (g *viewGuard) Push(b *vec.Batch) error {
	if g.x.failed.Load() != nil {
		return nil
	}
	defer g.catch("a batch")
	if faultHook.Load() != nil {
		fault("view-batch " + g.x.rel.Name)
	}
	return g.op.Push(b)
}

func (g *viewGuard) OnWatermark(wm int64) error {
	if g.x.failed.Load() != nil {
		return nil
	}
	defer g.catch("a watermark")
	return g.op.OnWatermark(wm)
}

func (g *viewGuard) OnBarrier(id uint64) error {
	if g.x.failed.Load() != nil {
		return nil
	}
	defer g.catch("a checkpoint barrier")
	return g.op.OnBarrier(id)
}

func (g *viewGuard) Close() error { return g.op.Close() }

// emit sends the changes the view's aggregates hold back.
func (g *viewGuard) emit() error {
	if g.x.failed.Load() != nil {
		return nil
	}
	defer g.catch("held-back changes")
	return g.x.pipe.Emit()
}

// catch is deferred by the guard's methods: it recovers a panic and marks
// the view failed.
func (g *viewGuard) catch(what string) {
	if p := recover(); p != nil {
		g.x.fail(fmt.Sprintf("processing %s", what), p)
		// The caller holds the dataflow's lock, as endSubscriptions needs.
		g.x.endSubscriptions(errFailed(g.x))
	}
}

// fail marks x stopped by a panic and logs it with its stack.
func (x *entry) fail(what string, p any) {
	msg := fmt.Sprintf("internal error %s: %v", what, p)
	x.failed.CompareAndSwap(nil, &msg)
	slog.Error("relation stopped: recovered a panic", "relation", x.rel.Name, "in", what, "panic", p, "stack", string(debug.Stack()))
}

// failure is why x stopped, or "".
func (x *entry) failure() string {
	if m := x.failed.Load(); m != nil {
		return *m
	}
	return ""
}

// errFailed is the error for reading a view that a panic stopped.
func errFailed(x *entry) error {
	return sqlerr.New(sqlerr.Internal, "materialized view %q stopped after an %s; its rows are no longer kept up to date: drop it and create it again", x.rel.Name, x.failure())
}

// locked runs f under df.mu, which a panic in f does not leave held.
func (df *dataflow) locked(f func()) {
	df.Lock()
	defer df.Unlock()
	f()
}

// errTorn is the error for reading a relation of a dataflow that a batch
// failed partway through (see ingest), or nil.
func errTorn(x *entry) error {
	if x.df == nil {
		return nil
	}
	m := x.df.grp().torn.Load()
	if m == nil {
		return nil
	}
	return sqlerr.New(sqlerr.IOError, "relation %q may hold part of a batch into %s that failed (%s); it is not read or checkpointed again until the server is restarted, "+
		"which restores it from the last checkpoint and the insert log", x.rel.Name, x.df.root.rel.Name, *m)
}
