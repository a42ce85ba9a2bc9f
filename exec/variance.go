package exec

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"strings"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The variances and standard deviations keep, as PostgreSQL's numeric
// ones do for integers and decimals, the count n, the sum of x and the sum
// of x², so that a retraction subtracts exactly what its row added; the
// result is (n·Σx² − (Σx)²) / (n(n−1)) (or / n² for the population).
//
// Integer and decimal input (decimals as their scaled integers) is exact:
// Σx in the 128-bit hi:i of a SUM, Σx² in the 192 bits of w, two's
// complement, which no stream of 64-bit values overflows.
//
// DOUBLE input sums in double-double (about 106 bits, each x² split
// exactly by an FMA): f + w[0] is Σx, w[1] + w[2] is Σx², the words
// holding float64 bits. That keeps the difference above accurate where a
// float64 n·Σx² − (Σx)² would cancel to noise, and retracting a row
// leaves an error of about 2^-106 of the sums rather than 2^-53. An
// infinite or NaN input makes the result NaN, as in PostgreSQL; it is
// counted in i instead, and a finite one of 2^500 or more, whose squares
// could pass DOUBLE's range, in hi: with another row the result is an
// overflow, as PostgreSQL's float8 accumulator reports.

var varHuge = math.Ldexp(1, 500)

// foldVariance adds x[r] with diff d into a variance accumulator. A
// NUMERIC's sums are kept exact, as NUMERIC text in s (see
// foldNumericSquares).
func foldVariance(v *aggVal, x *vec.Vec, r int, d int64) {
	v.n += d
	if x.Type.Kind == types.Numeric {
		v.s = foldNumericSquares(v.s, x, r, d)
		return
	}
	if x.Type.Kind != types.Float64 {
		xi := x.I64[r]
		if d == 1 {
			v.addWide(xi>>63, xi)
		} else {
			v.addWide(mulWide(d, xi))
		}
		ux := uint64(xi)
		if xi < 0 {
			ux = -ux
		}
		sh, sl := bits.Mul64(ux, ux)
		v.addSquares(sl, sh, d)
		return
	}
	foldVarianceFloat(v, x.F64[r], d)
}

// foldVarianceFloat is foldVariance of a DOUBLE f, v.n already counted.
func foldVarianceFloat(v *aggVal, f float64, d int64) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		v.i += d
		return
	case math.Abs(f) >= varHuge:
		v.hi += d
		return
	}
	df := float64(d)
	sh, sl := twoProd(f, df)
	var lo float64
	v.f, lo = ddAdd(v.f, w64(v.w[0]), sh, sl)
	v.w[0] = math.Float64bits(lo)
	qh, ql := twoProd(f, f)
	if d != 1 {
		qh, ql = ddMulF(qh, ql, df)
	}
	qh, ql = ddAdd(w64(v.w[1]), w64(v.w[2]), qh, ql)
	v.w[1], v.w[2] = math.Float64bits(qh), math.Float64bits(ql)
}

// mergeVariance adds a partial variance accumulator p into acc.
func mergeVariance(kind types.Kind, acc, p *aggVal) {
	acc.n += p.n
	if kind == types.Numeric {
		acc.s = mergeNumericSquares(acc.s, p.s)
		return
	}
	if kind != types.Float64 {
		acc.addWide(p.hi, p.i)
		var c uint64
		acc.w[0], c = bits.Add64(acc.w[0], p.w[0], 0)
		acc.w[1], c = bits.Add64(acc.w[1], p.w[1], c)
		acc.w[2], _ = bits.Add64(acc.w[2], p.w[2], c)
		return
	}
	acc.i += p.i
	acc.hi += p.hi
	var lo float64
	acc.f, lo = ddAdd(acc.f, w64(acc.w[0]), p.f, w64(p.w[0]))
	acc.w[0] = math.Float64bits(lo)
	qh, ql := ddAdd(w64(acc.w[1]), w64(acc.w[2]), w64(p.w[1]), w64(p.w[2]))
	acc.w[1], acc.w[2] = math.Float64bits(qh), math.Float64bits(ql)
}

