package exec

import (
	"encoding/binary"
	"math"
	"math/big"
)

// A DOUBLE SUM or AVG over a changelog adds rows and subtracts retracted
// ones, so its total must not depend on the rows it no longer holds: with
// a plain float64 total, 1e17 + x - 1e17 need not be x, and a view's sum
// after retractions would differ from the sum of its surviving rows. So
// the sum is kept exactly, and rounded to DOUBLE only when it is read:
//
//   - values below 2^floatHugeExp, all but the rarest, go to an expansion
//     of up to four float64 partials (Shewchuk's, as Python's math.fsum
//     keeps them): non-overlapping, whose exact sum is the sum of the
//     values. They live in the accumulator's f (the largest) and w, which
//     SUM and AVG do not otherwise use; an accumulator stored before the
//     expansion has its total in f and zero w, which reads the same.
//   - a partial that would make a fifth (a sum whose bits span more than
//     four doubles hold) goes, exactly, to a tail kept in the
//     accumulator's s, and so do the values of 2^floatHugeExp and more
//     and the partials that grow past it; the tail also counts the
//     +Infinity, -Infinity and NaN inputs, which would otherwise turn the
//     total NaN once retracted (Infinity - Infinity). An accumulator that
//     never needed one has no tail.

const (
	floatHugeExp = 1000
	floatUnitExp = floatHugeExp - 52 // a huge value is a whole number of 2^floatUnitExp
	floatTinyExp = -1074             // every double is a whole number of 2^floatTinyExp
	floatParts   = 4
)

var floatHuge = math.Ldexp(1, floatHugeExp)

// floatTail is the part of a float sum that the partials do not carry.
type floatTail struct {
	posInf, negInf, nan int64
	hi                  big.Int // in units of 2^floatUnitExp
	lo                  big.Int // in units of 2^floatTinyExp
}

// The byte after the tail's counters: bit 0 is hi's sign; bit 1 says lo
// follows hi (hi then has its length first). A tail without lo is written
// as it was before lo existed.
const (
	tailHiNeg = 1
	tailHasLo = 2
	tailLoNeg = 4
)

func decodeFloatTail(s string) *floatTail {
	t := &floatTail{}
	if len(s) < 25 {
		return t
	}
	b := []byte(s)
	t.posInf = int64(binary.LittleEndian.Uint64(b[0:8]))
	t.negInf = int64(binary.LittleEndian.Uint64(b[8:16]))
	t.nan = int64(binary.LittleEndian.Uint64(b[16:24]))
	flags, rest := b[24], b[25:]
	if flags&tailHasLo == 0 {
		t.hi.SetBytes(rest)
	} else {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return t
		}
		t.hi.SetBytes(rest[k : k+int(n)])
		t.lo.SetBytes(rest[k+int(n):])
		if flags&tailLoNeg != 0 {
			t.lo.Neg(&t.lo)
		}
	}
	if flags&tailHiNeg != 0 {
		t.hi.Neg(&t.hi)
	}
	return t
}

