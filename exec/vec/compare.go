package vec

import (
	"cmp"
	"strings"

	"github.com/streamsql/streamsql/planner/types"
)

// Compare orders a[i] against b[j]; both must be non-NULL and of one kind.
func Compare(a *Vec, i int, b *Vec, j int) int {
	switch a.Type.Kind {
	case types.Bool:
		x, y := a.Bool[i], b.Bool[j]
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case types.Float64:
		return CompareFloatPG(a.F64[i], b.F64[j]) // NaN above every number

	case types.String:
		return strings.Compare(a.Str[i], b.Str[j])
	case types.Numeric:
		return CompareNumeric(a, i, b, j)
	case types.JSONB:
		return CompareJSONB(a.Str[i], b.Str[j])
	case types.JSON:
		// PostgreSQL cannot order json; the engine orders it by its text.
		return strings.Compare(a.Str[i], b.Str[j])
	case types.Array:
		return CompareArrays(a.Str[i], b.Str[j], a.Type.ElemType())
	case types.Interval:
		if a.Str[i] == "" && b.Str[j] == "" {
			return cmp.Compare(a.I64[i], b.I64[j])
		}
		return CompareIntervals(a.IntervalAt(i), b.IntervalAt(j))
	}
	return cmp.Compare(a.I64[i], b.I64[j])
}
