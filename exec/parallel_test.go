package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
)

// TestSharded runs one stream through a view's pipeline built once with
// one replica and once with three, for windows of every kind, emitting on
// update (held back) and on close, with a filter before the aggregate and
// a projection after it: the views' rows agree whenever the changes are
// sent, and at the end. Run under -race, it also checks the replicas
// share nothing.
func TestSharded(t *testing.T) {
	cols := []catalog.Column{{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts}, {Name: "v", Type: types.BigInt}}
	windows := map[string]*planner.Window{
		"tumble":   {Kind: planner.Tumble, Time: 1, Size: 10, Slide: 10},
		"hop":      {Kind: planner.Hop, Time: 1, Size: 30, Slide: 10, Grace: 5},
		"cumulate": {Kind: planner.Cumulate, Time: 1, Size: 30, Slide: 10},
		"session":  {Kind: planner.Session, Time: 1, Size: 7},
		"none":     nil,
	}
	for name, w := range windows {
		for _, eowc := range []bool{false, true} {
			if w == nil && eowc {
				continue
			}
			t.Run(fmt.Sprintf("%s/eowc=%v", name, eowc), func(t *testing.T) {
				scan := scanOf(true, cols...)
				scan.Rel.EventTime = 1
				v := &planner.ColRef{Idx: 2, Name: "v", T: types.BigInt}
				in := &planner.Filter{Input: scan, Pred: &planner.Call{Fn: planner.FnNe, Args: []planner.Expr{v, &planner.Const{T: types.BigInt, I: 7}}, T: types.Boolean}}
				agg := &planner.Aggregate{Input: in, Window: w, EmitOnClose: eowc,
					Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
					Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt},
						{Func: planner.AggSum, Arg: v, T: types.BigInt}, {Func: planner.AggMax, Arg: v, T: types.BigInt}}}
				var plan planner.Node = agg
				be, _ := memory.Open("")
				defer be.Close()
				type view struct {
					pipe *Pipeline
					mat  *Materialize
				}
				var views [2]view
				for i, shards := range []int{1, 3} {
					mat := NewMaterialize(be.Namespace(uint64(100*i)), catalog.Types(plan.Columns()), Layout{Key: planner.GroupKey(plan), AppendOnly: plan.AppendOnly()})
					pipe, err := BuildSharded(plan, shards, func(k int) state.Store { return be.Namespace(uint64(100*i + k)) }, mat, nil)
					if err != nil {
						t.Fatal(err)
					}
					pipe.SetDeferEmit(true)
					pipe.SetCacheSize(4)
					views[i] = view{pipe, mat}
				}
				rows := func(m *Materialize) []string {
					var out []string
					m.Scan(func(b *vec.Batch) error {
						for i := 0; i < b.N; i++ {
							s := ""
							for c := range b.Cols {
								s += fmt.Sprint(b.Cols[c].I64[i], " ")
							}
							out = append(out, fmt.Sprint(s, "x", b.DiffAt(i)))
						}
						return nil
					})
					slices.Sort(out)
					return out
				}
				r := rand.New(rand.NewPCG(5, 8))
				ts := int64(0)
				for step := 0; step < 200; step++ {
					b := vec.NewBatch([]types.T{types.BigInt, types.Ts, types.BigInt}, 16)
					for n := r.IntN(16); n > 0; n-- {
						b.Cols[0].AppendI64(int64(r.IntN(9)))
						b.Cols[1].AppendI64(ts + int64(r.IntN(12)))
						b.Cols[2].AppendI64(int64(r.IntN(10)))
						b.EndRow(1)
					}
					ts += int64(r.IntN(5))
					for _, x := range views {
						if err := x.pipe.Entry.Push(b); err != nil {
							t.Fatal(err)
						}
						if step%3 == 0 {
							if err := x.pipe.Entry.OnWatermark(ts - 6); err != nil {
								t.Fatal(err)
							}
						}
					}
					if r.IntN(6) == 0 {
						for _, x := range views {
							if err := x.pipe.Emit(); err != nil {
								t.Fatal(err)
							}
						}
						if got, want := rows(views[1].mat), rows(views[0].mat); !slices.Equal(got, want) {
							t.Fatalf("step %d: 3 replicas give\n%q\n1 gives\n%q", step, got, want)
						}
					}
				}
				for _, x := range views {
					if err := x.pipe.Entry.OnWatermark(ts + 100); err != nil {
						t.Fatal(err)
					}
					if err := x.pipe.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				got, want := rows(views[1].mat), rows(views[0].mat)
				if !slices.Equal(got, want) || len(want) == 0 {
					t.Fatalf("end: 3 replicas give\n%q\n1 gives\n%q", got, want)
				}
				if views[1].pipe.Late() != views[0].pipe.Late() {
					t.Fatalf("late rows %d, want %d", views[1].pipe.Late(), views[0].pipe.Late())
				}
			})
		}
	}
}
