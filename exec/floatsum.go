package exec

import (
	"encoding/binary"
	"math"
	"math/big"
)

// A DOUBLE SUM or AVG over a changelog adds rows and subtracts retracted
// ones. A float64 total that overflowed to ±Infinity, or took an infinite
// or NaN input, would stay infinite or turn NaN (Infinity - Infinity) once
// the rows that caused it were retracted. So such values go to a tail kept
// in the accumulator's s, which SUM and AVG do not otherwise use: the sum
// of the values of 2^floatHugeExp and more, exact, as a count of units of
// their smallest last mantissa bit, and counts of the +Infinity, -Infinity
// and NaN inputs. Smaller values, all but the rarest, take the plain
// float64 path, and an accumulator that never saw another has no tail.

const (
	floatHugeExp = 1000
	floatUnitExp = floatHugeExp - 52 // a huge value is a whole number of 2^floatUnitExp
)

var floatHuge = math.Ldexp(1, floatHugeExp)

// floatTail is the part of a float sum that float64 cannot carry through
// retractions.
type floatTail struct {
	posInf, negInf, nan int64
	hi                  big.Int // in units of 2^floatUnitExp
}

func decodeFloatTail(s string) *floatTail {
	t := &floatTail{}
	if len(s) < 25 {
		return t
	}
	b := []byte(s)
	t.posInf = int64(binary.LittleEndian.Uint64(b[0:8]))
	t.negInf = int64(binary.LittleEndian.Uint64(b[8:16]))
	t.nan = int64(binary.LittleEndian.Uint64(b[16:24]))
	t.hi.SetBytes(b[25:])
	if b[24] != 0 {
		t.hi.Neg(&t.hi)
	}
	return t
}

// encode is the tail as the accumulator stores it; "" when it is empty.
func (t *floatTail) encode() string {
	if t.posInf == 0 && t.negInf == 0 && t.nan == 0 && t.hi.Sign() == 0 {
		return ""
	}
	b := make([]byte, 0, 40)
	for _, x := range [3]int64{t.posInf, t.negInf, t.nan} {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	neg := byte(0)
	if t.hi.Sign() < 0 {
		neg = 1
	}
	return string(append(append(b, neg), t.hi.Bytes()...))
}

// foldFloat adds x with diff d into a DOUBLE SUM or AVG accumulator.
func foldFloat(v *aggVal, x float64, d int64) {
	if math.Abs(x) < floatHuge { // false for NaN and ±Inf
		v.f += float64(d) * x
		return
	}
	t := decodeFloatTail(v.s)
	switch {
	case math.IsNaN(x):
		t.nan += d
	case math.IsInf(x, 1):
		t.posInf += d
	case math.IsInf(x, -1):
		t.negInf += d
	default:
		var u big.Int
		f := new(big.Float).SetFloat64(x)
		f.SetMantExp(f, -floatUnitExp).Int(&u) // exact: see floatUnitExp
		t.hi.Add(&t.hi, u.Mul(&u, big.NewInt(d)))
	}
	v.s = t.encode()
}

// mergeFloatTail adds p's tail into acc's (their f are added by the caller).
func mergeFloatTail(acc, p *aggVal) {
	if p.s == "" {
		return
	}
	a, b := decodeFloatTail(acc.s), decodeFloatTail(p.s)
	a.posInf += b.posInf
	a.negInf += b.negInf
	a.nan += b.nan
	a.hi.Add(&a.hi, &b.hi)
	acc.s = a.encode()
}

// floatTotal is the sum a DOUBLE SUM or AVG accumulator stands for; ok
// is false where finite inputs add up past DOUBLE's range, which
// PostgreSQL's float8 sum reports as an overflow (an infinite input makes
// an infinite sum, which is no overflow).
func floatTotal(v *aggVal) (f float64, ok bool) {
	if v.s == "" {
		return v.f, !math.IsInf(v.f, 0)
	}
	t := decodeFloatTail(v.s)
	if t.nan == 0 && t.posInf == 0 && t.negInf == 0 {
		f := floatFinite(t, v)
		return f, !math.IsInf(f, 0)
	}
	return floatInfinite(t), true
}

// floatInfinite is the sum of a tail with an infinite or NaN input.
func floatInfinite(t *floatTail) float64 {
	switch {
	case t.nan > 0 || t.posInf > 0 && t.negInf > 0:
		return math.NaN()
	case t.posInf > 0:
		return math.Inf(1)
	}
	return math.Inf(-1)
}

// floatFinite is the sum of finite inputs: ±Inf past DOUBLE's range.
func floatFinite(t *floatTail, v *aggVal) float64 {
	f := new(big.Float).SetInt(&t.hi)
	hi, _ := f.SetMantExp(f, floatUnitExp).Float64() // ±Inf past the range
	return hi + v.f
}
