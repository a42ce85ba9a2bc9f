package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state/memory"
)

// TestStateBounded feeds 1,000,000 events over 100,000 keys through moving
// windows and checks, each time a window closes, that the state holds exactly
// the groups of the windows still open: closed windows leave nothing
// behind, so state is bounded by open windows × keys, not by history.
func TestStateBounded(t *testing.T) {
	events := 1_000_000
	if raceEnabled {
		events = 100_000
	}
	const keys = 100_000
	for _, w := range []*planner.Window{
		{Kind: planner.Tumble, Time: 1, Size: 1e6, Slide: 1e6},
		{Kind: planner.Hop, Time: 1, Size: 1e6, Slide: 250_000},
		{Kind: planner.Cumulate, Time: 1, Size: 1e6, Slide: 500_000},
	} {
		for _, eowc := range []bool{false, true} {
			if w.Kind == planner.Hop && eowc {
				continue // four windows a row: the slowest case, and closing is the same code as TUMBLE's
			}
			t.Run(fmt.Sprintf("%s/eowc=%v", w.Kind, eowc), func(t *testing.T) {
				backend, err := memory.Open("")
				if err != nil {
					t.Fatal(err)
				}
				scan := &planner.Scan{Rel: &catalog.Relation{Name: "in", EventTime: 1, AppendOnly: true, Columns: []catalog.Column{
					{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts}}}}
				agg := &planner.Aggregate{Input: scan, Window: w,
					Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
					Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt}}, EmitOnClose: eowc}
				store := backend.Namespace(1)
				op := NewAggregate(agg, store, discardOp{}, nil)
				if w.Kind == planner.Tumble {
					// Evictions along the way. (With four windows per row,
					// HOP would thrash so small a cache: evicting clears it.)
					op.SetCacheSize(10_000)
				}
				rng := rand.New(rand.NewPCG(7, 7))
				// open holds, per window end, the keys seen in that window.
				open := map[int64]map[int64]bool{}
				const batch, delay = 1000, 300_000
				b := vec.NewBatch([]types.T{types.BigInt, types.Ts}, batch)
				ts, maxOpen := int64(0), 0
				for n := 0; n < events; n += batch {
					b.Reset()
					for range batch {
						k := rng.Int64N(keys)
						// Out of order within the watermark delay.
						et := max(0, ts-rng.Int64N(delay))
						b.Cols[0].AppendI64(k)
						b.Cols[1].AppendI64(et)
						b.EndRow(1)
						for _, end := range windowEnds(w, et) {
							if open[end] == nil {
								open[end] = map[int64]bool{}
							}
							open[end][k] = true
						}
						ts += 10
					}
					if err := op.Push(b); err != nil {
						t.Fatal(err)
					}
					wm := ts - delay
					if err := op.OnWatermark(wm); err != nil {
						t.Fatal(err)
					}
					want, closed := 0, false
					for end, ks := range open {
						if end <= wm {
							delete(open, end)
							closed = true
							continue
						}
						want += len(ks)
					}
					if !closed {
						continue
					}
					// A window closed: flush the cache (as a checkpoint
					// would) and count what state holds.
					if err := op.Flush(); err != nil {
						t.Fatal(err)
					}
					if got := store.Stats().Keys; got != int64(want) {
						t.Fatalf("after %d events, watermark %d: %d keys in state, want %d (the groups of the %d open windows)",
							n+batch, wm, got, want, len(open))
					}
					maxOpen = max(maxOpen, want)
				}
				if maxOpen > 4*keys {
					t.Errorf("up to %d groups open at once, want at most %d", maxOpen, 4*keys)
				}
			})
		}
	}
}

// windowEnds lists the ends of the fixed windows holding time t.
func windowEnds(w *planner.Window, t int64) []int64 {
	var ends []int64
	if w.Kind == planner.Cumulate {
		s := planner.FloorDiv(t, w.Size) * w.Size
		for e := s + w.Slide; e <= s+w.Size; e += w.Slide {
			if e > t {
				ends = append(ends, e)
			}
		}
		return ends
	}
	for s := planner.FloorDiv(t, w.Slide) * w.Slide; s > t-w.Size; s -= w.Slide {
		ends = append(ends, s+w.Size)
	}
	return ends
}
