// Package engine runs statements: it owns the catalog of live relations,
// the dataflow each relation runs in, and the sessions clients open over
// the wire.
//
// Every relation belongs to exactly one dataflow, rooted at the table or
// source that feeds it: a view runs in the dataflow of the relation it
// reads. A dataflow's operators run under its lock, one batch at a time, so
// a view's contents are consistent whenever the lock is free: an INSERT
// returns after its rows reached every view, and FLUSH has nothing to wait
// for beyond the lock.
package engine

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/connectors/datagen"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/wire"
)

// Engine is one server's catalog and running dataflows.
type Engine struct {
	backend state.Backend
	opts    Options

	// ddl serializes DDL with checkpoints, so a checkpoint never sees a
	// half-created relation.
	ddl sync.Mutex
	// ddlName is the relation the DDL statement holding ddl is about, for
	// its log line (see doDDL).
	ddlName string
	ckptID  uint64
	log     *insertLog // nil when not durable
	// restoring is set while Open rebuilds relations from a checkpoint:
	// ids come from restoreID, and nothing is backfilled or started.
	restoring bool
	restoreID uint64
	// skipped are the relations restore could not rebuild (see skip.go).
	skipped []skippedRel

	mu     sync.RWMutex // guards rels, funcs and nextID
	rels   map[string]*entry
	nextID uint64
	// funcs are the SQL functions, by name (see function.go).
	funcs map[string][]*catalog.Function

	sys system
	// subBudget accounts what subscriptions hold for their clients.
	subBudget *subBudget
	// sessions are the open sessions (streamsql_catalog.sessions).
	sessions sessionRegistry
	// storage is whether checkpoints can write; see storage.go.
	storage storageHealth
	// stats counts checkpoints for the metrics (see metrics.go).
	stats engineStats
	// tasks are the FLUSHes and backfills running (SHOW PROGRESS).
	tasks tasks

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // generator, checkpoint and idle goroutines
	idleOnce sync.Once
	emitOnce sync.Once // startEmitLoop
}

// New returns an engine keeping operator state in backend.
func New(backend state.Backend) *Engine {
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{backend: backend, rels: map[string]*entry{}, funcs: map[string][]*catalog.Function{}, nextID: 1, ctx: ctx, cancel: cancel,
		sys: system{set: map[string]string{}, wake: make(chan struct{}, 1)}, subBudget: newSubBudget(), storage: newStorageHealth()}
}

// Close stops every source and, when durable, takes a final checkpoint, so
// a restart replays nothing. When the data directory cannot be written,
// that checkpoint fails fast and Close says so: the insert log still holds
// every acknowledged INSERT since the last checkpoint, which the next start
// replays.
func (e *Engine) Close() error {
	e.cancel()
	e.wg.Wait()
	e.mu.RLock()
	for _, x := range e.rels {
		x.close()
	}
	e.mu.RUnlock()
	defer func() {
		// After the last checkpoint, which flushes them.
		e.mu.RLock()
		defer e.mu.RUnlock()
		for _, x := range e.rels {
			if x.pipe != nil {
				x.df.locked(func() { x.pipe.Close() })
			}
		}
	}()
	if !e.durable() {
		return nil
	}
	err := e.Checkpoint()
	if err != nil {
		err = fmt.Errorf("final checkpoint failed (the insert log keeps every acknowledged INSERT since checkpoint %d for the next start to replay): %w", e.ckptID, err)
	}
	if cerr := e.log.close(); err == nil {
		err = cerr
	}
	return err
}

