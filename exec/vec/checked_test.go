package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/planner/types"
)

// TestCheckedArith compares the checked operations with math/big over
// edge values and random ones: the result is exact exactly when it fits.
func TestCheckedArith(t *testing.T) {
	edges := []int64{0, 1, -1, 2, -2, 10, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1,
		1 << 32, -1 << 32, 3037000499, 3037000500, -3037000500, math.MaxInt64, math.MinInt64,
		math.MaxInt64 - 1, math.MinInt64 + 1, 999999999999999999, -999999999999999999}
	rng := rand.New(rand.NewPCG(7, 7))
	vals := append([]int64(nil), edges...)
	for range 200 {
		vals = append(vals, rng.Int64()>>rng.IntN(64))
	}
	minI, maxI := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	fits := func(z *big.Int) bool { return z.Cmp(minI) >= 0 && z.Cmp(maxI) <= 0 }
	for _, a := range vals {
		for _, b := range vals {
			x, y := big.NewInt(a), big.NewInt(b)
			for _, op := range []struct {
				name string
				f    func(a, b int64) (int64, bool)
				g    func(z, x, y *big.Int) *big.Int
			}{
				{"+", AddInt64, (*big.Int).Add},
				{"-", SubInt64, (*big.Int).Sub},
				{"*", MulInt64, (*big.Int).Mul},
			} {
				got, ok := op.f(a, b)
				want := op.g(new(big.Int), x, y)
				if ok != fits(want) || ok && got != want.Int64() {
					t.Fatalf("%d %s %d = %d, %v; want %s", a, op.name, b, got, ok, want)
				}
			}
		}
	}
}

func TestRescaleAndRange(t *testing.T) {
	if _, ok := Rescale(999999999999999999, 2, 6); ok {
		t.Error("rescaling 18 digits up by 4 must overflow")
	}
	if x, ok := Rescale(-12345, 3, 1); !ok || x != -123 {
		t.Errorf("Rescale(-12.345, 3, 1) = %d, %v; want -123 (-12.3)", x, ok)
	}
	if x, _ := Rescale(-12350, 3, 1); x != -124 {
		t.Errorf("Rescale(-12.350, 3, 1) = %d; want -124 (half away from zero)", x)
	}
	for _, c := range []struct {
		x  int64
		t  types.T
		ok bool
	}{
		{math.MaxInt32, types.Int, true}, {math.MaxInt32 + 1, types.Int, false}, {math.MinInt32, types.Int, true},
		{math.MinInt64, types.BigInt, true}, {999999999999999999, types.DecimalOf(18, 2), true},
		{1e18, types.DecimalOf(18, 2), false}, {math.MinInt64, types.DecimalOf(18, 0), false},
		{-99999, types.DecimalOf(5, 2), true}, {100000, types.DecimalOf(5, 2), false},
	} {
		if got := InRange(c.x, c.t); got != c.ok {
			t.Errorf("InRange(%d, %s) = %v, want %v", c.x, c.t, got, c.ok)
		}
	}
}
