package exec

import (
	"math"
	"strings"
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
	registerKernel("timestamptz_pl_interval", func(consts []*planner.Const) kernel {
		var fixedZone *time.Location
		if c := consts[2]; c != nil && !c.Null {
			fixedZone, _ = vec.LoadZone(c.S)
		}
		return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			ts := args[0].I64
			timeRows(out, n, ctx, func(i int) (int64, bool) {
				loc := fixedZone
				if loc == nil {
					var err error
					if loc, err = vec.LoadZone(args[2].Str[i]); err != nil {
						return 0, false
					}
				}
				return addZoned(ts[i], args[1].IntervalAt(i), loc)
			}, tsRange)
		}
	})
	registerKernel("date_part", func(consts []*planner.Const) kernel {
		return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			t := args[1].Type
			if len(args) == 3 {
				t = types.TsTZ // wall-clock time and instant (planner's callZoned)
			}
			// The field, read as PostgreSQL reads it: once if constant.
			var canon string
			var bad *sqlerr.Error
			if consts[0] != nil && !consts[0].Null {
				canon, bad = planner.DateField(consts[0].S, t)
			}
			for i := 0; i < n; i++ {
				if out.IsNull(i) {
					continue
				}
				if consts[0] == nil {
					canon, bad = planner.DateField(args[0].Str[i], t)
				}
				if bad != nil {
					err := bad
					out.SetNull(i)
					ctx.report(i, func() *sqlerr.Error { return err })
					continue
				}
				us := args[1].I64[i]
				switch {
				case t.Kind == types.Interval:
					out.F64[i] = intervalPart(canon, args[1].IntervalAt(i))
				case strings.HasPrefix(canon, "timezone"):
					c, _ := extractTimestamp(canon, us, args[2].I64[i])
					out.F64[i] = float64(c)
				default:
					out.F64[i], _ = datePart(canon, us)
				}
			}
		}
	})
	for _, name := range []string{"year", "quarter", "month", "week", "hour", "minute", "second"} {
		registerKernel(name, fieldKernel(name))
	}
	registerKernel("dayofmonth", fieldKernel("day"))
	registerKernel("dayofyear", fieldKernel("doy"))
	registerKernel("dayofweek", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, us := range args[0].I64[:n] {
			out.I64[i] = floorMod(floorDiv(us, vec.DayMicros)+4, 7) + 1 // Flink's: 1 is Sunday
		}
	}))
	registerKernel("make_date", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		y, m, d := args[0].I64, args[1].I64, args[2].I64
		timeRows(out, n, ctx, func(i int) (int64, bool) { return makeDate(y[i], m[i], d[i]) }, func(i int) *sqlerr.Error {
			return sqlerr.New(sqlerr.DatetimeOverflow, "date field value out of range: %d-%02d-%02d", y[i], m[i], d[i])
		})
	}))
	registerKernel("make_timestamp", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		timeRows(out, n, ctx, func(i int) (int64, bool) {
			days, ok := makeDate(args[0].I64[i], args[1].I64[i], args[2].I64[i])
			h, mi, sec := args[3].I64[i], args[4].I64[i], args[5].F64[i]
			if !ok || h < 0 || h > 24 || mi < 0 || mi > 59 || !(sec >= 0 && sec <= 60) || h == 24 && (mi != 0 || sec != 0) {
				return 0, false
			}
			us := days*vec.DayMicros + h*3600e6 + mi*60e6 + int64(math.Round(sec*1e6))
			return us, vec.TimestampInRange(us)
		}, func(int) *sqlerr.Error {
			return sqlerr.New(sqlerr.DatetimeOverflow, "date/time field value out of range")
		})
	}))
	toTimestamp := fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		if args[0].Type.Kind == types.String {
			// Flink's: NULL for text that is no timestamp.
			timeRows(out, n, ctx, func(i int) (int64, bool) { return vec.ParseTimestamp(args[0].Str[i]) }, func(int) *sqlerr.Error { return nil })
			return
		}
		timeRows(out, n, ctx, func(i int) (int64, bool) {
			// Rounded as PostgreSQL rounds: µs since 2000 of the seconds
			// since 2000, in double precision.
			const pgEpoch = 946684800
			f := math.RoundToEven((args[0].F64[i] - pgEpoch) * 1e6)
			ok := f > float64(vec.MinTimestamp-pgEpoch*1e6) && f < float64(vec.MaxTimestamp-pgEpoch*1e6)
			return int64(f) + pgEpoch*1e6, ok
		}, tsRange)
	})
	// to_timestamp(text, template) parses; the other two convert.
	registerKernel("to_timestamp", func(consts []*planner.Const) kernel {
		if len(consts) == 2 {
			return newDateParser(consts)
		}
		return toTimestamp(consts)
	})
	registerKernel("timestampadd", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		timeRows(out, n, ctx, func(i int) (int64, bool) { return timestampAdd(args[0].Str[i], args[1].I64[i], args[2].I64[i]) }, tsRange)
	}))
	registerKernel("timestampdiff", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			out.I64[i] = timestampDiff(args[0].Str[i], args[1].I64[i], args[2].I64[i])
		}
	}))
}

