package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime/debug"
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

// Output receives what a source reads. The engine implements it.
type Output interface {
	// Partitions says the topic has n partitions (it never shrinks), so
	// that empty ones hold the watermark back from the start.
	Partitions(n int)
	// Deliver takes the rows partition p produced from its records up to
	// offset next (exclusive), with the counts of what went wrong among
	// them. rows is reused once Deliver returns. Partitions deliver
	// concurrently. Deliver returns ErrStale, taking nothing, when rows or
	// c were decoded for other columns than the source reads now
	// (!Source.Current(c.Read)); the partition then reads those records
	// again.
	Deliver(p int, rows *vec.Batch, next int64, c Counts) error
}

// ErrStale is Deliver's answer to rows decoded before SetRead changed the
// columns the source reads.
var ErrStale = errors.New("kafka source: rows decoded for columns no longer the ones read")

// Counts are what a delivery adds to a source's counters.
type Counts struct {
	// Bad is the records that did not decode, skipped.
	Bad int64
	// Bytes is the keys' and values' bytes of every record read, bad
	// ones too.
	Bytes int64
	// DLQFailed is the bad records that could not be written to
	// dlq_topic and were given up.
	DLQFailed int64
	// Read is the generation of the columns read (see SetRead) the rows
	// were decoded for.
	Read uint64
}

// Source is a Kafka topic read as a stream.
type Source struct {
	cfg     config
	cols    []catalog.Column
	opts    map[string]string // the format's options, for each partition's decoder
	format  string
	latest  bool
	dlq     string
	refresh time.Duration // how often new partitions are looked for
	client  *kgo.Client
	tr      *kgo.Transport
	status  atomic.Pointer[string]
	// proj is what the partitions decode (see SetRead).
	proj format.Projection
	// dlqNote is the last failure to write a dead letter, nil if none.
	dlqNote atomic.Pointer[string]
	// ends holds each partition's end offset (high-water mark) as the
	// last fetch response gave it, -1 before the first: the consumer lag
	// is read from it at no cost to consumption (no request of its own).
	endsMu sync.Mutex
	ends   []*atomic.Int64
}

// batchRows is the most rows one delivery carries. A fetch's records go
// in as few deliveries as that allows: each one costs the engine a lock,
// a pass of every operator and, for a view that updates, one change per
// group it touched, so a backlog read in batches of 8,192 rows costs about
// 20% less CPU per record than in batches of 1,024 (BENCHMARKS.md).
const batchRows = 8192

// NewSource validates a Kafka source's options (connector = 'kafka').
func NewSource(rel *catalog.Relation) (*Source, error) {
	opts := maps.Clone(rel.Options)
	delete(opts, "connector")
	cfg, err := parseCommon(opts)
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, cols: rel.Columns, refresh: 5 * time.Second}
	s.format, _ = take(opts, "format")
	switch v, _ := take(opts, "startup"); v {
	case "", "earliest":
	case "latest":
		s.latest = true
	default:
		return nil, sqlerr.New(sqlerr.InvalidParameter, "startup = %q: want 'earliest' or 'latest'", v)
	}
	s.dlq, _ = take(opts, "dlq_topic")
	if v, ok := take(opts, "partition_discovery"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, sqlerr.New(sqlerr.InvalidParameter, "partition_discovery = %q: want a duration such as '5s'", v)
		}
		s.refresh = d
	}
	// One decoder now, to check the format options; each partition
	// makes its own from s.opts.
	s.opts = maps.Clone(opts)
	if _, err := format.NewDecoder(s.format, rel.Columns, opts); err != nil {
		return nil, err
	}
	if err := unknownOptions("Kafka source", opts); err != nil {
		return nil, err
	}
	s.client, s.tr = cfg.client()
	s.setStatus("not started: no materialized view reads it yet")
	return s, nil
}

// SetRead says which of the source's columns anyone reads (read[i] for
// column i; nil: all of them): the partitions decode only those (see
// format.Decoder.SetRead), the others being NULL, from their next batch
// on. The caller serializes SetRead with Deliver and Current (the engine
// calls them under the dataflow's lock), so that rows decoded for the
// columns of before are refused (ErrStale) and read again: the change
// takes effect exactly between two deliveries.
func (s *Source) SetRead(read []bool) { s.proj.SetRead(read) }

// Current reports whether rows decoded for generation gen (Counts.Read)
// hold the columns read now.
func (s *Source) Current(gen uint64) bool { return s.proj.Current(gen) }

