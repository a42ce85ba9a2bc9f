package vec

import (
	"math"
	"math/bits"

	"github.com/streamsql/streamsql/planner/types"
)

// Checked integer arithmetic: each returns the wrapped result and whether
// it is exact. The tests are sign tests and one widening multiply, cheap
// enough for the vectorized loops.

// AddInt64 returns a+b.
func AddInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (s^a)&(s^b) >= 0
}

// SubInt64 returns a-b.
func SubInt64(a, b int64) (int64, bool) {
	s := a - b
	return s, (a^b)&(s^a) >= 0
}

// MulInt64 returns a*b.
func MulInt64(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(absU(a), absU(b))
	neg := (a < 0) != (b < 0)
	ok := hi == 0 && (lo <= math.MaxInt64 || neg && lo == 1<<63)
	return a * b, ok
}

// absU is |x| as an unsigned number (exact for math.MinInt64 too).
func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

// InRange reports whether x, a value in its I64 form, is one of t's values:
// INT's 32 bits, a DECIMAL's precision, DATE's and TIMESTAMP's ranges.
// Other types take every int64.
func InRange(x int64, t types.T) bool {
	switch t.Kind {
	case types.Int32:
		return x >= math.MinInt32 && x <= math.MaxInt32
	case types.Decimal:
		return FitsPrecision(x, t.Prec)
	case types.Date:
		return x >= MinDate && x <= MaxDate
	case types.Timestamp, types.TimestampTZ:
		return TimestampInRange(x)
	}
	return true
}

// Rescale changes a decimal's scale, rounding half away from zero, and
// reports whether the result fits in an int64.
func Rescale(x int64, from, to int) (int64, bool) {
	switch {
	case to > from:
		return MulInt64(x, types.Pow10[to-from])
	case to < from:
		p := types.Pow10[from-to]
		q, r := x/p, x%p
		if r >= p-r {
			q++
		} else if -r >= p+r {
			q--
		}
		return q, true
	}
	return x, true
}
