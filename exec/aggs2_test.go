package exec

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// TestVarianceBoolStringRetractions feeds a random changelog to the
// variances, bool_and, bool_or and string_agg (its values kept, as over
// any retracting input) on each backend, checkpointing and restoring the
// operator from its state halfway, and checks every group against a
// reference from the surviving rows: the integer variances exactly
// (values at BIGINT's extremes, whose squares pass 128 bits), the DOUBLE
// ones within 1e-9.
func TestVarianceBoolStringRetractions(t *testing.T) {
	for _, kind := range []string{"memory", "pebble"} {
		t.Run(kind, func(t *testing.T) { testVarianceRetractions(t, kind) })
	}
}

type aggRow struct {
	i int64
	f float64
	b bool
	s string
}

func testVarianceRetractions(t *testing.T, kind string) {
	rng := rand.New(rand.NewPCG(3, 1))
	cols := []catalog.Column{{Name: "k", Type: types.BigInt}, {Name: "i", Type: types.BigInt},
		{Name: "f", Type: types.Double}, {Name: "b", Type: types.Boolean}, {Name: "s", Type: types.Varchar}}
	ref := func(i int) *planner.ColRef { return &planner.ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type} }
	agg := &planner.Aggregate{Input: scanOf(false, cols...), Keys: []planner.Expr{ref(0)}, KeyNames: []string{"k"}, Aggs: []planner.AggCall{
		{Func: planner.AggVarSamp, Arg: ref(1), T: types.Unconstrained},
		{Func: planner.AggStddevPop, Arg: ref(1), T: types.Unconstrained},
		{Func: planner.AggVarPop, Arg: ref(2), T: types.Double},
		{Func: planner.AggStddevSamp, Arg: ref(2), T: types.Double},
		{Func: planner.AggBoolAnd, Arg: ref(3), T: types.Boolean},
		{Func: planner.AggBoolOr, Arg: ref(3), T: types.Boolean},
		{Func: planner.AggStringAgg, Arg: ref(4), T: types.Varchar, Sep: ","},
	}}
	dir := t.TempDir()
	backend := openBackend(t, kind, dir)
	out := NewCollect(vec.NewBatch(catalog.Types(agg.Columns()), 0))
	op := NewAggregate(agg, backend.Namespace(1), out, nil)
	live := map[int64][]aggRow{}
	for round := range 120 {
		if round == 60 {
			// A checkpoint, and a restart from it.
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
		for range 1 + rng.IntN(40) {
			key := rng.Int64N(6)
			d := int64(1)
			var r aggRow
			if vals := live[key]; len(vals) > 0 && rng.IntN(3) == 0 {
				j := rng.IntN(len(vals))
				r, d = vals[j], -1
				live[key] = append(vals[:j], vals[j+1:]...)
			} else {
				r = aggRow{i: rng.Int64N(21) - 10, f: float64(rng.IntN(4001)-2000) / 8, b: rng.IntN(4) != 0, s: string(rune('a' + rng.IntN(4)))}
				if rng.IntN(6) == 0 {
					r.i = []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1}[rng.IntN(3)]
				}
				if rng.IntN(6) == 0 {
					r.f = []float64{1e15, 0.1, -3e-7}[rng.IntN(3)]
				}
				live[key] = append(live[key], r)
			}
			b.Cols[0].AppendI64(key)
			b.Cols[1].AppendI64(r.i)
			b.Cols[2].AppendF64(r.f)
			b.Cols[3].AppendBool(r.b)
			b.Cols[4].AppendStr(r.s)
			b.EndRow(d)
		}
		if err := op.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	got := netRowsByKey(t, out.Rows)
	for key, rows := range live {
		if len(rows) == 0 {
			if g, ok := got[key]; ok {
				t.Errorf("group %d: gone, but has row %v", key, g)
			}
			continue
		}
		g := got[key]
		if g == nil {
			t.Errorf("group %d: no row", key)
			continue
		}
		is, fs, ss := make([]int64, len(rows)), make([]float64, len(rows)), make([]string, len(rows))
		and, or := true, false
		for i, r := range rows {
			is[i], fs[i], ss[i] = r.i, r.f, r.s
			and, or = and && r.b, or || r.b
		}
		slices.Sort(ss)
		want := []string{"", "", "", "", fmt.Sprint(and), fmt.Sprint(or), strings.Join(ss, ",")}
		for j, w := range want {
			if j < 2 {
				if err := checkVariance(is, j == 0, j == 1, g[j]); err != nil {
					t.Errorf("group %d, agg %d: %v", key, j, err)
				}
				continue
			}
			if j == 2 || j == 3 {
				x := floatRefVariance(fs, j == 3)
				if j == 3 {
					x = math.Sqrt(x)
				}
				if len(fs) == 1 && j == 3 {
					if g[j] != "NULL" {
						t.Errorf("group %d, agg %d: %s, want NULL", key, j, g[j])
					}
					continue
				}
				var y float64
				fmt.Sscan(g[j], &y)
				if math.Abs(x-y) > 1e-9*math.Abs(x)+1e-300 {
					t.Errorf("group %d, agg %d: %s, want %v", key, j, g[j], x)
				}
				continue
			}
			if w == "true" || w == "false" {
				w = w[:1]
			}
			if g[j] != w {
				t.Errorf("group %d, agg %d: %s, want %s", key, j, g[j], w)
			}
		}
	}
}

