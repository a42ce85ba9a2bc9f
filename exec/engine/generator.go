package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
)

// genTick is how often a paced generator emits a batch.
const genTick = 100 * time.Millisecond

// startGenerator runs a datagen source in a goroutine the engine owns. The
// wall clock only paces generation; the rows and their event times depend
// on the seed and the row number alone.
func (e *Engine) startGenerator(x *entry) {
	ctx, cancel := context.WithCancel(e.ctx)
	x.stop = cancel
	x.done = make(chan struct{})
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(x.done)
		g := x.gen
		b := vec.NewBatch(columnTypes(x.rel.Columns), 1024)
		tick := time.NewTicker(genTick)
		defer tick.Stop()
		start, startPos := time.Now(), g.Pos
		for !g.Done() {
			n := 1024
			if g.Rate > 0 {
				select {
				case <-ctx.Done():
					return
				case now := <-tick.C:
					due := startPos + int64(now.Sub(start).Seconds()*float64(g.Rate))
					n = int(min(max(due-g.Pos, 0), 8192))
				}
			} else if ctx.Err() != nil {
				return
			}
			if n == 0 {
				continue
			}
			b.Reset()
			x.df.mu.Lock()
			g.Fill(b, n)
			err := x.df.ingest(b)
			x.df.mu.Unlock()
			if err != nil {
				slog.Error("datagen source stopped", "source", x.rel.Name, "err", err)
				return
			}
			e.crash("source-batch")
		}
	}()
}
