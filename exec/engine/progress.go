package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/wire"
)

// progressEvery is how often a running FLUSH or backfill sends a NOTICE
// of how far it got (psql prints them as they come): about once a
// second, so that a long one says it lives and a short one says nothing.
var progressEvery atomic.Int64

func init() { progressEvery.Store(int64(time.Second)) }

// A task is a FLUSH or a view's backfill while it runs: SHOW PROGRESS and
// streamsql_catalog.progress list them, and its client gets a NOTICE
// every progressEvery. Its figures are atomics the work adds to (or that
// poll computes at each tick), so the work pays nothing per row beyond an
// atomic add per batch.
type task struct {
	id      int64
	stmt    string // FLUSH, CREATE MATERIALIZED VIEW
	rel     string // the view backfilled, "" for FLUSH
	started time.Time
	phase   atomic.Pointer[string]
	// done of total rows (total -1 when not known).
	done, total atomic.Int64
	// poll, when set, sets the figures above at each tick and read: the
	// phase's, which it changes with.
	poll atomic.Pointer[func(t *task)]
}

func (t *task) setPhase(p string) { t.phase.Store(&p) }

// enter starts a phase whose figures poll computes (nil: the work adds
// to them). It is safe on a nil task, FLUSH's without a client.
func (t *task) enter(phase string, poll func(t *task)) {
	if t == nil {
		return
	}
	t.setPhase(phase)
	t.done.Store(0)
	t.total.Store(-1)
	if poll == nil {
		t.poll.Store(nil)
	} else {
		t.poll.Store(&poll)
	}
}

// figures reads the task's phase, rows done and total (-1 not known).
func (t *task) figures() (phase string, done, total int64) {
	if f := t.poll.Load(); f != nil {
		(*f)(t)
	}
	if p := t.phase.Load(); p != nil {
		phase = *p
	}
	return phase, t.done.Load(), t.total.Load()
}

// message is the task's NOTICE: "FLUSH: waiting for source ev: 1200 of
// 5000 rows (24%), 3s".
func (t *task) message() string {
	phase, done, total := t.figures()
	what := t.stmt
	if t.rel != "" {
		what += " " + t.rel
	}
	if phase != "" {
		what += ": " + phase
	}
	el := time.Since(t.started).Round(time.Second)
	if total >= 0 {
		pct := 100.0
		if total > 0 {
			pct = math.Floor(100 * float64(done) / float64(total))
		}
		return fmt.Sprintf("%s: %d of %d rows (%.0f%%), %s", what, done, total, pct, el)
	}
	return fmt.Sprintf("%s: %d rows, %s", what, done, el)
}

// tasks are the tasks running now.
type tasks struct {
	mu      sync.Mutex
	next    int64
	running map[int64]*task
}

// startTask registers a task and sends w its progress every
// progressEvery until end is called; end returns once no NOTICE is being
// sent, so the statement's own answer never interleaves with one.
func (e *Engine) startTask(stmt, rel string, w wire.ResultWriter) (t *task, end func()) {
	ts := &e.tasks
	ts.mu.Lock()
	ts.next++
	t = &task{id: ts.next, stmt: stmt, rel: rel, started: time.Now()}
	t.total.Store(-1)
	if ts.running == nil {
		ts.running = map[int64]*task{}
	}
	ts.running[t.id] = t
	ts.mu.Unlock()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		if w == nil {
			return
		}
		tick := time.NewTicker(time.Duration(progressEvery.Load()))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if w.Notice(t.message()) != nil {
					return // the client is gone: the statement will see it
				}
			}
		}
	}()
	return t, func() {
		close(stop)
		<-stopped
		ts.mu.Lock()
		delete(ts.running, t.id)
		ts.mu.Unlock()
	}
}

// runningTasks are the tasks running now, oldest first.
func (e *Engine) runningTasks() []*task {
	ts := &e.tasks
	ts.mu.Lock()
	out := make([]*task, 0, len(ts.running))
	for _, t := range ts.running {
		out = append(out, t)
	}
	ts.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// progressRows are SHOW PROGRESS's rows, streamsql_catalog.progress'.
func (e *Engine) progressRows() [][]any {
	var rows [][]any
	for _, t := range e.runningTasks() {
		phase, done, total := t.figures()
		var tot, rel any = total, t.rel
		if total < 0 {
			tot = nil
		}
		if t.rel == "" {
			rel = nil
		}
		rows = append(rows, []any{t.id, t.stmt, rel, phase, done, tot, t.started.UnixMicro(), time.Since(t.started).Seconds()})
	}
	return rows
}

// taskKey is the context key of a FLUSH's task.
type taskKey struct{}

func taskOf(ctx context.Context) *task {
	t, _ := ctx.Value(taskKey{}).(*task)
	return t
}

// flushReporting is FLUSH, telling w how it goes.
func (e *Engine) flushReporting(ctx context.Context, timeout time.Duration, w wire.ResultWriter) error {
	t, end := e.startTask("FLUSH", "", w)
	defer end()
	return e.flush(context.WithValue(ctx, taskKey{}, t), timeout)
}
