package kafka

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kgo "github.com/segmentio/kafka-go"
	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
)

// Sink writes every change of a view to a topic as a JSON record keyed by
// the view's key columns (its group key, window bounds included).
//
// With deletes = 'tombstone' (the default) a row that goes away is a
// record with the key and no value, and a retraction followed by an
// insert of the same key in one batch (an update) is just the insert, so
// a compacted topic converges to the view. With deletes = 'op' every
// record carries "op": "insert" | "delete" and the whole row.
//
// Delivery is at-least-once: records are queued, written in the
// background, and every checkpoint waits for the queue to be acknowledged
// by the brokers before it commits. After a crash the engine replays what
// came after its last checkpoint, so records since then may be written
// twice; with keys and compaction, the topic still converges.
type Sink struct {
	cfg    config
	cols   []catalog.Column
	key    []int // nil: the view has no key; records have none
	op     bool
	w      *kgo.Writer
	tr     *kgo.Transport
	status atomic.Pointer[string]
	sent   atomic.Int64
	// written counts the records handed to the brokers, retries of a
	// failed write again; writeFailed those of the writes that failed.
	written, writeFailed atomic.Int64
	// failure is why a panic stopped the writer, nil while it runs.
	failure atomic.Pointer[string]

	mu      sync.Mutex
	changed *sync.Cond // queue shrank, or grew, or the writer failed
	queue   []kgo.Message
	busy    bool // the writer holds messages taken off the queue
	closed  bool
	// scratch for Push
	buf    []byte
	latest map[string]int
}

// sinkQueue bounds the records waiting to be written: Push blocks beyond
// it, which holds back the view's dataflow rather than the memory.
const sinkQueue = 64 << 10

// NewSink validates a Kafka sink's options (connector = 'kafka') for a
// view with columns cols and key columns key.
func NewSink(options map[string]string, cols []catalog.Column, key []int) (*Sink, error) {
	opts := maps.Clone(options)
	delete(opts, "connector")
	cfg, err := parseCommon(opts)
	if err != nil {
		return nil, err
	}
	s := &Sink{cfg: cfg, cols: cols, key: key, latest: map[string]int{}}
	s.changed = sync.NewCond(&s.mu)
	if f, _ := take(opts, "format"); f != "" && f != "json" {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "a Kafka sink writes format = 'json' (got %q)", f)
	}
	switch v, _ := take(opts, "deletes"); v {
	case "", "tombstone":
	case "op":
		s.op = true
	default:
		return nil, sqlerr.New(sqlerr.InvalidParameter, "deletes = %q: want 'tombstone' or 'op'", v)
	}
	if !s.op && key == nil {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "the view has no key (it is not a GROUP BY with its keys in the select list), so deletes cannot be tombstones: use deletes = 'op'")
	}
	if err := unknownOptions("Kafka sink", opts); err != nil {
		return nil, err
	}
	_, s.tr = cfg.client()
	s.w = &kgo.Writer{Addr: kgo.TCP(cfg.brokers...), Topic: cfg.topic, Balancer: &kgo.Hash{}, Transport: s.tr,
		BatchTimeout: time.Millisecond, BatchSize: 1000, RequiredAcks: kgo.RequireAll}
	s.setStatus("running")
	return s, nil
}

// Check makes sure, within connect_timeout, that the topic exists.
func (s *Sink) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	if _, err := s.cfg.partitions(ctx, s.cfg.topic); err != nil {
		if errors.Is(err, kgo.UnknownTopicOrPartition) {
			return sqlerr.New(sqlerr.UndefinedObject, "Kafka topic %q does not exist on %s", s.cfg.topic, strings.Join(s.cfg.brokers, ","))
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %v", errTimeout, err)
		}
		return reachError(s.cfg, err)
	}
	return nil
}

// Status is what SHOW SINKS prints.
func (s *Sink) Status() string { return *s.status.Load() }

// setStatus sets the status, logging a change of kind as Source's does.
func (s *Sink) setStatus(st string) {
	if old := s.status.Swap(&st); old != nil && statusKind(*old) != statusKind(st) {
		logStatus("kafka sink status", s.cfg.topic, st)
	}
}

// Sent is the number of records the brokers have acknowledged.
func (s *Sink) Sent() int64 { return s.sent.Load() }

// Written is the number of records handed to the brokers, a record whose
// write failed and was retried counting once per try.
func (s *Sink) Written() int64 { return s.written.Load() }

// WriteFailed is the number of records of writes that failed (and were
// retried, or dropped when the sink failed).
func (s *Sink) WriteFailed() int64 { return s.writeFailed.Load() }

// Queued is the number of records waiting for the brokers' acknowledgement.
func (s *Sink) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// RestoreSent sets Sent to the count a checkpoint stored, before the sink
// is given any record, so that the count goes on across restarts; Written
// starts there too, so that it never trails Sent.
func (s *Sink) RestoreSent(n int64) { s.sent.Store(n); s.written.Store(n) }

