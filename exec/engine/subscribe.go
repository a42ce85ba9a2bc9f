package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/wire"
)

// maxPendingRows bounds the changes a subscription holds for a client that
// does not read them; beyond it the subscription ends with an error rather
// than let one slow client hold the server's memory or stall the dataflow.
const maxPendingRows = 1 << 20

// streamChunk and streamChunkBytes bound the changes a SUBSCRIBE takes
// from its queue to write at once (their encoded size): what a write to a
// client that stopped reading holds, outside the queue and so outside
// subscription_buffer_bytes, stays small.
const (
	streamChunk      = 4096
	streamChunkBytes = 128 << 10
)

// defaultSubscriptionBytes is subscription_buffer_bytes' default.
const defaultSubscriptionBytes = 64 << 20

// subBudget accounts the bytes of the changes every subscription holds
// for its client (the memory of their queues, see subQueue). Together
// they may hold subscription_buffer_bytes; past it the one holding the
// most is ended, then the next, until the rest fit. A subscription is
// charged as its queue grows, a page at a time, so the total passes the
// limit by at most a page a subscription. Ending one for maxPendingRows
// (see add) gives its bytes back here too.
// Lock order: a subscription's mu, then the budget's.
type subBudget struct {
	mu    sync.Mutex
	limit int64
	total int64
	// peak is the most total has been, for tests.
	peak int64
	held map[*subscription]int64 // bytes, of subscriptions holding any
}

func newSubBudget() *subBudget {
	return &subBudget{limit: defaultSubscriptionBytes, held: map[*subscription]int64{}}
}

// setLimit sets the bytes all subscriptions may hold; 0 is the default.
func (g *subBudget) setLimit(n int64) {
	if n <= 0 {
		n = defaultSubscriptionBytes
	}
	g.mu.Lock()
	g.limit = n
	g.mu.Unlock()
}

func (g *subBudget) getLimit() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit
}

// used is the bytes all subscriptions hold.
func (g *subBudget) used() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total
}

// charge adds n bytes (negative: released) to what s holds and returns
// the subscriptions to end, largest first, for the total to fit the
// limit. The caller holds s.mu and ends them (see overflow) after
// releasing it.
func (g *subBudget) charge(s *subscription, n int64) []*subscription {
	g.mu.Lock()
	defer g.mu.Unlock()
	if h := g.held[s] + n; h > 0 {
		g.held[s] = h
	} else {
		delete(g.held, s)
	}
	g.total += n
	g.peak = max(g.peak, g.total)
	if g.total <= g.limit {
		return nil
	}
	return g.victims()
}

// enforce ends subscriptions until they fit a lowered limit.
func (g *subBudget) enforce() {
	g.mu.Lock()
	var victims []*subscription
	if g.total > g.limit {
		victims = g.victims()
	}
	g.mu.Unlock()
	g.overflow(victims)
}

// victims picks the subscriptions whose ending brings the total under the
// limit, holding the most first. g.mu is held.
func (g *subBudget) victims() []*subscription {
	var out []*subscription
	left := g.total
	for left > g.limit {
		var top *subscription
		for s, h := range g.held {
			if !slices.Contains(out, s) && (top == nil || h > g.held[top]) {
				top = s
			}
		}
		if top == nil {
			break
		}
		out = append(out, top)
		left -= g.held[top]
	}
	return out
}

// overflow ends the victims charge picked if the subscriptions still hold
// more than the limit (a victim may have caught up meanwhile). The caller
// holds no subscription's mu.
func (g *subBudget) overflow(victims []*subscription) {
	for _, v := range victims {
		g.end(v)
		v.signal()
	}
}

// end ends v if the subscriptions still hold more than the limit.
func (g *subBudget) end(v *subscription) {
	v.mu.Lock()
	defer v.mu.Unlock()
	g.mu.Lock()
	over, limit, held := g.total > g.limit, g.limit, g.held[v]
	g.mu.Unlock()
	if over && v.err == nil {
		v.fail(errOverBudget(v.name, limit, held))
	}
}

// errOverBudget ends the subscription to name, which held the most when
// subscriptions held more than limit.
func errOverBudget(name string, limit, held int64) error {
	return sqlerr.New(sqlerr.InsufficientResources,
		"subscription to %q was ended: subscriptions held more than subscription_buffer_bytes (%d bytes) of changes their clients had not read, and this one held the most (%d bytes)",
		name, limit, held)
}

// subscription receives a relation's changes for one client (SUBSCRIBE).
// It is attached to the relation's changelog and pushed to under the
// dataflow's lock, so it never blocks: rows queue until the client takes
// them.
type subscription struct {
	x *entry // nil for a system relation's, which poll recomputes
	// name is the relation's, for errors.
	name   string
	poll   *sysPoll
	cols   []catalog.Column
	budget *subBudget

	mu sync.Mutex
	// q holds the changes the client has not taken.
	q subQueue
	// err ends the subscription: the relation was dropped, or the client
	// fell too far behind.
	err error
	// last is the latest mz_timestamp given, so timestamps never go back.
	last int64
	// bytes is what q holds, as charged to budget.
	bytes int64
	wake  chan struct{}
}

