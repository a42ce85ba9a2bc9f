package exec

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// bidURLs are 1,024 URLs shaped as the Nexmark generator's: three random
// path segments and, in 9 of 10, a channel_id parameter.
func bidURLs() *vec.Batch {
	r := rand.New(rand.NewPCG(1, 2))
	seg := func() string {
		b := make([]byte, 3+r.IntN(2))
		for i := range b {
			if b[i] = byte('a' + r.IntN(26)); r.IntN(13) == 0 {
				b[i] = '_'
			}
		}
		return string(b)
	}
	in := vec.NewBatch([]types.T{types.Varchar}, 1024)
	for range 1024 {
		u := "https://www.nexmark.com/" + seg() + "/" + seg() + "/" + seg() + "/item.htm?query=1"
		if r.IntN(10) > 0 {
			u += "&channel_id=" + strconv.Itoa(r.IntN(1<<31))
		}
		in.Cols[0].AppendStr(u)
		in.EndRow(1)
	}
	return in
}

func builtinCall(name string, t types.T, args ...planner.Expr) planner.Expr {
	for _, fn := range planner.Builtins() {
		if fn.Name == name {
			return &planner.Call{Fn: planner.FnBuiltin, B: fn, Args: args, T: t}
		}
	}
	panic("no builtin " + name)
}

// BenchmarkRegex evaluates Nexmark q21's REGEXP_EXTRACT(url,
// '(&|^)channel_id=([^&]*)', 2), and other regex calls, over 1,024-row
// batches of bid URLs.
func BenchmarkRegex(b *testing.B) {
	in := bidURLs()
	url := &planner.ColRef{Idx: 0, Name: "url", T: types.Varchar}
	str := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	num := func(v int64) planner.Expr { return &planner.Const{T: types.Int, I: v} }
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"extract", builtinCall("regexp_extract", types.Varchar, url, str("(&|^)channel_id=([^&]*)"), num(2))},
		{"like", builtinCall("regexp_like", types.Boolean, url, str(`/[a-z]{3}_`), str("i"))},
		{"replace", builtinCall("regexp_replace", types.Varchar, url, str(`[0-9]+`), str("#"), str("g"))},
		{"substr", builtinCall("regexp_substr", types.Varchar, url, str(`channel_id=(\d+)`), num(1), num(1), str(""), num(1))},
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