// addSquares adds d times the unsigned 128-bit square hi:lo into w.
func (v *aggVal) addSquares(lo, hi uint64, d int64) {
	ud := uint64(d)
	if d < 0 {
		ud = -ud
	}
	// The 192-bit product hi:lo · |d|.
	l1, p0 := bits.Mul64(lo, ud)
	h1, h0 := bits.Mul64(hi, ud)
	p1, c := bits.Add64(l1, h0, 0)
	p2 := h1 + c
	if d < 0 { // negate: two's complement
		p0, p1, p2 = ^p0, ^p1, ^p2
		var c uint64
		p0, c = bits.Add64(p0, 1, 0)
		p1, c = bits.Add64(p1, 0, c)
		p2 += c
	}
	v.w[0], c = bits.Add64(v.w[0], p0, 0)
	v.w[1], c = bits.Add64(v.w[1], p1, c)
	v.w[2] += p2 + c
}

// varianceResult appends a variance's or standard deviation's result:
// NULL without rows (and for the sample ones, of one row).
func varianceResult(f planner.AggFunc, arg types.T, v *aggVal, out *vec.Vec, errs *RowErrors) {
	samp := f == planner.AggVarSamp || f == planner.AggStddevSamp
	if v.n <= 0 || samp && v.n == 1 {
		out.AppendNull()
		return
	}
	stddev := f == planner.AggStddevSamp || f == planner.AggStddevPop
	switch arg.Kind {
	case types.Float64:
		r, ok := floatVariance(v, samp)
		if !ok {
			out.AppendNull()
			errs.report(floatOverflow)
			return
		}
		if stddev {
			r = math.Sqrt(r)
		}
		out.AppendF64(r)
	case types.Numeric:
		sum, squares, s := numericSquares(v.s)
		out.AppendStr(exactVariance(v.n, sum, squares, samp, stddev, s))
	default:
		sum := wideInt(uint64(v.i), uint64(v.hi), uint64(v.hi>>63))
		squares := wideInt(v.w[0], v.w[1], v.w[2]) // in units of 10^-2s
		out.AppendStr(exactVariance(v.n, sum, squares, samp, stddev, arg.Scale))
	}
}

// exactVariance is the variance of count integers or decimals (of scale
// s) from their sum and sum of squares (in units of 10^-s and 10^-2s), or with
// stddev its square root, as PostgreSQL's numeric_stddev_internal gives
// it, as NUMERIC text: the exact quotient to the scale select_div_scale
// picks (16 significant digits, at least the scale 2s of the sums of
// squares), the square root to the same scale, half away from zero; 0
// when the sum of squared deviations is.
func exactVariance(count int64, sum, squares *big.Int, samp, stddev bool, s int) string {
	n := big.NewInt(count)
	num := new(big.Int).Mul(squares, n)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	if num.Sign() <= 0 {
		return "0"
	}
	den := big.NewInt(count)
	if samp {
		den.Mul(den, big.NewInt(count-1))
	} else {
		den.Mul(den, n)
	}
	unit := pow10(2 * s)
	w1, d1 := numericLead(num, unit)
	w2, d2 := numericLead(den, big.NewInt(1))
	qw := w1 - w2
	if d1 <= d2 {
		qw--
	}
	rscale := min(max(16-4*qw, 2*s), 1000)
	// round(num / unit / den · 10^rscale)
	q := roundDiv(new(big.Int).Mul(num, pow10(rscale)), den.Mul(den, unit))
	if stddev {
		// round(sqrt(q / 10^rscale) · 10^rscale) = round(sqrt(q · 10^rscale))
		x := q.Mul(q, pow10(rscale))
		r := new(big.Int).Sqrt(x)
		// r + 1/2 < sqrt(x) ⇔ x > r² + r (x and r integers)
		if new(big.Int).Sub(x, new(big.Int).Mul(r, r)).Cmp(r) > 0 {
			r.Add(r, big.NewInt(1))
		}
		q = r
	}
	return scaledText(q, rscale)
}