// Check makes sure, within connect_timeout, that the brokers answer and
// the topic exists (and the dead-letter topic, when there is one).
func (s *Source) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	topics := []string{s.cfg.topic}
	if s.dlq != "" {
		topics = append(topics, s.dlq)
	}
	for _, t := range topics {
		if _, err := s.cfg.partitions(ctx, t); err != nil {
			if errors.Is(err, kgo.UnknownTopicOrPartition) {
				return sqlerr.New(sqlerr.UndefinedObject, "Kafka topic %q does not exist on %s", t, strings.Join(s.cfg.brokers, ","))
			}
			if ctx.Err() != nil {
				err = fmt.Errorf("%w: %v", errTimeout, err)
			}
			return reachError(s.cfg, err)
		}
	}
	return nil
}

// Close releases the source's connections; call it once Run has returned.
func (s *Source) Close() { s.tr.CloseIdleConnections() }

// Status is what SHOW SOURCES prints: running, or why not, and the last
// dead letter given up, if any.
func (s *Source) Status() string {
	st := *s.status.Load()
	if n := s.dlqNote.Load(); n != nil {
		st += "; " + *n
	}
	return st
}

// setStatus sets the status, and logs it when it changes kind (running,
// retrying, stopped, failed): a line per change, never one per retry.
func (s *Source) setStatus(st string) {
	if old := s.status.Swap(&st); old != nil && statusKind(*old) != statusKind(st) {
		logStatus("kafka source status", s.cfg.topic, st)
	}
}

// Run reads every partition in parallel until ctx ends, each from
// from[p] (or the startup position when it has none), and picks up
// partitions added to the topic. Errors are retried with backoff and
// shown in Status; Run returns only when ctx ends or out fails.
func (s *Source) Run(ctx context.Context, from map[int]int64, out Output) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	running := 0
	bo := backoff{}
	for {
		n, err := s.partitions(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.setStatus("retrying: " + err.Error())
			slog.Warn("kafka source: reading metadata", "topic", s.cfg.topic, "err", err)
		case err == nil && n > running:
			out.Partitions(n)
			for p := running; p < n; p++ {
				start, ok := from[p]
				if !ok {
					start = -1
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := s.readPartition(ctx, p, start, out); err != nil && ctx.Err() == nil {
						cancel(err)
					}
				}()
			}
			running = n
			s.setStatus("running")
		}
		wait := s.refresh
		if err != nil {
			wait = bo.next()
		} else {
			bo.reset()
		}
		if !sleep(ctx, wait) {
			if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
				var ie *internalError
				if errors.As(err, &ie) {
					s.setStatus("failed: " + err.Error())
				} else {
					s.setStatus("stopped: " + err.Error())
				}
				return err
			}
			return nil
		}
	}
}

// partitions asks a broker how many partitions the topic has. It asks
// over a connection of its own: the transport answers metadata requests
// from a cache, which would hide new partitions for a while.
func (s *Source) partitions(ctx context.Context) (int, error) {
	return s.cfg.partitions(ctx, s.cfg.topic)
}

// Ends returns each partition's end offset now, so that FLUSH can wait
// until everything produced before it has been read.
func (s *Source) Ends(ctx context.Context) (map[int]int64, error) {
	n, err := s.partitions(ctx)
	if err != nil {
		return nil, err
	}
	reqs := make([]kgo.OffsetRequest, n)
	for p := range reqs {
		reqs[p] = kgo.LastOffsetOf(p)
	}
	resp, err := s.client.ListOffsets(ctx, &kgo.ListOffsetsRequest{Topics: map[string][]kgo.OffsetRequest{s.cfg.topic: reqs}})
	if err != nil {
		return nil, err
	}
	ends := map[int]int64{}
	for _, po := range resp.Topics[s.cfg.topic] {
		if po.Error != nil {
			return nil, po.Error
		}
		ends[po.Partition] = po.LastOffset
	}
	return ends, nil
}

// endOf is partition p's end offset as fetches report it.
func (s *Source) endOf(p int) *atomic.Int64 {
	s.endsMu.Lock()
	defer s.endsMu.Unlock()
	for len(s.ends) <= p {
		e := new(atomic.Int64)
		e.Store(-1)
		s.ends = append(s.ends, e)
	}
	return s.ends[p]
}

// FetchedEnd returns partition p's end offset (the broker's high-water
// mark) as of the partition's last fetch, and false before its first.
// Consumer lag is it minus the partition's position.
func (s *Source) FetchedEnd(p int) (int64, bool) {
	s.endsMu.Lock()
	defer s.endsMu.Unlock()
	if p >= len(s.ends) {
		return 0, false
	}
	e := s.ends[p].Load()
	return e, e >= 0
}

