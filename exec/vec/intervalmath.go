package vec

import (
	"math"
	"math/big"
	"time"
)

// Interval arithmetic as PostgreSQL 15's: each part on its own, false
// when one leaves its int32 (months, days) or int64 (µs).

// AddIntervals is a + b.
func AddIntervals(a, b Interval) (Interval, bool) {
	m, ok1 := addInt32(a.Months, b.Months)
	d, ok2 := addInt32(a.Days, b.Days)
	us, ok3 := AddInt64(a.Micros, b.Micros)
	return Interval{m, d, us}, ok1 && ok2 && ok3
}

// SubIntervals is a - b.
func SubIntervals(a, b Interval) (Interval, bool) {
	m := int64(a.Months) - int64(b.Months)
	d := int64(a.Days) - int64(b.Days)
	us, ok := SubInt64(a.Micros, b.Micros)
	ok = ok && m >= math.MinInt32 && m <= math.MaxInt32 && d >= math.MinInt32 && d <= math.MaxInt32
	return Interval{int32(m), int32(d), us}, ok
}

// NegInterval is -x.
func NegInterval(x Interval) (Interval, bool) {
	ok := x.Months != math.MinInt32 && x.Days != math.MinInt32 && x.Micros != math.MinInt64
	return Interval{-x.Months, -x.Days, -x.Micros}, ok
}

// tsRound is PostgreSQL's TSROUND: to a µs's precision.
func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

// fitsInt32 is PostgreSQL's FLOAT8_FITS_IN_INT32: a fraction past
// INT_MAX still truncates into it.
func fitsInt32(f float64) bool { return !math.IsNaN(f) && f < -math.MinInt32 && f >= math.MinInt32 }

// ScaleInterval is x * f, or x / f when div, as PostgreSQL's interval_mul
// and interval_div: months and days scaled and truncated, their
// fractions cascaded down (a month's into 30 days, a day's into µs), the
// µs scaled and rounded. A divisor of 0 is the caller's to refuse.
func ScaleInterval(x Interval, f float64, div bool) (Interval, bool) {
	scale := func(v float64) float64 {
		if div {
			return v / f
		}
		return v * f
	}
	var r Interval
	m := scale(float64(x.Months))
	if !fitsInt32(m) {
		return r, false
	}
	r.Months = int32(m)
	d := scale(float64(x.Days))
	if !fitsInt32(d) {
		return r, false
	}
	r.Days = int32(d)
	monthRem := tsRound((m - float64(r.Months)) * MonthDays)
	secRem := tsRound((d - float64(r.Days) + monthRem - float64(int32(monthRem))) * 86400)
	if math.Abs(secRem) >= 86400 {
		days, ok := addInt32(r.Days, int32(secRem/86400))
		if !ok {
			return r, false
		}
		r.Days = days
		secRem -= float64(int32(secRem/86400)) * 86400
	}
	days, ok := addInt32(r.Days, int32(monthRem))
	if !ok {
		return r, false
	}
	r.Days = days
	t := math.RoundToEven(scale(float64(x.Micros)) + secRem*1e6)
	if math.IsNaN(t) || t < -9223372036854775808 || t >= 9223372036854775808 {
		return r, false
	}
	r.Micros = int64(t)
	return r, true
}

// JustifyHours is justify_hours(x): whole days of the µs into days, the
// time left of the days' sign.
func JustifyHours(x Interval) (Interval, bool) {
	whole := x.Micros / DayMicros
	x.Micros -= whole * DayMicros
	if whole > math.MaxInt32 || whole < math.MinInt32 {
		return x, false
	}
	d, ok := addInt32(x.Days, int32(whole))
	if !ok {
		return x, false
	}
	x.Days = d
	if x.Days > 0 && x.Micros < 0 {
		x.Micros += DayMicros
		x.Days--
	} else if x.Days < 0 && x.Micros > 0 {
		x.Micros -= DayMicros
		x.Days++
	}
	return x, true
}

// JustifyDays is justify_days(x): whole 30 days into months.
func JustifyDays(x Interval) (Interval, bool) {
	whole := x.Days / MonthDays
	x.Days -= whole * MonthDays
	m, ok := addInt32(x.Months, whole)
	if !ok {
		return x, false
	}
	x.Months = m
	if x.Months > 0 && x.Days < 0 {
		x.Days += MonthDays
		x.Months--
	} else if x.Months < 0 && x.Days > 0 {
		x.Days -= MonthDays
		x.Months++
	}
	return x, true
}

