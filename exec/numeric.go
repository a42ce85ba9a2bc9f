package exec

import (
	"unsafe"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// NUMERIC evaluation: each value is read from its canonical text, computed
// exactly with apd (see vec/numeric.go), and written back as text. A
// result past NUMERIC's range is an overflow (22003) and a zero divisor a
// division by zero (22012), as PostgreSQL's; in a view either is a NULL the
// view counts.

// numArena holds a batch's result texts in one buffer, so that a result
// costs no allocation of its own. A new buffer is taken when one fills:
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
	fast := a.Type.InI64() && b.Type.InI64() && op != '/' && op != '%'
	for i := 0; i < n; i++ {
		out.Str[i] = ""
		if out.IsNull(i) {
			continue
		}
		if fast {
			if s, ok := arena.int64Arith(op, a, b, i); ok {
				out.Str[i] = s
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
		out.Str[i] = arena.text(&z)
	}
}

// numOperand reads row i of v, a NUMERIC, DECIMAL or integer, into d.
func numOperand(v *vec.Vec, i int, d *apd.Decimal) bool {
	switch v.Type.Kind {
	case types.Numeric:
		return vec.ParseNumeric(v.Str[i], d) == vec.NumOK
	case types.Decimal:
		d.SetFinite(v.I64[i], int32(-v.Type.Scale))
	default:
		d.SetInt64(v.I64[i])
	}
	return true
}

// int64Arith is x op y for int64 operands (integers or DECIMALs) while the
// exact result fits an int64 at a scale of at most 18, as text; false
// sends the row to the exact path.
func (a *numArena) int64Arith(op byte, x, y *vec.Vec, i int) (string, bool) {
	xv, yv, xs, ys := x.I64[i], y.I64[i], decScale(x.Type), decScale(y.Type)
	var r int64
	var scale int
	ok := true
	switch op {
	case '*':
		r, ok = vec.MulInt64(xv, yv)
		scale = xs + ys
	default:
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
	if !ok || scale > types.MaxDecimalPrec {
		return "", false
	}
	if cap(a.buf)-len(a.buf) < 32 {
		a.buf = make([]byte, 0, 16<<10)
	}
	start := len(a.buf)
	a.buf = vec.AppendDecimal(a.buf, r, scale)
	return unsafe.String(unsafe.SliceData(a.buf[start:]), len(a.buf)-start), true
}

func decScale(t types.T) int {
	if t.Kind == types.Decimal {
		return t.Scale
	}
	return 0
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
		if vec.ParseNumeric(a.Str[i], &x) != vec.NumOK {
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
		out.Str[i] = arena.text(&z)
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