// entry is a live relation.
type entry struct {
	rel *catalog.Relation
	df  *dataflow
	// mat stores the rows of tables and materialized views.
	mat *exec.Materialize
	// out is where readers of this relation attach.
	out *exec.Tee
	// pipe and upstream are set for materialized views and sinks;
	// upstream is the first relation a view reads, ins all of them.
	pipe     *exec.Pipeline
	upstream *entry
	ins      []viewInput
	// lookups are the tables a view's lookup joins read.
	lookups []*entry
	// lateTable keeps the rows that arrived behind the watermark
	// (late_rows = 'keep').
	lateTable *entry
	// stop ends a generator or Kafka source.
	stop  context.CancelFunc
	gen   generator
	kafka topicSource
	// reads is, for a Kafka source, what of its columns each view over it
	// reads (see project); guarded by df.mu.
	reads map[*entry][]bool
	// sink writes a view's changes to Kafka (CREATE SINK).
	sink *sinkOp
	// done closes when a source's or sink's goroutine ends. It is made
	// with the entry and never replaced, and started is set when the
	// goroutine starts, so readers need no lock; stop is set with started,
	// under the DDL lock.
	done    chan struct{}
	started atomic.Bool
	// subs are the clients subscribed to this relation (SUBSCRIBE),
	// guarded by df.mu.
	subs map[*subscription]struct{}
	// lat records a generator source's batch latencies.
	lat latencies
	// failed is set, once, when a panic stopped this view or source (see
	// viewGuard); it says why.
	failed atomic.Pointer[string]
	// dropped is set, under df.mu, when DROP detaches the relation: an
	// INSERT that resolved it before then must not ingest into it.
	dropped bool
}

// dataflow is a root stream (a table or source) and everything that reads
// it. Its lock and its list of views are its group's, which it shares
// with the dataflows that a view joins it with (see group).
type dataflow struct {
	// g is the group; it changes only while both the old and the new
	// group are locked with their write tokens (see mergeGroups).
	g atomic.Pointer[group]
	// root is the table or source whose rows enter here.
	root *entry
	// parts tracks event time per partition; wm is the watermark, the
	// largest parts has given.
	parts      partitions
	wm         int64
	rows, late atomic.Int64
	wmShown    atomic.Int64
	// future counts rows beyond max_future; bad counts a source's records
	// that did not decode, dlqFailed those of them dlq_topic did not take;
	// clock reads processing time.
	future, bad, dlqFailed atomic.Int64
	// moved is signalled (with the lock) when a Kafka partition's offset
	// moves.
	moved *sync.Cond
	clock func() time.Time
	// proc fills and moves processing time (nil without PROCTIME()).
	proc *procTime
	// lateIdx and lateBuf are ingest's scratch for late_rows = 'keep'.
	lateIdx []int
	lateBuf *vec.Batch
}

// group is the unit of execution: the dataflows whose views read more
// than one of them (a join) run under one lock, so that every change
// reaching such a view is ordered. A dataflow starts in a group of its
// own; a view that reads two groups merges them, for good.
type group struct {
	mu sync.Mutex
	// views are the materialized views whose aggregates hold their changes
	// back (exec.Aggregate.SetDeferEmit), in creation order, so each comes
	// after the views it reads; held says they may hold some, lastEmit is
	// when they last sent them.
	views    []*viewGuard
	held     atomic.Bool
	lastEmit time.Time
	// torn is set, once, when a batch failed after a root's state began
	// to take it (see ingest); it says why.
	torn atomic.Pointer[string]
	// write is held (a token in it) by whoever changes the group's state
	// (a batch, a watermark, an idle tick), before mu; a checkpoint holds
	// it through its disk phase, after it let mu go, so that reads go on
	// while nothing changes (see checkpointOnce). A channel, so that a
	// wait for it can be bounded; its waiters are served in order.
	write chan struct{}
	// members are the group's dataflows.
	members []*dataflow
}

// grp is df's group; stable while df is locked.
func (df *dataflow) grp() *group { return df.g.Load() }

// Lock takes df's group's lock (a dataflow is a sync.Locker, for moved).
func (df *dataflow) Lock() {
	for {
		g := df.g.Load()
		g.mu.Lock()
		if df.g.Load() == g {
			return
		}
		g.mu.Unlock() // merged away while we waited
	}
}

// Unlock releases what Lock took.
func (df *dataflow) Unlock() { df.g.Load().mu.Unlock() }

// lockWrite takes the dataflow for a change to its state: its group's
// write token, then its lock. It waits for write while ctx lasts and at
// most timeout (0: no bound), whose end is a *durable.StalledError (a
// checkpoint whose disk phase hangs holds it). On error it holds neither.
func (df *dataflow) lockWrite(ctx context.Context, timeout time.Duration) error {
	var expired <-chan time.Time
	for {
		g := df.g.Load()
		select {
		case g.write <- struct{}{}:
		default:
			if timeout > 0 && expired == nil {
				t := time.NewTimer(timeout)
				defer t.Stop()
				expired = t.C
			}
			select {
			case g.write <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			case <-expired:
				return &durable.StalledError{Op: "the checkpoint's write", Path: "the data directory", After: timeout}
			}
		}
		if df.g.Load() != g {
			<-g.write // merged away while we waited
			continue
		}
		g.mu.Lock()
		return nil
	}
}

