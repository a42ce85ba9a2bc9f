package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/keys"
)

// Options make an engine durable.
type Options struct {
	// SystemSubscribeInterval is how often a SUBSCRIBE to a
	// streamsql_catalog relation recomputes its rows to send what changed
	// (default 1 s).
	SystemSubscribeInterval time.Duration
	// Dir holds the insert log; "" makes the engine non-durable (tests).
	Dir string
	// CheckpointInterval is how often state is checkpointed (0: only after
	// DDL and at Close).
	CheckpointInterval time.Duration
	// CacheGroups bounds each stateful operator's cache of decoded groups
	// in front of the state backend (0: exec.DefaultCacheGroups).
	CacheGroups int
	// SubscriptionBufferBytes bounds the changes all subscriptions hold
	// for clients that have not read them (0: 64 MiB).
	SubscriptionBufferBytes int64
	// Crash, when set, is called at named points of the checkpoint and
	// insert protocols, so crash tests can kill the process exactly there.
	Crash func(point string)
	// Clock is processing time, read only by rules that ask for it
	// (max_future); default time.Now. Tests inject their own.
	Clock func() time.Time
	// FS is the insert log's file system; default durable.OS. Fault
	// injection tests pass one that fails chosen operations.
	FS durable.FS
	// WriteTimeout bounds each insert-log write and fsync: an INSERT whose
	// write does not complete in it fails with 58030 instead of waiting on
	// a disk that stopped answering (0: DefaultWriteTimeout).
	WriteTimeout time.Duration
	// CheckpointWait bounds how long an INSERT waits for a checkpoint
	// that holds its table (flushing the operators, then writing to
	// disk) before it fails with 58030 (0: DefaultCheckpointWait). Longer
	// than WriteTimeout: a checkpoint of much state on a healthy disk
	// takes a while.
	CheckpointWait time.Duration
	// ForceEmpty starts even when the data directory has lost its
	// checkpoint (serve --force-empty): the insert logs that follow the
	// lost checkpoint are discarded. Without it, Open refuses.
	ForceEmpty bool
	// SkipUnrestorable starts even when a table's stored CREATE can no
	// longer be applied (serve --skip-unrestorable): the table is skipped
	// like a view, its rows dropped. Without it, Open refuses.
	SkipUnrestorable bool
	// FileDirs are directories besides Dir that file sources and sinks
	// may name (serve --file-dir).
	FileDirs []string
}

// The meta namespace (id 0; relation ids start at 1) holds what a restart
// needs besides operator state, committed in the same checkpoint:
//
//	'c' id      → the CREATE statement of relation (or SQL function) id, as written
//	'n'         → the next relation id
//	'd' root id → dataflow: max event time, watermark, rows, late rows, source position, future rows,
//	              partitions n, then n × (max event time, source position) of each partition, bad records,
//	              bad records not written to dlq_topic
//	'm' id      → late rows dropped by each aggregate of materialized view id, then each
//	              aggregate's watermark and the one the view passed on, then the view's expression errors
//	'k' id      → records sink id has had acknowledged
//	's' name    → a system setting SET by a user (see systemSettings)
const metaNS = 0

