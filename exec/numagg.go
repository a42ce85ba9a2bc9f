package exec

import (
	"sort"
	"strconv"
	"strings"

	"math/big"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// Exact SUM and AVG, as PostgreSQL's: SUM(BIGINT) and SUM of a DECIMAL
// keep their 128-bit sum (aggVal.hi:i) and show it as NUMERIC; SUM of a
// NUMERIC keeps the running sum as NUMERIC text in aggVal.s (empty for
// none yet), so it is exact through any retractions and is stored and
// merged like any accumulator. AVG divides the sum by the count at
// PostgreSQL's division scale.

// A NUMERIC sum's accumulator text is the exact sum, then, after ';',
// how many of the values summed have each display scale ("12.50;2:3,0:1").
// The result's scale is the largest scale still counted, as PostgreSQL's
// (its inverse transition tracks the same), so a retracted value with
// many fraction digits leaves no trailing zeros behind.

type numAcc struct {
	sum    apd.Decimal
	scales map[int]int64
}

func parseAcc(s string) numAcc {
	a := numAcc{scales: map[int]int64{}}
	text, counts, _ := strings.Cut(s, ";")
	if vec.ParseNumeric(text, &a.sum) != vec.NumOK {
		a.sum.SetInt64(0)
	}
	for _, f := range strings.Split(counts, ",") {
		sc, n, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		k, _ := strconv.Atoi(sc)
		c, _ := strconv.ParseInt(n, 10, 64)
		a.scales[k] += c
	}
	return a
}

func (a *numAcc) text() string {
	b := vec.AppendNumeric(nil, &a.sum)
	keys := make([]int, 0, len(a.scales))
	for k, c := range a.scales {
		if c != 0 {
			keys = append(keys, k)
		}
	}
	sort.Ints(keys)
	for i, k := range keys {
		if i == 0 {
			b = append(b, ';')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(k), 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, a.scales[k], 10)
	}
	return string(b)
}

// foldNumeric adds row r of x times d to the NUMERIC accumulator s.
func foldNumeric(s string, x *vec.Vec, r int, d int64) string {
	a := parseAcc(s)
	var b, z apd.Decimal
	x.NumericAt(r, &b)
	a.scales[vec.NumericScale(&b)] += d
	if d != 1 {
		var m apd.Decimal
		m.SetInt64(d)
		vec.NumericArith('*', &b, &b, &m)
	}
	vec.NumericArith('+', &z, &a.sum, &b)
	a.sum.Set(&z)
	return a.text()
}

// mergeNumeric adds two NUMERIC accumulators.
func mergeNumeric(x, y string) string {
	switch {
	case y == "":
		return x
	case x == "":
		return y
	}
	a, b := parseAcc(x), parseAcc(y)
	var z apd.Decimal
	vec.NumericArith('+', &z, &a.sum, &b.sum)
	a.sum.Set(&z)
	for k, c := range b.scales {
		a.scales[k] += c
	}
	return a.text()
}

// accSum is the accumulator's sum at the largest scale still counted.
func accSum(d *apd.Decimal, s string) {
	a := parseAcc(s)
	scale := 0
	for k, c := range a.scales {
		if c != 0 {
			scale = max(scale, k)
		}
	}
	vec.NumericRound(d, &a.sum, scale, false)
	if vec.NumericScale(d) > scale {
		vec.NumericRound(d, d, scale, false)
	}
}

// wideDecimal is the 128-bit sum hi:lo, scaled by 10^scale, as a decimal.
func wideDecimal(d *apd.Decimal, hi, lo int64, scale int) {
	var x big.Int
	x.SetInt64(hi)
	x.Lsh(&x, 64)
	x.Add(&x, new(big.Int).SetUint64(uint64(lo)))
	d.Coeff.SetMathBigInt(&x)
	d.Negative = d.Coeff.Sign() < 0
	d.Coeff.Abs(&d.Coeff)
	d.Exponent, d.Form = int32(-scale), apd.Finite
}

// sumDecimal is an accumulator's exact sum over values of type arg.
func sumDecimal(d *apd.Decimal, arg types.T, v *aggVal) {
	switch arg.Kind {
	case types.Numeric:
		accSum(d, v.s)
	case types.Decimal:
		wideDecimal(d, v.hi, v.i, arg.Scale)
	default:
		wideDecimal(d, v.hi, v.i, 0)
	}
}

// numericSum appends SUM's exact result.
func numericSum(arg types.T, v *aggVal, out *vec.Vec) {
	var d apd.Decimal
	sumDecimal(&d, arg, v)
	out.AppendNumericDecimal(&d)
}

// numericAvg appends AVG's exact result: the sum over the count.
func numericAvg(arg types.T, v *aggVal, out *vec.Vec) {
	var s, n, q apd.Decimal
	sumDecimal(&s, arg, v)
	n.SetInt64(v.n)
	vec.NumericArith('/', &q, &s, &n)
	out.AppendNumericDecimal(&q)
}

// A NUMERIC variance's accumulator text is the exact sum of its values
// and of their squares, "sum;squares" ("" for none yet), so that it is
// exact through retractions, as PostgreSQL's numeric variance.

// foldNumericSquares adds row r of x, and its square, times d to the
// accumulator s.
func foldNumericSquares(s string, x *vec.Vec, r int, d int64) string {
	sum, squares := parseSquares(s)
	var b, sq, m, z apd.Decimal
	x.NumericAt(r, &b)
	vec.NumericArith('*', &sq, &b, &b)
	if d != 1 {
		m.SetInt64(d)
		vec.NumericArith('*', &b, &b, &m)
		vec.NumericArith('*', &sq, &sq, &m)
	}
	vec.NumericArith('+', &z, &sum, &b)
	sum.Set(&z)
	vec.NumericArith('+', &z, &squares, &sq)
	squares.Set(&z)
	return squaresText(&sum, &squares)
}

// mergeNumericSquares adds two accumulators of foldNumericSquares.
func mergeNumericSquares(x, y string) string {
	if y == "" {
		return x
	}
	if x == "" {
		return y
	}
	s1, q1 := parseSquares(x)
	s2, q2 := parseSquares(y)
	var z apd.Decimal
	vec.NumericArith('+', &z, &s1, &s2)
	s1.Set(&z)
	vec.NumericArith('+', &z, &q1, &q2)
	q1.Set(&z)
	return squaresText(&s1, &q1)
}

func parseSquares(s string) (sum, squares apd.Decimal) {
	a, b, _ := strings.Cut(s, ";")
	if vec.ParseNumeric(a, &sum) != vec.NumOK {
		sum.SetInt64(0)
	}
	if vec.ParseNumeric(b, &squares) != vec.NumOK {
		squares.SetInt64(0)
	}
	return sum, squares
}

func squaresText(sum, squares *apd.Decimal) string {
	b := vec.AppendNumeric(nil, sum)
	b = append(b, ';')
	return string(vec.AppendNumeric(b, squares))
}

// numericSquares reads an accumulator of foldNumericSquares as integers:
// the sum in units of 10^-s and the sum of squares in units of 10^-2s.
func numericSquares(text string) (sum, squares *big.Int, s int) {
	a, b := parseSquares(text)
	s = max(int(-a.Exponent), int(-b.Exponent+1)/2, 0)
	return scaledInt(&a, s), scaledInt(&b, 2*s), s
}

// scaledInt is d·10^s, an integer for s at least d's scale.
func scaledInt(d *apd.Decimal, s int) *big.Int {
	x := new(big.Int).Set(d.Coeff.MathBigInt())
	if d.Negative {
		x.Neg(x)
	}
	if e := int(d.Exponent) + s; e > 0 {
		x.Mul(x, pow10(e))
	}
	return x
}