// unlockWrite ends what lockWrite took.
func (df *dataflow) unlockWrite() {
	g := df.g.Load()
	g.mu.Unlock()
	<-g.write
}

// lockedWrite runs f under lockWrite(ctx, 0), which a panic in f does not
// leave held.
func (df *dataflow) lockedWrite(ctx context.Context, f func()) error {
	if err := df.lockWrite(ctx, 0); err != nil {
		return err
	}
	defer df.unlockWrite()
	f()
	return nil
}

// mergeGroups puts the dataflows dfs in one group, which it returns. The
// caller holds e.ddl (so no checkpoint or other merge runs) and none of
// their locks. A goroutine waiting on a merged-away group's lock or token
// finds, once it has it, that its dataflow moved, and tries again.
func mergeGroups(dfs []*dataflow) *group {
	var gs []*group
	for _, df := range dfs {
		if g := df.g.Load(); !slices.Contains(gs, g) {
			gs = append(gs, g)
		}
	}
	into := gs[0]
	if len(gs) == 1 {
		return into
	}
	for _, g := range gs {
		g.write <- struct{}{} // after the batch in flight
		g.mu.Lock()
	}
	for _, g := range gs[1:] {
		for _, m := range g.members {
			m.g.Store(into)
		}
		into.members = append(into.members, g.members...)
		into.views = append(into.views, g.views...)
		if g.held.Load() {
			into.held.Store(true)
		}
		if t := g.torn.Load(); t != nil {
			into.torn.CompareAndSwap(nil, t)
		}
	}
	slices.SortStableFunc(into.views, func(a, b *viewGuard) int { return cmp.Compare(a.x.rel.ID, b.x.rel.ID) })
	for _, g := range gs {
		g.mu.Unlock()
		<-g.write
	}
	return into
}

// emitInterval bounds how long an updating view holds its changes back
// while its source streams: a view's subscribers see its changes at
// least this often, and the changes of one group within it collapse to
// one. A statement (INSERT, SELECT, SUBSCRIBE, FLUSH, SHOW) sees them all
// at once.
const emitInterval = 100 * time.Millisecond

// emit makes the group's views send the changes they hold back, each
// view after the views it reads. The caller holds df's lock.
func (df *dataflow) emit() error {
	g := df.grp()
	g.held.Store(false)
	g.lastEmit = time.Now()
	for _, v := range g.views {
		if err := v.emit(); err != nil {
			return err
		}
	}
	return nil
}

// detachView removes a view from those emit calls. The caller holds df's
// lock.
func (df *dataflow) detachView(x *entry) {
	g := df.grp()
	g.views = slices.DeleteFunc(g.views, func(v *viewGuard) bool { return v.x == x })
}

func newDataflow(rel *catalog.Relation, clock func() time.Time) *dataflow {
	df := &dataflow{wm: math.MinInt64, clock: clock, proc: newProcTime(rel),
		parts: newPartitions(rel.WatermarkDelay, rel.Time.IdleTimeout, rel.Time.IdleAdvance)}
	df.g.Store(&group{write: make(chan struct{}, 1), members: []*dataflow{df}})
	df.wmShown.Store(math.MinInt64)
	df.moved = sync.NewCond(df)
	df.parts.grow(1, df.now())
	return df
}

// now is processing time in µs for the idle rules, and 0 for a stream
// without them: a batch then costs no clock read.
func (df *dataflow) now() int64 {
	if df.parts.idle == 0 {
		return 0
	}
	return df.clock().UnixMicro()
}

