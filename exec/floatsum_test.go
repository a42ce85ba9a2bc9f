package exec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// exactSum is the reference: the sum of xs, each counted n[i] times,
// computed exactly and rounded once; ok false past DOUBLE's range.
func exactSum(xs []float64, counts []int64) (float64, bool) {
	var inf, neginf, nan int64
	sum := new(big.Float).SetPrec(4096)
	for i, x := range xs {
		c := counts[i]
		switch {
		case c == 0:
		case math.IsNaN(x):
			nan += c
		case math.IsInf(x, 1):
			inf += c
		case math.IsInf(x, -1):
			neginf += c
		default:
			t := new(big.Float).SetPrec(4096).SetFloat64(x)
			sum.Add(sum, t.Mul(t, new(big.Float).SetInt64(c)))
		}
	}
	switch {
	case nan > 0 || inf > 0 && neginf > 0:
		return math.NaN(), true
	case inf > 0:
		return math.Inf(1), true
	case neginf > 0:
		return math.Inf(-1), true
	}
	f, _ := sum.Float64()
	return f, !math.IsInf(f, 0)
}

// TestFloatSumRetractions: a DOUBLE SUM that adds and retracts values of
// every magnitude (1e17 beside 0.5, 1e308, subnormals, infinities) is, at
// every step, the exactly rounded sum of the rows it holds, whatever it
// held before; through an encode and decode (a checkpoint) and a merge of
// two partial sums too.
func TestFloatSumRetractions(t *testing.T) {
	pool := []float64{0.5, -0.1, 225.125, 1e17, -1e17, 1e17 + 224, 99999999999999999.9, 1e6, -1e6, 3.3e-300,
		5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 1e300, 2e300, math.Inf(1), math.Inf(-1),
		math.NaN(), 0, math.Copysign(0, -1), 1 << 60, 0.1, 0.2, 0.3, 1e-17, 123456789.123}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		counts := make([]int64, len(pool))
		var v, half aggVal
		for step := range 40 {
			i := rng.IntN(len(pool))
			d := int64(1)
			switch {
			case counts[i] > 0 && rng.IntN(2) == 0:
				d = -min(counts[i], 1+rng.Int64N(3))
			case rng.IntN(8) == 0:
				d = 1 + rng.Int64N(1e6)
			}
			counts[i] += d
			target := &v
			if step%3 == 0 {
				target = &half
			}
			foldFloat(target, pool[i], d)
			if rng.IntN(5) == 0 { // through a checkpoint
				b := encodeAcc(nil, 1, []aggVal{*target})
				var back [1]aggVal
				if _, err := decodeAcc(b, back[:]); err != nil {
					t.Fatal(err)
				}
				*target = back[0]
			}
			merged := v
			mergeFloat(&merged, &half)
			got, gotOK := floatTotal(&merged)
			want, wantOK := exactSum(pool, counts)
			if gotOK != wantOK || !(got == want && math.Signbit(got) == math.Signbit(want) || math.IsNaN(got) && math.IsNaN(want) || got == 0 && want == 0) {
				t.Fatalf("trial %d step %d: sum %v (ok %v), want %v (ok %v); counts %v", trial, step, got, gotOK, want, wantOK, counts)
			}
		}
	}
}
