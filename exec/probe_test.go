package exec

import (
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// passOp hands every batch on, as a stateless operator's cheapest case.
type passOp struct{ out Operator }

func (p passOp) Push(b *vec.Batch) error    { return p.out.Push(b) }
func (p passOp) OnWatermark(wm int64) error { return p.out.OnWatermark(wm) }
func (passOp) OnBarrier(uint64) error       { return nil }
func (passOp) Close() error                 { return nil }

// TestProbeCounts: the probes count rows in and out and keep the time
// spent downstream out of the operator's own.
func TestProbeCounts(t *testing.T) {
	b := vec.NewBatch([]types.T{types.BigInt}, 8)
	b.N = 5
	s := &OpStats{}
	down := &OpStats{}
	tail := &probeIn{op: passOp{out: &probeOut{out: discardOp{}, s: down}}, s: down}
	op := &probeIn{op: passOp{out: &probeOut{out: tail, s: s}}, s: s}
	for range 3 {
		if err := op.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	if s.rowsIn.Load() != 15 || s.rowsOut.Load() != 15 || s.batches.Load() != 3 || down.rowsIn.Load() != 15 {
		t.Errorf("rows in %d out %d batches %d, downstream in %d; want 15, 15, 3, 15",
			s.rowsIn.Load(), s.rowsOut.Load(), s.batches.Load(), down.rowsIn.Load())
	}
	if s.sampled.Load() != 1 || s.calls.Load() != 3 || s.sampledNanos.Load() < 0 || down.sampledNanos.Load() < 0 {
		t.Errorf("sampled %d of %d calls; own time %d, downstream's %d", s.sampled.Load(), s.calls.Load(),
			s.sampledNanos.Load(), down.sampledNanos.Load())
	}
	// A push from outside the operator (an Emit) counts its rows but
	// takes no time off.
	before := s.Time()
	out := &probeOut{out: tail, s: s}
	if err := out.Push(b); err != nil {
		t.Fatal(err)
	}
	if s.rowsOut.Load() != 20 || s.Time() != before {
		t.Errorf("outside push: rows out %d (want 20), time %v → %v", s.rowsOut.Load(), before, s.Time())
	}
	// An Emit is timed whole, less what it sends downstream.
	if err := s.timed(func() error { return out.Push(b) }); err != nil {
		t.Fatal(err)
	}
	if s.otherNanos.Load() < 0 {
		t.Errorf("emit's own time %d", s.otherNanos.Load())
	}
}

// BenchmarkProbe is what the two probes around one operator cost a batch
// (bare: the operator alone); per row it is that over the batch's rows,
// 1024 from a generator.
func BenchmarkProbe(b *testing.B) {
	batch := vec.NewBatch([]types.T{types.BigInt}, 1024)
	batch.N = 1024
	b.Run("bare", func(b *testing.B) {
		var op Operator = passOp{out: discardOp{}}
		for b.Loop() {
			op.Push(batch)
		}
	})
	b.Run("probed", func(b *testing.B) {
		s := &OpStats{}
		var op Operator = &probeIn{op: passOp{out: &probeOut{out: discardOp{}, s: s}}, s: s}
		for b.Loop() {
			op.Push(batch)
		}
	})
}
