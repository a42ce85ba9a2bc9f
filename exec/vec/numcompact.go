package vec

import (
	"strconv"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/planner/types"
)

// A NUMERIC column keeps each value that fits as an int64 coefficient in
// I64 and its scale in Str, as a one-byte tag below ' ', which no
// canonical NUMERIC text starts with: 0.908 * price computes, compares
// and keys without text or an allocation per row. A value that does not
// fit (a coefficient past int64, a scale past MaxCompactScale, NaN or
// ±Infinity) is its canonical text in Str, its I64 slot unused. Both
// slices are as long as the column. A value has one form: compact
// whenever it fits.

// MaxCompactScale is the largest scale a compact NUMERIC holds.
const MaxCompactScale = 31

var numTags = func() (t [MaxCompactScale + 1]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return t
}()

func compactTag(s string) (int, bool) {
	if len(s) == 1 && s[0] <= MaxCompactScale {
		return int(s[0]), true
	}
	return 0, false
}

// NumericCompact is row i of a NUMERIC column as coefficient and scale,
// false when the value is held as text.
func (v *Vec) NumericCompact(i int) (coef int64, scale int, ok bool) {
	s, ok := compactTag(v.Str[i])
	if !ok {
		return 0, 0, false
	}
	return v.I64[i], s, true
}

// AppendNumericCompact appends coef·10^-scale (scale at most
// MaxCompactScale).
func (v *Vec) AppendNumericCompact(coef int64, scale int) {
	v.I64 = append(v.I64, coef)
	v.Str = append(v.Str, numTags[scale])
	v.notNull()
}

// SetNumericCompact sets row i to coef·10^-scale.
func (v *Vec) SetNumericCompact(i int, coef int64, scale int) {
	v.I64[i], v.Str[i] = coef, numTags[scale]
}

// SetNumericText sets row i to the value of canonical text s, compact
// when it fits.
func (v *Vec) SetNumericText(i int, s string) {
	if c, sc, ok := compactOfText(s); ok {
		v.SetNumericCompact(i, c, sc)
		return
	}
	v.I64[i], v.Str[i] = 0, s
}

// decimalCompact is d (normalized) as coefficient and scale, if it fits.
func DecimalCompact(d *apd.Decimal) (int64, int, bool) {
	if d.Form != apd.Finite || d.Exponent > 0 || -d.Exponent > MaxCompactScale || !d.Coeff.IsInt64() {
		return 0, 0, false
	}
	c := d.Coeff.Int64()
	if d.Negative {
		c = -c
	}
	return c, int(-d.Exponent), true
}

// compactOfText reads canonical NUMERIC text of at most 18 digits as
// coefficient and scale without apd.
func compactOfText[S string | []byte](s S) (int64, int, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, 0, false
	}
	i, neg := 0, false
	if s[0] == '-' {
		i, neg = 1, true
	}
	var c int64
	digits, scale, point := 0, 0, false
	for ; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			c = c*10 + int64(ch-'0')
			digits++
			if point {
				scale++
			}
		case ch == '.' && !point:
			point = true
		default:
			return 0, 0, false
		}
	}
	if digits == 0 || digits > 18 || point && scale == 0 {
		return 0, 0, false
	}
	if neg {
		c = -c
	}
	return c, scale, true
}

// AppendNumericDecimal appends d, a normalized value.
func (v *Vec) AppendNumericDecimal(d *apd.Decimal) {
	if c, s, ok := DecimalCompact(d); ok {
		v.AppendNumericCompact(c, s)
		return
	}
	v.I64 = append(v.I64, 0)
	v.Str = append(v.Str, NumericText(d))
	v.notNull()
}

// appendNumericText appends canonical text s.
func (v *Vec) appendNumericText(s string) {
	if c, sc, ok := compactOfText(s); ok {
		v.AppendNumericCompact(c, sc)
		return
	}
	var d apd.Decimal
	if ParseNumeric(s, &d) == NumOK {
		v.AppendNumericDecimal(&d)
		return
	}
	v.I64 = append(v.I64, 0)
	v.Str = append(v.Str, s)
	v.notNull()
}

// AppendNumericBytes appends canonical text b.
func (v *Vec) AppendNumericBytes(b []byte) {
	if c, sc, ok := compactOfText(b); ok {
		v.AppendNumericCompact(c, sc)
		return
	}
	v.appendNumericText(string(b))
}

// NumericAt sets d to row i of a NUMERIC column.
func (v *Vec) NumericAt(i int, d *apd.Decimal) NumResult {
	if c, s, ok := v.NumericCompact(i); ok {
		d.SetFinite(c, int32(-s))
		return NumOK
	}
	return ParseNumeric(v.Str[i], d)
}

// AppendCompact appends the canonical text of c·10^-s, for any scale s
// up to MaxCompactScale.
func AppendCompact(buf []byte, c int64, s int) []byte {
	if s <= types.MaxDecimalPrec {
		return AppendDecimal(buf, c, s)
	}
	u := uint64(c)
	if c < 0 {
		buf = append(buf, '-')
		u = -u
	}
	var dbuf [20]byte
	digits := strconv.AppendUint(dbuf[:0], u, 10)
	if len(digits) <= s {
		buf = append(buf, '0', '.')
		for k := len(digits); k < s; k++ {
			buf = append(buf, '0')
		}
		return append(buf, digits...)
	}
	buf = append(buf, digits[:len(digits)-s]...)
	buf = append(buf, '.')
	return append(buf, digits[len(digits)-s:]...)
}

// AppendNumericText appends row i's canonical text.
func (v *Vec) AppendNumericText(buf []byte, i int) []byte {
	if c, s, ok := v.NumericCompact(i); ok {
		return AppendCompact(buf, c, s)
	}
	return append(buf, v.Str[i]...)
}

// NumericString is row i's canonical text.
func (v *Vec) NumericString(i int) string {
	if _, _, ok := v.NumericCompact(i); ok {
		return string(v.AppendNumericText(nil, i))
	}
	return v.Str[i]
}

// compareCompact orders x·10^-xs against y·10^-ys, false when scaling
// to a common scale overflows.
func compareCompact(x int64, xs int, y int64, ys int) (int, bool) {
	if xs != ys {
		var ok bool
		if xs < ys {
			if ys-xs > 18 {
				return 0, false
			}
			if x, ok = MulInt64(x, types.Pow10[ys-xs]); !ok {
				return 0, false
			}
		} else {
			if xs-ys > 18 {
				return 0, false
			}
			if y, ok = MulInt64(y, types.Pow10[xs-ys]); !ok {
				return 0, false
			}
		}
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// CompareNumeric orders a[i] against b[j], both NUMERIC.
func CompareNumeric(a *Vec, i int, b *Vec, j int) int {
	if x, xs, ok := a.NumericCompact(i); ok {
		if y, ys, ok := b.NumericCompact(j); ok {
			if c, ok := compareCompact(x, xs, y, ys); ok {
				return c
			}
		}
	}
	var x, y apd.Decimal
	a.NumericAt(i, &x)
	b.NumericAt(j, &y)
	return CmpNumeric(&x, &y)
}

// appendCompactKey is AppendNumericKey for coefficient c at scale s.
func appendCompactKey(buf []byte, c int64, s int, scale bool) []byte {
	var dbuf [20]byte
	u := uint64(c)
	neg := c < 0
	if neg {
		u = -u
	}
	digits := strconv.AppendUint(dbuf[:0], u, 10)
	return appendKeyDigits(buf, neg, digits, -s, s, scale)
}
