package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

// sinkFlushTimeout bounds how long a checkpoint waits for a sink's records
// to be acknowledged; past it the checkpoint fails and is tried again.
const sinkFlushTimeout = 30 * time.Second

// sinkOp feeds a view's changes to a Kafka sink. A panic in the sink, in
// Push here or in its writer's goroutine, stops that sink alone, as
// viewGuard does for a view: SHOW SINKS says failed, checkpoints and
// FLUSH no longer wait for it, and it stays failed after a restart (what
// it did not write is not replayed): drop it and create it again.
type sinkOp struct {
	s sinkWriter
	x *entry
}

// sinkWriter is a sink's connector: a Kafka topic, or a file (connector =
// 'file'), which also keeps its length in checkpoints (lengthSink).
type sinkWriter interface {
	Check(ctx context.Context) error
	Run(ctx context.Context)
	Push(b *vec.Batch) error
	Flush(ctx context.Context) error
	Fail(err error)
	Failure() string
	Status() string
	Sent() int64
	RestoreSent(n int64)
	Close()
	Written() int64
	WriteFailed() int64
	Queued() int
}

// lengthSink is a sink whose output a checkpoint records the length of,
// so that recovery cuts off what was written after it.
type lengthSink interface {
	Length() int64
	Truncate(n int64)
}

var (
	_ sinkWriter = (*kafka.Sink)(nil)
	_ sinkWriter = (*file.Sink)(nil)
	_ lengthSink = (*file.Sink)(nil)
)

var _ exec.Operator = (*sinkOp)(nil)

func (o *sinkOp) Push(b *vec.Batch) error {
	if o.failure() != "" {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			o.x.fail("queueing a batch", p)
			o.s.Fail(errors.New(o.x.failure()))
		}
	}()
	return o.s.Push(b)
}

// failure is why the sink stopped, or "".
func (o *sinkOp) failure() string {
	if m := o.x.failure(); m != "" {
		return m
	}
	return o.s.Failure()
}

func (o *sinkOp) OnWatermark(int64) error { return nil }
func (o *sinkOp) OnBarrier(uint64) error  { return nil }
func (o *sinkOp) Close() error            { return nil }

// createSink runs CREATE SINK name FROM view WITH (connector = 'kafka',
// ...): the view's current rows, then every change, go to the topic.
func (e *Engine) createSink(st *parser.CreateSink) (string, error) {
	e.ddlName = st.Name
	up, ok := e.lookup(st.From)
	if !ok {
		return "", sqlerr.At(sqlerr.UndefinedTable, st.FromPos, "materialized view %q does not exist", st.From)
	}
	if up.rel.Kind != parser.KindMaterializedView {
		return "", sqlerr.At(sqlerr.WrongObjectType, st.FromPos, "%q is a %s: a sink reads a materialized view", st.From, up.rel.Kind.Noun())
	}
	opts := map[string]string{}
	for _, o := range st.Options {
		opts[o.Key] = o.Value
	}
	var sink sinkWriter
	var err error
	switch c := opts["connector"]; c {
	case "kafka":
		key := planner.GroupKey(up.rel.Query.(planner.Node))
		sink, err = kafka.NewSink(opts, up.rel.Columns, key)
	case "file":
		sink, err = file.NewSink(opts, up.rel.Columns, e.fileDirs())
	case "":
		return "", sqlerr.At(sqlerr.InvalidParameter, st.Pos, "CREATE SINK needs a connector option: WITH (connector = 'kafka', ...)")
	default:
		return "", sqlerr.At(sqlerr.InvalidParameter, st.Pos, "unknown sink connector %q (want 'kafka' or 'file')", c)
	}
	if err != nil {
		return "", sqlerr.WithPos(err, st.Pos)
	}
	if !e.restoring {
		if err := sink.Check(context.Background()); err != nil {
			sink.Close()
			return "", sqlerr.WithPos(err, st.Pos)
		}
	}
	rel := &catalog.Relation{Name: st.Name, Kind: parser.KindSink, Columns: up.rel.Columns, EventTime: -1,
		Options: opts, SQL: st.SQL}
	x := &entry{rel: rel, upstream: up, df: up.df, done: make(chan struct{})}
	x.sink = &sinkOp{s: sink, x: x}
	created, err := e.register(x, st.IfNotExists)
	if err != nil || !created {
		sink.Close()
		return "", err
	}
	e.runEntry(x, sink.Run)
	df := up.df
	df.Lock()
	defer df.Unlock()
	if !e.restoring {
		// The view's rows so far; after a restart the sink resumes with
		// the changes the replay brings (at-least-once).
		err := df.emit()
		if err == nil {
			err = up.mat.Scan(x.sink.Push)
		}
		if err != nil {
			e.unregister(rel.Name)
			x.stop()
			return "", fmt.Errorf("sink %s: writing the view's rows: %w", rel.Name, err)
		}
	}
	up.out.Attach(x.sink)
	return "CREATE SINK", nil
}

// flushSinks waits until the records of every sink among xs are
// acknowledged: a checkpoint or FLUSH never covers changes a sink could
// still lose.
func flushSinks(ctx context.Context, xs []*entry) error {
	for _, x := range xs {
		if x.sink == nil || x.sink.failure() != "" {
			continue // a failed sink writes nothing more
		}
		s, sent := x.sink.s, x.sink.s.Sent()
		taskOf(ctx).enter("waiting for the brokers to acknowledge sink "+x.rel.Name, func(t *task) {
			done := s.Sent() - sent
			t.done.Store(done)
			t.total.Store(done + int64(s.Queued()))
		})
		if err := x.sink.s.Flush(ctx); err != nil {
			return fmt.Errorf("sink %s: %w", x.rel.Name, err)
		}
	}
	return nil
}