// JustifyInterval is justify_interval(x): both, the parts of one sign.
func JustifyInterval(x Interval) (Interval, bool) {
	if x.Days > 0 && x.Micros > 0 || x.Days < 0 && x.Micros < 0 {
		whole := x.Days / MonthDays
		x.Days -= whole * MonthDays
		m, ok := addInt32(x.Months, whole)
		if !ok {
			return x, false
		}
		x.Months = m
	}
	whole := x.Micros / DayMicros
	x.Micros -= whole * DayMicros
	days := int64(x.Days) + whole
	wm := days / MonthDays
	days -= wm * MonthDays
	if wm > math.MaxInt32 || wm < math.MinInt32 {
		return x, false
	}
	m, ok := addInt32(x.Months, int32(wm))
	if !ok {
		return x, false
	}
	x.Months, x.Days = m, int32(days)
	if x.Months > 0 && (x.Days < 0 || x.Days == 0 && x.Micros < 0) {
		x.Days += MonthDays
		x.Months--
	} else if x.Months < 0 && (x.Days > 0 || x.Days == 0 && x.Micros > 0) {
		x.Days -= MonthDays
		x.Months++
	}
	if x.Days > 0 && x.Micros < 0 {
		x.Micros += DayMicros
		x.Days--
	} else if x.Days < 0 && x.Micros > 0 {
		x.Micros -= DayMicros
		x.Days++
	}
	return x, true
}

// TimestampDiff is a - b of two timestamps as PostgreSQL's timestamp_mi:
// the µs apart, whole days of them as days (justify_hours).
func TimestampDiff(a, b int64) (Interval, bool) {
	us, ok := SubInt64(a, b)
	if !ok {
		return Interval{}, false
	}
	return JustifyHours(Interval{Micros: us})
}

// AddMonths moves a wall-clock time (µs) by months, the day of the
// month kept or cut to the month's last, as PostgreSQL's
// timestamp_pl_interval does.
func AddMonths(wall int64, months int32) (int64, bool) {
	if months == 0 {
		return wall, true
	}
	days := floorDiv64(wall, DayMicros)
	rest := wall - days*DayMicros
	y, m, d := CivilFromDays(days)
	total := y*12 + int64(m-1) + int64(months)
	ny := floorDiv64(total, 12)
	if ny > 300000 || ny < -5000 {
		return 0, false // far past TIMESTAMP's years
	}
	nm := int(total-ny*12) + 1
	d = min(d, daysIn(ny, nm))
	r := DaysFromCivil(ny, nm, d)*DayMicros + rest
	return r, TimestampInRange(r)
}

// AddIntervalToTimestamp is ts + x of a TIMESTAMP: months on the
// calendar, then days of 24 hours, then the µs, each step in range.
func AddIntervalToTimestamp(ts int64, x Interval) (int64, bool) {
	ok := true
	if x.Months != 0 {
		if ts, ok = AddMonths(ts, x.Months); !ok {
			return 0, false
		}
	}
	if x.Days != 0 {
		// 2^31 days of µs do not fit an int64: checked.
		d, ok1 := MulInt64(int64(x.Days), DayMicros)
		if ts, ok = AddInt64(ts, d); !ok1 || !ok || !TimestampInRange(ts) {
			return 0, false
		}
	}
	r, ok := AddInt64(ts, x.Micros)
	return r, ok && TimestampInRange(r)
}

// AddIntervalToTimestampTZ is ts + x of a TIMESTAMPTZ in zone loc:
// months and days on the calendar of the wall clock there, each read
// back in loc, then the µs.
func AddIntervalToTimestampTZ(ts int64, x Interval, loc *time.Location) (int64, bool) {
	if x.Months != 0 {
		wall, ok := AddMonths(ToLocal(ts, loc), x.Months)
		if !ok {
			return 0, false
		}
		if ts = FromLocal(wall, loc); !TimestampInRange(ts) {
			return 0, false
		}
	}
	if x.Days != 0 {
		d, ok1 := MulInt64(int64(x.Days), DayMicros)
		wall, ok := AddInt64(ToLocal(ts, loc), d)
		if !ok1 || !ok || !TimestampInRange(wall) {
			return 0, false
		}
		if ts = FromLocal(wall, loc); !TimestampInRange(ts) {
			return 0, false
		}
	}
	r, ok := AddInt64(ts, x.Micros)
	return r, ok && TimestampInRange(r)
}

// dayTab is the length of each month, in a common and in a leap year.
func monthLength(y int64, m int) int64 { return int64(daysIn(y, m)) }

