package kafka

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
)

// A panic in one of the connector's goroutines is a bug, and it stops as
// little as it can, never the process: a partition reader's or the dead
// letters' stops its source, the writer's stops its sink, each with the
// stack logged once and the source's or sink's status saying
// "failed: internal error ...". A panic while one record is decoded is
// that record's fault: it is a bad record ("internal error decoding
// record: ..."), and the partition reads on with a new decoder.

// faultHook, when set (SetFaultHook, by tests only), is called at named
// points of the connector's goroutines, and panics where the test wants
// one. Its points are per fetch, per write and per record decoded; when no
// hook is set each costs one atomic load.
var faultHook atomic.Pointer[func(point string)]

// SetFaultHook makes the connector call f at its fault points (see
// faultHook); nil removes it. It is for tests only.
func SetFaultHook(f func(point string)) {
	if f == nil {
		faultHook.Store(nil)
		return
	}
	faultHook.Store(&f)
}

func fault(point string) {
	if f := faultHook.Load(); f != nil {
		(*f)(point)
	}
}

// internalError is what a recovered panic becomes: the error of the
// source or sink it stopped.
type internalError struct {
	what string
	p    any
}

func (e *internalError) Error() string { return fmt.Sprintf("internal error %s: %v", e.what, e.p) }

// recovered logs a recovered panic with its stack and returns its error.
func recovered(topic, what string, p any) error {
	slog.Error("kafka connector: recovered a panic", "topic", topic, "in", what, "panic", p, "stack", string(debug.Stack()))
	return &internalError{what: what, p: p}
}

// decodePanic is a panic while a record was decoded, the record's error.
type decodePanic struct {
	p     any
	stack []byte
}

func (e *decodePanic) Error() string { return fmt.Sprintf("internal error decoding record: %v", e.p) }
