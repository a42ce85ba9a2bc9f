package engine

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"
)

// partitions tracks the watermark of a stream read in partitions: a
// datagen source's, a Kafka topic's; a table fed by INSERT is one
// partition. Each partition's watermark trails the largest event time it
// has seen; the stream's is the minimum over the partitions that are not
// idle, so rows that one partition delivers behind another are not late.
//
// A partition that has had no row for idle_timeout (processing time) is
// idle and stops holding the watermark back; one that never had a row
// holds it back until then, as an empty Kafka partition does in Flink.
// When every partition is idle the watermark stays, unless the stream asks
// (idle_watermark = 'advance') for it to move on with processing time, as
// if event time kept pace with the clock since the last row: then the last
// windows close when traffic stops.
type partitions struct {
	delay   int64 // the watermark's delay, µs
	idle    int64 // idle_timeout, µs; 0: a partition is never idle
	advance bool
	parts   []partition
	// maxTime is the largest event time of any partition; lastRow is the
	// processing time (µs) of the newest row of any partition.
	maxTime, lastRow int64
}

type partition struct {
	maxTime int64 // math.MinInt64 until a row with an event time arrives
	lastRow int64 // processing time (µs) of its newest row, or of its start
	// pos is where a Kafka partition resumes: the next offset to read, or
	// -1 before the first has been chosen.
	pos int64
	// rows and bytes are what a Kafka partition delivered since the
	// process started (its records' key and value bytes).
	rows, bytes int64
}

func newPartitions(delay, idle int64, advance bool) partitions {
	return partitions{delay: delay, idle: idle, advance: advance, maxTime: math.MinInt64}
}

// grow makes sure partitions 0..n-1 exist; a new one starts active at now.
func (ps *partitions) grow(n int, now int64) {
	for len(ps.parts) < n {
		ps.parts = append(ps.parts, partition{maxTime: math.MinInt64, lastRow: now, pos: -1})
	}
}

// observe records that partition p delivered rows up to event time maxTs
// (math.MinInt64 when none had one) at processing time now.
func (ps *partitions) observe(p int, maxTs, now int64) {
	ps.grow(p+1, now)
	pt := &ps.parts[p]
	pt.maxTime = max(pt.maxTime, maxTs)
	pt.lastRow = max(pt.lastRow, now)
	ps.maxTime = max(ps.maxTime, maxTs)
	ps.lastRow = max(ps.lastRow, now)
}

// isIdle reports whether partition p is idle at now.
func (ps *partitions) isIdle(p int, now int64) bool {
	return ps.idle > 0 && now-ps.parts[p].lastRow >= ps.idle
}

// idleCount is the number of idle partitions at now.
func (ps *partitions) idleCount(now int64) int {
	n := 0
	for p := range ps.parts {
		if ps.isIdle(p, now) {
			n++
		}
	}
	return n
}

// watermark is the stream's watermark at now, or math.MinInt64 while it
// has none; the caller keeps the largest it has seen.
func (ps *partitions) watermark(now int64) int64 {
	lo, active := int64(math.MaxInt64), false
	for p := range ps.parts {
		if ps.isIdle(p, now) {
			continue
		}
		active = true
		lo = min(lo, ps.parts[p].maxTime)
	}
	switch {
	case active && lo == math.MinInt64:
		return math.MinInt64
	case active:
		return lo - ps.delay
	case ps.advance && ps.maxTime != math.MinInt64:
		return ps.maxTime - ps.delay + (now - ps.lastRow)
	}
	// Every partition is idle: the watermark stays where the last active
	// one left it, which the caller has kept.
	return math.MinInt64
}

// idleTick is how often processing time is checked against idle_timeout.
const idleTick = 100 * time.Millisecond

// startIdleLoop starts, once, the goroutine that lets processing time move
// the watermarks of streams with idle_timeout.
func (e *Engine) startIdleLoop() {
	e.tickEvery(&e.idleOnce, idleTick, func() {
		if err := e.tickIdle(); err != nil && !errors.Is(err, context.Canceled) { // a stop, not a failure
			slog.Error("advancing an idle watermark", "err", err)
		}
	})
}

// startEmitLoop starts, once, the goroutine that makes updating views
// send what they hold back when their stream has gone quiet (see
// emitInterval).
func (e *Engine) startEmitLoop() { e.tickEvery(&e.emitOnce, emitInterval, e.emitDue) }

// tickEvery starts, once per once, a goroutine calling f every period
// until the engine closes.
func (e *Engine) tickEvery(once *sync.Once, period time.Duration, f func()) {
	once.Do(func() {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			t := time.NewTicker(period)
			defer t.Stop()
			for {
				select {
				case <-e.ctx.Done():
					return
				case <-t.C:
					f()
				}
			}
		}()
	})
}

// emitDue makes the views of each dataflow whose changes have been held
// back for emitInterval send them.
func (e *Engine) emitDue() {
	e.mu.RLock()
	var dfs []*dataflow
	for _, x := range e.rels {
		if x.df != nil && x.df.root == x && x.df.grp().held.Load() {
			dfs = append(dfs, x.df)
		}
	}
	e.mu.RUnlock()
	for _, df := range dfs {
		var err error
		// Emitting changes state: it waits out a checkpoint's disk phase.
		if cerr := df.lockedWrite(e.ctx, func() {
			if time.Since(df.grp().lastEmit) >= emitInterval {
				err = guarded("sending views' changes", df.emit)
			}
		}); cerr != nil {
			return // the engine is closing
		}
		if err != nil {
			slog.Error("sending views' held-back changes", "source", df.root.rel.Name, "err", err)
		}
	}
}

// tickIdle re-reads processing time for every stream with idle_timeout
// (a partition that went idle may have been the one holding its watermark
// back) or with processing-time windows (some may have ended). Tests call
// it after moving their injected clock.
func (e *Engine) tickIdle() error {
	e.mu.RLock()
	var dfs []*dataflow
	for _, x := range e.rels {
		if x.df != nil && x.df.root == x && (x.df.parts.idle > 0 || x.df.proc != nil) {
			dfs = append(dfs, x.df)
		}
	}
	e.mu.RUnlock()
	for _, df := range dfs {
		var err error
		if cerr := df.lockedWrite(e.ctx, func() {
			err = guarded("advancing processing time", func() error {
				if err := df.advance(df.now()); err != nil {
					return err
				}
				if df.proc != nil {
					return df.proc.tick(df.proc.now(df))
				}
				return nil
			})
		}); cerr != nil {
			return cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
