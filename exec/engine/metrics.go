package engine

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/streamsql/streamsql/parser"
)

// Metrics for Prometheus are read at scrape time from the counters SHOW
// SOURCES, SHOW MATERIALIZED VIEWS and SHOW SINKS already keep, so the hot
// path does no work for them; only checkpoints, which nothing else
// counted, add a few atomic updates per checkpoint (engineStats).

// ckptBuckets are the checkpoint duration histogram's upper bounds, in
// seconds: from a memory backend's milliseconds to a large Pebble state.
var ckptBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// engineStats counts checkpoints; its zero value is ready to use.
type engineStats struct {
	ckpts, ckptFailures atomic.Int64
	// lastCkpt is the Unix time (ns) the last successful checkpoint
	// ended, 0 before the first.
	lastCkpt atomic.Int64
	// ckptNanos sums the durations; ckptBucket counts them per bucket
	// (not cumulative; the last one is +Inf).
	ckptNanos  atomic.Int64
	ckptBucket [len(ckptBuckets) + 1]atomic.Uint64
	// history lists the last attempts, for the dashboard.
	history ckptHistory
}

// errCheckpointPanicked counts a checkpoint that panicked as failed.
var errCheckpointPanicked = errors.New("checkpoint panicked")

// checkpointDone records one checkpoint attempt that started at start.
func (s *engineStats) checkpointDone(start time.Time, err error) {
	end := time.Now()
	d := end.Sub(start)
	if err != nil {
		s.ckptFailures.Add(1)
	} else {
		s.ckpts.Add(1)
		s.lastCkpt.Store(end.UnixNano())
	}
	s.ckptNanos.Add(int64(d))
	s.ckptBucket[sort.SearchFloat64s(ckptBuckets[:], d.Seconds())].Add(1)
	s.history.add(end, d, err)
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("streamsql_"+name, help, labels, nil)
}

var (
	mSourceRows      = desc("source_rows_total", "Rows the source or table took in.", "source")
	mSourceBad       = desc("source_bad_rows_total", "Records of the source that did not decode.", "source")
	mSourceBytes     = desc("source_bytes_total", "Bytes of the Kafka source's records (keys and values), bad ones too.", "source")
	mPartRows        = desc("source_partition_rows_total", "Rows a Kafka partition delivered since the process started.", "source", "partition")
	mPartBytes       = desc("source_partition_bytes_total", "Bytes of a Kafka partition's records (keys and values) since the process started.", "source", "partition")
	mSourceDLQFailed = desc("source_dlq_failures_total", "Bad records the dead-letter topic did not take.", "source")
	mSourceLate      = desc("source_late_rows_total", "Rows that arrived behind the watermark.", "source")
	mSourceFuture    = desc("source_future_rows_total", "Rows beyond max_future.", "source")
	mSourceWM        = desc("source_watermark_seconds", "The watermark, in Unix seconds of event time (absent before the first).", "source")
	mSourceLag       = desc("source_watermark_lag_seconds", "How far the watermark trails the clock (processing time).", "source")
	mSourceFailed    = desc("source_failed", "1 once a panic stopped the source.", "source")
	mPartMaxTime     = desc("source_partition_max_event_time_seconds", "The largest event time a partition has delivered, in Unix seconds.", "source", "partition")
	mPartOffset      = desc("source_partition_offset", "The next Kafka offset a partition reads.", "source", "partition")
	mPartEnd         = desc("source_partition_end_offset", "The partition's end offset (high-water mark) as its last Kafka fetch gave it.", "source", "partition")
	mPartLag         = desc("source_partition_lag", "Kafka consumer lag: records between the partition's end offset and the next offset it reads.", "source", "partition")
	mPartIdle        = desc("source_partition_idle", "1 while the partition is idle (idle_timeout).", "source", "partition")
	mViewRows        = desc("view_rows", "Rows in the materialized view.", "view")
	mViewRowsIn      = desc("view_rows_in_total", "Changes the view's plan took in from the relations it reads.", "view")
	mViewRowsOut     = desc("view_rows_out_total", "Changes the view's plan sent to the view's rows (retractions count).", "view")
	mViewLate        = desc("view_late_rows_dropped_total", "Rows the view's operators dropped as late.", "view")
	mViewKeys        = desc("view_state_keys", "Keys of the view's operator state, as of its last write-back.", "view")
	mViewBytes       = desc("view_state_bytes", "Bytes of the view's operator state, as of its last write-back.", "view")
	mViewCached      = desc("view_cached_groups", "Decoded groups the view's operators cache in front of the state backend.", "view")
	mViewErrors      = desc("view_expression_errors_total", "Rows whose expressions failed (the value became NULL).", "view")
	mViewFailed      = desc("view_failed", "1 once a panic stopped the view.", "view")
	mSinkAcked       = desc("sink_records_acknowledged_total", "Records the brokers acknowledged.", "sink")
	mSinkWritten     = desc("sink_records_sent_total", "Records handed to the brokers, once per try.", "sink")
	mSinkWriteFailed = desc("sink_records_failed_total", "Records of writes the brokers did not acknowledge (retried).", "sink")
	mSinkQueued      = desc("sink_records_queued", "Records waiting for the brokers' acknowledgement.", "sink")
	mSinkFailed      = desc("sink_failed", "1 once the sink stopped on a failure.", "sink")
	mCkpts           = desc("checkpoints_total", "Checkpoints that succeeded.")
	mCkptFailures    = desc("checkpoint_failures_total", "Checkpoint attempts that failed.")
	mCkptDuration    = desc("checkpoint_duration_seconds", "How long checkpoint attempts took.")
	mCkptAge         = desc("checkpoint_last_success_age_seconds", "Time since the last successful checkpoint ended (absent before the first).")
	mCkptBytes       = desc("checkpoint_last_bytes", "Bytes the last successful checkpoint wrote (absent when the backend does not say).")
	mCkptFailing     = desc("checkpoint_consecutive_failures", "Checkpoint attempts that failed since the last success (writes are refused while it is not 0).")
	mRelations       = desc("relations", "Relations in the catalog, by kind.", "kind")
	mSubs            = desc("subscriptions", "SUBSCRIBE statements and cursors reading the relation now.", "relation")
	mSubPending      = desc("subscription_pending_changes", "Changes the relation's subscriptions hold that their clients have not taken.", "relation")
	mSubLag          = desc("subscription_lag_seconds", "Age of the oldest change a subscription to the relation holds (0 when none is waiting).", "relation")
)