// startOffset resolves the startup position of a partition.
func (s *Source) startOffset(ctx context.Context, p int) (int64, error) {
	req := kgo.FirstOffsetOf(p)
	if s.latest {
		req = kgo.LastOffsetOf(p)
	}
	resp, err := s.client.ListOffsets(ctx, &kgo.ListOffsetsRequest{Topics: map[string][]kgo.OffsetRequest{s.cfg.topic: {req}}})
	if err != nil {
		return 0, err
	}
	for _, po := range resp.Topics[s.cfg.topic] {
		if po.Partition != p {
			continue
		}
		if po.Error != nil {
			return 0, po.Error
		}
		if s.latest {
			return po.LastOffset, nil
		}
		return po.FirstOffset, nil
	}
	return 0, fmt.Errorf("no offsets for partition %d", p)
}

// readPartition reads partition p from offset pos (-1: the startup
// position), delivering batches of rows with the offset they reach. A
// panic in it, or in out, is its error: it stops the source (whose
// status says so), not the process, and the records past the last
// delivery are read again after a restart.
func (s *Source) readPartition(ctx context.Context, p int, pos int64, out Output) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(s.cfg.topic, fmt.Sprintf("reading partition %d", p), r)
		}
	}()
	return s.read(ctx, p, pos, out)
}

func (s *Source) read(ctx context.Context, p int, pos int64, out Output) error {
	dec, err := format.NewDecoder(s.format, s.cols, maps.Clone(s.opts))
	if err != nil {
		return err
	}
	proj := s.proj.Load()
	dec.SetRead(proj.Read)
	b := vec.NewBatch(catalog.Types(s.cols), batchRows)
	var dlq *deadLetters
	if s.dlq != "" {
		dlq = newDeadLetters(s.cfg, s.dlq, s.cfg.topic, p)
		defer dlq.close()
	}
	bo := backoff{}
	retry := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		s.setStatus(fmt.Sprintf("retrying partition %d: %s: %v", p, what, err))
		return bo.wait(ctx)
	}
	// start resolves the startup position, retrying until it is known.
	start := func() bool {
		for {
			start, err := s.startOffset(ctx, p)
			if err == nil {
				pos = start
				return true
			}
			if !retry("finding the start offset", err) {
				return false
			}
		}
	}
	if pos < 0 {
		if !start() {
			return nil
		}
		// Record the position, so a checkpoint before the first record
		// resumes here, not at a startup position that has moved on.
		if err := out.Deliver(p, b, pos, Counts{}); err != nil {
			return err
		}
	}
	end := s.endOf(p)
	m := format.Meta{Topic: s.cfg.topic, Partition: p}
	var key, val []byte
	logged := false // a decoder's panic, with its stack
	// first is the offset the pending batch starts at, where the
	// partition reads again when its delivery is stale.
	first := pos
	// next begins a batch at pos, decoded for the columns read now.
	next := func() {
		first = pos
		if cur := s.proj.Load(); cur != proj {
			proj = cur
			dec.SetRead(proj.Read)
		}
	}
	// stale drops the pending batch, to read it again from first.
	stale := func() {
		b.Reset()
		if dlq != nil {
			dlq.pending = dlq.pending[:0]
		}
		pos = first
		next()
	}
