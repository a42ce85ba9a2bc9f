package exec

import (
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The INTERVAL operators, as PostgreSQL's (see exec/vec/intervalmath.go):
// interval ± interval, -interval, timestamp - timestamp, and timestamp ±
// interval where the interval has months or days. A timestamp plus an
// interval of µs only (window bounds, a constant '5 minutes') stays on
// arith's int64 loop.

func init() {
	for name, f := range map[string]func(vec.Interval) (vec.Interval, bool){
		"justify_hours": vec.JustifyHours, "justify_days": vec.JustifyDays, "justify_interval": vec.JustifyInterval,
	} {
		registerKernel(name, fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			intervalRows(out, n, ctx, func(i int) (vec.Interval, bool) { return f(args[0].IntervalAt(i)) })
		}))
	}
	registerKernel("age", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		a, b := args[0].I64, args[1].I64
		intervalRows(out, n, ctx, func(i int) (vec.Interval, bool) { return vec.Age(a[i], b[i]) })
	}))
}

// intervalRows sets each non-NULL row of INTERVAL column out to f(i),
// NULL and 22008 where f fails.
func intervalRows(out *vec.Vec, n int, ctx *evalCtx, f func(i int) (vec.Interval, bool)) {
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		x, ok := f(i)
		if !ok {
			intervalOverflow(out, i, ctx)
			continue
		}
		out.SetInterval(i, x)
	}
}

func intervalOverflow(out *vec.Vec, i int, ctx *evalCtx) {
	out.SetNull(i)
	ctx.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.DatetimeOverflow, "interval out of range") })
}

// fixedLengths reports whether every row of INTERVAL column v is µs alone.
func fixedLengths(v *vec.Vec, n int) bool {
	for _, s := range v.Str[:n] {
		if s != "" {
			return false
		}
	}
	return true
}

// intervalArith computes fn over the operands when an interval's months
// and days take part, and reports whether it did; false leaves the
// int64 loop to add µs.
func intervalArith(fn planner.Func, out, a, b *vec.Vec, n int, ctx *evalCtx) bool {
	switch {
	case out.Type.Kind == types.Interval && a.Type.Kind == types.Interval:
		intervalRows(out, n, ctx, func(i int) (vec.Interval, bool) {
			if fn == planner.FnSub {
				return vec.SubIntervals(a.IntervalAt(i), b.IntervalAt(i))
			}
			return vec.AddIntervals(a.IntervalAt(i), b.IntervalAt(i))
		})
		return true
	case out.Type.Kind == types.Interval:
		// timestamp - timestamp: its whole days are days.
		x, y := a.I64, b.I64
		intervalRows(out, n, ctx, func(i int) (vec.Interval, bool) { return vec.TimestampDiff(x[i], y[i]) })
		return true
	case b.Type.Kind == types.Interval && !fixedLengths(b, n):
		ts := a.I64
		sub := fn == planner.FnSub
		timeRows(out, n, ctx, func(i int) (int64, bool) {
			x := b.IntervalAt(i)
			if sub {
				var ok bool
				if x, ok = vec.NegInterval(x); !ok {
					return 0, false
				}
			}
			return vec.AddIntervalToTimestamp(ts[i], x)
		}, tsRange)
		return true
	}
	return false
}

// negInterval is -x of an INTERVAL column.
func negInterval(out, x *vec.Vec, n int, ctx *evalCtx) {
	intervalRows(out, n, ctx, func(i int) (vec.Interval, bool) { return vec.NegInterval(x.IntervalAt(i)) })
}

// addZoned is ts + iv of a TIMESTAMPTZ in zone loc (timestamptz_pl_interval).
func addZoned(ts int64, iv vec.Interval, loc *time.Location) (int64, bool) {
	return vec.AddIntervalToTimestampTZ(ts, iv, loc)
}

// foldInterval adds d copies of x to a SUM or AVG accumulator of
// intervals: the µs in the 128-bit i:hi, the months and days in w[0] and
// w[1], each summed apart as PostgreSQL's interval_pl sums them.
func foldInterval(v *aggVal, x vec.Interval, d int64) {
	if d == 1 {
		v.addWide(x.Micros>>63, x.Micros)
	} else {
		v.addWide(mulWide(d, x.Micros))
	}
	v.w[0] += uint64(int64(x.Months) * d)
	v.w[1] += uint64(int64(x.Days) * d)
}

// intervalSum appends SUM (or, avg, AVG: the sum divided by the count, as
// interval_avg does) of an interval accumulator; NULL and 22008 where the
// sum leaves the interval's range.
func intervalSum(v *aggVal, out *vec.Vec, errs *RowErrors, avg bool) {
	months, days := int64(v.w[0]), int64(v.w[1])
	x := vec.Interval{Months: int32(months), Days: int32(days), Micros: v.i}
	ok := v.wideFits() && int64(x.Months) == months && int64(x.Days) == days
	if ok && avg {
		x, ok = vec.ScaleInterval(x, float64(v.n), true)
	}
	if !ok {
		out.AppendNull()
		errs.report(func() *sqlerr.Error { return sqlerr.New(sqlerr.DatetimeOverflow, "interval out of range") })
		return
	}
	out.AppendInterval(x)
}
