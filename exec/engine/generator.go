package engine

import (
	"context"
	"log/slog"
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
	ctx, cancel := context.WithCancel(e.ctx)
	x.stop = cancel
	x.started.Store(true)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(x.done)
		g := x.gen
		b := vec.NewBatch(catalog.Types(x.rel.Columns), genChunk)
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
				b.Reset()
				x.df.mu.Lock()
				k := g.Fill(b, p, min(n, genChunk))
				var err error
				if b.N > 0 { // a nexmark chunk may hold no row of its table
					err = x.df.ingest(b, p)
				}
				x.df.mu.Unlock()
				if err != nil {
					slog.Error("datagen source stopped", "source", x.rel.Name, "err", err)
					return
				}
				n -= k
				e.crash("source-batch")
			}
		}
	}()
}
