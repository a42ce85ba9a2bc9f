package exec

import (
	"math"
	"math/bits"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// The mathematical builtins' kernels (see planner/mathfuncs.go), with
// PostgreSQL 15's errors: float8's in float.c, numeric's in numeric.c.
// The DECIMAL kernels (decimal*) work on the int64 fixed point; each is
// one function of scaled values, for a wider NUMERIC to extend.
func init() {
	for name, f := range map[string]func(float64) (float64, mathErr){
		"sqrt": func(x float64) (float64, mathErr) {
			if x < 0 {
				return 0, errSqrtNegative
			}
			return math.Sqrt(x), 0
		},
		"cbrt":  func(x float64) (float64, mathErr) { return math.Cbrt(x), 0 },
		"ln":    func(x float64) (float64, mathErr) { return logOf(x, ln) },
		"log10": func(x float64) (float64, mathErr) { return logOf(x, log10) },
		"log2":  func(x float64) (float64, mathErr) { return logOf(x, math.Log2) },
		"exp": func(x float64) (float64, mathErr) {
			switch {
			case math.IsNaN(x):
				return x, 0
			case math.IsInf(x, 0):
				return max(x, 0), 0
			}
			return checkFloat(math.Exp(x), true, true)
		},
		"degrees": func(x float64) (float64, mathErr) {
			return checkFloat(x/radiansPerDegree, !math.IsInf(x, 0), x != 0)
		},
		"radians": func(x float64) (float64, mathErr) {
			return checkFloat(x*radiansPerDegree, !math.IsInf(x, 0), x != 0)
		},
		"sin":  finiteInput(math.Sin),
		"cos":  finiteInput(math.Cos),
		"tan":  finiteInput(math.Tan),
		"cot":  finiteInput(func(x float64) float64 { return 1 / math.Tan(x) }),
		"asin": unitInput(math.Asin),
		"acos": unitInput(math.Acos),
		"atan": func(x float64) (float64, mathErr) { return math.Atan(x), 0 },
	} {
		if k := numericMathKernels[name]; k != nil {
			registerKernel(name, fixed(numericOr(k, floatKernel(f))))
			continue
		}
		registerKernel(name, fixed(floatKernel(f)))
	}
	log1, logBase := floatKernel(func(x float64) (float64, mathErr) { return logOf(x, log10) }), float2Kernel(logBase)
	registerKernel("log", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		if len(args) == 1 {
			numericOr(numericMathKernels["log10"], log1)(out, args, n, ctx)
		} else if args[0].Type.Kind == types.Numeric {
			numericLogBase(out, args, n, ctx)
		} else {
			logBase(out, args, n, ctx)
		}
	}))
	registerKernel("atan2", fixed(float2Kernel(func(y, x float64) (float64, mathErr) { return math.Atan2(y, x), 0 })))
	registerKernel("power", fixed(numericOr(numericPower, float2Kernel(power))))
	registerKernel("pi", fixed(func(out *vec.Vec, _ []*vec.Vec, n int, _ *evalCtx) {
		for i := range out.F64[:n] {
			out.F64[i] = math.Pi
		}
	}))
	registerKernel("sign", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		x := args[0]
		if x.Type.Kind == types.Float64 {
			for i, v := range x.F64[:n] {
				out.F64[i] = 0
				if v > 0 {
					out.F64[i] = 1
				} else if v < 0 {
					out.F64[i] = -1
				}
			}
			return
		}
		for i, v := range x.I64[:n] {
			out.I64[i] = int64(min(max(v, -1), 1))
		}
	}))
	registerKernel("trunc", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		x := args[0]
		if x.Type.Kind == types.Float64 {
			for i, v := range x.F64[:n] {
				out.F64[i] = math.Trunc(v)
			}
			return
		}
		if x.Type.Kind == types.Numeric {
			numericTrunc(out, args, n, ctx)
			return
		}
		for i, v := range x.I64[:n] {
			places := int64(0)
			if len(args) > 1 {
				places = args[1].I64[i]
			}
			r, ok := decimalTrunc(v, x.Type.Scale, places, out.Type.Scale)
			out.I64[i] = r
			if !ok || !vec.InRange(r, out.Type) {
				overflow(out, i, ctx)
			}
		}
	}))
	registerKernel("div", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		a, b := args[0], args[1]
		for i := 0; i < n; i++ {
			x, y, ok := a.I64[i], b.I64[i], true
			if a.Type.Kind == types.Decimal {
				x, y, ok = alignDecimals(x, a.Type.Scale, y, b.Type.Scale)
			}
			switch {
			case !ok || x == math.MinInt64 && y == -1:
				overflow(out, i, ctx)
			case y == 0:
				divByZero(out, i, ctx)
			case !vec.InRange(x/y, out.Type):
				overflow(out, i, ctx)
			default:
				out.I64[i] = x / y // toward zero, as PostgreSQL's div
			}
		}
	}))
	gcdLcm := func(lcm bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			if out.Type.Kind == types.Numeric {
				numericGcdLcm(out, args, n, lcm)
				return
			}
			a, b := args[0], args[1]
			for i := 0; i < n; i++ {
				x, y, ok := a.I64[i], b.I64[i], true
				if a.Type.Kind == types.Decimal {
					x, y, ok = alignDecimals(x, a.Type.Scale, y, b.Type.Scale)
				}
				var r uint64
				if ok {
					r, ok = gcdOrLcm(absU64(x), absU64(y), lcm)
				}
				if !ok || r > math.MaxInt64 || !vec.InRange(int64(r), out.Type) {
					overflow(out, i, ctx)
					continue
				}
				out.I64[i] = int64(r)
			}
		})
	}
	registerKernel("gcd", gcdLcm(false))
	registerKernel("lcm", gcdLcm(true))
	registerKernel("width_bucket", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		for i := 0; i < n; i++ {
			var r int64
			var e mathErr
			if args[0].Type.Kind == types.Float64 {
				r, e = widthBucket(args[0].F64[i], args[1].F64[i], args[2].F64[i], args[3].I64[i])
			} else {
				r, e = decimalWidthBucket(args[0], args[1], args[2], i, args[3].I64[i])
			}
			out.I64[i] = r
			if e != 0 {
				mathFail(out, i, e, ctx)
			}
		}
	}))
}