// checkVariance checks got, the NUMERIC variance (or standard deviation)
// of xs: NULL for one row's sample one, 0 for equal values, else the
// exact value rounded to got's scale (the standard deviation within a
// unit of it, PostgreSQL rounding the variance and then its root), the
// variance with at least 16 significant digits.
func checkVariance(xs []int64, samp, stddev bool, got string) error {
	n := int64(len(xs))
	if samp && n == 1 {
		if got != "NULL" {
			return fmt.Errorf("%s, want NULL", got)
		}
		return nil
	}
	mean := new(big.Rat)
	for _, x := range xs {
		mean.Add(mean, new(big.Rat).SetInt64(x))
	}
	mean.Quo(mean, new(big.Rat).SetInt64(n))
	ss := new(big.Rat)
	for _, x := range xs {
		d := new(big.Rat).Sub(new(big.Rat).SetInt64(x), mean)
		ss.Add(ss, d.Mul(d, d))
	}
	div := n
	if samp {
		div--
	}
	exact := new(big.Float).SetPrec(600).SetRat(ss.Quo(ss, new(big.Rat).SetInt64(div)))
	if exact.Sign() == 0 {
		if got != "0" {
			return fmt.Errorf("%s, want 0", got)
		}
		return nil
	}
	tol := 0.5
	if stddev {
		exact.Sqrt(exact)
		tol = 1
	}
	g, ok := new(big.Float).SetPrec(600).SetString(got)
	if !ok {
		return fmt.Errorf("%q is not a number", got)
	}
	scale := 0
	if i := strings.IndexByte(got, '.'); i >= 0 {
		scale = len(got) - i - 1
	}
	unit := new(big.Float).SetPrec(600).Quo(big.NewFloat(tol), new(big.Float).SetPrec(600).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	diff := new(big.Float).SetPrec(600).Sub(g, exact)
	if diff.Abs(diff).Cmp(unit) > 0 {
		return fmt.Errorf("%s, want %s to its scale", got, exact.Text('g', 40))
	}
	// (The standard deviation has the variance's scale, so fewer digits.)
	if digits := len(strings.TrimLeft(strings.Replace(got, ".", "", 1), "0")); !stddev && digits < 16 {
		return fmt.Errorf("%s has %d significant digits, want 16 or more", got, digits)
	}
	return nil
}

// floatRefVariance is the two-pass variance of xs in big.Float.
func floatRefVariance(xs []float64, samp bool) float64 {
	mean := new(big.Float).SetPrec(400)
	for _, x := range xs {
		mean.Add(mean, big.NewFloat(x))
	}
	mean.Quo(mean, big.NewFloat(float64(len(xs))))
	ss := new(big.Float).SetPrec(400)
	for _, x := range xs {
		d := new(big.Float).SetPrec(400).Sub(big.NewFloat(x), mean)
		ss.Add(ss, d.Mul(d, d))
	}
	div := float64(len(xs))
	if samp {
		div--
	}
	v, _ := ss.Quo(ss, big.NewFloat(div)).Float64()
	return v
}

// TestApproxCountDistinct checks the sketch accumulator: exact for a few
// values, within 3% (about 4 standard errors) for 50,000 distinct ones (each twice), and the same
// estimate however the rows are split into batches and merged, and after
// an encode and decode of the state.
func TestApproxCountDistinct(t *testing.T) {
	x := vec.New(types.BigInt, 1)
	fold := func(split int, lo, hi int64) aggVal {
		var acc, part aggVal
		for i := lo; i < hi; i++ {
			x.Reset()
			x.AppendI64(i % ((hi - lo) / 2))
			foldHLL(&part, &x, 0)
			if (i-lo)%int64(split) == 0 {
				mergeVal(planner.AggApproxCountDistinct, types.Int64, &acc, &part)
				part = aggVal{}
			}
		}
		mergeVal(planner.AggApproxCountDistinct, types.Int64, &acc, &part)
		return acc
	}
	if v := fold(3, 0, 20); hllResult(&v) != 10 {
		t.Errorf("10 distinct: %d", hllResult(&v))
	}
	a, b := fold(1000, 0, 100000), fold(333, 0, 100000)
	ea, eb := hllResult(&a), hllResult(&b)
	if ea != eb {
		t.Errorf("estimates differ by batching: %d, %d", ea, eb)
	}
	if math.Abs(float64(ea)-50000) > 0.03*50000 {
		t.Errorf("50000 distinct: %d", ea)
	}
	acc := make([]aggVal, 1)
	if _, err := decodeAcc(encodeAcc(nil, 1, []aggVal{a}), acc); err != nil || hllResult(&acc[0]) != ea {
		t.Errorf("after decoding: %d, %v", hllResult(&acc[0]), err)
	}
}

// BenchmarkTumbleAggs is BenchmarkTumbleCount's stream (memory backend)
// with COUNT(*), SUM and AVG of a BIGINT, and with the variances added:
// "base" shows the existing accumulators' cost, "stddev" the new ones'.
func BenchmarkTumbleAggs(b *testing.B) {
	v := &planner.ColRef{Idx: 2, Name: "v", T: types.BigInt}
	f := &planner.ColRef{Idx: 3, Name: "f", T: types.Double}
	base := []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt},
		{Func: planner.AggSum, Arg: v, T: types.BigInt}, {Func: planner.AggAvg, Arg: f, T: types.Double}}
	for _, c := range []struct {
		name string
		aggs []planner.AggCall
	}{{"base", base}, {"stddev", append(slices.Clone(base),
		planner.AggCall{Func: planner.AggStddevSamp, Arg: v, T: types.Double},
		planner.AggCall{Func: planner.AggVarPop, Arg: f, T: types.Double})}} {
		b.Run(c.name, func(b *testing.B) {
			backend := openBackend(b, "memory", b.TempDir())
			defer backend.Close()
			cols := []catalog.Column{{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts},
				{Name: "v", Type: types.BigInt}, {Name: "f", Type: types.Double}}
			scan := &planner.Scan{Rel: &catalog.Relation{Name: "in", EventTime: 1, AppendOnly: true, Columns: cols}}
			agg := &planner.Aggregate{Input: scan, Window: &planner.Window{Kind: planner.Tumble, Time: 1, Size: 1e6, Slide: 1e6},
				Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
				Aggs: c.aggs, EmitOnClose: true}
			op := NewAggregate(agg, backend.Namespace(1), discardOp{}, nil)
			rng := rand.New(rand.NewPCG(1, 2))
			benchLoop(b, backend, catalog.Types(cols), op, 10, func(bt *vec.Batch) {
				bt.Cols[0].AppendI64(rng.Int64N(100000))
				bt.Cols[2].AppendI64(rng.Int64N(1000000))
				bt.Cols[3].AppendF64(rng.Float64())
			}, nil)
		})
	}
}

// netRowsByKey reads a net output (each row's diff 0 or 1) by its first,
// BIGINT column: the other columns' text.
func netRowsByKey(t *testing.T, rows *vec.Batch) map[int64][]string {
	t.Helper()
	got := map[int64][]string{}
	for i := 0; i < rows.N; i++ {
		if d := rows.DiffAt(i); d == 0 {
			continue
		} else if d != 1 {
			t.Fatalf("row %d has net diff %d", i, d)
		}
		var parts []string
		for c := range rows.Cols {
			parts = append(parts, rows.Cols[c].Text(i))
		}
		got[rows.Cols[0].I64[i]] = parts[1:]
	}
	return got
}
