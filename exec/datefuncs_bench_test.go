package exec

import (
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// BenchmarkDateFuncs evaluates the date and time kernels and the
// zone conversions over 1024-row batches of timestamps an hour and a bit
// apart (across New York's DST transitions), reporting allocations per row.
func BenchmarkDateFuncs(b *testing.B) {
	in := vec.NewBatch([]types.T{types.Ts, types.TsTZ, types.Dt, types.Ival}, 1024)
	start := time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := int64(0); i < 1024; i++ {
		us := start + i*3_700_000_000
		in.Cols[0].AppendI64(us)
		in.Cols[1].AppendI64(us)
		in.Cols[2].AppendI64(us / vec.DayMicros)
		in.Cols[3].AppendInterval(vec.Interval{Months: int32(i % 3), Days: int32(i % 5), Micros: i * 1_000_003})
		in.EndRow(1)
	}
	ts := &planner.ColRef{Idx: 0, Name: "ts", T: types.Ts}
	tz := &planner.ColRef{Idx: 1, Name: "tz", T: types.TsTZ}
	day := &planner.ColRef{Idx: 2, Name: "d", T: types.Dt}
	iv := &planner.ColRef{Idx: 3, Name: "iv", T: types.Ival}
	text := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	fn := func(name string, t types.T, args ...planner.Expr) planner.Expr {
		for _, f := range planner.Builtins() {
			if f.Name == name {
				return &planner.Call{Fn: planner.FnBuiltin, B: f, Args: args, T: t}
			}
		}
		b.Fatalf("no builtin %s", name)
		return nil
	}
	ny, _ := vec.LoadZone("America/New_York")
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"date_part", fn("date_part", types.Double, text("dow"), ts)},
		{"hour", fn("hour", types.BigInt, ts)},
		{"dayofweek", fn("dayofweek", types.BigInt, ts)},
		{"timestampadd_month", fn("timestampadd", types.Ts, text("month"), &planner.Const{T: types.BigInt, I: 1}, ts)},
		{"timezone", fn("timezone", types.Ts, text("America/New_York"), tz)},
		{"date_trunc_tz", &planner.Call{Fn: planner.FnDateTrunc, T: types.TsTZ, Args: []planner.Expr{text("day"), tz, text("America/New_York")}}},
		{"timestamptz_pl_interval", fn("timestamptz_pl_interval", types.TsTZ, tz, iv, text("America/New_York"))},
		{"cast_tz_to_ts", &planner.Cast{X: tz, T: types.Ts, Zone: ny}},
		{"date_plus_int", &planner.Call{Fn: planner.FnAdd, T: types.Dt, Args: []planner.Expr{day, &planner.Const{T: types.Int, I: 1}}}},
		{"interval_mul", fn("interval_mul", types.Ival, iv, &planner.Const{T: types.Double, F: 1.5})},
		// ts + a constant length of time stays on the int64 loop; with
		// days or months it goes by the calendar.
		{"ts_plus_5min", &planner.Call{Fn: planner.FnAdd, T: types.Ts, Args: []planner.Expr{ts, planner.IntervalConst(vec.Interval{Micros: 300e6})}}},
		{"ts_plus_1mon_1day", &planner.Call{Fn: planner.FnAdd, T: types.Ts, Args: []planner.Expr{ts, planner.IntervalConst(vec.Interval{Months: 1, Days: 1})}}},
		{"ts_minus_ts", &planner.Call{Fn: planner.FnSub, T: types.Ival, Args: []planner.Expr{ts, &planner.Const{T: types.Ts, I: start}}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ev := Compile(c.e, NewRowErrors(false))
			ev.Eval(in)
			b.ReportAllocs()
			allocs := testing.AllocsPerRun(10, func() { ev.Eval(in) })
			for b.Loop() {
				ev.Eval(in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/row")
			b.ReportMetric(allocs/1024, "allocs/row")
		})
	}
}
