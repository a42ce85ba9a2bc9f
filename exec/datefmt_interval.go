package exec

import (
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// errIntervalFormat is PostgreSQL's refusal of a to_char field an
// interval has not (a weekday, a week, a zone).
var errIntervalFormat = sqlerr.New(sqlerr.InvalidDatetime, "invalid format specification for an interval value")

// appendInterval formats x by the pattern as PostgreSQL's
// interval_to_char: the interval's fields (years, months, days, hours
// past 24, minutes, seconds) in place of a date's; DDD is its length in
// days of 30-day months. Month and weekday names, weeks, ISO years, the
// Julian day and zones are refused (PostgreSQL refuses the names and
// weekdays, and prints the others of the fields read as a date).
func (p datePattern) appendInterval(dst []byte, x vec.Interval) ([]byte, *sqlerr.Error) {
	t := x.Micros
	hour := t / 3600e6
	t -= hour * 3600e6
	minute := t / 60e6
	t -= minute * 60e6
	sec, fsec := t/1e6, t%1e6
	year, mon, mday := int64(x.Months/12), int64(x.Months%12), int64(x.Days)
	yday := (year*12+mon)*30 + mday
	// signed is C's %0*d: the sign within the width, or (widen, for
	// the fields PostgreSQL widens for a negative value) before it.
	signed := func(v int64, pad int, widen bool) {
		if v < 0 {
			dst = append(dst, '-')
			v = -v
			if !widen && pad > 0 {
				pad--
			}
		}
		dst = appendInt(dst, v, pad)
	}
	for _, it := range p {
		var v int64
		switch it.field {
		case fLit:
			dst = append(dst, it.lit...)
			continue
		case fRoman:
			// PostgreSQL's: a negative month counts back from
			// December, whole years are XII (I when negative).
			var m int64
			switch {
			case mon == 0 && year == 0:
				continue
			case mon == 0 && year > 0:
				m = 11
			case mon == 0:
				m = 0
			case mon < 0:
				m = 12 + mon
			default:
				m = mon - 1
			}
			dst = appendName(dst, romanMonths[m], it)
			continue
		case fMeridiem:
			s := "AM"
			if hour%24 >= 12 { // C's remainder: a negative hour is AM
				s = "PM"
			}
			dst = appendMark(dst, s, it.style)
			continue
		case fYear:
			v = year
		case fYearMod:
			v = year % [4]int64{1, 10, 100, 1000}[it.n]
		case fYearComma:
			signed(year/1000, 0, false)
			dst = append(dst, ',')
			signed(year%1000, 3, false)
			continue
		case fMonth:
			v = mon
		case fDay:
			v = mday
		case fDayOfYear:
			v = yday
		case fHour24:
			v = hour
		case fHour12:
			v = hour % 12
			if v == 0 {
				v = 12
			}
		case fMinute:
			v = minute
		case fSecond:
			v = sec
		case fSecOfDay:
			v = hour*3600 + minute*60 + sec
		case fMilli:
			v = fsec / 1000
		case fMicro:
			v = fsec
		case fFrac:
			v = fsec / [7]int64{1e6, 1e5, 1e4, 1e3, 100, 10, 1}[it.n]
		case fQuarter:
			if mon == 0 {
				continue
			}
			v = (mon-1)/3 + 1
		case fCentury:
			v = year / 100
		default:
			return dst, errIntervalFormat
		}
		switch it.field {
		case fHour24, fHour12, fMinute, fSecond, fYear, fYearMod, fMonth:
			signed(v, it.pad, true)
		default:
			signed(v, it.pad, false)
		}
		if it.th != 0 {
			dst = appendTH(dst, max(v, -v), it.th == 'T')
		}
	}
	return dst, nil
}