// timeRows sets out's rows that are not NULL to f's values; a row f fails
// is NULL, with fail's error (none if nil).
func timeRows(out *vec.Vec, n int, ctx *evalCtx, f func(i int) (int64, bool), fail func(i int) *sqlerr.Error) {
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		x, ok := f(i)
		if !ok {
			out.SetNull(i)
			if e := fail(i); e != nil {
				ctx.report(i, func() *sqlerr.Error { return e })
			}
			continue
		}
		out.I64[i] = x
	}
}

func tsRange(int) *sqlerr.Error { return sqlerr.New(sqlerr.DatetimeOverflow, "timestamp out of range") }

// fieldKernel is the kernel of an accessor: field of a TIMESTAMP, a BIGINT.
func fieldKernel(field string) kernelMaker {
	return fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, us := range args[0].I64[:n] {
			f, _ := datePart(field, us)
			out.I64[i] = int64(f)
		}
	})
}

func floorDiv(a, b int64) int64 { return planner.FloorDiv(a, b) }

func floorMod(a, b int64) int64 { return a - planner.FloorDiv(a, b)*b }

// pgYear is PostgreSQL's year of ISO year y: no year 0, 1 BC is -1.
func pgYear(y int64) int64 {
	if y <= 0 {
		return y - 1
	}
	return y
}

// datePart is date_part(field, ts) of a TIMESTAMP in µs, as PostgreSQL
// computes it; ok is false for a field it does not know.
func datePart(field string, us int64) (float64, bool) {
	days := floorDiv(us, vec.DayMicros)
	rest := us - days*vec.DayMicros
	switch field {
	case "microseconds":
		return float64(rest % 60e6), true
	case "milliseconds":
		return float64(rest%60e6) / 1e3, true
	case "second":
		return float64(rest%60e6) / 1e6, true
	case "minute":
		return float64(rest / 60e6 % 60), true
	case "hour":
		return float64(rest / 3600e6), true
	case "epoch":
		return float64(us) / 1e6, true
	case "julian":
		// PostgreSQL's float8 sum: the day, and the seconds of the day.
		sec := float64(rest/1e6) + float64(rest%1e6)/1e6
		return float64(days+julianEpoch) + sec/86400, true
	}
	v, ok := dayPart(field, days)
	return float64(v), ok
}

// dayPart is a field of the day days after 1970-01-01 (of a DATE, or a
// timestamp's): one of its calendar, ISO week and Julian numbers, and
// its epoch in seconds; ok is false for a field a day has not.
func dayPart(field string, days int64) (int64, bool) {
	y, m, d := vec.CivilFromDays(days)
	switch field {
	case "day":
		return int64(d), true
	case "month":
		return int64(m), true
	case "quarter":
		return int64((m-1)/3 + 1), true
	case "year":
		return pgYear(y), true
	case "decade":
		// PostgreSQL's: decade 0 starts in 1 BC (ISO year 0), -1 is 11 BC
		// to 2 BC.
		if y >= 0 {
			return y / 10, true
		}
		return -((8 - (y - 1)) / 10), true
	case "century", "millennium":
		span := int64(100)
		if field == "millennium" {
			span = 1000
		}
		if y > 0 {
			return (y + span - 1) / span, true
		}
		return -((span - y) / span), true
	case "dow":
		return floorMod(days+4, 7), true
	case "isodow":
		return floorMod(days+3, 7) + 1, true
	case "doy":
		return days - vec.DaysFromCivil(y, 1, 1) + 1, true
	case "week", "isoyear":
		iy, w := isoWeek(days)
		if field == "week" {
			return w, true
		}
		return pgYear(iy), true
	case "julian":
		return days + julianEpoch, true
	case "epoch":
		return days * 86400, true
	}
	return 0, false
}

// isoWeek is the ISO 8601 year and week of a day.
func isoWeek(days int64) (int64, int64) {
	// The Thursday of the day's week decides its year.
	thu := days - floorMod(days+3, 7) + 3
	y, _, _ := vec.CivilFromDays(thu)
	return y, (thu-vec.DaysFromCivil(y, 1, 1))/7 + 1
}

