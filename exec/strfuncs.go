package exec

import (
	"strings"

	"github.com/streamsql/streamsql/exec/vec"
)

// The string builtins' kernels (see planner/strfuncs.go).
func init() {
	registerKernel("replace", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		s, from, to := args[0].Str, args[1].Str, args[2].Str
		for i := 0; i < n; i++ {
			if from[i] == "" {
				out.Str[i] = s[i] // PostgreSQL replaces nothing for an empty pattern
				continue
			}
			out.Str[i] = strings.ReplaceAll(s[i], from[i], to[i])
		}
	}))
	registerKernel("reverse", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			r := []rune(s)
			for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
				r[a], r[b] = r[b], r[a]
			}
			out.Str[i] = string(r)
		}
	}))
}
