package exec

import (
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// BenchmarkMathFuncs runs the math builtins over 1,024-row batches of bid
// prices (as DOUBLE, BIGINT and DECIMAL(10,2)).
func BenchmarkMathFuncs(b *testing.B) {
	dec := types.DecimalOf(10, 2)
	in := vec.NewBatch([]types.T{types.Double, types.BigInt, dec}, 1024)
	for i := 0; i < 1024; i++ {
		p := int64(i*7919%100000) + 100
		in.Cols[0].AppendF64(float64(p) / 100)
		in.Cols[1].AppendI64(p)
		in.Cols[2].AppendI64(p)
		in.EndRow(1)
	}
	x := &planner.ColRef{Idx: 0, Name: "x", T: types.Double}
	k := &planner.ColRef{Idx: 1, Name: "k", T: types.BigInt}
	m := &planner.ColRef{Idx: 2, Name: "m", T: dec}
	f := func(v float64) planner.Expr { return &planner.Const{T: types.Double, F: v} }
	i32 := func(v int64) planner.Expr { return &planner.Const{T: types.Int, I: v} }
	dbl := types.Double
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"power", builtinCall(b, "power", dbl, x, f(1.5))},
		{"sqrt", builtinCall(b, "sqrt", dbl, x)},
		{"ln", builtinCall(b, "ln", dbl, x)},
		{"log10", builtinCall(b, "log10", dbl, x)},
		{"exp", builtinCall(b, "exp", dbl, builtinCall(b, "ln", dbl, x))},
		{"sin", builtinCall(b, "sin", dbl, x)},
		{"trunc/double", builtinCall(b, "trunc", dbl, x)},
		{"trunc/decimal", builtinCall(b, "trunc", types.DecimalOf(18, 1), m, i32(1))},
		{"sign/decimal", builtinCall(b, "sign", types.DecimalOf(18, 0), m)},
		{"div/bigint", builtinCall(b, "div", types.BigInt, k, &planner.Const{T: types.BigInt, I: 7})},
		{"gcd/bigint", builtinCall(b, "gcd", types.BigInt, k, &planner.Const{T: types.BigInt, I: 360})},
		{"lcm/decimal", builtinCall(b, "lcm", dec, m, &planner.Const{T: dec, I: 250})},
		{"width_bucket/double", builtinCall(b, "width_bucket", types.Int, x, f(0), f(1000), i32(10))},
		{"width_bucket/decimal", builtinCall(b, "width_bucket", types.Int, m, &planner.Const{T: dec, I: 0},
			&planner.Const{T: dec, I: 100000}, i32(10))},
	} {
		b.Run(c.name, func(b *testing.B) { benchRows(b, c.e, in) })
	}
}
