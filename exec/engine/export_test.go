package engine

import "github.com/streamsql/streamsql/connectors/kafka"

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
