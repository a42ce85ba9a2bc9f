package exec

import (
	"testing"

	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// BenchmarkRegex evaluates Nexmark q21's REGEXP_EXTRACT(url,
// '(&|^)channel_id=([^&]*)', 2), and other regex calls, over 1,024-row
// batches of bid URLs.
func BenchmarkRegex(b *testing.B) {
	in := bidURLs(b)
	url := &planner.ColRef{Idx: 0, Name: "url", T: types.Varchar}
	str := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	num := func(v int64) planner.Expr { return &planner.Const{T: types.Int, I: v} }
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"extract", builtinCall(b, "regexp_extract", types.Varchar, url, str("(&|^)channel_id=([^&]*)"), num(2))},
		{"like", builtinCall(b, "regexp_like", types.Boolean, url, str(`/[a-z]{3}_`), str("i"))},
		{"replace", builtinCall(b, "regexp_replace", types.Varchar, url, str(`[0-9]+`), str("#"), str("g"))},
		{"substr", builtinCall(b, "regexp_substr", types.Varchar, url, str(`channel_id=(\d+)`), num(1), num(1), str(""), num(1))},
	} {
		b.Run(c.name, func(b *testing.B) {
			ev := Compile(c.e, NewRowErrors(false))
			allocs := testing.AllocsPerRun(10, func() { ev.Eval(in) })
			b.ResetTimer()
			for b.Loop() {
				ev.Eval(in)
			}
			b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(allocs/1024, "allocs/row")
		})
	}
}