// intervalPart is date_part(field, x) of one of an interval's fields, in
// double precision as PostgreSQL's interval_part computes it.
func intervalPart(field string, x vec.Interval) float64 {
	switch field {
	case "epoch":
		return vec.IntervalEpochFloat(x)
	case "milliseconds":
		v, _, _ := vec.IntervalPart("second", x)
		return float64(v/1e6)*1000 + float64(v%1e6)/1000
	case "second":
		v, _, _ := vec.IntervalPart("second", x)
		return float64(v/1e6) + float64(v%1e6)/1e6
	}
	v, _, _ := vec.IntervalPart(field, x)
	return float64(v)
}

// makeDate is make_date(y, m, d), where a negative year is BC.
func makeDate(y, m, d int64) (int64, bool) {
	if y == 0 || m < 1 || m > 12 || d < 1 || d > 31 || y > 5874897 || y < -4714 {
		return 0, false
	}
	if y < 0 {
		y++ // ISO year of y BC
	}
	days := vec.DaysFromCivil(y, int(m), int(d))
	if yy, mm, _ := vec.CivilFromDays(days); yy != y || int64(mm) != m {
		return 0, false // February 30th rolled over
	}
	return days, days >= vec.MinDate && days <= vec.MaxDate
}

// unitLength is the length of a TIMESTAMPADD unit: µs for the fixed ones,
// months (and calendar true) for MONTH, QUARTER and YEAR.
func unitLength(unit string) (n int64, calendar bool) {
	switch unit {
	case "microsecond":
		return 1, false
	case "second":
		return 1e6, false
	case "minute":
		return 60e6, false
	case "hour":
		return 3600e6, false
	case "day":
		return vec.DayMicros, false
	case "week":
		return 7 * vec.DayMicros, false
	case "month":
		return 1, true
	case "quarter":
		return 3, true
	}
	return 12, true
}

// timestampAdd is TIMESTAMPADD(unit, k, us): months keep the time of day
// and move the day back to the month's last where it has fewer.
func timestampAdd(unit string, k, us int64) (int64, bool) {
	per, calendar := unitLength(unit)
	if !calendar {
		d, ok1 := vec.MulInt64(k, per)
		r, ok2 := vec.AddInt64(us, d)
		return r, ok1 && ok2 && vec.TimestampInRange(r)
	}
	months, ok := vec.MulInt64(k, per)
	if !ok || months > 12*300000 || months < -12*300000 {
		return 0, false
	}
	days := floorDiv(us, vec.DayMicros)
	rest := us - days*vec.DayMicros
	y, m, d := vec.CivilFromDays(days)
	total := y*12 + int64(m-1) + months
	ny, nm := floorDiv(total, 12), int(floorMod(total, 12))+1
	last := vec.DaysFromCivil(ny, nm+1, 1) - vec.DaysFromCivil(ny, nm, 1)
	if nm == 12 {
		last = 31
	}
	r := vec.DaysFromCivil(ny, nm, min(d, int(last)))*vec.DayMicros + rest
	return r, vec.TimestampInRange(r)
}

// timestampDiff is TIMESTAMPDIFF(unit, a, b): whole units from a to b,
// toward zero; months count only once the day and time are reached.
func timestampDiff(unit string, a, b int64) int64 {
	per, calendar := unitLength(unit)
	if !calendar {
		d, ok := vec.SubInt64(b, a)
		if !ok {
			return 0
		}
		return d / per
	}
	split := func(us int64) (int64, int64) {
		days := floorDiv(us, vec.DayMicros)
		y, m, d := vec.CivilFromDays(days)
		return y*12 + int64(m-1), int64(d-1)*vec.DayMicros + us - days*vec.DayMicros
	}
	ma, ra := split(a)
	mb, rb := split(b)
	months := mb - ma
	if months > 0 && rb < ra {
		months--
	} else if months < 0 && rb > ra {
		months++
	}
	return months / per
}

// intervalScale is interval * f or interval / f, as PostgreSQL's
// interval_mul and interval_div (vec.ScaleInterval): out of range
// (22008) for a NaN, or a part past its int32 or int64.
func intervalScale(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx, div bool) {
	f := args[1].F64
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		if div && f[i] == 0 {
			divByZero(out, i, ctx)
			continue
		}
		x, ok := vec.ScaleInterval(args[0].IntervalAt(i), f[i], div)
		if !ok {
			intervalOverflow(out, i, ctx)
			continue
		}
		out.SetInterval(i, x)
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
	var loc *time.Location
	var err error
	last := ""
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		if loc == nil || zone[i] != last {
			// The zone is a constant in all but odd queries: load it once.
			last = zone[i]
			loc, err = vec.LoadZone(last)
		}
		if err != nil {
			loc = nil
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
