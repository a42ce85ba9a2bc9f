package exec

import (
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// BenchmarkArith evaluates a*b+a-b over 1024-row BIGINT batches and
// a+b+a-b over DECIMAL ones: the hot path overflow checks must keep cheap.
func BenchmarkArith(b *testing.B) {
	for _, t := range []types.T{types.BigInt, types.DecimalOf(18, 2)} {
		b.Run(t.String(), func(b *testing.B) {
			in := vec.NewBatch([]types.T{t, t}, 1024)
			for i := 0; i < 1024; i++ {
				in.Cols[0].AppendI64(int64(i) * 7)
				in.Cols[1].AppendI64(int64(i%13) + 1)
				in.EndRow(1)
			}
			x := &planner.ColRef{Idx: 0, Name: "a", T: t}
			y := &planner.ColRef{Idx: 1, Name: "b", T: t}
			call := func(fn planner.Func, a, b planner.Expr) planner.Expr {
				return &planner.Call{Fn: fn, T: t, Args: []planner.Expr{a, b}}
			}
			var e planner.Expr
			if t.Kind == types.Decimal {
				e = call(planner.FnSub, call(planner.FnAdd, call(planner.FnAdd, x, y), x), y)
			} else {
				e = call(planner.FnSub, call(planner.FnAdd, call(planner.FnMul, x, y), x), y)
			}
			ev := Compile(e, nil)
			b.SetBytes(1024 * 8)
			for b.Loop() {
				ev.Eval(in)
			}
		})
	}
}

// BenchmarkArithCase evaluates CASE WHEN a > b THEN a + b ELSE a - b END
// over 1024-row BIGINT batches, counting errors as a view does: each
// branch's errors count only in the rows that take it.
func BenchmarkArithCase(b *testing.B) {
	t := types.BigInt
	in := vec.NewBatch([]types.T{t, t}, 1024)
	for i := 0; i < 1024; i++ {
		in.Cols[0].AppendI64(int64(i) * 7)
		in.Cols[1].AppendI64(int64(i%13) * 500)
		in.EndRow(1)
	}
	x := &planner.ColRef{Idx: 0, Name: "a", T: t}
	y := &planner.ColRef{Idx: 1, Name: "b", T: t}
	call := func(fn planner.Func, rt types.T, a, b planner.Expr) planner.Expr {
		return &planner.Call{Fn: fn, T: rt, Args: []planner.Expr{a, b}}
	}
	e := &planner.Case{T: t, Whens: []planner.When{{Cond: call(planner.FnGt, types.Boolean, x, y), Then: call(planner.FnAdd, t, x, y)}},
		Else: call(planner.FnSub, t, x, y)}
	ev := Compile(e, NewRowErrors(false))
	b.SetBytes(1024 * 8)
	for b.Loop() {
		ev.Eval(in)
	}
}

// BenchmarkLogic evaluates a > b AND a / (b - 6500) > 1 and the same
// with OR over 1024-row BIGINT batches, counting errors as a view does:
// the right side may fail (a zero divisor), so it is computed with the
// rows the left side leaves open marked live; and a > b AND a < 9000,
// whose right side cannot fail, computed as a whole.
func BenchmarkLogic(b *testing.B) {
	t := types.BigInt
	in := vec.NewBatch([]types.T{t, t}, 1024)
	for i := 0; i < 1024; i++ {
		in.Cols[0].AppendI64(int64(i) * 7)
		in.Cols[1].AppendI64(int64(i%14) * 500)
		in.EndRow(1)
	}
	x := &planner.ColRef{Idx: 0, Name: "a", T: t}
	y := &planner.ColRef{Idx: 1, Name: "b", T: t}
	call := func(fn planner.Func, rt types.T, a, b planner.Expr) planner.Expr {
		return &planner.Call{Fn: fn, T: rt, Args: []planner.Expr{a, b}}
	}
	gt := call(planner.FnGt, types.Boolean, x, y)
	fails := call(planner.FnGt, types.Boolean, call(planner.FnDiv, t, x, call(planner.FnSub, t, y, &planner.Const{T: t, I: 6500})), &planner.Const{T: t, I: 1})
	safe := call(planner.FnLt, types.Boolean, x, &planner.Const{T: t, I: 9000})
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"and-may-fail", call(planner.FnAnd, types.Boolean, gt, fails)},
		{"or-may-fail", call(planner.FnOr, types.Boolean, gt, fails)},
		{"and-safe", call(planner.FnAnd, types.Boolean, gt, safe)},
	} {
		b.Run(c.name, func(b *testing.B) {
			errs := NewRowErrors(false)
			ev := Compile(c.e, errs)
			b.SetBytes(1024 * 8)
			for b.Loop() {
				ev.Eval(in)
			}
		})
	}
}
