package engine

import (
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

// A streamsql_catalog relation has no dataflow: its rows are computed
// when it is read. A subscription to one recomputes them every
// SystemSubscribeInterval and queues the differences from the previous
// rows, so it sees the figures change as a subscription to a view sees
// its rows change. What it holds is bounded: the previous rows (one
// relation's, which are per relation or per session, not per event) and
// the changes its client has not read, charged to the subscription
// budget like any other subscription's.

// defaultSystemSubscribeInterval is Options.SystemSubscribeInterval's
// default.
const defaultSystemSubscribeInterval = time.Second

// systemTarget resolves a SUBSCRIBE's streamsql_catalog relation.
func systemTarget(st *parser.Subscribe) (*catalog.Relation, bool) {
	name, ok := strings.CutPrefix(st.Name, planner.StreamsqlCatalog+".")
	if !ok {
		return nil, false
	}
	return planner.SystemRelation(planner.StreamsqlCatalog, name)
}

// sysPoll is the recomputing goroutine of a system subscription.
type sysPoll struct {
	stop chan struct{}
	done sync.WaitGroup
}

// halt stops the goroutine and waits for it.
func (p *sysPoll) halt() {
	close(p.stop)
	p.done.Wait()
}

// sysRows is a snapshot of a system relation's rows as a multiset: each
// distinct row's encoding, with its count and where it is in b.
type sysRows struct {
	b     *vec.Batch
	count map[string]int64
	at    map[string]int
}

func newSysRows(b *vec.Batch) *sysRows {
	r := &sysRows{b: b, count: map[string]int64{}, at: map[string]int{}}
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf = exec.EncodeRow(buf[:0], b.Cols, i)
		k := string(buf)
		r.count[k]++
		if _, ok := r.at[k]; !ok {
			r.at[k] = i
		}
	}
	return r
}

// diff is the changes that take old's rows to r's: retractions, then
// insertions, each row once with its count.
func (r *sysRows) diff(old *sysRows) *vec.Batch {
	out := vec.NewBatch(r.b.Types(), 0)
	appendRow := func(from *vec.Batch, i int, d int64) {
		for c := range from.Cols {
			out.Cols[c].AppendFrom(&from.Cols[c], i)
		}
		out.EndRow(d)
	}
	for k, n := range old.count {
		if d := r.count[k] - n; d < 0 {
			appendRow(old.b, old.at[k], d)
		}
	}
	for k, n := range r.count {
		if d := n - old.count[k]; d > 0 {
			appendRow(r.b, r.at[k], d)
		}
	}
	return out
}

// subscribeSystem starts a subscription to system relation rel.
func (e *Engine) subscribeSystem(rel *catalog.Relation, st *parser.Subscribe) (*subscription, error) {
	b, err := e.streamsqlRows(rel)
	if err != nil {
		return nil, err
	}
	cols := subscribeColumns(rel)
	s := newSubscription(planner.StreamsqlCatalog+"."+rel.Name, cols, e.subBudget)
	s.poll = &sysPoll{stop: make(chan struct{})}
	prev := newSysRows(b)
	if st.Snapshot {
		s.queueChanges(prev.diff(newSysRows(vec.NewBatch(b.Types(), 0))))
	}
	every := e.opts.SystemSubscribeInterval
	if every <= 0 {
		every = defaultSystemSubscribeInterval
	}
	s.poll.done.Add(1)
	go func() {
		defer s.poll.done.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-s.poll.stop:
				return
			case <-e.ctx.Done():
				return
			case <-tick.C:
			}
			b, err := e.streamsqlRows(rel)
			if err != nil {
				s.end(err)
				return
			}
			next := newSysRows(b)
			if ch := next.diff(prev); ch.N > 0 && !s.queueChanges(ch) {
				return
			}
			prev = next
		}
	}()
	return s, nil
}

// queueChanges queues changes stamped now; false once s has ended.
func (s *subscription) queueChanges(ch *vec.Batch) bool {
	s.put(ch, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err == nil
}
