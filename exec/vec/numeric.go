package vec

import (
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// NUMERIC values: exact decimals with PostgreSQL's semantics, computed
// with apd (CockroachDB's decimal, built for SQL: exact Add/Sub/Mul,
// Quantize with half-away-from-zero rounding). A value is kept as its
// canonical text, PostgreSQL's output form: plain digits, the value's
// display scale, no exponent, no negative zero.

// NumericMaxWeight and NumericMaxScale bound an unconstrained NUMERIC as
// PostgreSQL's do: 131072 digits before the point, 16383 after.
const (
	NumericMaxWeight = 131072
	NumericMaxScale  = 16383
)

// exact does the operations that never round (Precision 0 is unlimited
// for Add, Sub, Mul, Neg and Abs); round quantizes.
var (
	exact = apd.Context{Precision: 0, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Rounding: apd.RoundHalfUp}
	round = apd.Context{Precision: NumericMaxWeight + NumericMaxScale + 2, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Rounding: apd.RoundHalfUp}
)

// NumResult says how reading or computing a NUMERIC went.
type NumResult uint8

const (
	NumOK NumResult = iota
	// NumBad is text that is no number.
	NumBad
	// NumNaN is NaN or Infinity, which streamsql's NUMERIC does not hold.
	NumNaN
	// NumOverflow is a value past NUMERIC's range or its typmod.
	NumOverflow
	// NumDivZero is a zero divisor.
	NumDivZero
)

// ParseNumeric reads s as PostgreSQL's numeric input does: optional
// spaces, a sign, digits with an optional point, an optional exponent.
// The value keeps the scale it is written with ("2.50" has scale 2).
func ParseNumeric(s string, d *apd.Decimal) NumResult {
	s = strings.TrimSpace(s)
	if s == "" {
		return NumBad
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "infinity", "inf":
		return NumNaN
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return NumBad
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return NumBad
		}
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j == len(s) {
			return NumBad
		}
		for ; j < len(s); j++ {
			if s[j] < '0' || s[j] > '9' {
				return NumBad
			}
		}
		if len(s)-i > 8 {
			return NumOverflow
		}
	}
	if _, _, err := d.SetString(s); err != nil {
		return NumBad
	}
	return normalize(d)
}

// normalize gives d PostgreSQL's form: a scale of at least 0 (1E+2 is
// 100), no negative zero, and checks NUMERIC's range.
func normalize(d *apd.Decimal) NumResult {
	if d.Form != apd.Finite {
		return NumNaN
	}
	if d.Exponent > 0 {
		if d.Exponent > NumericMaxWeight {
			return NumOverflow
		}
		var ten apd.BigInt
		ten.SetInt64(10)
		ten.Exp(&ten, apd.NewBigInt(int64(d.Exponent)), nil)
		d.Coeff.Mul(&d.Coeff, &ten)
		d.Exponent = 0
	}
	if d.Coeff.Sign() == 0 {
		d.Negative = false
	}
	if -d.Exponent > NumericMaxScale || int64(d.Exponent)+d.NumDigits() > NumericMaxWeight {
		return NumOverflow
	}
	return NumOK
}

// AppendNumeric appends d's canonical text.
func AppendNumeric(buf []byte, d *apd.Decimal) []byte {
	return d.Append(buf, 'f')
}

// NumericText is d's canonical text.
func NumericText(d *apd.Decimal) string { return string(AppendNumeric(nil, d)) }

// NumericScale is d's display scale.
func NumericScale(d *apd.Decimal) int {
	if d.Exponent >= 0 {
		return 0
	}
	return int(-d.Exponent)
}

// NumericFit applies NUMERIC(prec, scale)'s typmod: rounds d half away
// from zero to scale digits and reports whether fewer than prec-scale
// integer digits remain. prec 0 is unconstrained: only the range holds.
func NumericFit(d *apd.Decimal, prec, scale int) NumResult {
	if prec == 0 {
		return normalize(d)
	}
	if _, err := round.Quantize(d, d, int32(-scale)); err != nil {
		return NumOverflow
	}
	if d.Coeff.Sign() != 0 && int(d.NumDigits())+int(d.Exponent) > prec-scale {
		return NumOverflow
	}
	return normalize(d)
}

// NumericArith computes x op y into z with PostgreSQL's result scales:
// + and - the larger operand scale, * the sum of both, / numeric_div's
// select_div_scale, % the larger one (the sign of x, as trunc division).
func NumericArith(op byte, z, x, y *apd.Decimal) NumResult {
	var err error
	switch op {
	case '+':
		_, err = exact.Add(z, x, y)
	case '-':
		_, err = exact.Sub(z, x, y)
	case '*':
		_, err = exact.Mul(z, x, y)
	case '/':
		if y.IsZero() {
			return NumDivZero
		}
		return divRound(z, x, y, divScale(x, y))
	case '%':
		if y.IsZero() {
			return NumDivZero
		}
		s := max(NumericScale(x), NumericScale(y))
		var a, b apd.BigInt
		scaled(&a, x, s)
		scaled(&b, y, s)
		z.Coeff.Rem(&a, &b)
		z.Exponent, z.Form = int32(-s), apd.Finite
		z.Negative = x.Negative
		z.Coeff.Abs(&z.Coeff)
	}
	if err != nil {
		return NumOverflow
	}
	return normalize(z)
}

