package exec

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
)

// retractingInput is a plan leaf whose rows may be retracted.
func scanOf(appendOnly bool, cols ...catalog.Column) *planner.Scan {
	return &planner.Scan{Rel: &catalog.Relation{Name: "in", Columns: cols, EventTime: -1, AppendOnly: appendOnly}}
}

// TestAggregateRetractions feeds a random changelog of inserts and
// retractions (only of rows present) to a grouped aggregate and checks
// every group's COUNT, SUM, MIN, MAX and COUNT(DISTINCT) against a
// reference computed from the surviving multiset; some values are extreme,
// so sums cross 64 bits and come back.
func TestAggregateRetractions(t *testing.T) {
	for _, cache := range []int{DefaultCacheGroups, 2} {
		t.Run(fmt.Sprintf("cache=%d", cache), func(t *testing.T) { testRetractions(t, cache) })
	}
}

func testRetractions(t *testing.T, cache int) {
	seed := uint64(1)
	if s := os.Getenv("EXEC_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	scan := scanOf(false, catalog.Column{Name: "k", Type: types.BigInt}, catalog.Column{Name: "v", Type: types.BigInt})
	k := &planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}
	v := &planner.ColRef{Idx: 1, Name: "v", T: types.BigInt}
	agg := &planner.Aggregate{Input: scan, Keys: []planner.Expr{k}, KeyNames: []string{"k"}, Aggs: []planner.AggCall{
		{Func: planner.AggCountStar, T: types.BigInt},
		{Func: planner.AggSum, Arg: v, T: types.BigInt},
		{Func: planner.AggMin, Arg: v, T: types.BigInt},
		{Func: planner.AggMax, Arg: v, T: types.BigInt},
		{Func: planner.AggCount, Distinct: true, Arg: v, T: types.BigInt},
	}}
	backend, _ := memory.Open("")
	out := NewCollect(vec.NewBatch([]types.T{types.BigInt, types.BigInt, types.BigInt, types.BigInt, types.BigInt, types.BigInt}, 0))
	op := NewAggregate(agg, backend.Namespace(1), out, nil)
	op.SetCacheSize(cache)
	live := map[int64][]int64{} // k → values present
	for round := 0; round < 200; round++ {
		b := vec.NewBatch([]types.T{types.BigInt, types.BigInt}, 64)
		for i := 0; i < 1+rng.IntN(60); i++ {
			key := rng.Int64N(8)
			if vals := live[key]; len(vals) > 0 && rng.IntN(3) == 0 {
				j := rng.IntN(len(vals))
				b.Cols[0].AppendI64(key)
				b.Cols[1].AppendI64(vals[j])
				b.EndRow(-1)
				live[key] = append(vals[:j], vals[j+1:]...)
				continue
			}
			x := rng.Int64N(20)
			if rng.IntN(8) == 0 {
				// Sums past 64 bits are NULL until retractions bring
				// them back into range.
				x = []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 / 2}[rng.IntN(3)]
			}
			b.Cols[0].AppendI64(key)
			b.Cols[1].AppendI64(x)
			b.EndRow(1)
			live[key] = append(live[key], x)
		}
		if err := op.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for i := 0; i < out.Rows.N; i++ {
		if out.Rows.DiffAt(i) == 0 {
			continue
		}
		if d := out.Rows.DiffAt(i); d != 1 {
			t.Fatalf("seed %d: row %d has net diff %d", seed, i, d)
		}
		var parts []string
		for c := range out.Rows.Cols {
			parts = append(parts, out.Rows.Cols[c].Text(i))
		}
		got[fmt.Sprint(parts)] = true
	}
	want := map[string]bool{}
	for key, vals := range live {
		if len(vals) == 0 {
			continue
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		sum, distinct := new(big.Int), map[int64]bool{}
		for _, x := range vals {
			sum.Add(sum, big.NewInt(x))
			distinct[x] = true
		}
		sumText := "NULL"
		if sum.IsInt64() {
			sumText = sum.String()
		}
		want[fmt.Sprint([]string{fmt.Sprint(key), fmt.Sprint(len(vals)), sumText,
			fmt.Sprint(vals[0]), fmt.Sprint(vals[len(vals)-1]), fmt.Sprint(len(distinct))})] = true
	}
	for r := range want {
		if !got[r] {
			t.Errorf("seed %d: missing row %s", seed, r)
		}
	}
	for r := range got {
		if !want[r] {
			t.Errorf("seed %d: unexpected row %s", seed, r)
		}
	}
}

// BenchmarkTumbleCount measures a tumbling COUNT(*) per key over an
// append-only stream: 1024-row batches, 100,000 keys, 1-second windows
// holding 100,000 rows each, a watermark after every batch closing
// windows. Variants: each state backend; "ckpt" also flushes the operator
// and checkpoints the backend every 256 batches (262,144 events), as the
// engine's checkpoint interval would; "cache10k" bounds the operator's
// cache to 10,000 groups, a tenth of an open window's state.
func BenchmarkTumbleCount(b *testing.B) {
	for _, kind := range []string{"memory", "pebble"} {
		for _, v := range []struct {
			name  string
			ckpt  bool
			cache int
		}{{"", false, DefaultCacheGroups}, {"ckpt", true, DefaultCacheGroups}, {"ckpt-cache10k", true, 10000}} {
			name := kind
			if v.name != "" {
				name += "-" + v.name
			}
			b.Run(name, func(b *testing.B) {
				backend := openBackend(b, kind, b.TempDir())
				defer backend.Close()
				benchTumbleCount(b, backend, v.ckpt, v.cache)
			})
		}
	}
}

func benchTumbleCount(b *testing.B, backend state.Backend, ckpt bool, cache int) {
	scan := &planner.Scan{Rel: &catalog.Relation{Name: "in", EventTime: 1, AppendOnly: true, Columns: []catalog.Column{
		{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts}}}}
	agg := &planner.Aggregate{Input: scan, Window: &planner.Window{Kind: planner.Tumble, Time: 1, Size: 1e6, Slide: 1e6},
		Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
		Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt}}, EmitOnClose: true}
	op := NewAggregate(agg, backend.Namespace(1), discardOp{}, nil)
	op.SetCacheSize(cache)
	rng := rand.New(rand.NewPCG(1, 2))
	maxBytes := int64(0)
	var flush func() error
	if ckpt {
		flush = func() error {
			err := op.Flush()
			maxBytes = max(maxBytes, backend.Namespace(1).Stats().Bytes)
			return err
		}
	}
	benchLoop(b, backend, []types.T{types.BigInt, types.Ts}, op, 10, func(bt *vec.Batch) {
		bt.Cols[0].AppendI64(rng.Int64N(100000))
	}, flush)
	b.ReportMetric(float64(maxBytes), "max-state-bytes")
}

