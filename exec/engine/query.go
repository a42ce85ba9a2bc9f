package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
)

// query answers an ad-hoc SELECT from the current contents of tables and
// materialized views, as rows or, with copy, as COPY TO STDOUT. The plan
// runs on the same operators as a view, over a scratch memory backend,
// fed one snapshot of its input.
func (e *Engine) query(ctx context.Context, q *parser.Query, params *planner.Params, w wire.ResultWriter, copy *parser.CopyFormat, zone *time.Location) error {
	fault("plan")
	pl := e.planner(params, zone)
	if s, ok := ctx.Value(sessionKey{}).(*Session); ok {
		pl.Session = s.settings
	}
	plan, err := pl.Query(q, planner.AdHoc, false)
	if err != nil {
		return err
	}
	b, err := e.stream(ctx, plan)
	if err != nil {
		return err
	}
	return writeRows(w, plan.Columns(), b, copy)
}

// stream runs a plan over its inputs' current rows: a batch of rows,
// each with diff 1, in the order of its ORDER BY (Sort and Limit answer at
// the pipeline's Finish, and the collected rows keep the order they came
// in).
func (e *Engine) stream(ctx context.Context, n planner.Node) (*vec.Batch, error) {
	scratch, err := memory.Open("")
	if err != nil {
		return nil, err
	}
	defer scratch.Close()
	coll := exec.NewCollect(vec.NewBatch(catalog.Types(n.Columns()), 0))
	// A statement fails on its first expression error, as in PostgreSQL.
	errs := exec.NewRowErrors(true)
	pipe, err := exec.Build(n, func(k int) state.Store { return scratch.Namespace(uint64(k)) }, coll, errs)
	if err != nil {
		return nil, err
	}
	if err := pipe.Start(); err != nil {
		return nil, err
	}
	for _, v := range pipe.Values {
		if err := v.Push(&vec.Batch{N: 1}); err != nil {
			return nil, err
		}
	}
	// Each input's rows in turn (a join's left side, then its right).
	for _, in := range pipe.Inputs {
		if in.Rel.Schema != "" {
			b, err := e.systemRows(ctx, in.Rel)
			if err != nil {
				return nil, err
			}
			if err := in.Op.Push(b); err != nil {
				return nil, err
			}
			continue
		}
		x, ok := e.lookup(in.Rel.Name)
		if !ok || x.mat == nil {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "relation %q is not materialized and cannot be queried directly", in.Rel.Name)
		}
		if x.failed.Load() != nil {
			return nil, errFailed(x)
		}
		if err := errTorn(x); err != nil {
			return nil, err
		}
		if err := x.scan(func(b *vec.Batch) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fault("scan")
			return in.Op.Push(b)
		}); err != nil {
			return nil, err
		}
	}
	if err := pipe.Finish(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled or timed out in the last push
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	// Expand multiplicities into plain rows.
	rows := coll.Rows
	var idx []int
	for i := 0; i < rows.N; i++ {
		for d := rows.DiffAt(i); d > 0; d-- {
			idx = append(idx, i)
		}
	}
	return pick(rows, idx), nil
}

// scan reads x's rows under its dataflow's lock.
func (x *entry) scan(f func(*vec.Batch) error) error {
	x.df.Lock()
	defer x.df.Unlock()
	if err := x.df.emit(); err != nil {
		return err
	}
	return x.mat.Scan(f)
}

