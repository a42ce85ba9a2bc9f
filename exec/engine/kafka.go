package engine

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec/vec"
)

// startSource starts reading a source once a materialized view reads it:
// a generator, or a Kafka topic from its checkpointed offsets.
func (e *Engine) startSource(x *entry) {
	switch {
	case x.started.Load():
	case x.gen != nil:
		e.startGenerator(x)
	case x.kafka != nil:
		e.startKafka(x)
	}
}

// startKafka runs a Kafka source in goroutines the engine owns.
func (e *Engine) startKafka(x *entry) {
	from := map[int]int64{}
	for p, pt := range x.df.parts.parts {
		if pt.pos >= 0 {
			from[p] = pt.pos
		}
	}
	e.runEntry(x, func(ctx context.Context) {
		if err := x.kafka.Run(ctx, from, &kafkaOutput{e: e, x: x}); err != nil {
			slog.Error("kafka source stopped", "source", x.rel.Name, "err", err)
		}
	})
}

// runEntry runs a source's or sink's work in a goroutine the engine owns:
// x.stop cancels its context, and x.done closes when it has returned.
func (e *Engine) runEntry(x *entry, run func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(e.ctx)
	x.stop = cancel
	x.started.Store(true)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() {
			// After done is closed: FLUSH, waiting for the source to
			// move, sees that it stopped.
			if x.df != nil {
				x.df.locked(x.df.moved.Broadcast)
			}
		}()
		defer close(x.done)
		defer func() {
			// A panic stops this source or sink alone (SHOW SOURCES,
			// SHOW SINKS and the log say so); FLUSH, waiting for done,
			// does not hang.
			if p := recover(); p != nil {
				x.fail("in its goroutine", p)
			}
		}()
		run(ctx)
	}()
}

// kafkaOutput ingests what a Kafka source's partitions read. Offsets are
// recorded under the dataflow's lock with the rows they produced, so a
// checkpoint holds both or neither.
type kafkaOutput struct {
	e *Engine
	x *entry
}

var _ kafka.Output = (*kafkaOutput)(nil)

func (o *kafkaOutput) Partitions(n int) {
	df := o.x.df
	df.Lock()
	df.parts.grow(n, df.now())
	df.Unlock()
}

func (o *kafkaOutput) Deliver(p int, rows *vec.Batch, next int64, c kafka.Counts) error {
	// Paused while checkpoints fail: the records stay in Kafka.
	if err := o.e.waitWritable(o.e.ctx); err != nil {
		return err
	}
	df := o.x.df
	if err := df.lockWrite(o.e.ctx, 0); err != nil {
		return err
	}
	defer df.unlockWrite()
	if (rows.N > 0 || c.Bad > 0) && !o.x.kafka.Current(c.Read) {
		// Decoded before a view came or went changed the columns read:
		// the partition reads these records again for the new ones.
		return kafka.ErrStale
	}
	df.parts.grow(p+1, df.now())
	df.bad.Add(c.Bad)
	df.dlqFailed.Add(c.DLQFailed)
	df.parts.parts[p].rows += int64(rows.N)
	df.parts.parts[p].bytes += c.Bytes
	if rows.N > 0 {
		if err := df.ingest(rows, p); err != nil {
			return err
		}
	}
	df.parts.parts[p].pos = next
	df.moved.Broadcast()
	o.e.crash("source-batch")
	return nil
}

// setReads records what view v reads of source x (nil: v is gone) and
// tells x's decoders. The caller holds x.df.mu.
func (x *entry) setReads(v *entry, read []bool) {
	if x.kafka == nil {
		return
	}
	if read == nil {
		delete(x.reads, v)
	} else {
		if x.reads == nil {
			x.reads = map[*entry][]bool{}
		}
		x.reads[v] = read
	}
	x.project()
}

// project tells a Kafka source's decoders which of its columns are read
// (the others are scanned, not decoded, and NULL; see
// format.Decoder.SetRead): those its views read, its event-time column,
// and every one while a subscription or late_rows = 'keep' takes whole
// rows. Metadata columns are filled whatever it says. The caller holds
// x.df.mu, which Deliver takes too: a change takes effect exactly between
// two batches (see kafka.Source.SetRead).
func (x *entry) project() {
	if x.kafka == nil {
		return
	}
	rel := x.rel
	all := len(x.subs) > 0 || rel.Time.KeepLate
	var read []bool // the connector's columns: without PROCTIME() ones
	for i, c := range rel.Columns {
		if c.ProcTime {
			continue
		}
		r := all || i == rel.EventTime
		for _, v := range x.reads {
			r = r || v[i]
		}
		read = append(read, r)
	}
	x.kafka.SetRead(read)
}

// catchUp waits until a running Kafka source has read every record its
// topic held when catchUp was called: FLUSH makes produced records visible.
func (e *Engine) catchUp(ctx context.Context, x *entry) error {
	ends, err := x.kafka.Ends(ctx)
	if err != nil {
		return fmt.Errorf("source %s: asking Kafka for the end offsets: %w", x.rel.Name, err)
	}
	df := x.df
	// Progress: the records read since FLUSH began, of those it waits for.
	from := map[int]int64{}
	df.locked(func() {
		for p := range ends {
			if p < len(df.parts.parts) {
				from[p] = max(df.parts.parts[p].pos, 0)
			}
		}
	})
	taskOf(ctx).enter("waiting for source "+x.rel.Name+" to read topic "+x.rel.Options["topic"], func(t *task) {
		var done, total int64
		df.locked(func() {
			for p, end := range ends {
				pos := int64(0)
				if p < len(df.parts.parts) {
					pos = max(df.parts.parts[p].pos, 0)
				}
				if end > from[p] {
					total += end - from[p]
					done += min(max(pos-from[p], 0), end-from[p])
				}
			}
		})
		t.done.Store(done)
		t.total.Store(total)
	})
	stop := context.AfterFunc(ctx, func() {
		df.Lock()
		df.moved.Broadcast()
		df.Unlock()
	})
	defer stop()
	df.Lock()
	defer df.Unlock()
	for {
		behind, at, want := -1, int64(0), int64(0)
		for p, end := range ends {
			if end > 0 && (p >= len(df.parts.parts) || df.parts.parts[p].pos < end) && (behind < 0 || p < behind) {
				behind, at, want = p, 0, end
				if p < len(df.parts.parts) {
					at = max(df.parts.parts[p].pos, 0)
				}
			}
		}
		if behind < 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("source %s has not caught up with topic %s: partition %d is at offset %d of %d (status: %s): %w",
				x.rel.Name, x.rel.Options["topic"], behind, at, want, x.kafka.Status(), err)
		}
		select {
		case <-x.done:
			return fmt.Errorf("source %s stopped: %s", x.rel.Name, x.kafka.Status())
		default:
		}
		df.moved.Wait()
	}
}

// status is a source's state for SHOW SOURCES.
func (x *entry) status() string {
	switch {
	case x.failed.Load() != nil:
		return "failed: " + x.failure()
	case x.kafka != nil:
		return x.kafka.Status()
	case !x.started.Load():
		return "not started: no materialized view reads it yet"
	}
	select {
	case <-x.done:
		return "done"
	default:
		return "running"
	}
}

// close releases a source's connections once its goroutines are done.
func (x *entry) close() {
	if x.kafka != nil {
		x.kafka.Close()
	}
	if x.sink != nil {
		x.sink.s.Close()
	}
}