// newSubscription returns a subscription to the relation called name
// (for errors) whose changes have columns cols.
func newSubscription(name string, cols []catalog.Column, budget *subBudget) *subscription {
	return &subscription{name: name, cols: cols, budget: budget, wake: make(chan struct{}, 1)}
}

var _ exec.Operator = (*subscription)(nil)

// subscribeColumns are a subscription's output columns: Materialize's
// mz_timestamp (milliseconds since the Unix epoch when the change was
// applied) and mz_diff (+n inserted, -n retracted copies), then the
// relation's columns.
func subscribeColumns(rel *catalog.Relation) []catalog.Column {
	return append([]catalog.Column{col("mz_timestamp", types.BigInt), col("mz_diff", types.BigInt)}, rel.Columns...)
}

// subscribeTarget finds the relation a SUBSCRIBE reads.
func (e *Engine) subscribeTarget(st *parser.Subscribe) (*entry, error) {
	x, ok := e.lookup(st.Name)
	if !ok {
		return nil, sqlerr.At(sqlerr.UndefinedTable, st.Pos, "relation %q does not exist", st.Name)
	}
	switch {
	case x.rel.Kind == parser.KindSink || x.rel.Kind == parser.KindView:
		return nil, sqlerr.At(sqlerr.WrongObjectType, st.Pos, "cannot subscribe to %s %q: subscribe to a table, source or materialized view", x.rel.Kind.Noun(), st.Name)
	case x.out == nil || x.df == nil:
		return nil, sqlerr.At(sqlerr.WrongObjectType, st.Pos, "cannot subscribe to %q", st.Name)
	case st.Snapshot && x.mat == nil:
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Pos, "%q keeps no rows to snapshot: use SUBSCRIBE %s WITH (snapshot = false)", st.Name, st.Name)
	}
	return x, nil
}

// subscribe attaches a subscription to the relation: its current rows
// first when st.Snapshot, all stamped with one timestamp, then its changes.
// Snapshot and attach happen under the dataflow's lock, so no change is
// missed or seen twice. The caller must call unsubscribe.
func (e *Engine) subscribe(st *parser.Subscribe) (*subscription, error) {
	if rel, ok := systemTarget(st); ok {
		return e.subscribeSystem(rel, st)
	}
	x, err := e.subscribeTarget(st)
	if err != nil {
		return nil, err
	}
	if x.failed.Load() != nil {
		return nil, errFailed(x)
	}
	if err := errTorn(x); err != nil {
		return nil, err
	}
	cols := subscribeColumns(x.rel)
	s := newSubscription(x.rel.Name, cols, e.subBudget)
	s.x = x
	x.df.Lock()
	defer x.df.Unlock()
	// Changes made before the subscription are the snapshot's, not its.
	if err := x.df.emit(); err != nil {
		s.release()
		return nil, err
	}
	if st.Snapshot {
		ts := s.stamp()
		err := x.mat.Scan(func(b *vec.Batch) error {
			s.put(b, ts)
			return nil
		})
		if err != nil {
			s.release()
			return nil, err
		}
	}
	if x.subs == nil {
		x.subs = map[*subscription]struct{}{}
	}
	x.subs[s] = struct{}{}
	x.out.Attach(s)
	x.project() // a subscriber takes whole rows
	return s, nil
}

// unsubscribe detaches s; it is safe after the relation was dropped.
func (e *Engine) unsubscribe(s *subscription) {
	if s == nil {
		return
	}
	if s.poll != nil {
		s.poll.halt()
		s.release()
		return
	}
	s.x.df.locked(func() {
		if _, ok := s.x.subs[s]; ok {
			delete(s.x.subs, s)
			s.x.out.Detach(s)
			s.x.project()
		}
	})
	s.release()
}

// release drops what s holds, returning its bytes to the budget, and ends
// it for good.
func (s *subscription) release() {
	s.mu.Lock()
	s.fail(errSubscriptionClosed)
	s.mu.Unlock()
}

// errSubscriptionClosed ends a subscription its client closed.
var errSubscriptionClosed = errors.New("subscription closed")

// fail ends s with err at once, dropping the changes it holds (an
// end(err) lets the client read them first). s.mu is held.
func (s *subscription) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.q.free()
	s.budget.charge(s, -s.bytes)
	s.bytes = 0
}

// endSubscriptions ends every subscription of x with err and detaches
// them (DROP). The caller holds x.df.mu.
func (x *entry) endSubscriptions(err error) {
	for s := range x.subs {
		s.end(err)
		x.out.Detach(s)
	}
	x.subs = nil
}

