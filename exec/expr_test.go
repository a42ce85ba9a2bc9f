package exec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// TestArithAgainstBig evaluates + - * / % and unary minus over INT, BIGINT
// and DECIMAL batches of edge and random values and checks every row
// against math/big: the exact result where it is in the type's range,
// else NULL and one counted error (a zero divisor too).
func TestArithAgainstBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, tc := range []struct {
		t      types.T
		lo, hi int64
	}{
		{types.Int, math.MinInt32, math.MaxInt32},
		{types.BigInt, math.MinInt64, math.MaxInt64},
		{types.DecimalOf(18, 2), -999999999999999999, 999999999999999999},
	} {
		vals := []int64{0, 1, -1, 2, -2, tc.lo, tc.hi, tc.lo + 1, tc.hi - 1, tc.hi / 2, tc.lo / 2, 46341, -46341, 3037000500, 1e9}
		for len(vals) < 120 {
			x := rng.Int64() >> rng.IntN(64)
			if x >= tc.lo && x <= tc.hi {
				vals = append(vals, x)
			}
		}
		n := len(vals) * len(vals)
		in := vec.NewBatch([]types.T{tc.t, tc.t}, n)
		for _, a := range vals {
			for _, b := range vals {
				if !vec.InRange(a, tc.t) || !vec.InRange(b, tc.t) {
					continue
				}
				in.Cols[0].AppendI64(a)
				in.Cols[1].AppendI64(b)
				in.EndRow(1)
			}
		}
		x := &planner.ColRef{Idx: 0, Name: "a", T: tc.t}
		y := &planner.ColRef{Idx: 1, Name: "b", T: tc.t}
		for _, op := range []struct {
			fn  planner.Func
			ref func(z, a, b *big.Int) *big.Int
		}{
			{planner.FnAdd, (*big.Int).Add}, {planner.FnSub, (*big.Int).Sub}, {planner.FnMul, (*big.Int).Mul},
			{planner.FnDiv, (*big.Int).Quo}, {planner.FnMod, (*big.Int).Rem}, {planner.FnNeg, nil},
		} {
			rt := tc.t
			if op.fn == planner.FnMul && rt.Kind == types.Decimal {
				rt = types.DecimalOf(18, 4) // the product of scaled integers
			}
			if op.fn == planner.FnDiv && rt.Kind == types.Decimal {
				continue // DECIMAL division is planned in DOUBLE
			}
			args := []planner.Expr{x, y}
			if op.fn == planner.FnNeg {
				args = args[:1]
			}
			errs := NewRowErrors(false)
			out := Compile(&planner.Call{Fn: op.fn, Args: args, T: rt}, errs).Eval(in)
			var wantErrs int64
			for i := 0; i < in.N; i++ {
				a, b := big.NewInt(in.Cols[0].I64[i]), big.NewInt(in.Cols[1].I64[i])
				var want *big.Int
				switch {
				case op.fn == planner.FnNeg:
					want = new(big.Int).Neg(a)
				case (op.fn == planner.FnDiv || op.fn == planner.FnMod) && b.Sign() == 0:
				default:
					want = op.ref(new(big.Int), a, b)
				}
				ok := want != nil && want.IsInt64() && vec.InRange(want.Int64(), rt)
				if !ok {
					wantErrs++
				}
				switch {
				case ok && (out.IsNull(i) || out.I64[i] != want.Int64()):
					t.Fatalf("%s: op %d of %s, %s = %s (null %v), want %s", rt, op.fn, a, b, out.Text(i), out.IsNull(i), want)
				case !ok && !out.IsNull(i):
					t.Fatalf("%s: op %d of %s, %s = %s, want NULL (out of range: %v)", rt, op.fn, a, b, out.Text(i), want)
				}
			}
			if errs.Count() != wantErrs {
				t.Errorf("%s %d: %d errors counted, want %d", rt, op.fn, errs.Count(), wantErrs)
			}
		}
	}
}