func seq(lo, hi int) []int {
	s := make([]int, 0, max(hi-lo, 0))
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// pick returns the rows of b at idx, in that order.
func pick(b *vec.Batch, idx []int) *vec.Batch {
	out := vec.NewBatch(b.Types(), len(idx))
	for _, i := range idx {
		out.AppendRow(b, i, 1)
	}
	return out
}

// rowsOf builds a typed result one row at a time.
type rowsOf struct {
	cols []catalog.Column
	b    *vec.Batch
}

func newRows(cols ...catalog.Column) *rowsOf {
	return &rowsOf{cols: cols, b: vec.NewBatch(catalog.Types(cols), 8)}
}

// add appends a row; values are string, int64, or nil for NULL, and
// timestamps are int64 microseconds (math.MinInt64 for NULL).
func (r *rowsOf) add(vals ...any) {
	for i, v := range vals {
		c := &r.b.Cols[i]
		switch v := v.(type) {
		case nil:
			c.AppendNull()
		case string:
			c.AppendStr(v)
		case int64:
			if v == math.MinInt64 {
				c.AppendNull()
			} else {
				c.AppendI64(v)
			}
		}
	}
	r.b.EndRow(1)
}

func col(name string, t types.T) catalog.Column { return catalog.Column{Name: name, Type: t} }

// showRelations answers SHOW SOURCES | TABLES | MATERIALIZED VIEWS | VIEWS | SINKS.
func (e *Engine) showRelations(what string) ([]catalog.Column, *vec.Batch) {
	e.mu.RLock()
	var xs []*entry
	for _, x := range e.rels {
		xs = append(xs, x)
	}
	e.mu.RUnlock()
	sort.Slice(xs, func(i, j int) bool { return xs[i].rel.Name < xs[j].rel.Name })
	var r *rowsOf
	switch what {
	case "sources":
		r = newRows(col("name", types.Varchar), col("connector", types.Varchar), col("rows", types.BigInt),
			col("late_rows", types.BigInt), col("watermark", types.Ts), col("future_rows", types.BigInt),
			col("partitions", types.Int), col("idle_partitions", types.Int), col("bad_rows", types.BigInt), col("dlq_failures", types.BigInt),
			col("status", types.Varchar))
	case "tables":
		r = newRows(col("name", types.Varchar), col("rows", types.BigInt), col("late_rows", types.BigInt), col("watermark", types.Ts),
			col("future_rows", types.BigInt))
	case "materialized views":
		r = newRows(col("name", types.Varchar), col("rows", types.BigInt), col("late_rows", types.BigInt),
			col("state_keys", types.BigInt), col("state_bytes", types.BigInt), col("cached_groups", types.BigInt), col("emit", types.Varchar),
			col("expression_errors", types.BigInt), col("status", types.Varchar))
	case "views":
		r = newRows(col("name", types.Varchar), col("definition", types.Varchar))
	case "sinks":
		r = newRows(col("name", types.Varchar), col("from", types.Varchar), col("topic", types.Varchar),
			col("records", types.BigInt), col("status", types.Varchar))
	default:
		r = newRows(col("name", types.Varchar))
	}
	for _, x := range xs {
		rel := x.rel
		switch {
		case what == "sources" && rel.Kind == parser.KindSource:
			var parts, idle int64
			x.df.locked(func() {
				parts, idle = int64(len(x.df.parts.parts)), int64(x.df.parts.idleCount(x.df.now()))
			})
			r.add(rel.Name, rel.Options["connector"], x.df.rows.Load(), x.df.late.Load(), x.df.wmShown.Load(), x.df.future.Load(),
				parts, idle, x.df.bad.Load(), x.df.dlqFailed.Load(), x.status())
		case what == "tables" && rel.Kind == parser.KindTable && rel.LateOf != "":
			// Every row behind the source's watermark is kept here.
			r.add(rel.Name, x.df.late.Load(), int64(0), nil, int64(0))
		case what == "tables" && rel.Kind == parser.KindTable:
			r.add(rel.Name, x.df.rows.Load(), x.df.late.Load(), x.df.wmShown.Load(), x.df.future.Load())
		case what == "sinks" && rel.Kind == parser.KindSink:
			status := x.sink.s.Status()
			if m := x.failure(); m != "" {
				status = "failed: " + m // its goroutine panicked
			}
			target := rel.Options["topic"]
			if rel.Options["connector"] == "file" {
				target = rel.Options["path"]
			}
			r.add(rel.Name, x.upstream.rel.Name, target, x.sink.s.Sent(), status)
		case what == "materialized views" && rel.Kind == parser.KindMaterializedView:
			var st state.Stats
			var rows, cached int64
			status := "running"
			if m := x.failure(); m != "" {
				status = "failed: " + m
			}
			x.df.locked(func() {
				if status == "running" {
					x.df.emit()
					x.pipe.Flush() // state sizes as of now, not the last write-back
				}
				st = x.pipe.StateStats()
				rows = x.mat.Rows()
				cached = int64(x.pipe.Cached())
			})
			emit := "on update"
			if rel.EmitOnClose {
				emit = "on window close"
			}
			r.add(rel.Name, rows, x.pipe.Late(), st.Keys, st.Bytes, cached, emit, x.pipe.Errors.Count(), status)
		case what == "views" && rel.Kind == parser.KindView:
			r.add(rel.Name, rel.SQL)
		}
	}
	return r.cols, r.b
}

// describe answers DESCRIBE name: its columns and what is special about them.
func (e *Engine) describe(st *parser.Describe, w wire.ResultWriter) error {
	x, ok := e.lookup(st.Name)
	if !ok {
		return sqlerr.At(sqlerr.UndefinedTable, st.Pos, "relation %q does not exist", st.Name)
	}
	rel := x.rel
	r := newRows(col("column_name", types.Varchar), col("data_type", types.Varchar),
		col("is_nullable", types.Varchar), col("description", types.Varchar))
	for i, c := range rel.Columns {
		var notes []string
		if i == rel.EventTime {
			if rel.Kind == parser.KindTable || rel.Kind == parser.KindSource {
				notes = append(notes, fmt.Sprintf("event time, watermark %s - %s", c.Name, (&planner.Const{T: types.Ival, I: rel.WatermarkDelay}).String()))
			} else {
				notes = append(notes, "carries the input's watermark")
			}
		}
		for _, k := range rel.PrimaryKey {
			if k == i {
				notes = append(notes, "primary key")
			}
		}
		nullable := "YES"
		if c.NotNull {
			nullable = "NO"
		}
		var desc any
		if len(notes) > 0 {
			desc = strings.Join(notes, "; ")
		}
		r.add(c.Name, strings.ToLower(c.Type.String()), nullable, desc)
	}
	return writeResult(w, r.cols, r.b)
}