// stamp returns the timestamp of a change applied now. The caller holds
// s.mu or owns s.
func (s *subscription) stamp() int64 {
	s.last = max(s.last, time.Now().UnixMilli())
	return s.last
}

// put queues b's changes with timestamp ts, or stamped now when ts is 0,
// ending subscriptions as they pass subscription_buffer_bytes, this one
// included. s.mu is not held.
func (s *subscription) put(b *vec.Batch, ts int64) {
	s.mu.Lock()
	if ts == 0 {
		ts = s.stamp()
	}
	for i := 0; ; {
		var victims []*subscription
		i, victims = s.add(b, i, ts)
		s.mu.Unlock()
		// Others are ended before more is queued: the total passes the
		// limit by a chunk, not by a batch.
		s.budget.overflow(victims)
		if i >= b.N {
			return
		}
		s.mu.Lock()
	}
}

// add queues b's changes from row i on with timestamp ts, until they are
// all queued or the budget asks for other subscriptions to be ended; it
// returns the row to go on from (b.N when done, or when s was ended) and
// the subscriptions to end (see subBudget.overflow). s.mu is held.
func (s *subscription) add(b *vec.Batch, i int, ts int64) (int, []*subscription) {
	defer s.signal()
	for ; i < b.N; i++ {
		if s.err != nil {
			return b.N, nil
		}
		d := b.DiffAt(i)
		if d == 0 {
			continue
		}
		if s.q.rows >= maxPendingRows {
			s.fail(sqlerr.New(sqlerr.InsufficientResources, "subscription to %q fell behind by more than %d changes and was ended", s.name, maxPendingRows))
			return b.N, nil
		}
		if err := s.q.push(ts, d, b, i); err != nil {
			s.fail(err)
			return b.N, nil
		}
		if s.q.held == s.bytes {
			continue
		}
		victims := s.recharge()
		if k := slices.Index(victims, s); k >= 0 {
			// This one holds the most: it ends now, while s.mu is held.
			s.fail(errOverBudget(s.name, s.budget.getLimit(), s.bytes))
			victims = slices.Delete(victims, k, k+1)
		}
		if victims != nil {
			return i + 1, victims
		}
	}
	return b.N, nil
}

// recharge charges the budget for what q holds now. s.mu is held.
func (s *subscription) recharge() []*subscription {
	d := s.q.held - s.bytes
	s.bytes = s.q.held
	return s.budget.charge(s, d)
}

func (s *subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.signal()
}

func (s *subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Push implements exec.Operator. It never fails: a subscriber's trouble
// is its own, not the dataflow's.
func (s *subscription) Push(b *vec.Batch) error {
	s.put(b, 0)
	return nil
}

func (s *subscription) OnWatermark(int64) error { return nil }
func (s *subscription) OnBarrier(uint64) error  { return nil }
func (s *subscription) Close() error            { return nil }

// next waits until changes are queued and takes up to max of them (all
// when max < 0), and no more than about maxBytes of them encoded (when
// maxBytes > 0). timeout < 0 waits without limit; otherwise next returns
// an empty batch when it passes. Queued rows are given out before an error
// that ended the subscription.
func (s *subscription) next(ctx context.Context, max, maxBytes int, timeout time.Duration) (*vec.Batch, error) {
	var expired <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		if out, err := s.take(max, maxBytes); out != nil || err != nil {
			return out, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-expired:
			return vec.NewBatch(catalog.Types(s.cols), 0), nil
		}
	}
}

// take takes up to max queued changes (all when max < 0; see next for
// maxBytes), or returns the error that ended s, or neither when nothing
// is queued.
func (s *subscription) take(max, maxBytes int) (*vec.Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q.rows == 0 {
		return nil, s.err
	}
	out := vec.NewBatch(catalog.Types(s.cols), 0)
	if err := s.q.pop(out, max, maxBytes); err != nil {
		s.fail(err)
		return nil, err
	}
	s.recharge()
	return out, nil
}

// errDropped ends the subscriptions of a relation that is dropped.
func errDropped(name string) error {
	return sqlerr.New(sqlerr.UndefinedTable, "relation %q was dropped", name)
}