fetch:
	for ctx.Err() == nil {
		next()
		resp, err := s.client.Fetch(ctx, &kgo.FetchRequest{Topic: s.cfg.topic, Partition: p, Offset: pos,
			MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 250 * time.Millisecond})
		if err == nil && resp.Error != nil {
			err = resp.Error
		}
		if errors.Is(err, kgo.OffsetOutOfRange) {
			// Retention deleted what the checkpoint points at: say so and
			// resume at the startup position.
			slog.Warn("kafka source: offset out of range; resuming at the startup position", "topic", s.cfg.topic, "partition", p, "offset", pos)
			if !start() {
				return nil
			}
			continue
		}
		if err != nil {
			if !retry("fetching", err) {
				return nil
			}
			continue
		}
		bo.reset()
		end.Store(resp.HighWatermark)
		if faultHook.Load() != nil {
			fault("kafka-fetch " + s.cfg.topic)
		}
		if *s.status.Load() != "running" {
			s.setStatus("running")
		}
		bad, nbytes := int64(0), int64(0)
		for {
			rec, err := resp.Records.ReadRecord()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("kafka source %s[%d]: reading a record: %w", s.cfg.topic, p, err)
			}
			if rec.Offset < pos {
				continue // a batch may start before the offset asked for
			}
			key, err = readBytes(key[:0], rec.Key)
			if err == nil {
				val, err = readBytes(val[:0], rec.Value)
			}
			if err != nil {
				return fmt.Errorf("kafka source %s[%d]: reading a record: %w", s.cfg.topic, p, err)
			}
			nbytes += int64(len(key) + len(val))
			m.Offset, m.Timestamp = rec.Offset, format.MetaMillis(rec.Time.UnixMilli())
			m.Key = nil
			if rec.Key != nil {
				m.Key = key
			}
			v := val
			if rec.Value == nil {
				v = nil
			}
			n := b.N
			if err := decode(dec, v, &m, b); err != nil {
				var dp *decodePanic
				if errors.As(err, &dp) {
					// The record is bad; what the decoder had appended
					// of it goes, and so does the decoder, whose state
					// the panic may have left half-changed.
					b.Truncate(n)
					if dec, err = format.NewDecoder(s.format, s.cols, maps.Clone(s.opts)); err != nil {
						return err
					}
					dec.SetRead(proj.Read)
					if !logged {
						logged = true
						slog.Error("kafka source: recovered a panic decoding a record; it is a bad record (further ones are counted, not logged)",
							"topic", s.cfg.topic, "partition", p, "offset", rec.Offset, "panic", dp.p, "stack", string(dp.stack))
					}
					err = dp
				}
				bad++
				if dlq != nil {
					dlq.add(m.Key, v, rec.Offset, err)
				}
			}
			pos = rec.Offset + 1
			if b.N == batchRows {
				err := s.deliver(ctx, out, dlq, p, b, pos, Counts{Bad: bad, Bytes: nbytes, Read: proj.Gen})
				bad, nbytes = 0, 0
				if errors.Is(err, ErrStale) {
					stale()
					continue fetch
				}
				if err != nil {
					return err
				}
				next()
			}
		}
		if b.N > 0 || bad > 0 {
			err := s.deliver(ctx, out, dlq, p, b, pos, Counts{Bad: bad, Bytes: nbytes, Read: proj.Gen})
			if errors.Is(err, ErrStale) {
				stale()
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// decode is dec.Decode with a panic turned into the record's error.
func decode(dec format.Decoder, v []byte, m *format.Meta, b *vec.Batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &decodePanic{p: p, stack: debug.Stack()}
		}
	}()
	if faultHook.Load() != nil {
		fault("kafka-decode " + string(v))
	}
	return dec.Decode(v, m, b)
}

// deliver writes pending dead letters, then hands the rows to out: a
// crash between the two re-reads the records and writes their dead
// letters again (at-least-once), never loses one. A letter the dead-letter
// topic does not take after bounded tries is given up, counted, and shown
// in Status: the partition goes on.
func (s *Source) deliver(ctx context.Context, out Output, dlq *deadLetters, p int, b *vec.Batch, pos int64, c Counts) error {
	if !s.Current(c.Read) {
		return ErrStale // before writing the dead letters of records read again
	}
	var lost int64
	if dlq != nil {
		var why, err error
		lost, why, err = s.flushDeadLetters(ctx, dlq, p)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if lost > 0 {
			slog.Warn("kafka source: dead letters not written", "topic", s.cfg.topic, "partition", p, "dlq_topic", s.dlq, "letters", lost, "err", why)
			note := fmt.Sprintf("dead letters of partition %d not written to dlq_topic %s: %v", p, s.dlq, why)
			s.dlqNote.Store(&note)
		}
	}
	c.DLQFailed = lost
	err := out.Deliver(p, b, pos, c)
	if errors.Is(err, ErrStale) {
		return err // the batch is read again
	}
	b.Reset()
	return err
}

// flushDeadLetters is dlq.flush, a panic in it stopping the source.
func (s *Source) flushDeadLetters(ctx context.Context, dlq *deadLetters, p int) (lost int64, why, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(s.cfg.topic, fmt.Sprintf("writing the dead letters of partition %d", p), r)
		}
	}()
	lost, why = dlq.flush(ctx)
	return lost, why, nil
}

func readBytes(dst []byte, r kgo.Bytes) ([]byte, error) {
	if r == nil {
		return dst, nil
	}
	n := r.Len()
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	_, err := io.ReadFull(r, dst)
	r.Close()
	return dst, err
}

// backoff doubles a wait from 100 ms up to 5 s.
type backoff struct{ d time.Duration }

func (b *backoff) next() time.Duration {
	b.d = min(max(b.d*2, 100*time.Millisecond), 5*time.Second)
	return b.d
}

func (b *backoff) reset() { b.d = 0 }

// wait sleeps for the next backoff, or until ctx ends; it reports whether
// the caller should try again.
func (b *backoff) wait(ctx context.Context) bool {
	return sleep(ctx, b.next())
}

// sleep waits d, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