// scaled sets z to |x|·10^s as an integer (s at least x's scale).
func scaled(z *apd.BigInt, x *apd.Decimal, s int) {
	z.Set(&x.Coeff)
	if k := s + int(x.Exponent); k > 0 {
		var p apd.BigInt
		p.SetInt64(10)
		p.Exp(&p, apd.NewBigInt(int64(k)), nil)
		z.Mul(z, &p)
	}
}

// divRound sets z to x/y rounded half away from zero to scale digits.
func divRound(z, x, y *apd.Decimal, scale int) NumResult {
	// x/y·10^scale = Cx·10^(Ex-Ey+scale) / Cy.
	var num, den, r, p apd.BigInt
	num.Set(&x.Coeff)
	den.Set(&y.Coeff)
	k := int64(x.Exponent) - int64(y.Exponent) + int64(scale)
	if k > NumericMaxWeight+NumericMaxScale {
		return NumOverflow
	}
	p.SetInt64(10)
	if k >= 0 {
		p.Exp(&p, apd.NewBigInt(k), nil)
		num.Mul(&num, &p)
	} else {
		p.Exp(&p, apd.NewBigInt(-k), nil)
		den.Mul(&den, &p)
	}
	z.Coeff.QuoRem(&num, &den, &r)
	r.Add(&r, &r)
	if r.CmpAbs(&den) >= 0 {
		z.Coeff.Add(&z.Coeff, apd.NewBigInt(1))
	}
	z.Exponent, z.Form = int32(-scale), apd.Finite
	z.Negative = x.Negative != y.Negative
	return normalize(z)
}

// divScale is PostgreSQL's select_div_scale: at least 16 significant
// digits, at least either operand's scale, at most 1000.
func divScale(x, y *apd.Decimal) int {
	w1, f1 := nbaseLead(x)
	w2, f2 := nbaseLead(y)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	s := 16 - qweight*4
	s = max(s, NumericScale(x), NumericScale(y), 0)
	return min(s, 1000)
}

// nbaseLead is the weight and first digit of x in PostgreSQL's base-10000
// representation (digit groups of four aligned on the decimal point); 0,
// 0 for zero.
func nbaseLead(x *apd.Decimal) (weight, first int) {
	if x.Coeff.Sign() == 0 {
		return 0, 0
	}
	digits := x.Coeff.String()
	top := len(digits) - 1 + int(x.Exponent) // 10^top ≤ |x| < 10^(top+1)
	weight = floorDiv(top, 4)
	n := top - 4*weight + 1 // decimal digits in the leading group
	for i := 0; i < n; i++ {
		first *= 10
		if i < len(digits) {
			first += int(digits[i] - '0')
		}
	}
	return weight, first
}

// NumericRound rounds x half away from zero (trunc: toward zero) to s
// fraction digits, s < 0 rounding left of the point; the result's scale
// is max(s, 0), as round(numeric, int) and trunc(numeric, int) give.
func NumericRound(z, x *apd.Decimal, s int, trunc bool) NumResult {
	ctx := round
	if trunc {
		ctx.Rounding = apd.RoundDown
	}
	if int64(x.Exponent) >= int64(-s) {
		z.Set(x)
		if s > 0 && NumericScale(z) < s {
			if _, err := ctx.Quantize(z, z, int32(-s)); err != nil {
				return NumOverflow
			}
		}
		return normalize(z)
	}
	if _, err := ctx.Quantize(z, x, int32(-s)); err != nil {
		return NumOverflow
	}
	return normalize(z)
}

// NumericFloorCeil is floor(x) or ceil(x), of scale 0: x truncated,
// then one step away from zero when a fraction was cut from a negative
// (floor) or positive (ceil) value.
func NumericFloorCeil(z, x *apd.Decimal, ceil bool) NumResult {
	if x.Exponent >= 0 {
		z.Set(x)
		return normalize(z)
	}
	ctx := round
	ctx.Rounding = apd.RoundDown
	var t apd.Decimal
	if _, err := ctx.Quantize(&t, x, 0); err != nil {
		return NumOverflow
	}
	cut := t.Cmp(x) != 0
	z.Set(&t)
	if cut && (ceil != x.Negative) {
		one := apd.New(1, 0)
		if x.Negative {
			one.Negative = true
		}
		if _, err := exact.Add(z, z, one); err != nil {
			return NumOverflow
		}
	}
	return normalize(z)
}

// CmpNumeric orders two NUMERIC values.
func CmpNumeric(x, y *apd.Decimal) int { return x.Cmp(y) }

// CompareNumericText orders two canonical NUMERIC texts by value.
func CompareNumericText(a, b string) int {
	if a == b {
		return 0
	}
	var x, y apd.Decimal
	ParseNumeric(a, &x)
	ParseNumeric(b, &y)
	return x.Cmp(&y)
}
