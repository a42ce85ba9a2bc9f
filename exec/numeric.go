package exec

import (
	"math/big"
	"unsafe"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// NUMERIC evaluation: compact values (see vec/numcompact.go) compute in
// int64 while the result fits; the others are computed exactly with apd
// (see vec/numeric.go). A
// result past NUMERIC's range is an overflow (22003) and a zero divisor a
// division by zero (22012), as PostgreSQL's; in a view either is a NULL the
// view counts.

// numArena holds a batch's result texts (values too large to be compact)
// in one buffer, so that a result costs no allocation of its own. A new buffer is taken when one fills:
// strings into the old one stay valid as long as anything holds them.
type numArena struct{ buf []byte }

func (a *numArena) text(d *apd.Decimal) string {
	if cap(a.buf)-len(a.buf) < 64 {
		a.buf = make([]byte, 0, 16<<10)
	}
	start := len(a.buf)
	a.buf = vec.AppendNumeric(a.buf, d)
	return unsafe.String(unsafe.SliceData(a.buf[start:]), len(a.buf)-start)
}

func numericArith(fn planner.Func, out, a, b *vec.Vec, n int, errs *evalCtx) {
	op := map[planner.Func]byte{planner.FnAdd: '+', planner.FnSub: '-', planner.FnMul: '*', planner.FnDiv: '/', planner.FnMod: '%'}[fn]
	var x, y, z apd.Decimal
	var arena numArena
	fast := op != '/' && op != '%'
	for i := 0; i < n; i++ {
		out.Str[i] = ""
		if out.IsNull(i) {
			continue
		}
		if fast {
			if r, s, ok := compactArith(op, a, b, i); ok {
				out.SetNumericCompact(i, r, s)
				continue
			}
		}
		if !numOperand(a, i, &x) || !numOperand(b, i, &y) {
			numericFail(out, i, vec.NumOverflow, errs)
			continue
		}
		if r := vec.NumericArith(op, &z, &x, &y); r != vec.NumOK {
			numericFail(out, i, r, errs)
			continue
		}
		arena.set(out, i, &z)
	}
}

// set makes out[i] the value d, its text (when it is not compact) in the
// arena.
func (a *numArena) set(out *vec.Vec, i int, d *apd.Decimal) {
	if c, s, ok := vec.DecimalCompact(d); ok {
		out.SetNumericCompact(i, c, s)
		return
	}
	out.I64[i], out.Str[i] = 0, a.text(d)
}

// numOperand reads row i of v, a NUMERIC, DECIMAL or integer, into d.
func numOperand(v *vec.Vec, i int, d *apd.Decimal) bool {
	switch v.Type.Kind {
	case types.Numeric:
		return v.NumericAt(i, d) == vec.NumOK
	case types.Decimal:
		d.SetFinite(v.I64[i], int32(-v.Type.Scale))
	default:
		d.SetInt64(v.I64[i])
	}
	return true
}

// int64Operand is row i of v, a compact NUMERIC, a DECIMAL or an
// integer, as coefficient and scale.
func int64Operand(v *vec.Vec, i int) (int64, int, bool) {
	switch v.Type.Kind {
	case types.Numeric:
		return v.NumericCompact(i)
	case types.Decimal:
		return v.I64[i], v.Type.Scale, true
	}
	return v.I64[i], 0, true
}

// compactArith is x op y (+, - or *) for compact operands while the exact
// result fits an int64 at a compact scale; false sends the row to apd.
func compactArith(op byte, x, y *vec.Vec, i int) (int64, int, bool) {
	xv, xs, ok1 := int64Operand(x, i)
	yv, ys, ok2 := int64Operand(y, i)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	var r int64
	var scale int
	ok := true
	switch op {
	case '*':
		r, ok = vec.MulInt64(xv, yv)
		scale = xs + ys
	default:
		if xs-ys > types.MaxDecimalPrec || ys-xs > types.MaxDecimalPrec {
			return 0, 0, false
		}
		scale = max(xs, ys)
		var ok1, ok2 bool
		xv, ok1 = vec.Rescale(xv, xs, scale)
		yv, ok2 = vec.Rescale(yv, ys, scale)
		if op == '+' {
			r, ok = vec.AddInt64(xv, yv)
		} else {
			r, ok = vec.SubInt64(xv, yv)
		}
		ok = ok && ok1 && ok2
	}
	if !ok || scale > vec.MaxCompactScale {
		return 0, 0, false
	}
	return r, scale, true
}

// numericUnary computes -x, abs, floor, ceil, round and trunc over NUMERIC.
func numericUnary(fn planner.Func, out *vec.Vec, args []*vec.Vec, n int, errs *evalCtx) {
	var x, z apd.Decimal
	var arena numArena
	a := args[0]
	for i := 0; i < n; i++ {
		if out.Type.Kind == types.Numeric {
			out.Str[i] = ""
		}
		if out.IsNull(i) {
			continue
		}
		if a.NumericAt(i, &x) != vec.NumOK {
			numericFail(out, i, vec.NumOverflow, errs)
			continue
		}
		r := vec.NumOK
		switch fn {
		case planner.FnNeg:
			z.Neg(&x)
			r = vec.NumericFit(&z, 0, 0)
		case planner.FnAbs:
			z.Abs(&x)
		case planner.FnFloor:
			r = vec.NumericFloorCeil(&z, &x, false)
		case planner.FnCeil:
			r = vec.NumericFloorCeil(&z, &x, true)
		case planner.FnRound:
			s := 0
			if len(args) > 1 {
				s = int(args[1].I64[i])
			}
			r = vec.NumericRound(&z, &x, s, false)
		}
		if r != vec.NumOK {
			numericFail(out, i, r, errs)
			continue
		}
		arena.set(out, i, &z)
	}
}

// numericFail makes out[i] NULL and reports why.
func numericFail(out *vec.Vec, i int, r vec.NumResult, errs *evalCtx) {
	if r == vec.NumDivZero {
		divByZero(out, i, errs)
		return
	}
	out.SetNull(i)
	errs.report(i, func() *sqlerr.Error {
		return sqlerr.New(sqlerr.NumericOutOfRange, "%s", planner.OutOfRange(types.Unconstrained))
	})
}

// numericMathKernels are sqrt, ln, log10 and exp over NUMERIC and DECIMAL
// arguments, with PostgreSQL's errors.
var numericMathKernels = map[string]kernel{
	"sqrt":  numericMath(vec.NumericSqrt, errSqrtNegative),
	"ln":    numericMath(vec.NumericLn, 0),
	"log10": numericMath(vec.NumericLog10, 0),
	"exp":   numericMath(vec.NumericExp, 0),
}

// numericOr runs num for an exact argument, else float.
func numericOr(num, float kernel) kernel {
	return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		if k := args[0].Type.Kind; k == types.Numeric || k == types.Decimal {
			num(out, args, n, ctx)
			return
		}
		float(out, args, n, ctx)
	}
}

