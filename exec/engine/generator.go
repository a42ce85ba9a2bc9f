package engine

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
)

// generator is a built-in source that makes its rows (datagen, nexmark).
// Its positions, one per partition, are all a checkpoint needs to restart
// it exactly where it was.
type generator interface {
	Positions() []int64
	PerSecond() int64
	Bounded() bool
	Pos() int64
	Done() bool
	// Next is the partition to read next, -1 when done.
	Next() int
	// Fill appends up to n positions' rows of partition p to b and
	// returns how many positions it used.
	Fill(b *vec.Batch, p, n int) int
}

// genTick is how often a paced generator emits a batch.
const genTick = 100 * time.Millisecond

// genChunk is the most rows a generator ingests in one batch.
const genChunk = 1024

// startGenerator runs a datagen source in a goroutine the engine owns. The
// wall clock only paces generation; the rows and their event times depend
// on the seed and the row number alone.
func (e *Engine) startGenerator(x *entry) {
	e.runEntry(x, func(ctx context.Context) {
		g := x.gen
		b := vec.NewBatch(catalog.Types(x.rel.Physical().Columns), genChunk)
		tick := time.NewTicker(genTick)
		defer tick.Stop()
		start, startPos := time.Now(), g.Pos()
		for !g.Done() {
			n := 1024
			if rate := g.PerSecond(); rate > 0 {
				select {
				case <-ctx.Done():
					return
				case now := <-tick.C:
					due := startPos + int64(now.Sub(start).Seconds()*float64(rate))
					n = int(min(max(due-g.Pos(), 0), 8192))
				}
			} else if ctx.Err() != nil {
				return
			}
			// Partitions take turns, a chunk of at most genChunk rows each.
			for n > 0 {
				p := g.Next()
				if p < 0 {
					break
				}
				if e.waitWritable(ctx) != nil {
					return // paused while checkpoints fail, then stopped
				}
				b.Reset()
				t0 := time.Now()
				var k int
				var err error
				if x.df.lockedWrite(ctx, func() {
					k = g.Fill(b, p, min(n, genChunk))
					if b.N > 0 { // a nexmark chunk may hold no row of its table
						err = x.df.ingest(b, p)
					}
				}) != nil {
					return // stopped while a checkpoint wrote
				}
				x.lat.add(time.Since(t0), b.N)
				if err != nil {
					msg := "stopped: " + err.Error()
					x.failed.CompareAndSwap(nil, &msg) // SHOW SOURCES says so
					slog.Error("datagen source stopped", "source", x.rel.Name, "err", err)
					return
				}
				n -= k
				e.crash("source-batch")
			}
		}
	})
}

// maxLatencies bounds the batch latencies a source keeps.
const maxLatencies = 1 << 16

// latencies records, per generated batch, how long it took from being made
// to being reflected in every view (ingest runs every operator under the
// dataflow's lock before it returns), for `streamsql bench`.
type latencies struct {
	mu sync.Mutex
	b  []BatchLatency
}

// BatchLatency is one generated batch's time from being made to being
// reflected in every view, and its rows.
type BatchLatency struct {
	D    time.Duration
	Rows int
}

func (l *latencies) add(d time.Duration, rows int) {
	if rows == 0 {
		return
	}
	l.mu.Lock()
	if len(l.b) < maxLatencies {
		l.b = append(l.b, BatchLatency{d, rows})
	}
	l.mu.Unlock()
}

// BatchLatencies returns the latencies of a generator source's batches so
// far (the first 65,536), or nil for another relation.
func (e *Engine) BatchLatencies(source string) []BatchLatency {
	x, ok := e.lookup(source)
	if !ok {
		return nil
	}
	x.lat.mu.Lock()
	defer x.lat.mu.Unlock()
	return slices.Clone(x.lat.b)
}