// mathErr is a row's failure in a math kernel, a code so that the common
// path builds no error.
type mathErr uint8

const (
	errSqrtNegative mathErr = iota + 1
	errLogZero
	errLogNegative
	errZeroPowNegative
	errComplexPower
	errOverflow
	errUnderflow
	errInputRange
	errDivisionByZero
	errBucketCount
	errBucketNaN
	errBucketInfinite
	errBucketBounds
	errIntRange
)

// mathErrs are the errors' SQLSTATEs and messages, by mathErr.
var mathErrs = [...]struct {
	kind sqlerr.Kind
	msg  string
}{
	errSqrtNegative:    {sqlerr.InvalidPowerArgument, "cannot take square root of a negative number"},
	errLogZero:         {sqlerr.InvalidLogArgument, "cannot take logarithm of zero"},
	errLogNegative:     {sqlerr.InvalidLogArgument, "cannot take logarithm of a negative number"},
	errZeroPowNegative: {sqlerr.InvalidPowerArgument, "zero raised to a negative power is undefined"},
	errComplexPower:    {sqlerr.InvalidPowerArgument, "a negative number raised to a non-integer power yields a complex result"},
	errOverflow:        {sqlerr.NumericOutOfRange, "value out of range: overflow"},
	errUnderflow:       {sqlerr.NumericOutOfRange, "value out of range: underflow"},
	errInputRange:      {sqlerr.NumericOutOfRange, "input is out of range"},
	errDivisionByZero:  {sqlerr.DivisionByZero, "division by zero"},
	errBucketCount:     {sqlerr.InvalidWidthBucket, "count must be greater than zero"},
	errBucketNaN:       {sqlerr.InvalidWidthBucket, "operand, lower bound, and upper bound cannot be NaN"},
	errBucketInfinite:  {sqlerr.InvalidWidthBucket, "lower and upper bounds must be finite"},
	errBucketBounds:    {sqlerr.InvalidWidthBucket, "lower bound cannot equal upper bound"},
	errIntRange:        {sqlerr.NumericOutOfRange, "integer out of range"},
}

func (e mathErr) err() *sqlerr.Error { return sqlerr.New(mathErrs[e].kind, "%s", mathErrs[e].msg) }

