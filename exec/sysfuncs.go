package exec

import (
	"strconv"

	"github.com/streamsql/streamsql/exec/vec"
)

// The kernels of the catalog functions clients call (see
// planner/sysfuncs.go).
func init() {
	registerKernel("pg_size_pretty", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, v := range args[0].I64[:n] {
			out.Str[i] = sizePretty(v)
		}
	}))
}

// sizeUnits are pg_size_pretty's units: each is used below its limit,
// the last always; the rounded ones are halved with rounding.
var sizeUnits = []struct {
	name  string
	limit int64
	round bool
	bits  uint
}{{"bytes", 10 * 1024, false, 0}, {"kB", 20*1024 - 1, true, 10}, {"MB", 20*1024 - 1, true, 20},
	{"GB", 20*1024 - 1, true, 30}, {"TB", 20*1024 - 1, true, 40}, {"PB", 20*1024 - 1, true, 50}}

// sizePretty is PostgreSQL 15's pg_size_pretty(bigint): a byte count in
// the largest unit that keeps it under 10 (bytes) or 20 thousand.
func sizePretty(size int64) string {
	half := func(x int64) int64 {
		if x < 0 {
			return (x - 1) / 2
		}
		return (x + 1) / 2
	}
	// The magnitude as unsigned, which MinInt64's has room for.
	abs := func(x int64) uint64 {
		if x < 0 {
			return uint64(-(x + 1)) + 1
		}
		return uint64(x)
	}
	for i, u := range sizeUnits {
		last := i == len(sizeUnits)-1
		if last || abs(size) < uint64(u.limit) {
			if u.round {
				size = half(size)
			}
			return strconv.FormatInt(size, 10) + " " + u.name
		}
		next := sizeUnits[i+1]
		// One bit fewer when the next unit halves with rounding.
		bits := next.bits - u.bits
		if next.round {
			bits--
		}
		if u.round {
			bits++
		}
		size /= int64(1) << bits
	}
	panic("unreachable")
}