// numericMath applies f to each row; NumBad is the domain error bad (a
// logarithm's: of zero or of a negative number, when bad is 0).
func numericMath(f func(z, x *apd.Decimal) vec.NumResult, bad mathErr) kernel {
	return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		var x, z apd.Decimal
		var arena numArena
		for i := 0; i < n; i++ {
			out.Str[i] = ""
			if out.IsNull(i) {
				continue
			}
			numOperand(args[0], i, &x)
			switch r := f(&z, &x); {
			case r == vec.NumOK:
				arena.set(out, i, &z)
			case r == vec.NumBad && bad != 0:
				mathFail(out, i, bad, ctx)
			case r == vec.NumBad && x.IsZero():
				mathFail(out, i, errLogZero, ctx)
			case r == vec.NumBad:
				mathFail(out, i, errLogNegative, ctx)
			default:
				numericFail(out, i, r, ctx)
			}
		}
	}
}

// numericTrunc is trunc(x [, s]) over NUMERIC: toward zero to s places
// (0 without s), of scale max(s, 0).
func numericTrunc(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
	var x, z apd.Decimal
	var arena numArena
	for i := 0; i < n; i++ {
		out.Str[i] = ""
		if out.IsNull(i) {
			continue
		}
		s := int64(0)
		if len(args) > 1 {
			s = args[1].I64[i]
		}
		s = min(max(s, -vec.NumericMaxWeight), vec.NumericMaxScale)
		numOperand(args[0], i, &x)
		if r := vec.NumericRound(&z, &x, int(s), true); r != vec.NumOK {
			numericFail(out, i, r, ctx)
			continue
		}
		arena.set(out, i, &z)
	}
}