// ingest pushes rows of partition p into the root relation and advances
// the watermark. The caller holds df.mu. A panic (a view's is caught by
// its viewGuard) is returned as an internal error, so a source's goroutine
// survives it and the caller's deferred unlock runs.
//
// A batch that fails before the root's state takes it leaves nothing
// behind. One that fails after (a storage error or a panic in the table's
// rows, a view's error, the watermark's windows) may have left part of
// itself in the dataflow's state, which no operator can take back: the
// dataflow is then torn (see errTorn), so that its client's "failed" holds,
// no read shows those rows and no checkpoint saves them; a restart
// restores the dataflow from the last checkpoint and the insert log, whose
// cancel record drops the failed INSERT.
func (df *dataflow) ingest(b *vec.Batch, p int) (err error) {
	pushed := false
	defer func() {
		if r := recover(); r != nil {
			err = internalError("ingesting into "+df.root.rel.Name, r)
		}
		if err != nil && pushed {
			msg := err.Error()
			if df.grp().torn.CompareAndSwap(nil, &msg) {
				slog.Error("a batch failed partway: the dataflow's relations are not read or checkpointed until a restart", "relation", df.root.rel.Name, "err", err)
			}
		}
	}()
	if err := df.push(b, p, &pushed); err != nil || len(df.grp().views) == 0 {
		return err
	}
	df.grp().held.Store(true)
	// A statement's rows go out with it; a stream's every emitInterval.
	if df.root.rel.Kind == parser.KindTable || time.Since(df.grp().lastEmit) >= emitInterval {
		return df.emit()
	}
	return nil
}

// push is ingest's work on the batch itself; pushed is set once the
// root's state began to take it.
func (df *dataflow) push(b *vec.Batch, p int, pushed *bool) (err error) {
	rel := df.root.rel
	if faultHook.Load() != nil {
		fault("ingest " + rel.Name)
	}
	var procNow int64
	if df.proc != nil {
		procNow = df.proc.now(df)
		if len(df.proc.cols) > 0 {
			b = df.proc.widen(b, procNow)
		}
	}
	if rel.Time.MaxFuture > 0 && rel.EventTime >= 0 {
		b = df.limitFuture(b)
	}
	df.rows.Add(int64(b.N))
	df.lateIdx = df.lateIdx[:0]
	maxTs := int64(math.MinInt64)
	*pushed = true
	if t := rel.EventTime; t >= 0 {
		col := &b.Cols[t]
		for i := 0; i < b.N; i++ {
			if col.IsNull(i) {
				continue
			}
			ts := col.I64[i]
			if ts < df.wm {
				df.late.Add(1)
				df.lateIdx = append(df.lateIdx, i)
			}
			maxTs = max(maxTs, ts)
		}
	}
	if df.root.mat != nil {
		err = df.root.mat.Push(b)
	} else {
		err = df.root.out.Push(b)
	}
	if err != nil {
		return err
	}
	if faultHook.Load() != nil {
		fault("ingest-pushed " + rel.Name)
	}
	if err := df.keepLate(b, df.lateIdx, df.wm); err != nil {
		return err
	}
	if df.proc != nil {
		if err := df.proc.tick(procNow); err != nil {
			return err
		}
	}
	if rel.EventTime < 0 || b.N == 0 {
		return nil
	}
	now := df.now()
	df.parts.observe(p, maxTs, now)
	return df.advance(now)
}

// advance moves the watermark to what the partitions give at now, if that
// is further, and tells the operators. The caller holds df.mu.
func (df *dataflow) advance(now int64) error {
	wm := df.parts.watermark(now)
	if wm <= df.wm {
		return nil
	}
	df.wm = wm
	df.wmShown.Store(wm)
	if df.root.mat != nil {
		return df.root.mat.OnWatermark(wm)
	}
	return df.root.out.OnWatermark(wm)
}

func (e *Engine) lookup(name string) (*entry, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	x, ok := e.rels[name]
	return x, ok
}

// Relation implements catalog.Lookup for the planner.
func (e *Engine) Relation(name string) (*catalog.Relation, bool) {
	x, ok := e.lookup(name)
	if !ok {
		return nil, false
	}
	return x.rel, true
}

// planner returns a planner over the engine's catalog; params are a
// prepared statement's, or nil; zone is the session's TimeZone (nil:
// UTC). NOW() in the statement is the clock's time as it is planned.
func (e *Engine) planner(params *planner.Params, zone *time.Location) *planner.Planner {
	clock := time.Now
	if e.opts.Clock != nil {
		clock = e.opts.Clock
	}
	return &planner.Planner{Cat: e, Params: params, Now: clock().UnixMicro(), Zone: zone}
}