// Age is age(a, b) of two wall-clock times as PostgreSQL's timestamp_age:
// the difference of their fields (years, months, days, time), each
// negative field borrowed from the next, in the earlier's direction.
func Age(a, b int64) (Interval, bool) {
	type tm struct {
		year      int64
		mon, mday int64
		hour, min int64
		sec, fsec int64
	}
	split := func(us int64) tm {
		days := floorDiv64(us, DayMicros)
		rest := us - days*DayMicros
		y, m, d := CivilFromDays(days)
		return tm{year: y, mon: int64(m), mday: int64(d), hour: rest / 3600e6, min: rest / 60e6 % 60,
			sec: rest / 1e6 % 60, fsec: rest % 1e6}
	}
	t1, t2 := split(a), split(b)
	r := tm{year: t1.year - t2.year, mon: t1.mon - t2.mon, mday: t1.mday - t2.mday,
		hour: t1.hour - t2.hour, min: t1.min - t2.min, sec: t1.sec - t2.sec, fsec: t1.fsec - t2.fsec}
	flip := a < b
	neg := func() {
		r.fsec, r.sec, r.min, r.hour, r.mday, r.mon, r.year = -r.fsec, -r.sec, -r.min, -r.hour, -r.mday, -r.mon, -r.year
	}
	if flip {
		neg()
	}
	for r.fsec < 0 {
		r.fsec += 1e6
		r.sec--
	}
	for r.sec < 0 {
		r.sec += 60
		r.min--
	}
	for r.min < 0 {
		r.min += 60
		r.hour--
	}
	for r.hour < 0 {
		r.hour += 24
		r.mday--
	}
	for r.mday < 0 {
		if flip {
			r.mday += monthLength(t1.year, int(t1.mon))
		} else {
			r.mday += monthLength(t2.year, int(t2.mon))
		}
		r.mon--
	}
	for r.mon < 0 {
		r.mon += 12
		r.year--
	}
	if flip {
		neg()
	}
	months := r.year*12 + r.mon
	if months > math.MaxInt32 || months < math.MinInt32 {
		return Interval{}, false
	}
	us := ((r.hour*60+r.min)*60+r.sec)*1e6 + r.fsec
	return Interval{Months: int32(months), Days: int32(r.mday), Micros: us}, true
}

// IntervalPart is EXTRACT(field FROM x) and date_part(field, x) as
// PostgreSQL's interval_part: v times 10^-scale, exact, for the fields of
// an interval (not the epoch: IntervalEpochFloat); ok is false for a
// field an interval does not have.
func IntervalPart(field string, x Interval) (v int64, scale int, ok bool) {
	t := x.Micros
	hour := t / 3600e6
	t -= hour * 3600e6
	minute := t / 60e6
	t -= minute * 60e6
	year, mon := int64(x.Months/12), int64(x.Months%12)
	switch field {
	case "microseconds":
		return t, 0, true
	case "milliseconds":
		return t, 3, true
	case "second":
		return t, 6, true
	case "minute":
		return minute, 0, true
	case "hour":
		return hour, 0, true
	case "day":
		return int64(x.Days), 0, true
	case "month":
		return mon, 0, true
	case "quarter":
		return mon/3 + 1, 0, true
	case "year":
		return year, 0, true
	case "decade":
		return year / 10, 0, true
	case "century":
		return year / 100, 0, true
	case "millennium":
		return year / 1000, 0, true
	}
	return 0, 0, false
}

// IntervalEpochFloat is date_part('epoch', x), in double precision as
// PostgreSQL computes it.
func IntervalEpochFloat(x Interval) float64 {
	r := float64(x.Micros) / 1e6
	r += 365.25 * 86400 * float64(x.Months/12)
	r += MonthDays * 86400 * float64(x.Months%12)
	r += 86400 * float64(x.Days)
	return r
}

// IntervalEpochText is EXTRACT(EPOCH FROM x) as NUMERIC text with 6
// digits after the point, for the epochs past an int64 of µs.
func IntervalEpochText(x Interval) string {
	v := new(big.Int).Mul(big.NewInt(intervalEpochSecs(x)), big.NewInt(1e6))
	v.Add(v, big.NewInt(x.Micros))
	neg := v.Sign() < 0
	s := new(big.Int).Abs(v).String()
	for len(s) < 7 {
		s = "0" + s
	}
	s = s[:len(s)-6] + "." + s[len(s)-6:]
	if neg {
		s = "-" + s
	}
	return s
}

// IntervalEpoch is EXTRACT(EPOCH FROM x) in µs (a year 365.25 days, a
// month 30), and false when that passes an int64 (IntervalEpochText).
func IntervalEpoch(x Interval) (int64, bool) {
	v, ok1 := MulInt64(intervalEpochSecs(x), 1e6)
	v, ok2 := AddInt64(v, x.Micros)
	return v, ok1 && ok2
}

// intervalEpochSecs is the seconds of x's months and days, counted in
// integers as PostgreSQL's interval_part counts them (times 4, a year
// being 365.25 days).
func intervalEpochSecs(x Interval) int64 {
	return (int64(4*365.25)*int64(x.Months/12) + 4*MonthDays*int64(x.Months%12) + 4*int64(x.Days)) * (86400 / 4)
}