// Collector returns a Prometheus collector of the engine's figures.
func (e *Engine) Collector() prometheus.Collector { return engineCollector{e} }

type engineCollector struct{ e *Engine }

func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mSourceRows, mSourceBad, mSourceBytes, mPartRows, mPartBytes, mSourceDLQFailed, mSourceLate, mSourceFuture, mSourceWM, mSourceLag,
		mSourceFailed, mPartMaxTime, mPartOffset, mPartEnd, mPartLag, mPartIdle, mViewRows, mViewRowsIn, mViewRowsOut, mViewLate, mViewKeys, mViewBytes, mViewCached,
		mViewErrors, mViewFailed, mSinkAcked, mSinkWritten, mSinkWriteFailed, mSinkQueued, mSinkFailed, mCkpts, mCkptFailures, mCkptDuration,
		mCkptAge, mCkptBytes, mCkptFailing, mRelations, mSubs, mSubPending, mSubLag} {
		ch <- d
	}
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	e.mu.RLock()
	xs := make([]*entry, 0, len(e.rels))
	for _, x := range e.rels {
		xs = append(xs, x)
	}
	e.mu.RUnlock()
	kinds := map[string]int{}
	for _, x := range xs {
		kinds[strings.ReplaceAll(x.rel.Kind.Noun(), " ", "_")]++
		switch {
		case x.rel.LateOf != "":
			// Its rows are its source's late rows.
		case x.rel.Kind == parser.KindSource || x.rel.Kind == parser.KindTable:
			collectSource(ch, x)
		case x.rel.Kind == parser.KindMaterializedView:
			collectView(ch, x)
		case x.rel.Kind == parser.KindSink:
			collectSink(ch, x)
		}
		collectSubscriptions(ch, x)
	}
	for k, n := range kinds {
		gauge(ch, mRelations, float64(n), k)
	}
	collectCheckpoints(ch, e)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// micros turns event time in µs into Unix seconds.
func micros(us int64) float64 { return float64(us) / 1e6 }

func collectSource(ch chan<- prometheus.Metric, x *entry) {
	df, name := x.df, x.rel.Name
	if df == nil || df.root != x {
		return
	}
	counter(ch, mSourceRows, float64(df.rows.Load()), name)
	counter(ch, mSourceLate, float64(df.late.Load()), name)
	counter(ch, mSourceFuture, float64(df.future.Load()), name)
	if x.rel.Kind == parser.KindSource {
		counter(ch, mSourceBad, float64(df.bad.Load()), name)
		counter(ch, mSourceDLQFailed, float64(df.dlqFailed.Load()), name)
		gauge(ch, mSourceFailed, flag(x.failed.Load() != nil), name)
	}
	if wm := df.wmShown.Load(); wm != math.MinInt64 {
		gauge(ch, mSourceWM, micros(wm), name)
		clock := df.clock
		if clock == nil {
			clock = time.Now
		}
		gauge(ch, mSourceLag, micros(clock().UnixMicro()-wm), name)
	}
	if x.rel.Kind != parser.KindSource {
		return // a table is one partition: the figures above
	}
	type part struct {
		maxTime, pos, rows, bytes int64
		idle                      bool
	}
	var parts []part
	df.locked(func() {
		now := df.now()
		for p := range df.parts.parts {
			pt := df.parts.parts[p]
			parts = append(parts, part{pt.maxTime, pt.pos, pt.rows, pt.bytes, df.parts.isIdle(p, now)})
		}
	})
	var total int64
	for i, p := range parts {
		n := strconv.Itoa(i)
		total += p.bytes
		if p.maxTime != math.MinInt64 {
			gauge(ch, mPartMaxTime, micros(p.maxTime), name, n)
		}
		if x.kafka != nil {
			counter(ch, mPartRows, float64(p.rows), name, n)
			counter(ch, mPartBytes, float64(p.bytes), name, n)
		}
		if x.kafka != nil && p.pos >= 0 {
			gauge(ch, mPartOffset, float64(p.pos), name, n)
			if end, ok := x.kafka.FetchedEnd(i); ok {
				gauge(ch, mPartEnd, float64(end), name, n)
				gauge(ch, mPartLag, float64(max(end-p.pos, 0)), name, n)
			}
		}
		gauge(ch, mPartIdle, flag(p.idle), name, n)
	}
	if x.kafka != nil {
		counter(ch, mSourceBytes, float64(total), name)
	}
}