// Open starts a durable engine: it restores the backend's last checkpoint,
// rebuilds every relation from the catalog stored in it, replays the
// inserts logged after it, and resumes the sources.
func Open(backend state.Backend, opts Options) (*Engine, error) {
	began := time.Now()
	e := New(backend)
	e.opts = opts
	e.sys.interval, e.sys.cache = opts.CheckpointInterval, opts.CacheGroups
	e.subBudget.setLimit(opts.SubscriptionBufferBytes)
	id, err := backend.Restore()
	if err != nil {
		return nil, fmt.Errorf("engine: restoring checkpoint: %w", err)
	}
	e.ckptID = id
	if err := e.restore(); err != nil {
		return nil, err
	}
	if opts.Dir != "" {
		fsys := opts.FS
		if fsys == nil {
			fsys = durable.OS
		}
		if err := checkLostCheckpoint(fsys, opts.Dir, id, opts.ForceEmpty); err != nil {
			return nil, err
		}
		replayed, skipped := 0, 0
		err := replayLog(fsys, opts.Dir, id, func(table, rows uint64, data []byte) error {
			replayed++
			err := e.replayInsert(table, rows, data)
			if err != nil && skipInsert(table, rows, err) == nil {
				skipped++
				return nil
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := e.saveSkipped(fsys, id, skipped); err != nil {
			return nil, err
		}
		timeout := opts.WriteTimeout
		if timeout == 0 {
			timeout = DefaultWriteTimeout
		}
		e.log = &insertLog{fs: fsys, dir: opts.Dir, timeout: timeout}
		if err := e.checkpointLocked(); err != nil {
			return nil, err
		}
		if replayed > 0 {
			slog.Info("replayed logged inserts", "records", replayed, "checkpoint", id)
		}
	}
	e.mu.RLock()
	kinds := map[string]int{}
	for _, x := range e.rels {
		kinds[strings.ToLower(x.rel.Kind.String())+"s"]++
	}
	e.mu.RUnlock()
	args := []any{"checkpoint", id, "took", time.Since(began).Round(time.Millisecond).String()}
	for _, k := range []string{"tables", "sources", "materialized views", "views", "sinks"} {
		if n := kinds[k]; n > 0 {
			args = append(args, strings.ReplaceAll(k, " ", "_"), n)
		}
	}
	if n := len(e.AllFunctions()); n > 0 {
		args = append(args, "functions", n)
	}
	slog.Info("recovered", args...)
	e.mu.RLock()
	for _, x := range e.rels {
		if x.out != nil && x.out.Len() > 0 {
			e.startSource(x)
		}
	}
	e.mu.RUnlock()
	if e.durable() {
		e.watchBackend()
		e.wg.Add(1)
		go e.checkpointLoop()
	}
	return e, nil
}

func (e *Engine) crash(point string) {
	if e.opts.Crash != nil {
		e.opts.Crash(point)
	}
}

// durable reports whether checkpoints are kept.
func (e *Engine) durable() bool { return e.log != nil }

// DefaultCheckpointWait is Options.CheckpointWait's default.
const DefaultCheckpointWait = 60 * time.Second

// checkpointWait bounds an INSERT's wait for a checkpoint (0, no bound,
// without a data directory, which has no checkpoints).
func (e *Engine) checkpointWait() time.Duration {
	switch {
	case !e.durable():
		return 0
	case e.opts.CheckpointWait > 0:
		return e.opts.CheckpointWait
	}
	return DefaultCheckpointWait
}

// Checkpoint commits every operator's state, the catalog, source positions
// and watermarks atomically. It pauses every dataflow between batches:
// operators run synchronously under their dataflow's lock, so holding all
// the locks is an aligned barrier.
//
// The operators are flushed and the meta namespace written under the
// locks; then the dataflows are unlocked but still held for writes
// (dataflow.write) while the backend's Checkpoint writes to disk and the
// next insert log starts: state.Backend.Checkpoint commits "everything
// written so far" and must not run while a Store is mutated, so no batch,
// watermark or tick may change the state until it returns (a change let in
// would put rows of after the barrier into a checkpoint whose positions
// and insert log are of before it), but reads, which change nothing, go on
// meanwhile. An INSERT waits for a checkpoint at most Options.CheckpointWait,
// then fails with 58030; sources wait for it.
func (e *Engine) Checkpoint() error {
	if !e.durable() {
		return nil
	}
	e.ddl.Lock()
	defer e.ddl.Unlock()
	return e.checkpointLocked()
}

// checkpointLocked checkpoints while the caller holds e.ddl (or is the
// only goroutine, during Open). A failure to write the data directory
// refuses writes until a checkpoint succeeds (see storage.go).
func (e *Engine) checkpointLocked() (err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			e.stats.checkpointDone(start, errCheckpointPanicked)
			panic(p)
		}
		e.stats.checkpointDone(start, err)
	}()
	defer func() {
		if p := recover(); p != nil {
			// Pebble panics when an fsync fails, which no retry can
			// mend: a statement's recover must not turn that into an
			// error and carry on (see guarded). The wire ends only this
			// connection, so first refuse writes until a checkpoint
			// succeeds: this one may have committed on disk or not, and
			// the log was not rotated, so an INSERT acknowledged now
			// could land in a log no restart replays, or name a table
			// the last checkpoint does not have.
			err := fmt.Errorf("a checkpoint panicked: %v", p)
			e.log.fail(err)
			e.checkpointFailed(err)
			panic(fatalPanic{p})
		}
	}()
	storage, err := e.checkpointOnce()
	if err != nil {
		if storage {
			return e.checkpointFailed(err)
		}
		return err
	}
	e.checkpointSucceeded()
	return nil
}

// checkpointOnce is one checkpoint attempt; storage reports whether its
// error is the state backend's or the insert log's, not a sink's.
func (e *Engine) checkpointOnce() (storage bool, err error) {
	e.mu.RLock()
	xs := make([]*entry, 0, len(e.rels))
	for _, x := range e.rels {
		xs = append(xs, x)
	}
	next := e.nextID
	e.mu.RUnlock()
	sort.Slice(xs, func(i, j int) bool { return xs[i].rel.ID < xs[j].rel.ID })
	var roots []*dataflow
	var groups []*group // stable: merges run under e.ddl too
	for _, x := range xs {
		if x.df != nil && x.df.root == x {
			roots = append(roots, x.df)
			if g := x.df.grp(); !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	for _, g := range groups {
		g.write <- struct{}{} // after the batch in flight
		g.mu.Lock()
	}
	locked := true
	defer func() {
		for _, g := range groups {
			if locked {
				g.mu.Unlock()
			}
			<-g.write
		}
	}()
	defer func() {
		// Before the dataflows are unlocked or resumed: an INSERT waiting
		// on one must not be acknowledged into a log whose checkpoint
		// failed (it may name a table the last checkpoint lacks).
		if p := recover(); p != nil {
			e.log.fail(fmt.Errorf("a checkpoint panicked: %v", p))
			panic(p) // checkpointLocked's recover passes it on
		}
		if storage && err != nil {
			e.log.fail(err)
		}
	}()
	e.crash("checkpoint-begin")
	for _, df := range roots {
		if err := errTorn(df.root); err != nil {
			return true, err // its state holds part of a failed batch
		}
	}
	if r, ok := e.backend.(interface{ RetryWrites() error }); ok {
		// Pebble refuses writes while its flushes fail: see whether they
		// succeed now before writing back the caches.
		if err := r.RetryWrites(); err != nil {
			return true, err
		}
	}
	for _, x := range xs {
		if x.failed.Load() != nil {
			continue // a failed view's operators are not trusted
		}
		if x.pipe != nil {
			if err := x.pipe.Flush(); err != nil {
				return true, err
			}
		}
		if x.mat != nil {
			if err := x.mat.Flush(); err != nil {
				return true, err
			}
		}
	}
	ctx, cancel := context.WithTimeout(e.ctx, sinkFlushTimeout)
	err = flushSinks(ctx, xs)
	cancel()
	if err != nil {
		return false, err
	}
	if err := e.writeMeta(xs, next); err != nil {
		e.log.fail(err)
		return true, err
	}
	// The snapshot is complete in the backend: let reads in while it
	// goes to disk, changes not.
	for _, g := range groups {
		g.mu.Unlock()
	}
	locked = false
	e.crash("checkpoint-before-commit")
	id := e.ckptID + 1
	if err := e.backend.Checkpoint(id); err != nil {
		// It may have committed on disk all the same (a failed sync
		// after the rename): the current log would then not be replayed,
		// so it takes no more inserts until a checkpoint succeeds.
		e.log.fail(fmt.Errorf("checkpoint %d failed: %w", id, err))
		return true, err // the backend names the checkpoint
	}
	e.ckptID = id
	e.crash("checkpoint-after-commit")
	if e.log != nil {
		return true, e.log.rotate(id)
	}
	return false, nil
}

// writeSettings stores the system settings SET changed.
func (e *Engine) writeSettings(meta state.Store) error {
	e.sys.mu.Lock()
	defer e.sys.mu.Unlock()
	for name, v := range e.sys.set {
		if err := meta.Put(append([]byte{'s'}, name...), []byte(v)); err != nil {
			return err
		}
	}
	return nil
}

// writeMeta rewrites the meta namespace from the live engine.
func (e *Engine) writeMeta(xs []*entry, next uint64) error {
	meta := e.backend.Namespace(metaNS)
	if err := meta.DeleteRange(nil, nil); err != nil {
		return err
	}
	if err := meta.Put([]byte{'n'}, binary.AppendUvarint(nil, next)); err != nil {
		return err
	}
	if err := e.writeSettings(meta); err != nil {
		return err
	}
	for _, f := range e.AllFunctions() {
		if err := meta.Put(keys.AppendUint64([]byte{'c'}, f.ID), []byte(f.SQL)); err != nil {
			return err
		}
	}
	for _, x := range xs {
		if x.rel.LateOf != "" {
			continue // recreated by its table's or source's CREATE
		}
		id := x.rel.ID
		if err := meta.Put(keys.AppendUint64([]byte{'c'}, id), []byte(x.rel.SQL)); err != nil {
			return err
		}
		m := x.failed.Load()
		if x.sink != nil {
			if f := x.sink.failure(); f != "" {
				m = &f
			}
		}
		if m != nil && (x.pipe != nil || x.sink != nil) {
			// A failed view stays failed after a restart: its state holds
			// part of a batch and misses what came after. So does a
			// failed sink, which wrote none of what came after.
			if err := meta.Put(keys.AppendUint64([]byte{'f'}, id), []byte(*m)); err != nil {
				return err
			}
		}
		if df := x.df; df != nil && df.root == x {
			v := binary.AppendVarint(nil, df.parts.maxTime)
			v = binary.AppendVarint(v, df.wm)
			v = binary.AppendVarint(v, df.rows.Load())
			v = binary.AppendVarint(v, df.late.Load())
			pos := int64(0)
			if x.gen != nil {
				pos = x.gen.Pos()
			}
			v = binary.AppendVarint(v, pos)
			v = binary.AppendVarint(v, df.future.Load())
			v = binary.AppendVarint(v, int64(len(df.parts.parts)))
			for p, pt := range df.parts.parts {
				pos := pt.pos
				if x.gen != nil && p < len(x.gen.Positions()) {
					pos = x.gen.Positions()[p]
				}
				v = binary.AppendVarint(v, pt.maxTime)
				v = binary.AppendVarint(v, pos)
			}
			v = binary.AppendVarint(v, df.bad.Load())
			v = binary.AppendVarint(v, df.dlqFailed.Load())
			if err := meta.Put(keys.AppendUint64([]byte{'d'}, id), v); err != nil {
				return err
			}
		}
		if x.sink != nil {
			// Every record so far is acknowledged: flushSinks ran under
			// the dataflows' locks.
			v := binary.AppendVarint(nil, x.sink.s.Sent())
			if l, ok := x.sink.s.(lengthSink); ok {
				v = binary.AppendVarint(v, l.Length()+1) // 0: none stored
			}
			if err := meta.Put(keys.AppendUint64([]byte{'k'}, id), v); err != nil {
				return err
			}
		}
		if x.pipe != nil {
			var v []byte
			for _, a := range x.pipe.Aggs {
				v = binary.AppendVarint(v, a.Late())
			}
			for _, a := range x.pipe.Aggs {
				v = binary.AppendVarint(v, a.Watermark())
			}
			wm, err := x.mat.Watermark()
			if err != nil {
				return err
			}
			v = binary.AppendVarint(v, wm)
			v = binary.AppendVarint(v, x.pipe.Errors.Count())
			if err := meta.Put(keys.AppendUint64([]byte{'m'}, id), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// restore rebuilds the catalog and dataflow positions from the meta
// namespace of the restored checkpoint.
func (e *Engine) restore() error {
	meta := e.backend.Namespace(metaNS)
	it := meta.NewIter(nil, nil)
	type rec struct {
		kind byte
		id   uint64
		val  []byte
	}
	var recs []rec
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if k[0] == 's' {
			if err := e.restoreSystem(string(k[1:]), string(it.Value())); err != nil {
				slog.Warn("ignoring a stored setting", "name", string(k[1:]), "err", err)
			}
			continue
		}
		r := rec{kind: k[0], val: append([]byte(nil), it.Value()...)}
		if len(k) > 1 {
			id, _, err := keys.DecodeUint64(k[1:])
			if err != nil {
				it.Close()
				return fmt.Errorf("engine: corrupt meta key: %w", err)
			}
			r.id = id
		}
		recs = append(recs, r)
	}
	if err := it.Close(); err != nil {
		return err
	}
	e.restoring = true
	defer func() { e.restoring = false }()
	// 'c' records come first in key order, by id: creation order. One
	// that fails is skipped (see skip.go).
	for _, r := range recs {
		if r.kind != 'c' {
			continue
		}
		if err := e.restoreStatement(r.id, string(r.val)); err != nil {
			if err := e.skipRelation(r.id, string(r.val), err); err != nil {
				return err
			}
		}
	}
	byID := map[uint64]*entry{}
	e.mu.RLock()
	for _, x := range e.rels {
		if x.rel.LateOf == "" {
			byID[x.rel.ID] = x
		}
	}
	e.mu.RUnlock()
	for _, r := range recs {
		x := byID[r.id]
		switch r.kind {
		case 'n':
			n, _ := binary.Uvarint(r.val)
			e.nextID = max(e.nextID, n)
		case 'd':
			if x == nil || x.df == nil {
				continue
			}
			v := varints(r.val, 7)
			n := int(min(max(v[6], 0), 1<<16))
			v = varints(r.val, 9+2*n)
			df := x.df
			df.parts.maxTime, df.wm = v[0], v[1]
			df.rows.Store(v[2])
			df.late.Store(v[3])
			df.future.Store(v[5])
			if df.wm != math.MinInt64 {
				df.wmShown.Store(df.wm)
			}
			now := df.now()
			df.parts.grow(n, now)
			for p := 0; p < n; p++ {
				df.parts.parts[p].maxTime = v[7+2*p]
				if x.gen != nil && p < len(x.gen.Positions()) {
					x.gen.Positions()[p] = v[8+2*p]
				}
				if x.kafka != nil {
					df.parts.parts[p].pos = v[8+2*p]
				}
			}
			df.bad.Store(v[7+2*n])
			df.dlqFailed.Store(v[8+2*n])
			df.parts.lastRow = now
		case 'f':
			if x != nil {
				m := string(r.val)
				x.failed.Store(&m)
			}
		case 'k':
			if x != nil && x.sink != nil {
				v := varints(r.val, 2)
				x.sink.s.RestoreSent(v[0])
				if l, ok := x.sink.s.(lengthSink); ok && v[1] > 0 {
					l.Truncate(v[1] - 1)
				}
			}
		case 'm':
			if x == nil || x.pipe == nil {
				continue
			}
			n := len(x.pipe.Aggs)
			v := varints(r.val, 2*n+2)
			if countVarints(r.val) < 2*n+1 {
				// Stored before the watermarks were: the dataflow's.
				for i := range n {
					v[n+i] = x.df.wm
				}
				v[2*n] = math.MinInt64
			}
			for i, a := range x.pipe.Aggs {
				a.Restore(v[i], v[n+i])
			}
			x.mat.RestoreWatermark(v[2*n])
			// Stored before expression errors were counted: zero.
			x.pipe.Errors.Restore(v[2*n+1])
		}
	}
	return nil
}

// countVarints is the number of whole varints in b.
func countVarints(b []byte) int {
	n := 0
	for {
		_, k := binary.Varint(b)
		if k <= 0 {
			return n
		}
		n, b = n+1, b[k:]
	}
}

// varints decodes n varints, zero-filling what is missing.
func varints(b []byte, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		x, k := binary.Varint(b)
		if k <= 0 {
			break
		}
		out[i], b = x, b[k:]
	}
	return out
}

// replayInsert re-applies one logged INSERT.
func (e *Engine) replayInsert(table, rows uint64, data []byte) error {
	e.mu.RLock()
	next := e.nextID
	var x *entry
	for _, r := range e.rels {
		if r.rel.ID == table && r.rel.LateOf == "" {
			x = r
		}
	}
	e.mu.RUnlock()
	if x == nil {
		if e.wasSkipped(table) {
			return errUnapplied{fmt.Errorf("its table (relation %d) was skipped at restore", table)}
		}
		if table < next {
			return nil // the table was dropped after the insert
		}
		// The checkpoint never allotted this id, yet its own log holds
		// an acknowledged INSERT into it: the checkpoint is missing a
		// table it should have. Dropping the rows would lose them.
		return fmt.Errorf("engine: the insert log of checkpoint %d holds an INSERT into relation %d, "+
			"which the checkpoint does not know (its next relation id is %d): refusing to start without its rows", e.ckptID, table, next)
	}
	b := vec.NewBatch(catalog.Types(x.rel.Columns), int(rows))
	for i := uint64(0); i < rows; i++ {
		var err error
		if data, err = decodeLoggedRow(data, b); err != nil {
			return fmt.Errorf("engine: corrupt insert log: %w", err)
		}
	}
	return e.applyReplayed(x, b)
}