// benchLoop pushes b.N rows into op in 1024-row batches, event time
// (column 1) step µs apart and the other columns filled by row, with a
// watermark 1 s behind after each batch; with flush, every 256 batches
// it flushes and checkpoints the backend, as the engine's checkpoint
// interval would.
func benchLoop(b *testing.B, backend state.Backend, ts []types.T, op Operator, step int64, row func(bt *vec.Batch), flush func() error) {
	const batch = 1024
	bt := vec.NewBatch(ts, batch)
	b.ReportAllocs()
	b.ResetTimer()
	t, ckptID := int64(0), uint64(0)
	for n := 0; n < b.N; n += batch {
		bt.Reset()
		for i := 0; i < batch; i++ {
			row(bt)
			bt.Cols[1].AppendI64(t)
			bt.EndRow(1)
			t += step
		}
		if err := op.Push(bt); err != nil {
			b.Fatal(err)
		}
		if err := op.OnWatermark(t - 1e6); err != nil {
			b.Fatal(err)
		}
		if flush != nil && (n/batch)%256 == 255 {
			if err := flush(); err != nil {
				b.Fatal(err)
			}
			ckptID++
			if err := backend.Checkpoint(ckptID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

type discardOp struct{}

func (discardOp) Push(*vec.Batch) error   { return nil }
func (discardOp) OnWatermark(int64) error { return nil }
func (discardOp) OnBarrier(uint64) error  { return nil }
func (discardOp) Close() error            { return nil }

// TestEmitOnCloseAfterFlush flushes the cache (as a checkpoint does) while
// windows are open, then closes them: each window's row must be emitted
// exactly once, with its full count, whether the window stayed cached or
// was evicted.
func TestEmitOnCloseAfterFlush(t *testing.T) {
	for _, cache := range []int{DefaultCacheGroups, 3} {
		t.Run(fmt.Sprintf("cache=%d", cache), func(t *testing.T) {
			scan := &planner.Scan{Rel: &catalog.Relation{Name: "in", EventTime: 1, AppendOnly: true, Columns: []catalog.Column{
				{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts}}}}
			agg := &planner.Aggregate{Input: scan, Window: &planner.Window{Kind: planner.Tumble, Time: 1, Size: 10, Slide: 10},
				Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
				Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt}}, EmitOnClose: true}
			backend, _ := memory.Open("")
			out := NewCollect(vec.NewBatch([]types.T{types.Ts, types.Ts, types.BigInt, types.BigInt}, 0))
			op := NewAggregate(agg, backend.Namespace(1), out, nil)
			op.SetCacheSize(cache)
			want := map[string]int64{}
			for ts := int64(0); ts < 100; ts++ {
				b := vec.NewBatch([]types.T{types.BigInt, types.Ts}, 2)
				for k := int64(0); k < 2; k++ {
					b.Cols[0].AppendI64(k)
					b.Cols[1].AppendI64(ts)
					b.EndRow(1)
					want[fmt.Sprintf("%d %d", ts/10*10, k)] += 1
				}
				if err := op.Push(b); err != nil {
					t.Fatal(err)
				}
				if ts%7 == 3 {
					if err := op.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				if err := op.OnWatermark(ts); err != nil {
					t.Fatal(err)
				}
			}
			if err := op.OnWatermark(1000); err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for i := 0; i < out.Rows.N; i++ {
				if d := out.Rows.DiffAt(i); d != 1 {
					t.Errorf("row %d emitted with net diff %d", i, d)
				}
				key := fmt.Sprintf("%d %d", out.Rows.Cols[0].I64[i], out.Rows.Cols[2].I64[i])
				if _, dup := got[key]; dup {
					t.Errorf("window %s emitted twice", key)
				}
				got[key] = out.Rows.Cols[3].I64[i]
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

// TestDeferEmit runs one changelog through an aggregate that emits as it
// goes and one that holds its changes back (as a view's does), each into
// a keyed Materialize, over windowed and unwindowed groupings and an
// append-only and a retracting input, with emits, flushes and watermarks
// at random: after each Emit the two views hold the same rows, and the
// held-back one was sent no more changes (a group that changed in many
// batches goes out once).
func TestDeferEmit(t *testing.T) {
	cols := []catalog.Column{{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts}, {Name: "v", Type: types.BigInt}}
	for _, shape := range []string{"hop", "hopsum", "tumble", "cumulate", "none", "global"} {
		for _, appendOnly := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/appendOnly=%v", shape, appendOnly), func(t *testing.T) {
				scan := scanOf(appendOnly, cols...)
				scan.Rel.EventTime = 1
				plan := &planner.Aggregate{Input: scan,
					Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt},
						{Func: planner.AggSum, Arg: &planner.ColRef{Idx: 2, Name: "v", T: types.BigInt}, T: types.BigInt},
						{Func: planner.AggMax, Arg: &planner.ColRef{Idx: 2, Name: "v", T: types.BigInt}, T: types.BigInt}}}
				if shape != "global" {
					plan.Keys, plan.KeyNames = []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, []string{"k"}
				}
				switch shape {
				case "hopsum": // mergeable over a retracting input too: panes
					plan.Window = &planner.Window{Kind: planner.Hop, Time: 1, Size: 30, Slide: 10, Grace: 5}
					plan.Aggs = plan.Aggs[:2]
				case "hop":
					plan.Window = &planner.Window{Kind: planner.Hop, Time: 1, Size: 40, Slide: 10}
				case "tumble":
					plan.Window = &planner.Window{Kind: planner.Tumble, Time: 1, Size: 10, Slide: 10, Grace: 5}
				case "cumulate":
					plan.Window = &planner.Window{Kind: planner.Cumulate, Time: 1, Size: 30, Slide: 10}
				}
				be, _ := memory.Open("")
				defer be.Close()
				outTypes := catalog.Types(plan.Columns())
				key := planner.GroupKey(plan)
				views := [2]*Materialize{}
				aggs := [2]*Aggregate{}
				sent := [2]int{}
				for i := range aggs {
					views[i] = NewMaterialize(be.Namespace(uint64(10+i)), outTypes, Layout{Key: key})
					aggs[i] = NewAggregate(plan, be.Namespace(uint64(20+i)), &counting{Operator: views[i], n: &sent[i]}, nil)
					aggs[i].SetCacheSize(5)
					if err := aggs[i].Start(); err != nil {
						t.Fatal(err)
					}
				}
				aggs[1].SetDeferEmit(true)
				if strings.HasPrefix(shape, "hop") && aggs[1].usePanes != (shape == "hopsum" || appendOnly) {
					t.Fatalf("usePanes = %v", aggs[1].usePanes)
				}
				rows := func(m *Materialize) []string {
					var out []string
					if err := m.Scan(func(b *vec.Batch) error {
						for i := 0; i < b.N; i++ {
							var s string
							for c := range b.Cols {
								s += fmt.Sprintf("%v ", b.Cols[c].I64[i])
							}
							out = append(out, s)
						}
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					sort.Strings(out)
					return out
				}
				r := rand.New(rand.NewPCG(3, 17))
				var live [][3]int64
				ts := int64(0)
				for step := 0; step < 300; step++ {
					b := vec.NewBatch([]types.T{types.BigInt, types.Ts, types.BigInt}, 8)
					for n := r.IntN(6); n > 0; n-- {
						row := [3]int64{int64(r.IntN(3)), ts + int64(r.IntN(20)) - 5, int64(r.IntN(100)) - 50}
						d := int64(1)
						if !appendOnly && len(live) > 0 && r.IntN(3) == 0 {
							i := r.IntN(len(live))
							row, d = live[i], -1
							live = append(live[:i], live[i+1:]...)
						} else {
							live = append(live, row)
						}
						for c, x := range row {
							b.Cols[c].AppendI64(x)
						}
						b.EndRow(d)
					}
					ts += int64(r.IntN(4))
					for _, a := range aggs {
						if err := a.Push(b); err != nil {
							t.Fatal(err)
						}
					}
					if appendOnly && r.IntN(4) == 0 {
						for _, a := range aggs {
							if err := a.OnWatermark(ts - 10); err != nil {
								t.Fatal(err)
							}
						}
					}
					if r.IntN(10) == 0 {
						if err := aggs[1].Flush(); err != nil {
							t.Fatal(err)
						}
					}
					if r.IntN(8) == 0 {
						if err := aggs[1].Emit(); err != nil {
							t.Fatal(err)
						}
						if got, want := rows(views[1]), rows(views[0]); fmt.Sprint(got) != fmt.Sprint(want) {
							t.Fatalf("step %d: held-back view\n%q\nwant\n%q", step, got, want)
						}
					}
				}
				if sent[1] > sent[0] {
					t.Fatalf("the held-back view got %d changes, more than the %d of the other", sent[1], sent[0])
				}
				if sent[1] == sent[0] {
					t.Fatalf("nothing held back: %d changes each", sent[0])
				}
			})
		}
	}
}

// counting counts the rows pushed through it.
type counting struct {
	Operator
	n *int
}

func (c *counting) Push(b *vec.Batch) error {
	*c.n += b.N
	return c.Operator.Push(b)
}

// TestDeferEmitOldHopState: an updating HOP's state written per window,
// before updating HOPs kept panes, is not read as panes: the aggregate
// that finds it keeps windows, and its view goes on agreeing with one
// that saw the whole stream.
func TestDeferEmitOldHopState(t *testing.T) {
	scan := scanOf(true, catalog.Column{Name: "k", Type: types.BigInt}, catalog.Column{Name: "ts", Type: types.Ts})
	scan.Rel.EventTime = 1
	plan := &planner.Aggregate{Input: scan, Window: &planner.Window{Kind: planner.Hop, Time: 1, Size: 30, Slide: 10},
		Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
		Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt}}}
	be, _ := memory.Open("")
	defer be.Close()
	outTypes := catalog.Types(plan.Columns())
	key := planner.GroupKey(plan)
	refView := NewMaterialize(be.Namespace(2), outTypes, Layout{Key: key})
	ref := NewAggregate(plan, be.Namespace(1), refView, nil)
	view := NewMaterialize(be.Namespace(4), outTypes, Layout{Key: key})
	old := NewAggregate(plan, be.Namespace(3), view, nil) // as before panes
	batch := func(from int) *vec.Batch {
		b := vec.NewBatch([]types.T{types.BigInt, types.Ts}, 8)
		for i := from; i < from+8; i++ {
			b.Cols[0].AppendI64(int64(i % 3))
			b.Cols[1].AppendI64(int64(i))
			b.EndRow(1)
		}
		return b
	}
	for i := 0; i < 40; i += 8 {
		for _, a := range []*Aggregate{ref, old} {
			if err := a.Push(batch(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := old.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := view.Flush(); err != nil {
		t.Fatal(err)
	}
	// A restart with panes for updating views.
	view = NewMaterialize(be.Namespace(4), outTypes, Layout{Key: key})
	agg := NewAggregate(plan, be.Namespace(3), view, nil)
	agg.SetDeferEmit(true)
	for i := 40; i < 80; i += 8 {
		for _, a := range []*Aggregate{ref, agg} {
			if err := a.Push(batch(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if agg.usePanes {
		t.Fatal("per-window state read as panes")
	}
	if err := agg.Emit(); err != nil {
		t.Fatal(err)
	}
	scan2 := func(m *Materialize) string {
		var rows []string
		m.Scan(func(b *vec.Batch) error {
			for i := 0; i < b.N; i++ {
				rows = append(rows, fmt.Sprint(b.Cols[0].I64[i], b.Cols[2].I64[i], b.Cols[3].I64[i]))
			}
			return nil
		})
		sort.Strings(rows)
		return strings.Join(rows, "\n")
	}
	if got, want := scan2(view), scan2(refView); got != want {
		t.Fatalf("view\n%s\nwant\n%s", got, want)
	}
}
