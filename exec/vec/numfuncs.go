package vec

import (
	"math"

	"github.com/cockroachdb/apd/v3"
)

// PostgreSQL 15's sqrt, ln, exp and log10 over numeric, with numeric.c's
// result scales (about 16 significant digits, at least the argument's
// scale, at most 1000): computed by apd a few digits past that scale and
// rounded half away from zero to it.

const numMinSig = 16

// mathScale clamps a result scale to [max(s, 0), 1000].
func mathScale(rscale, dscale int) int { return min(max(rscale, dscale, 0), 1000) }

// roundTo sets z to the correctly computed f(x) at rscale digits: apd
// works at enough precision for rscale fraction digits plus guards.
func roundTo(z *apd.Decimal, rscale int, digitsBefore int64, f func(c *apd.Context) error) NumResult {
	c := apd.BaseContext.WithPrecision(uint32(max(int64(rscale)+digitsBefore, 1) + 8))
	c.MaxExponent, c.MinExponent = apd.MaxExponent, apd.MinExponent
	if err := f(c); err != nil {
		return NumOverflow
	}
	if z.Form != apd.Finite {
		return NumOverflow
	}
	return NumericRound(z, z, rscale, false)
}

// NumericSqrt is PostgreSQL's sqrt(numeric); NumBad for a negative x.
func NumericSqrt(z, x *apd.Decimal) NumResult {
	if x.Negative && !x.IsZero() {
		return NumBad
	}
	w, _ := nbaseLead(x)
	sweight := (w+1)*4/2 - 1
	rscale := mathScale(numMinSig-sweight, NumericScale(x))
	return roundTo(z, rscale, int64(sweight)+2, func(c *apd.Context) error {
		_, err := c.Sqrt(z, x)
		return err
	})
}

// NumericLn is PostgreSQL's ln(numeric); NumBad for x <= 0.
func NumericLn(z, x *apd.Decimal) NumResult {
	if x.Negative || x.IsZero() {
		return NumBad
	}
	rscale := mathScale(numMinSig-lnDweight(x), NumericScale(x))
	return roundTo(z, rscale, 8, func(c *apd.Context) error {
		_, err := c.Ln(z, x)
		return err
	})
}

// NumericExp is PostgreSQL's exp(numeric).
func NumericExp(z, x *apd.Decimal) NumResult {
	f, err := x.Float64()
	if err != nil {
		f = math.Copysign(math.MaxFloat64, f)
	}
	weight := f * 0.434294481903252 // log10 of the result
	if weight > NumericMaxWeight {
		return NumOverflow
	}
	val := min(max(weight, -2000), 2000)
	rscale := mathScale(numMinSig-int(val), NumericScale(x))
	if weight < -float64(rscale)-2 {
		// Below half a unit of the result's last digit: zero, at its
		// scale (apd would underflow).
		z.SetFinite(0, int32(-rscale))
		return NumOK
	}
	return roundTo(z, rscale, int64(max(weight, 0))+2, func(c *apd.Context) error {
		_, err := c.Exp(z, x)
		return err
	})
}

// NumericLog10 is PostgreSQL's log(numeric), log(10, x); NumBad for
// x <= 0.
func NumericLog10(z, x *apd.Decimal) NumResult {
	if x.Negative || x.IsZero() {
		return NumBad
	}
	ten := apd.New(10, 0)
	rscale := mathScale(numMinSig-(lnDweight(x)-lnDweight(ten)), max(NumericScale(x), 0))
	return roundTo(z, rscale, 8, func(c *apd.Context) error {
		_, err := c.Log10(z, x)
		return err
	})
}

// NumericLog is PostgreSQL's log(b, x): NumBad for b or x <= 0,
// NumDivZero for b = 1.
func NumericLog(z, b, x *apd.Decimal) NumResult {
	if x.Negative || x.IsZero() || b.Negative || b.IsZero() {
		return NumBad
	}
	if b.Cmp(apd.New(1, 0)) == 0 {
		return NumDivZero
	}
	dw := lnDweight(x) - lnDweight(b)
	rscale := mathScale(numMinSig-dw, max(NumericScale(x), NumericScale(b)))
	return roundTo(z, rscale, int64(max(dw, 0))+2, func(c *apd.Context) error {
		var lx, lb apd.Decimal
		w := *c
		w.Precision += 8
		if _, err := w.Ln(&lx, x); err != nil {
			return err
		}
		if _, err := w.Ln(&lb, b); err != nil {
			return err
		}
		_, err := c.Quo(z, &lx, &lb)
		return err
	})
}

// lnDweight is numeric.c's estimate_ln_dweight: the decimal weight of
// ln(x), x > 0.
func lnDweight(x *apd.Decimal) int {
	if x.Cmp(apd.New(9, -1)) >= 0 && x.Cmp(apd.New(11, -1)) <= 0 {
		var d apd.Decimal
		exact.Sub(&d, x, apd.New(1, 0))
		if d.IsZero() {
			return 0
		}
		w, first := nbaseLead(&d)
		return w*4 + int(math.Log10(float64(first)))
	}
	w, first := nbaseLead(x)
	digits, dweight := float64(first), w*4
	if second, ok := nbaseSecond(x); ok {
		digits = digits*10000 + float64(second)
		dweight -= 4
	}
	ln := math.Log(digits) + float64(dweight)*2.302585092994046
	return int(math.Log10(math.Abs(ln)))
}

// nbaseSecond is x's second base-10000 digit, false when x has only one.
func nbaseSecond(x *apd.Decimal) (int, bool) {
	digits := x.Coeff.String()
	top := len(digits) - 1 + int(x.Exponent)
	w := floorDiv(top, 4)
	n := top - 4*w + 1 // digits in the leading group
	rest := digits[min(n, len(digits)):]
	if len(rest) == 0 {
		return 0, false
	}
	// Trailing zero groups are not stored digits.
	trimmed := len(rest)
	for trimmed > 0 && rest[trimmed-1] == '0' {
		trimmed--
	}
	if trimmed == 0 {
		return 0, false
	}
	second := 0
	for i := 0; i < 4; i++ {
		second *= 10
		if i < len(rest) {
			second += int(rest[i] - '0')
		}
	}
	return second, true
}
