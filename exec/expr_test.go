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

// TestLazyBranches evaluates CASE WHEN c1 THEN x + y WHEN x - y > 0 THEN
// coalesce(z, x * y) ELSE -x END over random INT batches (NULLs and edge
// values) as a view does, and checks row by row what PostgreSQL, which
// evaluates only what a row takes, would do: the same value, and an
// error counted exactly for each row whose taken path overflows.
func TestLazyBranches(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	it := types.Int
	edge := []int64{0, 1, -1, 2, 46341, -46341, math.MaxInt32, math.MinInt32, math.MaxInt32 / 2}
	const n = 2000
	in := vec.NewBatch([]types.T{types.Boolean, it, it, it}, n)
	for i := 0; i < n; i++ {
		if rng.IntN(5) == 0 {
			in.Cols[0].AppendNull()
		} else {
			in.Cols[0].AppendBool(rng.IntN(2) == 0)
		}
		for c := 1; c <= 3; c++ {
			if rng.IntN(6) == 0 {
				in.Cols[c].AppendNull()
			} else {
				in.Cols[c].AppendI64(edge[rng.IntN(len(edge))])
			}
		}
		in.EndRow(1)
	}
	col := func(i int, t types.T) planner.Expr { return &planner.ColRef{Idx: i, Name: "c", T: t} }
	call := func(fn planner.Func, t types.T, args ...planner.Expr) planner.Expr {
		return &planner.Call{Fn: fn, T: t, Args: args}
	}
	x, y, z := col(1, it), col(2, it), col(3, it)
	e := &planner.Case{T: it, Whens: []planner.When{
		{Cond: col(0, types.Boolean), Then: call(planner.FnAdd, it, x, y)},
		{Cond: call(planner.FnGt, types.Boolean, call(planner.FnSub, it, x, y), &planner.Const{T: it}),
			Then: call(planner.FnCoalesce, it, z, call(planner.FnMul, it, x, y))},
	}, Else: call(planner.FnNeg, it, x)}
	errs := NewRowErrors(false)
	out := Compile(e, errs).Eval(in)

	type val struct {
		v        int64
		null, ok bool
	}
	get := func(c, i int) val { return val{v: in.Cols[c].I64[i], null: in.Cols[c].IsNull(i), ok: true} }
	fit := func(v int64, null bool) val {
		if null {
			return val{null: true, ok: true}
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return val{null: true}
		}
		return val{v: v, ok: true}
	}
	bin := func(a, b val, f func(a, b int64) int64) val {
		if !a.ok || !b.ok {
			return val{null: true}
		}
		return fit(f(a.v, b.v), a.null || b.null)
	}
	var want int64
	for i := 0; i < n; i++ {
		xv, yv, zv := get(1, i), get(2, i), get(3, i)
		// eval counts an error where the path computes a value that
		// fails; a failed value is NULL from there on.
		eval := func(v val) val {
			if !v.ok {
				want++
				return val{null: true, ok: true}
			}
			return v
		}
		var r val
		if !in.Cols[0].IsNull(i) && in.Cols[0].Bool[i] {
			r = eval(bin(xv, yv, func(a, b int64) int64 { return a + b }))
		} else if d := eval(bin(xv, yv, func(a, b int64) int64 { return a - b })); !d.null && d.v > 0 {
			r = zv
			if zv.null {
				r = eval(bin(xv, yv, func(a, b int64) int64 { return a * b }))
			}
		} else {
			r = eval(fit(-xv.v, xv.null))
		}
		if r.null != out.IsNull(i) || !r.null && r.v != out.I64[i] {
			t.Fatalf("row %d (%v %v %v %v): got %d (null %v), want %+v", i, in.Cols[0].Bool[i], xv, yv, zv, out.I64[i], out.IsNull(i), r)
		}
	}
	if got := errs.Count(); got != want {
		t.Fatalf("%d errors counted, want %d (one per row whose taken path overflows)", got, want)
	}
}