// ns returns the state store k of relation id: 0 holds the relation's rows,
// 1.. its operators.
func (e *Engine) ns(id uint64, k int) state.Store { return e.backend.Namespace(id<<8 | uint64(k)) }

// register adds a relation under a fresh id, failing if the name is taken.
func (e *Engine) register(x *entry, ifNotExists bool) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.rels[x.rel.Name]; ok {
		if ifNotExists {
			return false, nil
		}
		return false, sqlerr.New(sqlerr.DuplicateObject, "relation %q already exists", x.rel.Name)
	}
	if x.rel.ID == 0 {
		x.rel.ID = e.allocIDLocked()
	}
	e.rels[x.rel.Name] = x
	return true, nil
}

// allocID reserves a relation id, for an entry that needs it (for its
// state namespaces) before it is complete enough to register.
func (e *Engine) allocID() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.allocIDLocked()
}

func (e *Engine) allocIDLocked() uint64 {
	if e.restoring {
		e.nextID = max(e.nextID, e.restoreID+1)
		return e.restoreID
	}
	e.nextID++
	return e.nextID - 1
}

func (e *Engine) unregister(name string) {
	e.mu.Lock()
	delete(e.rels, name)
	e.mu.Unlock()
}

// createRelation runs CREATE TABLE / CREATE SOURCE.
func (e *Engine) createRelation(st *parser.CreateRelation) (string, error) {
	e.ddlName = st.Name
	rel, err := e.planner(nil, nil).Relation(st)
	if err != nil {
		return "", err
	}
	rel.SQL = st.SQL
	if st.Kind == parser.KindTable && len(rel.PrimaryKey) > 0 && rel.EventTime >= 0 && !e.restoring {
		// A view judges late rows by the watermark each row arrived
		// under, and replays a table's rows to a view created later with
		// it; a keyed table keeps only each key's newest row, not the ones
		// it replaced, so a later view could not be given the same rows.
		// (RisingWave too puts watermarks on append-only tables only.)
		// Tables stored before this rule are restored as they were.
		return "", sqlerr.At(sqlerr.FeatureNotSupported, st.Watermark.Pos,
			"a table with a PRIMARY KEY cannot have a WATERMARK FOR: it keeps only the newest row of each key, so a view created later could not judge late rows as one created before them did (drop the key or the watermark)")
	}
	clock := time.Now
	if e.opts.Clock != nil {
		clock = e.opts.Clock
	}
	x := &entry{rel: rel, df: newDataflow(rel, clock), out: &exec.Tee{}, done: make(chan struct{})}
	x.df.root = x
	if st.Kind == parser.KindSource {
		switch c := rel.Options["connector"]; c {
		case "datagen", "nexmark":
			if c == "datagen" {
				x.gen, err = datagen.New(rel.Physical())
			} else {
				x.gen, err = nexmark.New(rel.Physical())
			}
			if err != nil {
				return "", sqlerr.WithPos(err, st.Pos)
			}
			x.df.parts.grow(len(x.gen.Positions()), x.df.now())
		case "":
			return "", sqlerr.At(sqlerr.InvalidParameter, st.Pos, "CREATE SOURCE needs a connector option: WITH (connector = 'datagen', ...)")
		case "kafka", "file":
			if c == "kafka" {
				x.kafka, err = kafka.NewSource(rel.Physical())
			} else {
				x.kafka, err = file.NewSource(rel.Physical(), e.fileDirs())
			}
			if err != nil {
				return "", sqlerr.WithPos(err, st.Pos)
			}
			if !e.restoring {
				// A restart must come up even while Kafka is away: the
				// source then retries, and SHOW SOURCES says so.
				if err := x.kafka.Check(context.Background()); err != nil {
					x.kafka.Close()
					return "", sqlerr.WithPos(err, st.Pos)
				}
			}
		default:
			return "", sqlerr.At(sqlerr.InvalidParameter, st.Pos, "unknown connector %q", c)
		}
	}
	// Built whole before it is registered (see createView).
	rel.ID = e.allocID()
	if st.Kind == parser.KindTable {
		x.mat = exec.NewMaterialize(e.ns(rel.ID, 0), catalog.Types(rel.Columns), exec.Layout{PK: rel.PrimaryKey, AppendOnly: rel.AppendOnly})
		x.out = &x.mat.Out
	}
	created, err := e.register(x, st.IfNotExists)
	if err != nil || !created {
		x.close()
		return "", err
	}
	defer func() {
		if p := recover(); p != nil {
			// No half-registered relation outlives a panic.
			if x.lateTable != nil {
				e.unregister(x.lateTable.rel.Name)
			}
			e.unregister(rel.Name)
			x.close()
			panic(p)
		}
	}()
	fault("create-relation")
	if rel.Time.IdleTimeout > 0 || x.df.proc != nil {
		e.startIdleLoop() // moves idle watermarks and processing time
	}
	if rel.Time.KeepLate {
		if err := e.createLateTable(x); err != nil {
			e.unregister(rel.Name)
			x.close()
			return "", err
		}
	}
	if st.Kind == parser.KindTable {
		return "CREATE TABLE", nil
	}
	// A source is read only once a materialized view reads it (see
	// createView), so no row is generated that no view could see.
	return "CREATE SOURCE", nil
}