// mathFail makes row i NULL and reports e, unless the row is NULL anyway.
func mathFail(out *vec.Vec, i int, e mathErr, ctx *evalCtx) {
	if out.IsNull(i) {
		return
	}
	out.SetNull(i)
	ctx.report(i, e.err)
}

func floatKernel(f func(float64) (float64, mathErr)) kernel {
	return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		for i, x := range args[0].F64[:n] {
			v, e := f(x)
			out.F64[i] = v
			if e != 0 {
				mathFail(out, i, e, ctx)
			}
		}
	}
}

func float2Kernel(f func(x, y float64) (float64, mathErr)) kernel {
	return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		y := args[1].F64[:n]
		for i, x := range args[0].F64[:n] {
			v, e := f(x, y[i])
			out.F64[i] = v
			if e != 0 {
				mathFail(out, i, e, ctx)
			}
		}
	}
}

// radiansPerDegree is PostgreSQL's RADIANS_PER_DEGREE.
const radiansPerDegree = 0.0174532925199432957692

// checkFloat is float.c's check of a result computed from finite inputs:
// an infinity overflowed, and a 0 underflowed when the inputs cannot
// give an exact 0.
func checkFloat(v float64, finite, nonzero bool) (float64, mathErr) {
	switch {
	case math.IsInf(v, 0) && finite:
		return 0, errOverflow
	case v == 0 && nonzero:
		return 0, errUnderflow
	}
	return v, 0
}

// logOf is a logarithm of x, whose argument must be positive.
func logOf(x float64, log func(float64) float64) (float64, mathErr) {
	switch {
	case x == 0:
		return 0, errLogZero
	case x < 0:
		return 0, errLogNegative
	}
	return log(x), 0
}

// ln is math.Log, which on amd64 is wrong for a subnormal x (ln(5e-324)
// is -709.09, not -744.44): such an x is scaled into the normal range
// first, as C's log computes it.
func ln(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

// log10 is math.Log10 exact at powers of ten, where Go's is an ulp off
// (log10(1000) = 2.9999999999999996) and C's, which PostgreSQL calls, is
// not.
func log10(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log10(x*0x1p54) - 54*math.Log10(2) // see ln
	}
	r := math.Log10(x)
	if k := math.Round(r); k >= -323 && k <= 308 && math.Pow(10, k) == x {
		return k
	}
	return r
}

// logBase is log(b, x), as numeric's: b and x positive, b not 1.
func logBase(b, x float64) (float64, mathErr) {
	lb, e := logOf(b, ln)
	if e == 0 {
		_, e = logOf(x, ln)
	}
	switch {
	case e != 0:
		return 0, e
	case lb == 0:
		return 0, errDivisionByZero
	case b == 10:
		return log10(x), 0
	case b == 2:
		return math.Log2(x), 0
	}
	return ln(x) / lb, 0
}

// finiteInput is a trigonometric function, whose argument may not be
// infinite.
func finiteInput(f func(float64) float64) func(float64) (float64, mathErr) {
	return func(x float64) (float64, mathErr) {
		if math.IsInf(x, 0) {
			return 0, errInputRange
		}
		return f(x), 0
	}
}

// unitInput is asin or acos, whose argument lies in [-1, 1].
func unitInput(f func(float64) float64) func(float64) (float64, mathErr) {
	return func(x float64) (float64, mathErr) {
		if x < -1 || x > 1 {
			return 0, errInputRange
		}
		return f(x), 0
	}
}

// power is float.c's dpow: math.Pow (which has C's rules for infinities
// and NaN) with PostgreSQL's errors.
func power(x, y float64) (float64, mathErr) {
	switch {
	case x == 0 && y < 0:
		return 0, errZeroPowNegative
	case x < 0 && !math.IsInf(y, 0) && math.Floor(y) != y:
		return 0, errComplexPower
	}
	v := math.Pow(x, y)
	if math.IsInf(x, 0) || math.IsNaN(x) || math.IsInf(y, 0) || math.IsNaN(y) {
		return v, 0
	}
	return checkFloat(v, true, x != 0)
}

