package engine

import (
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
)

// procTime is a source's processing-time attributes (name AS PROCTIME()):
// the connector fills the other columns, and ingest widens each batch with
// these set to the time it is processed. The views that window over them
// are told the time after each batch and on every idle tick, so their
// windows close as the clock passes their end even while no row comes.
type procTime struct {
	cols  []int // indexes in the relation of the PROCTIME() columns
	wide  *vec.Batch
	pipes []*exec.Pipeline // views with processing-time windows
	last  int64            // the last time handed out (µs); never goes back
}

func newProcTime(rel *catalog.Relation) *procTime {
	cols := rel.ProcTimeCols()
	if len(cols) == 0 {
		return nil
	}
	return &procTime{cols: cols, wide: vec.NewBatch(catalog.Types(rel.Columns), 0)}
}

// now reads the clock (µs), never going back. The columns take it in
// whole milliseconds (they are TIMESTAMP(3)); windows and temporal
// filters move by the exact time, so a row stamped by now() in a
// statement is past for a view that reads the clock after it.
func (p *procTime) now(df *dataflow) int64 {
	p.last = max(p.last, df.clock().UnixMicro())
	return p.last
}

// widen returns b (the connector's columns) with the PROCTIME() columns
// added, set to now. The result shares b's vectors and lives until the
// next call.
func (p *procTime) widen(b *vec.Batch, now int64) *vec.Batch {
	w := p.wide
	w.N, w.Diff = b.N, b.Diff
	j, k := 0, 0
	for i := range w.Cols {
		if k < len(p.cols) && p.cols[k] == i {
			k++
			v := &w.Cols[i]
			v.I64, v.Null = v.I64[:0], nil
			for range b.N {
				v.I64 = append(v.I64, now-now%1000)
			}
			continue
		}
		w.Cols[i] = b.Cols[j]
		j++
	}
	return w
}

// tick tells the processing-time views that it is now. The caller holds
// df.mu.
func (p *procTime) tick(now int64) error {
	for _, pipe := range p.pipes {
		if err := pipe.OnProcTime(now); err != nil {
			return err
		}
	}
	return nil
}

// attach registers a view's pipeline when it windows over processing
// time; detach forgets it. The caller holds df.mu.
func (p *procTime) attach(pipe *exec.Pipeline) {
	if p != nil && pipe.ProcTime() {
		p.pipes = append(p.pipes, pipe)
	}
}

func (p *procTime) detach(pipe *exec.Pipeline) {
	if p != nil {
		p.pipes = slices.DeleteFunc(p.pipes, func(x *exec.Pipeline) bool { return x == pipe })
	}
}