// encode is the tail as the accumulator stores it; "" when it is empty.
func (t *floatTail) encode() string {
	if t.posInf == 0 && t.negInf == 0 && t.nan == 0 && t.hi.Sign() == 0 && t.lo.Sign() == 0 {
		return ""
	}
	b := make([]byte, 0, 40)
	for _, x := range [3]int64{t.posInf, t.negInf, t.nan} {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	flags := byte(0)
	if t.hi.Sign() < 0 {
		flags |= tailHiNeg
	}
	if t.lo.Sign() == 0 {
		return string(append(append(b, flags), t.hi.Bytes()...))
	}
	flags |= tailHasLo
	if t.lo.Sign() < 0 {
		flags |= tailLoNeg
	}
	hi := t.hi.Bytes()
	b = binary.AppendUvarint(append(b, flags), uint64(len(hi)))
	return string(append(append(b, hi...), t.lo.Bytes()...))
}

// addExact adds d·x, a finite double, exactly.
func (t *floatTail) addExact(x float64, d int64) {
	var u big.Int
	f := new(big.Float).SetFloat64(x)
	if math.Abs(x) >= floatHuge {
		f.SetMantExp(f, -floatUnitExp).Int(&u) // exact: see floatUnitExp
		t.hi.Add(&t.hi, u.Mul(&u, big.NewInt(d)))
		return
	}
	f.SetMantExp(f, -floatTinyExp).Int(&u) // exact: see floatTinyExp
	t.lo.Add(&t.lo, u.Mul(&u, big.NewInt(d)))
}

// floatPartials reads v's partials, smallest first, into p; it returns
// how many there are.
func floatPartials(v *aggVal, p *[floatParts]float64) int {
	n := 0
	for _, x := range [floatParts]float64{w64(v.w[2]), w64(v.w[1]), w64(v.w[0]), v.f} {
		if x != 0 {
			p[n] = x
			n++
		}
	}
	return n
}

// setFloatPartials stores the n partials p (smallest first) into v.
func setFloatPartials(v *aggVal, p *[floatParts]float64, n int) {
	var q [floatParts]float64 // largest first
	for i := range n {
		q[i] = p[n-1-i]
	}
	v.f = q[0]
	v.w = [3]uint64{math.Float64bits(q[1]), math.Float64bits(q[2]), math.Float64bits(q[3])}
}

// growFloat adds x (finite, below floatHuge) into v's partials.
func growFloat(v *aggVal, x float64) {
	var p [floatParts]float64
	var grown [floatParts + 1]float64
	n, m := floatPartials(v, &p), 0
	for _, y := range p[:n] {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		if lo := y - (hi - x); lo != 0 {
			grown[m] = lo
			m++
		}
		x = hi
	}
	var t *floatTail
	if x != 0 {
		if math.Abs(x) >= floatHuge { // grown past the partials' range
			t = decodeFloatTail(v.s)
			t.addExact(x, 1)
		} else {
			grown[m] = x
			m++
		}
	}
	parts := grown[:m]
	if m > floatParts { // the smallest goes to the tail
		if t == nil {
			t = decodeFloatTail(v.s)
		}
		t.addExact(parts[0], 1)
		parts = parts[1:]
	}
	var keep [floatParts]float64
	copy(keep[:], parts)
	setFloatPartials(v, &keep, len(parts))
	if t != nil {
		v.s = t.encode()
	}
}

// foldFloat adds x with diff d into a DOUBLE SUM or AVG accumulator.
func foldFloat(v *aggVal, x float64, d int64) {
	if math.Abs(x) < floatHuge { // false for NaN and ±Inf
		if d == 1 || d == -1 {
			growFloat(v, float64(d)*x)
			return
		}
		if d > -1<<53 && d < 1<<53 {
			hi, lo := twoProd(x, float64(d)) // exact unless it overflows
			if !math.IsInf(hi, 0) && math.Abs(hi) < floatHuge {
				growFloat(v, hi)
				if lo != 0 {
					growFloat(v, lo)
				}
				return
			}
		}
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
		t.addExact(x, d)
	}
	v.s = t.encode()
}

// mergeFloat adds p's sum into acc's: partials and tail.
func mergeFloat(acc, p *aggVal) {
	var parts [floatParts]float64
	n := floatPartials(p, &parts)
	for _, x := range parts[:n] {
		growFloat(acc, x)
	}
	if p.s == "" {
		return
	}
	a, b := decodeFloatTail(acc.s), decodeFloatTail(p.s)
	a.posInf += b.posInf
	a.negInf += b.negInf
	a.nan += b.nan
	a.hi.Add(&a.hi, &b.hi)
	a.lo.Add(&a.lo, &b.lo)
	acc.s = a.encode()
}

// floatTotal is the sum a DOUBLE SUM or AVG accumulator stands for,
// rounded once (to nearest, ties to even); ok is false where finite
// inputs add up past DOUBLE's range, which PostgreSQL's float8 sum
// reports as an overflow (an infinite input makes an infinite sum, which
// is no overflow).
func floatTotal(v *aggVal) (f float64, ok bool) {
	if v.s == "" {
		f := sumPartials(v)
		return f, !math.IsInf(f, 0)
	}
	t := decodeFloatTail(v.s)
	if t.nan == 0 && t.posInf == 0 && t.negInf == 0 {
		f := floatFinite(t, v)
		return f, !math.IsInf(f, 0)
	}
	return floatInfinite(t), true
}

// sumPartials is the correctly rounded sum of v's partials (the end of
// Python's math.fsum).
func sumPartials(v *aggVal) float64 {
	var p [floatParts]float64
	n := floatPartials(v, &p)
	if n == 0 {
		return 0
	}
	hi, lo := p[n-1], 0.0
	i := n - 1
	for i > 0 {
		x, y := hi, p[i-1]
		i--
		hi = x + y
		lo = y - (hi - x)
		if lo != 0 {
			break
		}
	}
	// Round half to even as if the partials below were there: when the
	// rest has the sign of lo, the tie lo stands at is not one.
	if i > 0 && (lo < 0 && p[i-1] < 0 || lo > 0 && p[i-1] > 0) {
		y := lo * 2
		if x := hi + y; y == x-hi {
			hi = x
		}
	}
	return hi
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

// floatFinite is the sum of finite inputs, rounded once: ±Inf past the
// range.
func floatFinite(t *floatTail, v *aggVal) float64 {
	var sum, u big.Int // in units of 2^floatTinyExp
	sum.Lsh(&t.hi, floatUnitExp-floatTinyExp)
	sum.Add(&sum, &t.lo)
	var p [floatParts]float64
	n := floatPartials(v, &p)
	for _, x := range p[:n] {
		f := new(big.Float).SetFloat64(x)
		f.SetMantExp(f, -floatTinyExp).Int(&u)
		sum.Add(&sum, &u)
	}
	f := new(big.Float).SetInt(&sum)
	r, _ := f.SetMantExp(f, floatTinyExp).Float64() // ±Inf past the range
	return r
}
