package exec

import (
	"math"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The date and time builtins' kernels (see planner/datefuncs.go).
func init() {
	registerKernel("interval_mul", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		intervalScale(out, args, n, ctx, false)
	}))
	registerKernel("interval_div", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		intervalScale(out, args, n, ctx, true)
	}))
	registerKernel("timezone", timezoneKernel)
}

// intervalScale is interval * f or interval / f, rounded to µs.
func intervalScale(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx, div bool) {
	x, f := args[0].I64, args[1].F64
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		var r float64
		switch {
		case !div:
			r = float64(x[i]) * f[i]
		case f[i] == 0:
			divByZero(out, i, ctx)
			continue
		default:
			r = float64(x[i]) / f[i]
		}
		r = math.RoundToEven(r)
		if math.IsNaN(r) || r >= 9.223372036854775e18 || r <= -9.223372036854775e18 {
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.DatetimeOverflow, "interval out of range") })
			continue
		}
		out.I64[i] = int64(r)
	}
}

// timezoneKernel is timezone(zone, x), the zone loaded once when it is a
// constant.
func timezoneKernel(consts []*planner.Const) kernel {
	var fixedZone *time.Location
	if c := consts[0]; c != nil && !c.Null {
		fixedZone, _ = vec.LoadZone(c.S)
	}
	return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		toTZ := args[1].Type.Kind == types.Timestamp
		for i := 0; i < n; i++ {
			if out.IsNull(i) {
				continue
			}
			loc := fixedZone
			if loc == nil {
				var err error
				if loc, err = vec.LoadZone(args[0].Str[i]); err != nil {
					out.SetNull(i)
					name := args[0].Str[i]
					ctx.report(i, func() *sqlerr.Error {
						return sqlerr.New(sqlerr.InvalidParameter, "time zone %q not recognized", name)
					})
					continue
				}
			}
			x := args[1].I64[i]
			if toTZ {
				x = vec.FromLocal(x, loc)
			} else {
				x = vec.ToLocal(x, loc)
			}
			if !vec.TimestampInRange(x) {
				out.SetNull(i)
				ctx.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.DatetimeOverflow, "timestamp out of range") })
				continue
			}
			out.I64[i] = x
		}
	}
}

// dateTruncIn is date_trunc(unit, ts, zone) of a TIMESTAMPTZ: the wall
// time in zone truncated, then read back in zone. Like PostgreSQL it keeps
// the instant's own offset when the truncated time has it, so truncating
// 01:30-04 in the hour that repeats gives 01:00-04, not 01:00-05.
func dateTruncIn(out *vec.Vec, unit []string, ts []int64, zone []string, n int, ctx *evalCtx) {
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		loc, err := vec.LoadZone(zone[i])
		if err != nil {
			out.SetNull(i)
			name := zone[i]
			ctx.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.InvalidParameter, "time zone %q not recognized", name) })
			continue
		}
		off := vec.Offset(ts[i], loc) * 1e6
		wall := dateTrunc(unit[i], ts[i]+off)
		r := wall - off
		if vec.Offset(r, loc)*1e6 != off {
			r = vec.FromLocal(wall, loc)
		}
		out.I64[i] = r
	}
}