// TestLazyLogic evaluates AND and OR whose right sides overflow in some
// rows, over random INT rows with NULLs, counting errors as a view does,
// and checks row by row what PostgreSQL, which evaluates the right side
// only where the left one does not decide, would do: the three-valued
// result, and an error counted exactly for each row whose evaluated right
// side overflows.
func TestLazyLogic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	it, bt := types.Int, types.Boolean
	edge := []int64{0, 1, -1, 2, 46341, -46341, math.MaxInt32, math.MinInt32}
	col := func(i int, t types.T) planner.Expr { return &planner.ColRef{Idx: i, Name: "c", T: t} }
	call := func(fn planner.Func, t types.T, args ...planner.Expr) planner.Expr {
		return &planner.Call{Fn: fn, T: t, Args: args}
	}
	zero := &planner.Const{T: it}
	x, y := col(1, it), col(2, it)
	mulPos := call(planner.FnGt, bt, call(planner.FnMul, it, x, y), zero) // x*y > 0
	negPos := call(planner.FnGt, bt, call(planner.FnNeg, it, x), zero)    // -x > 0
	// tri is a three-valued boolean: 0 false, 1 true, 2 NULL.
	type tri int8
	and := func(a, b func() tri) tri {
		l := a()
		if l == 0 {
			return 0
		}
		r := b()
		switch {
		case r == 0:
			return 0
		case l == 2 || r == 2:
			return 2
		}
		return 1
	}
	or := func(a, b func() tri) tri {
		l := a()
		if l == 1 {
			return 1
		}
		r := b()
		switch {
		case r == 1:
			return 1
		case l == 2 || r == 2:
			return 2
		}
		return 0
	}
	for _, allFalse := range []bool{false, true} {
		const n = 3000
		in := vec.NewBatch([]types.T{bt, it, it}, n)
		for i := 0; i < n; i++ {
			switch {
			case allFalse:
				in.Cols[0].AppendBool(false)
			case rng.IntN(5) == 0:
				in.Cols[0].AppendNull()
			default:
				in.Cols[0].AppendBool(rng.IntN(2) == 0)
			}
			for c := 1; c <= 2; c++ {
				if rng.IntN(6) == 0 {
					in.Cols[c].AppendNull()
				} else {
					in.Cols[c].AppendI64(edge[rng.IntN(len(edge))])
				}
			}
			in.EndRow(1)
		}
		var want int64
		b0 := func(i int) func() tri {
			return func() tri {
				if in.Cols[0].IsNull(i) {
					return 2
				}
				if in.Cols[0].Bool[i] {
					return 1
				}
				return 0
			}
		}
		// cmp0 is v > 0 of an INT result that counts an error (and is
		// NULL) when it overflows.
		cmp0 := func(v int64, null bool) tri {
			switch {
			case null:
				return 2
			case v < math.MinInt32 || v > math.MaxInt32:
				want++
				return 2
			case v > 0:
				return 1
			}
			return 0
		}
		mul := func(i int) func() tri {
			return func() tri {
				return cmp0(in.Cols[1].I64[i]*in.Cols[2].I64[i], in.Cols[1].IsNull(i) || in.Cols[2].IsNull(i))
			}
		}
		neg := func(i int) func() tri {
			return func() tri { return cmp0(-in.Cols[1].I64[i], in.Cols[1].IsNull(i)) }
		}
		for _, c := range []struct {
			name string
			e    planner.Expr
			ref  func(i int) tri
		}{
			{"b AND x*y > 0", call(planner.FnAnd, bt, col(0, bt), mulPos), func(i int) tri { return and(b0(i), mul(i)) }},
			{"b OR x*y > 0", call(planner.FnOr, bt, col(0, bt), mulPos), func(i int) tri { return or(b0(i), mul(i)) }},
			{"(b OR x*y > 0) AND -x > 0", call(planner.FnAnd, bt, call(planner.FnOr, bt, col(0, bt), mulPos), negPos),
				func(i int) tri { return and(func() tri { return or(b0(i), mul(i)) }, neg(i)) }},
			{"b AND (-x > 0 OR x*y > 0)", call(planner.FnAnd, bt, col(0, bt), call(planner.FnOr, bt, negPos, mulPos)),
				func(i int) tri { return and(b0(i), func() tri { return or(neg(i), mul(i)) }) }},
		} {
			want = 0
			errs := NewRowErrors(false)
			out := Compile(c.e, errs).Eval(in)
			for i := 0; i < n; i++ {
				r := c.ref(i)
				got := tri(2)
				if !out.IsNull(i) {
					got = 0
					if out.Bool[i] {
						got = 1
					}
				}
				if got != r {
					t.Fatalf("%s, row %d (%v, %d, %d): got %d, want %d (0 false, 1 true, 2 NULL)", c.name, i,
						in.Cols[0].Bool[i], in.Cols[1].I64[i], in.Cols[2].I64[i], got, r)
				}
			}
			if got := errs.Count(); got != want {
				t.Fatalf("%s (all false %v): %d errors counted, want %d (one per row whose evaluated right side overflows)", c.name, allFalse, got, want)
			}
		}
	}
}