// createView runs CREATE [MATERIALIZED] VIEW. A materialized view is
// backfilled from its input's rows, replayed in arrival order with the
// watermark they arrived under, then follows its changes. The backfill
// sends w a NOTICE of its progress about every second (w nil: none).
func (e *Engine) createView(st *parser.CreateView, zone *time.Location, w wire.ResultWriter) (string, error) {
	e.ddlName = st.Name
	rel, err := e.planner(nil, zone).View(st)
	if err != nil {
		return "", err
	}
	rel.SQL = st.SQL
	if zone != nil && zone != time.UTC {
		// The view keeps the zone it was created in, as RisingWave's do:
		// the catalog records it before the statement.
		rel.SQL = viewZonePrefix + zone.String() + "\n" + st.SQL
	}
	if !st.Materialized {
		if _, err := e.register(&entry{rel: rel}, st.IfNotExists); err != nil {
			return "", err
		}
		return "CREATE VIEW", nil
	}
	// The entry is built whole, then registered: readers that walk e.rels
	// (FLUSH, SHOW, SELECT, the idle loop) never see it half made.
	rel.ID = e.allocID()
	id := rel.ID
	mat := exec.NewMaterialize(e.ns(id, 0), catalog.Types(rel.Columns),
		exec.Layout{Key: planner.GroupKey(rel.Query.(planner.Node)), AppendOnly: rel.AppendOnly})
	// One bad row cannot stop a view: its expression errors are counted.
	shards, _ := strconv.Atoi(rel.Options["parallelism"]) // checked by the planner; 0 when absent
	pipe, err := exec.BuildSharded(rel.Query.(planner.Node), max(shards, 1), func(k int) state.Store { return e.ns(id, k) }, mat, exec.NewRowErrors(false))
	if err == nil && (pipe.Source == nil || len(pipe.Values) > 0) {
		err = sqlerr.New(sqlerr.FeatureNotSupported, "a materialized view needs a FROM clause")
	}
	if err != nil {
		return "", err
	}
	e.sys.mu.Lock()
	pipe.SetCacheSize(e.cacheGroups())
	mat.SetCacheSize(e.cacheGroups())
	e.sys.mu.Unlock()
	ins := make([]viewInput, len(pipe.Inputs))
	for i, in := range pipe.Inputs {
		up, ok := e.lookup(in.Rel.Name)
		if !ok {
			return "", sqlerr.New(sqlerr.UndefinedTable, "relation %q was dropped", in.Rel.Name)
		}
		ins[i].up = up
	}
	var lookups []*entry
	for _, l := range pipe.Lookups {
		t, ok := e.lookup(l.Rel.Name)
		if !ok || t.mat == nil {
			return "", sqlerr.New(sqlerr.UndefinedTable, "table %q was dropped", l.Rel.Name)
		}
		l.J.SetTable(t.mat)
		lookups = append(lookups, t)
	}
	up := ins[0].up
	x := &entry{rel: rel, mat: mat, out: &mat.Out, pipe: pipe, upstream: up, df: up.df, lookups: lookups}
	guard := &viewGuard{op: pipe.Entry, x: x}
	for i, in := range pipe.Inputs {
		ins[i].op = &viewGuard{op: in.Op, x: x}
	}
	ins[0].op = guard
	x.ins = ins
	pipe.Entry = guard
	pipe.SetDeferEmit(true)
	if created, err := e.register(x, st.IfNotExists); err != nil || !created {
		return "", err // nothing was started or written
	}
	// A view that reads several roots (a join) runs them under one lock.
	// A lookup join reads its table's rows under the table's lock, too.
	dfs := make([]*dataflow, len(ins))
	for i, in := range ins {
		dfs[i] = in.up.df
	}
	for _, t := range lookups {
		dfs = append(dfs, t.df)
	}
	mergeGroups(dfs)
	reads := planner.ScanReads(rel.Query.(planner.Node))
	df := up.df
	df.Lock()
	defer df.Unlock()
	attached := 0
	undo := func() {
		for _, in := range ins[:attached] {
			in.up.out.Detach(in.op)
		}
		df.proc.detach(pipe)
		df.detachView(x)
		for _, in := range ins {
			in.up.setReads(x, nil)
		}
		e.unregister(rel.Name)
		e.dropState(x)
	}
	defer func() {
		if p := recover(); p != nil {
			undo() // under the lock still: no half-created view outlives a panic
			panic(p)
		}
	}()
	if pipe.ProcTime() && df.proc == nil {
		df.proc = &procTime{} // a temporal filter moves with the clock, whatever it reads
	}
	df.proc.attach(pipe)
	if pipe.ProcTime() {
		e.startIdleLoop()
		// Judged by the clock from the first row: the backfill's and,
		// after a restart, the restored rows'.
		if err := pipe.OnProcTime(df.proc.now(df)); err != nil {
			undo()
			return "", err
		}
	}
	for _, in := range ins {
		r := reads
		if len(ins) > 1 {
			r = allColumns(in.up.rel) // what a join reads is not narrowed yet
		}
		in.up.setReads(x, r)
	}
	if len(pipe.Aggs) > 0 {
		df.grp().views = append(df.grp().views, guard)
		e.startEmitLoop()
	}
	fault("create-view")
	if e.restoring {
		// The checkpoint holds this view's state; just reconnect it.
		for _, in := range ins {
			in.up.out.Attach(in.op)
			attached++
		}
		return "CREATE MATERIALIZED VIEW", nil
	}
	err = pipe.Start()
	if err == nil {
		err = df.emit() // what the views read holds everything so far
	}
	t, endTask := e.startTask("CREATE MATERIALIZED VIEW", rel.Name, w)
	defer endTask()
	total := int64(0)
	for _, in := range ins {
		if in.up.mat != nil {
			total += in.up.mat.Rows()
		}
	}
	t.total.Store(total)
	// Each input in turn: a join's left side whole, then its right side,
	// which so meets every left row.
	for _, in := range ins {
		up := in.up
		if err == nil && up.mat != nil {
			t.setPhase("backfilling from " + up.rel.Name)
			// In arrival order, the watermark rising between batches as it
			// did: a view created now drops the late rows that one created
			// before them did (see Materialize.Replay).
			err = up.mat.Replay(func(b *vec.Batch) error {
				t.done.Add(int64(b.N))
				fault("backfill-batch")
				return in.op.Push(b)
			}, in.op.OnWatermark)
		}
		wm := up.df.wm
		if err == nil && up.pipe != nil {
			// A view passes on the watermark held back by its windows' grace.
			var vwm int64
			if vwm, err = up.mat.Watermark(); vwm != math.MinInt64 {
				wm = vwm
			}
		}
		if err == nil && wm != math.MinInt64 {
			err = in.op.OnWatermark(wm)
		}
	}
	if err == nil && x.failed.Load() != nil {
		err = sqlerr.New(sqlerr.Internal, "%s while backfilling the view", x.failure())
	}
	if err != nil {
		undo()
		return "", err
	}
	for _, in := range ins {
		in.up.out.Attach(in.op)
		attached++
	}
	for _, in := range ins {
		e.startSource(in.up)
	}
	return "CREATE MATERIALIZED VIEW", nil
}