// runSubscribe streams a subscription to w until the client cancels or
// goes away, or the relation is dropped: a SUBSCRIBE never completes on
// its own. With copy, rows go out in COPY's text format (COPY (SUBSCRIBE
// ...) TO STDOUT), which psql prints as they arrive.
func (e *Engine) runSubscribe(ctx context.Context, st *parser.Subscribe, copy *parser.CopyFormat, w wire.ResultWriter) error {
	sub, err := e.subscribe(st)
	if err != nil {
		return err
	}
	defer e.unsubscribe(sub)
	if sess, ok := ctx.Value(sessionKey{}).(*Session); ok {
		sess.act.subs.Add(1)
		defer sess.act.subs.Add(-1)
	}
	if err := beginResult(w, sub.cols, copy); err != nil {
		return err
	}
	// The client learns now that the subscription started, not with
	// its first change.
	if err := w.Flush(); err != nil {
		return err
	}
	for {
		b, err := sub.next(ctx, streamChunk, streamChunkBytes, -1)
		if err != nil {
			return err
		}
		if err := w.Rows(b); err != nil {
			return sub.cause(err)
		}
		if err := w.Flush(); err != nil {
			return sub.cause(err)
		}
	}
}

// cause is why a write of s's changes failed: the error s was ended with
// meanwhile, if any (it was dropped from subscription_buffer_bytes while
// its client did not read, which the client should be told if it can
// still be), else the write's.
func (s *subscription) cause(werr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil && s.err != errSubscriptionClosed {
		return s.err
	}
	return werr
}

// cursor is a DECLAREd cursor: a SELECT's rows, or a subscription.
type cursor struct {
	// sql is the DECLARE statement and created its time, for pg_cursors.
	sql     string
	created time.Time
	cols    []catalog.Column
	// rows and next are a SELECT's result and how far FETCH has read.
	rows *vec.Batch
	next int
	sub  *subscription
}

// declare runs DECLARE name CURSOR FOR query; params are a prepared
// statement's (psycopg 3 declares its cursors with parameters).
func (s *Session) declare(ctx context.Context, st *parser.Declare, params *planner.Params) error {
	if _, ok := s.cursors[st.Name]; ok {
		return sqlerr.At(sqlerr.DuplicateCursor, st.Pos, "cursor %q already exists", st.Name)
	}
	c := &cursor{sql: st.SQL, created: time.Now()}
	switch q := st.Stmt.(type) {
	case *parser.Select:
		plan, err := s.planner(params).Query(q.Query, planner.AdHoc, false)
		if err != nil {
			return err
		}
		if c.rows, err = s.e.stream(ctx, plan); err != nil {
			return err
		}
		c.cols = plan.Columns()
	case *parser.Subscribe:
		sub, err := s.e.subscribe(q)
		if err != nil {
			return err
		}
		c.sub, c.cols = sub, sub.cols
		s.act.subs.Add(1)
	default:
		return sqlerr.At(sqlerr.FeatureNotSupported, st.Pos, "a cursor reads a SELECT or a SUBSCRIBE")
	}
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[st.Name] = c
	return nil
}

// fetch runs FETCH n c: up to n rows. A subscription's FETCH waits until
// at least one change is queued, or until its timeout, as in Materialize.
func (s *Session) fetch(ctx context.Context, st *parser.Fetch, w wire.ResultWriter) error {
	c, ok := s.cursors[st.Cursor]
	if !ok {
		return sqlerr.At(sqlerr.UndefinedCursor, st.Pos, "cursor %q does not exist", st.Cursor)
	}
	var b *vec.Batch
	if c.sub != nil {
		timeout := time.Duration(-1)
		if st.HasTimeout {
			timeout = time.Duration(st.Timeout) * time.Microsecond
		}
		var err error
		if b, err = c.sub.next(ctx, int(min(st.Count, 1<<31)), 0, timeout); err != nil {
			return err
		}
	} else {
		hi := c.rows.N
		if st.Count >= 0 {
			hi = min(hi, c.next+int(min(st.Count, 1<<31)))
		}
		b = pick(c.rows, seq(c.next, hi))
		c.next = hi
	}
	if err := w.Columns(wireColumns(c.cols)); err != nil {
		return err
	}
	if b.N > 0 {
		if err := w.Rows(b); err != nil {
			return err
		}
	}
	return w.Complete(fmt.Sprintf("FETCH %d", b.N))
}

// closeCursors runs CLOSE name, or CLOSE ALL when name is "".
func (s *Session) closeCursors(name string, pos int) error {
	if name != "" {
		c, ok := s.cursors[name]
		if !ok {
			return sqlerr.At(sqlerr.UndefinedCursor, pos, "cursor %q does not exist", name)
		}
		s.closeCursor(name, c)
		return nil
	}
	for n, c := range s.cursors {
		s.closeCursor(n, c)
	}
	return nil
}

func (s *Session) closeCursor(name string, c *cursor) {
	if c.sub != nil {
		s.e.unsubscribe(c.sub)
		s.act.subs.Add(-1)
	}
	delete(s.cursors, name)
}

// wireColumns converts catalog columns to the wire's.
func wireColumns(cols []catalog.Column) []wire.Column {
	wc := make([]wire.Column, len(cols))
	for i, c := range cols {
		wc[i] = wire.Column{Name: c.Name, Type: c.Type}
	}
	return wc
}