// numericPower is power(x, y) over NUMERIC, with PostgreSQL's errors.
var numericPower = numericMath2(vec.NumericPower, func(x, _ *apd.Decimal) mathErr {
	if x.IsZero() {
		return errZeroPowNegative
	}
	return errComplexPower
})

// numericLogBase is log(b, x) over NUMERIC.
var numericLogBase = numericMath2(vec.NumericLog, func(b, x *apd.Decimal) mathErr {
	if b.IsZero() || x.IsZero() {
		return errLogZero
	}
	return errLogNegative
})

// numericMath2 applies f to each row's two arguments; bad names the domain
// error of a NumBad.
func numericMath2(f func(z, x, y *apd.Decimal) vec.NumResult, bad func(x, y *apd.Decimal) mathErr) kernel {
	return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		var x, y, z apd.Decimal
		var arena numArena
		for i := 0; i < n; i++ {
			out.Str[i] = ""
			if out.IsNull(i) {
				continue
			}
			numOperand(args[0], i, &x)
			numOperand(args[1], i, &y)
			switch r := f(&z, &x, &y); r {
			case vec.NumOK:
				arena.set(out, i, &z)
			case vec.NumBad:
				mathFail(out, i, bad(&x, &y), ctx)
			default:
				numericFail(out, i, r, ctx)
			}
		}
	}
}

// numericGcdLcm is gcd(x, y) or lcm(x, y) over NUMERIC, as PostgreSQL's:
// of the values scaled to the larger of their scales, so gcd(1.5, 0.25) is
// 0.25 and lcm(1.5, 0.25) 1.50; NUMERIC has the digits, so it never
// overflows.
func numericGcdLcm(out *vec.Vec, args []*vec.Vec, n int, lcm bool) {
	var x, y, z apd.Decimal
	var arena numArena
	var a, b, g big.Int
	for i := 0; i < n; i++ {
		out.Str[i] = ""
		if out.IsNull(i) {
			continue
		}
		numOperand(args[0], i, &x)
		numOperand(args[1], i, &y)
		s := max(vec.NumericScale(&x), vec.NumericScale(&y))
		scaled(&a, &x, s)
		scaled(&b, &y, s)
		a.Abs(&a)
		b.Abs(&b)
		switch {
		case !lcm:
			g.GCD(nil, nil, &a, &b)
		case a.Sign() == 0 || b.Sign() == 0:
			g.SetInt64(0)
		default:
			g.GCD(nil, nil, &a, &b)
			g.Mul(g.Quo(&a, &g), &b)
		}
		z.Coeff.SetMathBigInt(&g)
		z.Exponent, z.Negative = int32(-s), false
		arena.set(out, i, &z)
	}
}

// scaled sets a to x's coefficient at s fraction digits (s at least x's
// scale).
func scaled(a *big.Int, x *apd.Decimal, s int) {
	a.Set(x.Coeff.MathBigInt())
	if x.Negative {
		a.Neg(a)
	}
	if e := int(x.Exponent) + s; e > 0 {
		a.Mul(a, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil))
	}
}
