package vec

import (
	"math"
	"strconv"
	"strings"

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
// works at enough precision for rscale fraction digits plus guards. When
// the guard digits are next to a half (5000… or 4999…), the result's last
// digit could round either way, so f runs again with more guards: sqrt(1
// + 1e-30) is 1 + 5e-31 - 1.25e-61, which rounds down.
func roundTo(z *apd.Decimal, rscale int, digitsBefore int64, f func(c *apd.Context) error) NumResult {
	guard := int64(8)
	for try := 0; ; try++ {
		c := apd.BaseContext.WithPrecision(uint32(max(int64(rscale)+digitsBefore, 1) + guard))
		c.MaxExponent, c.MinExponent = apd.MaxExponent, apd.MinExponent
		if err := f(c); err != nil {
			return NumOverflow
		}
		if z.Form != apd.Finite {
			return NumOverflow
		}
		if try == 3 || !nearHalf(z, rscale) {
			return NumericRound(z, z, rscale, false)
		}
		guard *= 4
	}
}

// nearHalf reports whether z's digits past rscale places are 5 then only
// zeros, or 4 then only nines: so close to half a unit of the last place
// that the guard digits' own error could decide the rounding.
func nearHalf(z *apd.Decimal, rscale int) bool {
	past := int(-z.Exponent) - rscale
	if past < 2 {
		return false
	}
	d := z.Coeff.String()
	if past > len(d) {
		return false // below the first place's half
	}
	t := d[len(d)-past:]
	rest := strings.Trim(t[1:], "0")
	if t[0] == '4' {
		rest = strings.Trim(t[1:], "9")
	}
	return (t[0] == '5' || t[0] == '4') && rest == ""
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

// NumericPower is PostgreSQL's power(numeric, numeric) (numeric.c's
// power_var): an integral exponent that fits an int32 multiplies out, to
// max(16, x's scale) places; any other is exp(y·ln x), to 16 significant
// digits and at least the scales of x and y. NumBad is 0 raised to a
// negative power or a negative x to a non-integral one (the caller tells
// them apart by x), NumOverflow a result past NUMERIC's range.
func NumericPower(z, x, y *apd.Decimal) NumResult {
	if x.IsZero() && y.Negative && !y.IsZero() {
		return NumBad
	}
	var whole, frac apd.Decimal
	y.Modf(&whole, &frac)
	integral := frac.IsZero()
	if n, err := y.Int64(); integral && err == nil && n >= math.MinInt32 && n <= math.MaxInt32 {
		return numericPowerInt(z, x, n)
	}
	if x.IsZero() {
		z.SetFinite(0, -numMinSig)
		return NumOK
	}
	neg := false
	var abs apd.Decimal
	abs.Set(x)
	if x.Negative {
		if !integral {
			return NumBad
		}
		// The sign is odd y's: the last digit of its integer part
		// (reduced, a positive exponent is a multiple of ten).
		whole.Reduce(&whole)
		d := whole.Coeff.String()
		neg = whole.Exponent == 0 && (d[len(d)-1]-'0')%2 == 1
		abs.Negative = false
	}
	// The result's decimal weight, from a low-precision y·ln|x|.
	var ln, prod apd.Decimal
	low := apd.BaseContext.WithPrecision(20)
	low.MaxExponent, low.MinExponent = apd.MaxExponent, apd.MinExponent
	if _, err := low.Ln(&ln, &abs); err != nil {
		return NumOverflow
	}
	low.Mul(&prod, &ln, y)
	val, err := prod.Float64()
	if err != nil || math.Abs(val) > 1000*3.01 {
		if val > 0 || err != nil && !prod.Negative {
			return NumOverflow
		}
		z.SetFinite(0, -1000)
		return NumOK
	}
	val *= 0.434294481903252
	rscale := mathScale(max(numMinSig-int(val), NumericScale(x), NumericScale(y)), 0)
	r := roundTo(z, rscale, int64(max(int(val), 0))+2, func(c *apd.Context) error {
		w := *c
		w.Precision += 8 + uint32(len(y.Coeff.String()))
		var l, m apd.Decimal
		if _, err := w.Ln(&l, &abs); err != nil {
			return err
		}
		w.Mul(&m, &l, y)
		_, err := c.Exp(z, &m)
		return err
	})
	if neg && !z.IsZero() {
		z.Negative = true
	}
	return r
}

// numericPowerInt is power_var_int: x^n to max(16, x's scale) places.
func numericPowerInt(z, x *apd.Decimal, n int64) NumResult {
	rscale := mathScale(numMinSig, NumericScale(x))
	if n == 0 {
		z.SetFinite(1, 0)
		return NumericRound(z, z, rscale, false)
	}
	if x.IsZero() {
		z.SetFinite(0, int32(-rscale))
		return NumOK
	}
	// log10 of the result, from x's leading digits and its weight.
	digits := x.Coeff.String()
	lead := digits[:min(len(digits), 17)]
	f, _ := strconv.ParseFloat(lead, 64)
	f = float64(n) * (math.Log10(f) + float64(len(digits)-len(lead)+int(x.Exponent)))
	if f > 3*math.MaxInt16*4 {
		return NumOverflow
	}
	if f+1 < -float64(rscale) || f+1 < -1000 {
		z.SetFinite(0, int32(-rscale))
		return NumOK
	}
	guard := int64(math.Log(math.Abs(float64(n)))) + 8
	return roundTo(z, rscale, int64(max(f, 0))+1+guard, func(c *apd.Context) error {
		w := *c
		w.Precision += uint32(guard)
		var p apd.Decimal
		if _, err := w.Pow(&p, x, apd.New(n, 0)); err != nil {
			return err
		}
		_, err := c.Round(z, &p)
		return err
	})
}