// scaledText is the NUMERIC text of q·10^-scale, for q ≥ 0.
func scaledText(q *big.Int, scale int) string {
	digits := q.String()
	if scale <= 0 {
		return digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// numericLead is the weight (of its first base-10000 digit) and that
// digit of the positive a/b as PostgreSQL's numeric holds it.
func numericLead(a, b *big.Int) (weight int, digit int64) {
	t := len(a.String()) - len(b.String()) // floor(log10(a/b)) or one more
	if t >= 0 && a.Cmp(new(big.Int).Mul(b, pow10(t))) < 0 || t < 0 && new(big.Int).Mul(a, pow10(-t)).Cmp(b) < 0 {
		t--
	}
	weight = int(planner.FloorDiv(int64(t), 4))
	x, y := new(big.Int).Set(a), new(big.Int).Set(b)
	if weight >= 0 {
		y.Mul(y, pow10(4*weight))
	} else {
		x.Mul(x, pow10(-4*weight))
	}
	return weight, x.Quo(x, y).Int64()
}

// roundDiv is a/b rounded half away from zero, for a ≥ 0 and b > 0.
func roundDiv(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Lsh(r, 1).Cmp(b) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// wideInt is the 192-bit two's complement w2:w1:w0 as a big.Int.
func wideInt(w0, w1, w2 uint64) *big.Int {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], w2)
	binary.BigEndian.PutUint64(b[8:], w1)
	binary.BigEndian.PutUint64(b[16:], w0)
	x := new(big.Int).SetBytes(b[:])
	if int64(w2) < 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), 192))
	}
	return x
}

// floatVariance is a DOUBLE variance; ok is false where it overflows.
func floatVariance(v *aggVal, samp bool) (float64, bool) {
	switch {
	case v.i > 0:
		return math.NaN(), true
	case v.hi > 0:
		return 0, v.n == 1 // one row's population variance is 0
	}
	n := float64(v.n)
	qh, ql := ddMulF(w64(v.w[1]), w64(v.w[2]), n)
	sh, sl := v.f, w64(v.w[0])
	if math.IsInf(sh, 0) || math.IsInf(qh, 0) {
		return 0, false
	}
	ph, pl := twoProd(sh, sh)
	pl += 2 * sh * sl
	dh, dl := ddAdd(qh, ql, -ph, -pl)
	num := dh + dl
	if num < 0 || math.IsNaN(num) {
		num = 0
	}
	den := n * n
	if samp {
		den = n * (n - 1)
	}
	r := num / den
	return r, !math.IsInf(r, 0)
}

func w64(u uint64) float64 { return math.Float64frombits(u) }

// twoProd returns a·b as an unevaluated sum p + e, exactly.
func twoProd(a, b float64) (p, e float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

// ddAdd adds the double-doubles ah + al and bh + bl.
func ddAdd(ah, al, bh, bl float64) (float64, float64) {
	s := ah + bh
	bb := s - ah
	e := (ah - (s - bb)) + (bh - bb)
	e += al + bl
	h := s + e
	return h, e - (h - s)
}

// ddMulF multiplies the double-double h + l by f.
func ddMulF(h, l, f float64) (float64, float64) {
	p, e := twoProd(h, f)
	e += l * f
	s := p + e
	return s, e - (s - p)
}

// foldBool counts a true or false value, with diff d, into bool_and's
// or bool_or's accumulator: trues in n, falses in i.
func foldBool(v *aggVal, x *vec.Vec, r int, d int64) {
	if x.Bool[r] {
		v.n += d
	} else {
		v.i += d
	}
}

// boolResult is bool_and's (no false) or bool_or's (a true) result, NULL
// without rows.
func boolResult(f planner.AggFunc, v *aggVal, out *vec.Vec) {
	switch {
	case v.n+v.i <= 0:
		out.AppendNull()
	case f == planner.AggBoolAnd:
		out.AppendBool(v.i == 0)
	default:
		out.AppendBool(v.n > 0)
	}
}
