package vec

import (
	"strconv"
	"strings"
)

// The range of DATE, in days since 1970-01-01: PostgreSQL's, from
// 4714-11-24 BC (Julian day 0) to 5874897-12-31.
const (
	MinDate int64 = -2440588
	MaxDate int64 = 2145042905
)

// DayMicros is the length of a day in µs.
const DayMicros = 86400 * 1e6

// TimeResult says why a date or time text did not read.
type TimeResult uint8

const (
	TimeOK TimeResult = iota
	// TimeBad is text that is not a date or time at all (22007).
	TimeBad
	// TimeField is a field out of its range, such as February 30th
	// (22008, "date/time field value out of range").
	TimeField
	// TimeRange is a value outside the type's range (22008).
	TimeRange
)

// DaysFromCivil is the day number of a proleptic Gregorian date, where
// ISO year 0 is 1 BC (Howard Hinnant's algorithm).
func DaysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv64(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := int64((153*mp+2)/5 + d - 1)
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// CivilFromDays is the inverse of DaysFromCivil.
func CivilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv64(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp+2)%12 + 1
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysIn is the length of month m of year y.
func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// cutEra removes a trailing " BC" or " AD" from s, reporting BC.
func cutEra(s string) (string, bool) {
	if n := len(s); n > 3 && s[n-3] == ' ' {
		switch strings.ToUpper(s[n-2:]) {
		case "BC":
			return strings.TrimRight(s[:n-3], " "), true
		case "AD":
			return strings.TrimRight(s[:n-3], " "), false
		}
	}
	return s, false
}

// ParseDate reads an ISO date (YYYY-MM-DD, the year of 4 to 7 digits,
// optionally followed by a time, which is checked and dropped, and an
// era, " BC" or " AD") as days since 1970-01-01, as PostgreSQL reads one.
func ParseDate(s string) (int64, TimeResult) {
	s, bc := cutEra(strings.TrimSpace(s))
	date, rest := s, ""
	if i := strings.IndexAny(s, " T"); i >= 0 {
		date, rest = s[:i], s[i:]
	}
	ys, ms, ok := strings.Cut(date, "-")
	ms, ds, ok2 := strings.Cut(ms, "-")
	if !ok || !ok2 || len(ys) < 4 || len(ys) > 7 || len(ms) < 1 || len(ms) > 2 || len(ds) < 1 || len(ds) > 2 {
		return 0, TimeBad
	}
	y, err1 := strconv.ParseInt(ys, 10, 64)
	m, err2 := strconv.Atoi(ms)
	d, err3 := strconv.Atoi(ds)
	if err1 != nil || err2 != nil || err3 != nil || ys[0] == '-' || ys[0] == '+' {
		return 0, TimeBad
	}
	if rest != "" {
		// The time must read as one; its value does not matter.
		if _, ok := ParseTimestamp("2000-01-01" + rest); !ok {
			return 0, TimeBad
		}
	}
	if y == 0 {
		return 0, TimeField // PostgreSQL has no year 0
	}
	if bc {
		y = 1 - y // 1 BC is ISO year 0
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, TimeField
	}
	days := DaysFromCivil(y, m, d)
	if days < MinDate || days > MaxDate {
		return 0, TimeRange
	}
	return days, TimeOK
}

// AppendDate formats days since 1970-01-01 as PostgreSQL prints a date:
// YYYY-MM-DD with at least four year digits and " BC" before year 1.
func AppendDate(buf []byte, days int64) []byte {
	buf, bc := appendDay(buf, days)
	return appendEra(buf, bc)
}

// appendDay appends a day without its era, reporting whether it is BC.
func appendDay(buf []byte, days int64) ([]byte, bool) {
	y, m, d := CivilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = appendYear(buf, y)
	buf = append(buf, '-')
	buf = append2(buf, m)
	buf = append(buf, '-')
	return append2(buf, d), bc
}

// appendEra appends " BC" to a BC date or time.
func appendEra(buf []byte, bc bool) []byte {
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendYear appends a year of at least four digits.
func appendYear(buf []byte, y int64) []byte {
	if y < 1000 {
		buf = append(buf, "000"[:4-digits(int(y))]...)
	}
	return strconv.AppendInt(buf, y, 10)
}

// DateOfTimestamp is the day a TIMESTAMP falls on.
func DateOfTimestamp(us int64) int64 { return floorDiv64(us, DayMicros) }

// TimestampOfDate is a DATE's midnight as a TIMESTAMP, and whether that
// is in TIMESTAMP's range.
func TimestampOfDate(days int64) (int64, bool) {
	if days < MinTimestamp/DayMicros || days > MaxTimestamp/DayMicros {
		return 0, false
	}
	return days * DayMicros, true
}

// DaysIn is the number of days in month m of year y.
func DaysIn(y int64, m int) int { return daysIn(y, m) }