// widthBucket is width_bucket(x, lo, hi, count) over double precision,
// as float.c's width_bucket_float8.
func widthBucket(x, lo, hi float64, count int64) (int64, mathErr) {
	switch {
	case count <= 0:
		return 0, errBucketCount
	case math.IsNaN(x) || math.IsNaN(lo) || math.IsNaN(hi):
		return 0, errBucketNaN
	case math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return 0, errBucketInfinite
	case lo == hi:
		return 0, errBucketBounds
	}
	if lo > hi { // a descending range
		x, lo, hi = -x, -lo, -hi
	}
	if b, e, outside := outsideBuckets(x, lo, hi, count); outside {
		return b, e
	}
	var r float64
	if d := hi - lo; !math.IsInf(d, 0) {
		r = float64(count) * ((x - lo) / d)
	} else {
		r = float64(count) * ((x/2 - lo/2) / (hi/2 - lo/2))
	}
	b := int64(r)
	if b >= count { // the quotient rounded up to 1
		b = count - 1
	}
	return b + 1, 0
}

// outsideBuckets is width_bucket's bucket for an x outside [lo, hi): 0
// below, count + 1 above.
func outsideBuckets[T int64 | float64](x, lo, hi T, count int64) (int64, mathErr, bool) {
	switch {
	case x < lo:
		return 0, 0, true
	case x >= hi && count == math.MaxInt32:
		return 0, errIntRange, true
	case x >= hi:
		return count + 1, 0, true
	}
	return 0, 0, false
}

// decimalWidthBucket is width_bucket over DECIMALs, exact as numeric's:
// floor((x - lo) × count / (hi - lo)) + 1 in 128 bits, at the scale of
// the widest argument.
func decimalWidthBucket(xv, lov, hiv *vec.Vec, i int, count int64) (int64, mathErr) {
	s := max(xv.Type.Scale, lov.Type.Scale, hiv.Type.Scale)
	x, ok1 := rescale(xv.I64[i], xv.Type.Scale, s)
	lo, ok2 := rescale(lov.I64[i], lov.Type.Scale, s)
	hi, ok3 := rescale(hiv.I64[i], hiv.Type.Scale, s)
	if !ok1 || !ok2 || !ok3 {
		f := func(v *vec.Vec) float64 { return vec.DecimalFloat(v.I64[i], v.Type.Scale) }
		return widthBucket(f(xv), f(lov), f(hiv), count)
	}
	switch {
	case count <= 0:
		return 0, errBucketCount
	case lo == hi:
		return 0, errBucketBounds
	}
	if lo > hi {
		x, lo, hi = -x, -lo, -hi // |v| < 10^18: no overflow
	}
	if b, e, outside := outsideBuckets(x, lo, hi, count); outside {
		return b, e
	}
	// 0 ≤ x - lo < hi - lo < 2·10^18, so neither wraps and the quotient
	// is below count.
	h, l := bits.Mul64(uint64(x-lo), uint64(count))
	q, _ := bits.Div64(h, l, uint64(hi-lo))
	return int64(q) + 1, 0
}

// rescale is v at scale from as a value at scale to: exact when to is the
// larger (ok is false if that overflows), truncated when it is smaller.
func rescale(v int64, from, to int) (int64, bool) {
	if to >= from {
		return vec.MulInt64(v, types.Pow10[to-from])
	}
	return v / types.Pow10[from-to], true
}

// alignDecimals brings two scaled values to the larger scale.
func alignDecimals(x int64, xs int, y int64, ys int) (int64, int64, bool) {
	s := max(xs, ys)
	x, ok1 := rescale(x, xs, s)
	y, ok2 := rescale(y, ys, s)
	return x, y, ok1 && ok2
}

// decimalTrunc is trunc(v, places) of v at scale in, given at scale out:
// the digits after the places-th decimal place (or before the units for
// a negative places) dropped, toward zero.
func decimalTrunc(v int64, in int, places int64, out int) (int64, bool) {
	if k := int64(in) - places; k > 18 {
		v = 0
	} else if k > 0 {
		p := types.Pow10[k]
		v = v / p * p
	}
	return rescale(v, in, out)
}

func absU64(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // -MinInt64 wraps to 1<<63, its magnitude
	}
	return uint64(x)
}

// gcdOrLcm is the greatest common divisor of a and b, or their least
// common multiple (0 if either is); ok is false when it exceeds 64 bits.
func gcdOrLcm(a, b uint64, lcm bool) (uint64, bool) {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	if !lcm {
		return x, true
	}
	if a == 0 || b == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(a/x, b)
	return lo, hi == 0
}
