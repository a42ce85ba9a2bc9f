package exec

import (
	"syscall"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// bidURLs is a batch of 1,024 Nexmark bids' url column, as the generator
// makes them.
func bidURLs(b *testing.B) *vec.Batch {
	b.Helper()
	rel := &catalog.Relation{
		Columns: []catalog.Column{{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
			{Name: "price", Type: types.BigInt}, {Name: "channel", Type: types.Varchar}, {Name: "url", Type: types.Varchar},
			{Name: "date_time", Type: types.Ts}, {Name: "extra", Type: types.Varchar}},
		Options: map[string]string{"connector": "nexmark", "table": "bid", "seed": "1"},
	}
	g, err := nexmark.New(rel)
	if err != nil {
		b.Fatal(err)
	}
	all := vec.NewBatch(catalog.Types(rel.Columns), 2048)
	for all.N < 1024 {
		g.Fill(all, g.Next(), 256)
	}
	out := vec.NewBatch([]types.T{types.Varchar}, 1024)
	for i := 0; i < 1024; i++ {
		out.Cols[0].AppendStr(all.Cols[4].Str[i])
		out.EndRow(1)
	}
	return out
}

// builtinCall is a call of the builtin name, bound as the planner would
// (its first signature of as many parameters as args).
func builtinCall(tb testing.TB, name string, t types.T, args ...planner.Expr) planner.Expr {
	tb.Helper()
	for _, fn := range planner.Builtins() {
		if fn.Name == name {
			return &planner.Call{Fn: planner.FnBuiltin, B: fn, Args: args, T: t}
		}
	}
	tb.Fatalf("no builtin %s", name)
	return nil
}

// benchRows evaluates e over in and reports rows per second of wall and
// of CPU time (per core: on a loaded machine the truer figure) and
// allocations per row.
func benchRows(b *testing.B, e planner.Expr, in *vec.Batch) {
	b.Helper()
	ev := Compile(e, NewRowErrors(true))
	allocs := testing.AllocsPerRun(10, func() { ev.Eval(in) })
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		ev.Eval(in)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	rows := float64(b.N) * float64(in.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(rows/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(allocs/float64(in.N), "allocs/row")
}

// BenchmarkSplitPart splits the bids' URLs (https://www.nexmark.com/x/y/z/
// item.htm?query=1...) as a query that picks a path segment does: the
// pieces are substrings of the URL, so no row allocates.
func BenchmarkSplitPart(b *testing.B) {
	in := bidURLs(b)
	url := &planner.ColRef{Idx: 0, Name: "url", T: types.Varchar}
	str := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	num := func(k int64) planner.Expr { return &planner.Const{T: types.Int, I: k} }
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"split_part/4", builtinCall(b, "split_part", types.Varchar, url, str("/"), num(4))},
		{"split_part/-1", builtinCall(b, "split_part", types.Varchar, url, str("/"), num(-1))},
		{"split_part/query", builtinCall(b, "split_part", types.Varchar, url, str("query="), num(2))},
		{"SPLIT_INDEX/3", builtinCall(b, "split_index", types.Varchar, url, str("/"), num(3))},
	} {
		b.Run(c.name, func(b *testing.B) { benchRows(b, c.e, in) })
	}
}

// BenchmarkStrFuncs runs the other string builtins over the same URLs.
func BenchmarkStrFuncs(b *testing.B) {
	in := bidURLs(b)
	url := &planner.ColRef{Idx: 0, Name: "url", T: types.Varchar}
	str := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	num := func(k int64) planner.Expr { return &planner.Const{T: types.Int, I: k} }
	text, i32 := types.Varchar, types.Int
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"left", builtinCall(b, "left", text, url, num(24))},
		{"right", builtinCall(b, "right", text, url, num(-24))},
		{"strpos", builtinCall(b, "strpos", i32, url, str("item"))},
		{"starts_with", builtinCall(b, "starts_with", types.Boolean, url, str("https://"))},
		{"btrim", builtinCall(b, "btrim", text, url, str("h1"))},
		{"concat", builtinCall(b, "concat", text, url, str("&x="), url)},
		{"concat_ws", builtinCall(b, "concat_ws", text, str("/"), url, str("a"))},
		{"lpad", builtinCall(b, "lpad", text, url, num(100), str("*"))},
		{"replace", builtinCall(b, "replace", text, url, str("item"), str("thing"))},
		{"translate", builtinCall(b, "translate", text, url, str("/?"), str("-"))},
		{"initcap", builtinCall(b, "initcap", text, url)},
		{"repeat", builtinCall(b, "repeat", text, url, num(2))},
		{"md5", builtinCall(b, "md5", text, url)},
		{"sha256", builtinCall(b, "sha256", text, url)},
		{"format", builtinCall(b, "format", text, str("%s|%L"), url, url)},
	} {
		b.Run(c.name, func(b *testing.B) { benchRows(b, c.e, in) })
	}
}
