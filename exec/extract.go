package exec

import (
	"math/big"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// extractFields computes EXTRACT(field FROM x) (planner's extract): args
// are the canonical field, x as a TIMESTAMP's wall-clock µs, a DATE's
// days or an interval's µs, and a TIMESTAMPTZ's instant. out is a DECIMAL at the
// field's scale, or a NUMERIC (julian, an interval's epoch) of each
// value's own.
func extractFields(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
	field, x := args[0].Str, args[1].I64
	ival, date := args[1].Type.Kind == types.Interval, args[1].Type.Kind == types.Date
	t := args[1].Type
	if len(args) == 3 {
		t = types.TsTZ
	}
	// The field is checked in each row with a value, as in PostgreSQL
	// (the planner's is canonical when x's type has it).
	var last string
	var bad *sqlerr.Error
	checked := false
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		if !checked || field[i] != last {
			last, checked = field[i], true
			_, bad = planner.DateField(last, t)
		}
		if bad != nil {
			err := bad
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error { return err })
			continue
		}
		instant := x[i]
		if len(args) == 3 {
			instant = args[2].I64[i]
		}
		var coef int64
		var scale int
		switch {
		case ival && field[i] == "epoch":
			// A NUMERIC: past an int64 of µs for years of months.
			iv := args[1].IntervalAt(i)
			if us, ok := vec.IntervalEpoch(iv); ok {
				out.SetNumericCompact(i, us, 6)
			} else {
				out.SetNumericText(i, vec.IntervalEpochText(iv))
			}
			continue
		case ival:
			coef, scale, _ = vec.IntervalPart(field[i], args[1].IntervalAt(i))
		case date:
			// A DATE's own fields, past a timestamp's range too.
			coef, _ = dayPart(field[i], x[i])
		case field[i] == "julian" && out.Type.Kind == types.Numeric:
			out.SetNumericText(i, julianText(x[i]))
			continue
		default:
			coef, scale = extractTimestamp(field[i], x[i], instant)
		}
		if out.Type.Kind == types.Numeric {
			out.SetNumericCompact(i, coef, scale)
			continue
		}
		out.I64[i] = coef
	}
}

// extractTimestamp is EXTRACT(field FROM ts) of wall-clock µs, whose
// instant is instant (a TIMESTAMPTZ's; a TIMESTAMP's is its own µs), as
// PostgreSQL 15's NUMERIC: coefficient and scale.
func extractTimestamp(field string, us, instant int64) (int64, int) {
	rest := us - floorDiv(us, vec.DayMicros)*vec.DayMicros
	switch field {
	case "microseconds":
		return rest % 60e6, 0
	case "milliseconds":
		return rest % 60e6, 3
	case "second":
		return rest % 60e6, 6
	case "minute":
		return rest / 60e6 % 60, 0
	case "hour":
		return rest / 3600e6, 0
	case "epoch":
		return instant, 6
	case "timezone", "timezone_hour", "timezone_minute":
		off := (us - instant) / 1e6 // seconds east of UTC
		switch field {
		case "timezone_hour":
			return off / 3600, 0
		case "timezone_minute":
			return off / 60 % 60, 0
		}
		return off, 0
	}
	v, _ := dayPart(field, floorDiv(us, vec.DayMicros))
	return v, 0
}

// julianEpoch is the Julian day of 1970-01-01 (PostgreSQL's date2j).
const julianEpoch = 2440588

// julianText is EXTRACT(JULIAN FROM ts) of wall-clock µs, as PostgreSQL
// 15 computes it: the day's Julian number plus the time of day divided
// by a day's µs as NUMERIC division does, rounded half away from zero at
// its select_div_scale (16 significant digits past the quotient's first
// base-10000 digit), so the scale differs from value to value.
func julianText(us int64) string {
	days := floorDiv(us, vec.DayMicros)
	rest := us - days*vec.DayMicros
	// The divisor, 864|0000|0000 in base 10000, has weight 2.
	weight, first := int64(0), rest
	for first >= 10000 {
		first /= 10000
		weight++
	}
	q := weight - 2
	if first <= 864 {
		q--
	}
	scale := 16 - 4*q
	num := new(big.Int).Mul(big.NewInt(rest), new(big.Int).Exp(big.NewInt(10), big.NewInt(scale), nil))
	num.Add(num, big.NewInt(vec.DayMicros/2)) // rest ≥ 0: half up is away from zero
	num.Quo(num, big.NewInt(vec.DayMicros))
	num.Add(num, new(big.Int).Mul(big.NewInt(days+julianEpoch), new(big.Int).Exp(big.NewInt(10), big.NewInt(scale), nil)))
	s := num.String()
	for int64(len(s)) <= scale {
		s = "0" + s
	}
	return s[:int64(len(s))-scale] + "." + s[int64(len(s))-scale:]
}
