package engine

import (
	"time"

	"github.com/streamsql/streamsql/connectors/kafka"
)

// Subscriptions counts the live subscriptions of every relation, so tests
// can check that a client going away released its own.
func (e *Engine) Subscriptions() int {
	e.mu.RLock()
	xs := make([]*entry, 0, len(e.rels))
	for _, x := range e.rels {
		xs = append(xs, x)
	}
	e.mu.RUnlock()
	n := 0
	for _, x := range xs {
		if x.df == nil {
			continue
		}
		x.df.Lock()
		n += len(x.subs)
		x.df.Unlock()
	}
	return n
}

// TickProcTime runs what the idle loop runs every 100 ms: processing-time
// windows that the clock has passed close.
func (e *Engine) TickProcTime() error { return e.tickIdle() }

// SubscriptionBytes is what every subscription holds for its client, as
// charged against subscription_buffer_bytes.
func (e *Engine) SubscriptionBytes() int64 { return e.subBudget.used() }

// PanicAt makes statements and batches, and the Kafka connector's
// goroutines, panic where they reach point (see fault and kafka's
// faultHook), until the returned function is called.
func PanicAt(point string) (restore func()) {
	f := func(p string) {
		if p == point {
			panic("injected fault at " + p)
		}
	}
	faultHook.Store(&f)
	kafka.SetFaultHook(f)
	return func() {
		faultHook.Store(nil)
		kafka.SetFaultHook(nil)
	}
}

// SetProgressEvery sets how often FLUSH and backfills send their progress,
// until the returned function restores it.
func SetProgressEvery(d time.Duration) (restore func()) {
	old := progressEvery.Swap(int64(d))
	return func() { progressEvery.Store(old) }
}

// HoldAt makes the engine's goroutines wait at fault point point (see
// fault) until release is closed; each wait is announced on reached.
func HoldAt(point string, reached chan<- struct{}, release <-chan struct{}) (restore func()) {
	f := func(p string) {
		if p == point {
			select {
			case <-release:
			default:
				reached <- struct{}{}
				<-release
			}
		}
	}
	faultHook.Store(&f)
	return func() { faultHook.Store(nil) }
}
