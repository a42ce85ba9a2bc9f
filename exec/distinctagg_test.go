package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// TestDistinctAggRetractions feeds a random changelog over few values (so
// that values repeat, leave and come back) to the aggregates of DISTINCT
// values on each backend, restoring the operator from a checkpoint
// halfway, and checks every group against a reference computed from the
// distinct values of its surviving rows. COUNT(DISTINCT), SUM(DISTINCT)
// and the others of DISTINCT i, a FILTERed one too, share a value count.
func TestDistinctAggRetractions(t *testing.T) {
	for _, kind := range []string{"memory", "pebble"} {
		t.Run(kind, func(t *testing.T) { testDistinctRetractions(t, kind) })
	}
}

func testDistinctRetractions(t *testing.T, kind string) {
	rng := rand.New(rand.NewPCG(5, 9))
	cols := []catalog.Column{{Name: "k", Type: types.BigInt}, {Name: "i", Type: types.BigInt},
		{Name: "f", Type: types.Double}, {Name: "b", Type: types.Boolean}}
	ref := func(i int) *planner.ColRef { return &planner.ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type} }
	pos := &planner.Call{Fn: planner.FnGt, Args: []planner.Expr{ref(1), &planner.Const{T: types.BigInt, I: 0}}, T: types.Boolean}
	aggs := []planner.AggCall{
		{Func: planner.AggCount, Arg: ref(1), T: types.BigInt, Distinct: true},
		{Func: planner.AggSum, Arg: ref(1), T: types.Unconstrained, Distinct: true},
		{Func: planner.AggCount, Arg: ref(1), T: types.BigInt, Distinct: true, Filter: pos},
		{Func: planner.AggAvg, Arg: ref(1), T: types.Unconstrained, Distinct: true},
		{Func: planner.AggVarSamp, Arg: ref(1), T: types.Unconstrained, Distinct: true},
		{Func: planner.AggStddevPop, Arg: ref(1), T: types.Unconstrained, Distinct: true},
		{Func: planner.AggSum, Arg: ref(2), T: types.Double, Distinct: true},
		{Func: planner.AggVarPop, Arg: ref(2), T: types.Double, Distinct: true},
		{Func: planner.AggBoolAnd, Arg: ref(3), T: types.Boolean, Distinct: true},
		{Func: planner.AggBoolOr, Arg: ref(3), T: types.Boolean, Distinct: true},
		{Func: planner.AggSum, Arg: ref(1), T: types.Unconstrained}, // not DISTINCT, beside them
	}
	agg := &planner.Aggregate{Input: scanOf(false, cols...), Keys: []planner.Expr{ref(0)}, KeyNames: []string{"k"}, Aggs: aggs}
	dir := t.TempDir()
	backend := openBackend(t, kind, dir)
	out := NewCollect(vec.NewBatch(catalog.Types(agg.Columns()), 0))
	op := NewAggregate(agg, backend.Namespace(1), out, nil)
	if op.family[1] != 0 || op.family[2] != 0 || op.famSize[0] != 6 {
		t.Fatalf("the aggregates of DISTINCT i should share one value count: families %v, sizes %v", op.family, op.famSize)
	}
	type row struct {
		i     int64
		f     float64
		b     bool
		nullI bool
	}
	live := map[int64][]row{}
	for round := range 100 {
		if round == 50 {
			if err := op.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := backend.Checkpoint(1); err != nil {
				t.Fatal(err)
			}
			backend.Close()
			backend = openBackend(t, kind, dir)
			op = NewAggregate(agg, backend.Namespace(1), out, nil)
		}
		b := vec.NewBatch(catalog.Types(cols), 64)
		for range 1 + rng.IntN(30) {
			key := rng.Int64N(5)
			d := int64(1)
			var r row
			if vals := live[key]; len(vals) > 0 && rng.IntN(2) == 0 {
				j := rng.IntN(len(vals))
				r, d = vals[j], -1
				live[key] = append(vals[:j], vals[j+1:]...)
			} else {
				r = row{i: rng.Int64N(7) - 2, f: float64(rng.IntN(5)) / 4, b: rng.IntN(5) != 0, nullI: rng.IntN(8) == 0}
				live[key] = append(live[key], r)
			}
			b.Cols[0].AppendI64(key)
			if r.nullI {
				b.Cols[1].AppendNull()
			} else {
				b.Cols[1].AppendI64(r.i)
			}
			b.Cols[2].AppendF64(r.f)
			b.Cols[3].AppendBool(r.b)
			b.EndRow(d)
		}
		if err := op.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	got := netRowsByKey(t, out.Rows)
	for key, rows := range live {
		g := got[key]
		if len(rows) == 0 {
			if g != nil {
				t.Errorf("group %d: gone, but has row %v", key, g)
			}
			continue
		}
		if g == nil {
			t.Errorf("group %d: no row", key)
			continue
		}
		var is, fs []float64
		var ints []int64
		bools := map[bool]bool{}
		sum := int64(0)
		nonNull := 0
		for _, r := range rows {
			if !r.nullI {
				sum += r.i
				nonNull++
				if !slices.Contains(ints, r.i) {
					ints = append(ints, r.i)
					is = append(is, float64(r.i))
				}
			}
			if !slices.Contains(fs, r.f) {
				fs = append(fs, r.f)
			}
			bools[r.b] = true
		}
		sumOf := func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s
		}
		posCount := 0
		for _, x := range ints {
			if x > 0 {
				posCount++
			}
		}
		null := func(ok bool, s string) string {
			if !ok {
				return "NULL"
			}
			return s
		}
		want := []string{
			fmt.Sprint(len(ints)),
			null(len(ints) > 0, fmt.Sprint(int64(sumOf(is)))),
			fmt.Sprint(posCount),
			"",     // AVG: below
			"", "", // the variances: below
			"", "", // the DOUBLEs: below
			fmt.Sprint(!bools[false])[:1],
			fmt.Sprint(bools[true])[:1],
			null(nonNull > 0, fmt.Sprint(sum)),
		}
		for j, w := range want {
			switch j {
			case 4, 5:
				if len(ints) == 0 {
					w = "NULL"
					break
				}
				if err := checkVariance(ints, j == 4, j == 5, g[j]); err != nil {
					t.Errorf("group %d, agg %d: %v", key, j, err)
				}
				continue
			case 3:
				var y float64
				if len(ints) == 0 {
					w = "NULL"
					break
				}
				fmt.Sscan(g[j], &y)
				if x := sumOf(is) / float64(len(is)); math.Abs(x-y) > 1e-9 {
					t.Errorf("group %d, avg(DISTINCT i): %s, want %v", key, g[j], x)
				}
				continue
			case 6, 7:
				x := sumOf(fs)
				if j == 7 {
					x = floatRefVariance(fs, false)
				}
				var y float64
				fmt.Sscan(g[j], &y)
				if math.Abs(x-y) > 1e-9 {
					t.Errorf("group %d, agg %d: %s, want %v", key, j, g[j], x)
				}
				continue
			}
			if g[j] != w {
				t.Errorf("group %d, agg %d: %s, want %s", key, j, g[j], w)
			}
		}
	}
}