func collectView(ch chan<- prometheus.Metric, x *entry) {
	name := x.rel.Name
	var rows, cached, keys, bytes int64
	dropped := false
	x.df.locked(func() {
		if dropped = x.dropped; dropped {
			return // since the snapshot of the catalog; its state may be gone
		}
		// No flush, unlike SHOW: a scrape must not add write-backs.
		st := x.pipe.StateStats()
		keys, bytes = st.Keys, st.Bytes
		rows, cached = x.mat.Rows(), int64(x.pipe.Cached())
	})
	if dropped {
		return
	}
	gauge(ch, mViewRows, float64(rows), name)
	counter(ch, mViewRowsIn, float64(x.pipe.RowsIn()), name)
	counter(ch, mViewRowsOut, float64(x.pipe.RowsOut()), name)
	counter(ch, mViewLate, float64(x.pipe.Late()), name)
	gauge(ch, mViewKeys, float64(keys), name)
	gauge(ch, mViewBytes, float64(bytes), name)
	gauge(ch, mViewCached, float64(cached), name)
	counter(ch, mViewErrors, float64(x.pipe.Errors.Count()), name)
	gauge(ch, mViewFailed, flag(x.failed.Load() != nil), name)
}

func collectSink(ch chan<- prometheus.Metric, x *entry) {
	name := x.rel.Name
	counter(ch, mSinkAcked, float64(x.sink.s.Sent()), name)
	counter(ch, mSinkWritten, float64(x.sink.s.Written()), name)
	counter(ch, mSinkWriteFailed, float64(x.sink.s.WriteFailed()), name)
	gauge(ch, mSinkQueued, float64(x.sink.s.Queued()), name)
	gauge(ch, mSinkFailed, flag(x.failure() != "" || x.sink.s.Failure() != ""), name)
}

func collectCheckpoints(ch chan<- prometheus.Metric, e *Engine) {
	s := &e.stats
	counter(ch, mCkpts, float64(s.ckpts.Load()))
	counter(ch, mCkptFailures, float64(s.ckptFailures.Load()))
	buckets := make(map[float64]uint64, len(ckptBuckets))
	var n uint64
	for i, le := range ckptBuckets {
		n += s.ckptBucket[i].Load()
		buckets[le] = n
	}
	n += s.ckptBucket[len(ckptBuckets)].Load()
	ch <- prometheus.MustNewConstHistogram(mCkptDuration, n, time.Duration(s.ckptNanos.Load()).Seconds(), buckets)
	if last := s.lastCkpt.Load(); last != 0 {
		gauge(ch, mCkptAge, time.Since(time.Unix(0, last)).Seconds())
	}
	if b, ok := e.backend.(interface{ CheckpointBytes() int64 }); ok && s.ckpts.Load() > 0 {
		gauge(ch, mCkptBytes, float64(b.CheckpointBytes()))
	}
	_, failures, _ := e.retryDelay()
	gauge(ch, mCkptFailing, float64(failures))
}

// collectSubscriptions reports x's subscriptions: how many, the changes
// they hold for their clients, and the age of the oldest.
func collectSubscriptions(ch chan<- prometheus.Metric, x *entry) {
	n, pending, lag := subscriptionFigures(x)
	if n == 0 {
		return
	}
	name := x.rel.Name
	gauge(ch, mSubs, float64(n), name)
	gauge(ch, mSubPending, float64(pending), name)
	gauge(ch, mSubLag, lag, name)
}

// subscriptionFigures are x's subscriptions, the changes they hold, and
// the age in seconds of the oldest (mz_timestamp is when the change was
// applied, in ms), 0 when none waits.
func subscriptionFigures(x *entry) (n, pending int, lag float64) {
	if x.df == nil || x.out == nil {
		return 0, 0, 0
	}
	var subs []*subscription
	x.df.locked(func() {
		for s := range x.subs {
			subs = append(subs, s)
		}
	})
	oldest := int64(math.MaxInt64)
	for _, s := range subs {
		s.mu.Lock()
		if ts, ok := s.q.front(); ok {
			pending += s.q.rows
			oldest = min(oldest, ts)
		}
		s.mu.Unlock()
	}
	if pending > 0 {
		lag = max(float64(time.Now().UnixMilli()-oldest)/1e3, 0)
	}
	return len(subs), pending, lag
}