// Push queues a record for every row of a changelog batch.
func (s *Sink) Push(b *vec.Batch) error {
	if faultHook.Load() != nil {
		fault("kafka-sink-push " + s.cfg.topic)
	}
	msgs := make([]kgo.Message, 0, b.N)
	clear(s.latest)
	for i := 0; i < b.N; i++ {
		d := b.DiffAt(i)
		if d == 0 {
			continue
		}
		var m kgo.Message
		if s.key != nil {
			m.Key = format.AppendJSON(nil, s.cols, b, i, s.key)
		}
		switch {
		case s.op:
			op := `{"op":"insert","row":`
			if d < 0 {
				op = `{"op":"delete","row":`
			}
			s.buf = append(append(s.buf[:0], op...), format.AppendJSON(nil, s.cols, b, i, nil)...)
			m.Value = append(append([]byte(nil), s.buf...), '}')
		case d > 0:
			m.Value = format.AppendJSON(nil, s.cols, b, i, nil)
		}
		for ; d != 0; d -= sign(d) {
			if !s.op {
				// An insert after a retraction of the same key in this
				// batch replaces the tombstone: an update is one record.
				if j, ok := s.latest[string(m.Key)]; ok && msgs[j].Value == nil && m.Value != nil {
					msgs[j] = m
					continue
				}
				s.latest[string(m.Key)] = len(msgs)
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) >= sinkQueue && !s.closed {
		s.changed.Wait()
	}
	if s.failure.Load() != nil {
		return nil // a failed sink writes nothing more
	}
	s.queue = append(s.queue, msgs...)
	s.changed.Broadcast()
	return nil
}

func sign(d int64) int64 {
	if d < 0 {
		return -1
	}
	return 1
}

// Run writes queued records until ctx ends, retrying failed writes with
// backoff (the records stay queued, in order). A panic in it stops the
// sink (see Failure), not the process.
func (s *Sink) Run(ctx context.Context) {
	stop := context.AfterFunc(ctx, s.close)
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			s.Fail(recovered(s.cfg.topic, "writing records", p))
		}
	}()
	bo := backoff{}
	for {
		batch, ok := s.next()
		if !ok {
			return
		}
		if faultHook.Load() != nil {
			fault("kafka-sink " + s.cfg.topic)
		}
		err := s.w.WriteMessages(ctx, batch...)
		s.wrote(len(batch), err)
		if err == nil {
			bo.reset()
			if s.Status() != "running" {
				s.setStatus("running")
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		s.setStatus("retrying: " + err.Error())
		if !bo.wait(ctx) {
			return
		}
	}
}

// next waits for queued records and takes up to 4096 of them, or reports
// false once the sink is closed.
func (s *Sink) next() ([]kgo.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 && !s.closed {
		s.changed.Wait()
	}
	if s.closed {
		return nil, false
	}
	n := min(len(s.queue), 4096)
	s.busy = true
	return s.queue[:n:n], true
}

// wrote takes the n records next gave off the queue if err is nil.
func (s *Sink) wrote(n int, err error) {
	s.written.Add(int64(n))
	if err != nil {
		s.writeFailed.Add(int64(n))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = false
	if err == nil && s.failure.Load() == nil {
		s.queue = s.queue[n:]
		if len(s.queue) == 0 {
			s.queue = nil
		}
		s.sent.Add(int64(n))
	}
	s.changed.Broadcast()
}

func (s *Sink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.changed.Broadcast()
}

// Fail stops the sink for err, a panic's: its records are dropped, Push
// and Flush no longer wait, and Status says "failed: " and err.
func (s *Sink) Fail(err error) {
	msg := err.Error()
	if !s.failure.CompareAndSwap(nil, &msg) {
		return
	}
	s.setStatus("failed: " + msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed, s.busy, s.queue = true, false, nil
	s.changed.Broadcast()
}

// Failure is why a panic stopped the sink, or "".
func (s *Sink) Failure() string {
	if m := s.failure.Load(); m != nil {
		return *m
	}
	return ""
}

// Flush waits until every queued record has been acknowledged.
func (s *Sink) Flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.changed.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.Failure(); m != "" {
		return fmt.Errorf("sink to %s failed: %s", s.cfg.topic, m)
	}
	for len(s.queue) > 0 || s.busy {
		if m := s.Failure(); m != "" {
			return fmt.Errorf("sink to %s failed: %s", s.cfg.topic, m)
		}
		if s.closed {
			return errors.New("the sink stopped with records unwritten")
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sink to %s: %d records not acknowledged (%s): %w", s.cfg.topic, len(s.queue), s.Status(), err)
		}
		s.changed.Wait()
	}
	return nil
}

// Close releases the sink's connections once Run has returned.
func (s *Sink) Close() {
	s.w.Close()
	s.tr.CloseIdleConnections()
}