// viewInput is one relation a view reads and the operator its changes go
// into.
type viewInput struct {
	up *entry
	op exec.Operator
}

// allColumns says every column of rel is read.
func allColumns(rel *catalog.Relation) []bool {
	r := make([]bool, len(rel.Columns))
	for i := range r {
		r[i] = true
	}
	return r
}

// dependents lists the relations that read name, sorted.
func (e *Engine) dependents(name string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for n, x := range e.rels {
		if x.upstream != nil && x.upstream.rel.Name == name || slices.ContainsFunc(x.ins, func(in viewInput) bool { return in.up.rel.Name == name }) ||
			slices.ContainsFunc(x.lookups, func(t *entry) bool { return t.rel.Name == name }) {
			out = append(out, n)
			continue
		}
		if x.rel.Kind == parser.KindView {
			if reads(x.rel.Query.(planner.Node), name) {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

func reads(n planner.Node, name string) bool {
	if s, ok := n.(*planner.Scan); ok {
		return s.Rel.Name == name
	}
	for _, in := range n.Inputs() {
		if reads(in, name) {
			return true
		}
	}
	return false
}

// drop runs DROP kind [IF EXISTS] name.
func (e *Engine) drop(st *parser.Drop) (string, string, error) {
	e.ddlName = st.Name
	tag := "DROP " + st.Kind.String()
	x, ok := e.lookup(st.Name)
	if !ok {
		if st.IfExists {
			return tag, fmt.Sprintf("%s %q does not exist, skipping", st.Kind.Noun(), st.Name), nil
		}
		return "", "", sqlerr.At(sqlerr.UndefinedTable, st.Pos, "%s %q does not exist", st.Kind.Noun(), st.Name)
	}
	if x.rel.Kind != st.Kind {
		return "", "", sqlerr.At(sqlerr.WrongObjectType, st.Pos, "%q is a %s, not a %s: use DROP %s", st.Name, x.rel.Kind.Noun(), st.Kind.Noun(), x.rel.Kind)
	}
	if x.rel.LateOf != "" {
		return "", "", sqlerr.At(sqlerr.WrongObjectType, st.Pos, "%q holds the late rows of %s and is dropped with it", st.Name, x.rel.LateOf)
	}
	deps := e.dependents(st.Name)
	if x.lateTable != nil {
		deps = append(deps, e.dependents(x.lateTable.rel.Name)...)
		sort.Strings(deps)
	}
	if len(deps) > 0 {
		return "", "", sqlerr.At(sqlerr.DependentObjects, st.Pos, "cannot drop %s %q because other objects depend on it: %v; drop them first", st.Kind.Noun(), st.Name, deps)
	}
	if x.stop != nil {
		x.stop()
		<-x.done // no batch of a dropped source lands after DROP returns
	}
	x.close()
	if x.df != nil {
		x.detach()
	}
	e.unregister(st.Name)
	if x.lateTable != nil {
		e.unregister(x.lateTable.rel.Name)
		if err := e.backend.DropNamespace(x.rel.ID<<8 | lateNS); err != nil {
			return "", "", err
		}
	}
	if err := e.dropState(x); err != nil {
		return "", "", err
	}
	return tag, "", nil
}

// detach disconnects a dropped relation from its dataflow.
func (x *entry) detach() {
	x.df.Lock()
	defer x.df.Unlock()
	x.dropped = true
	if x.upstream != nil && x.pipe != nil {
		for _, in := range x.ins {
			in.up.out.Detach(in.op)
			in.up.setReads(x, nil)
		}
		x.df.proc.detach(x.pipe)
		x.df.detachView(x)
		x.pipe.Close()
	}
	if x.sink != nil {
		x.upstream.out.Detach(x.sink)
	}
	x.endSubscriptions(errDropped(x.rel.Name))
}

// dropState deletes every namespace of a relation.
func (e *Engine) dropState(x *entry) error {
	n := 1
	if x.pipe != nil {
		n += x.pipe.States()
	}
	for k := 0; k < n; k++ {
		if err := e.backend.DropNamespace(x.rel.ID<<8 | uint64(k)); err != nil {
			return err
		}
	}
	return nil
}
