package vec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The reading of interval text is PostgreSQL 15's interval_in: the text
// split into fields as ParseDateTime splits it (a punctuation mark it
// does not know is a delimiter), the fields read right to left as
// DecodeInterval reads them (units, "ago", a time hh:mm:ss, SQL's
// years-months y-m, a number without a unit in the qualifier's last
// field), then, if that is bad text, ISO 8601 ('P1Y2M3DT4H5M6S',
// 'P0001-02-03T04:05:06'), then the qualifier's truncation
// (AdjustIntervalForTypmod).

// IntervalFields is an interval qualifier (INTERVAL '1-2' YEAR TO MONTH):
// the set of its fields, 0 for none.
type IntervalFields uint8

// The fields of a qualifier.
const (
	FieldYear IntervalFields = 1 << iota
	FieldMonth
	FieldDay
	FieldHour
	FieldMinute
	FieldSecond
)

// QualifierFields is the qualifier FROM [TO TO], each a unit's name
// (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND); false for one SQL does not
// have (HOUR TO DAY, WEEK).
func QualifierFields(from, to string) (IntervalFields, bool) {
	f := map[string]IntervalFields{"year": FieldYear, "month": FieldMonth, "day": FieldDay, "hour": FieldHour,
		"minute": FieldMinute, "second": FieldSecond}
	a, ok := f[strings.ToLower(from)]
	if !ok {
		return 0, false
	}
	if to == "" {
		return a, true
	}
	b, ok := f[strings.ToLower(to)]
	if !ok || b <= a || a == FieldYear && b != FieldMonth || a == FieldMonth {
		return 0, false
	}
	return b<<1 - a, true // every field from a to b
}

// field kinds of ParseDateTime.
const (
	dtNumber = iota
	dtTime
	dtDate
	dtString
	dtTZ
	dtSpecial
)

// the units of DecodeUnits.
const (
	uNone = iota
	uMicro
	uMilli
	uSecond
	uMinute
	uHour
	uDay
	uWeek
	uMonth
	uYear
	uDecade
	uCentury
	uMillennium
	uAgo
	uIgnore
)

// unit masks, for a field given twice (DTK_M).
const (
	mYear = 1 << iota
	mMonth
	mDay
	mHour
	mMinute
	mSecond
	mMilli
	mMicro
	mWeek
	mDecade
	mCentury
	mMillennium
	mAllSecs = mSecond | mMilli | mMicro
	mTime    = mHour | mMinute | mAllSecs
)

var intervalUnits = map[string]int{
	"@": uIgnore, "ago": uAgo,
	"c": uCentury, "cent": uCentury, "centuries": uCentury, "century": uCentury,
	"d": uDay, "day": uDay, "days": uDay,
	"dec": uDecade, "decade": uDecade, "decades": uDecade, "decs": uDecade,
	"h": uHour, "hour": uHour, "hours": uHour, "hr": uHour, "hrs": uHour,
	"m": uMinute, "microsecon": uMicro, "mil": uMillennium, "millennia": uMillennium, "millennium": uMillennium,
	"millisecon": uMilli, "mils": uMillennium, "min": uMinute, "mins": uMinute, "minute": uMinute, "minutes": uMinute,
	"mon": uMonth, "mons": uMonth, "month": uMonth, "months": uMonth,
	"ms": uMilli, "msec": uMilli, "msecond": uMilli, "mseconds": uMilli, "msecs": uMilli,
	"s": uSecond, "sec": uSecond, "second": uSecond, "seconds": uSecond, "secs": uSecond,
	"us": uMicro, "usec": uMicro, "usecond": uMicro, "useconds": uMicro, "usecs": uMicro,
	"w": uWeek, "week": uWeek, "weeks": uWeek,
	"y": uYear, "year": uYear, "years": uYear, "yr": uYear, "yrs": uYear,
}

// IntervalUnitName reports whether u is a unit interval text knows
// ('5 SECONDS', '1 mon'), for the SQL front end's literals.
func IntervalUnitName(u string) bool {
	l := strings.ToLower(u)
	if len(l) > 10 {
		l = l[:10]
	}
	k, ok := intervalUnits[l]
	return ok && k != uAgo && k != uIgnore
}

type dtErr int

const (
	dtOK dtErr = iota
	dtBad
	dtField
)

// ParseInterval reads interval text as PostgreSQL's interval_in does.
func ParseInterval(s string) (Interval, error) { return ParseIntervalIn(s, 0) }

// ParseIntervalIn reads interval text under a qualifier (0 for none).
func ParseIntervalIn(s string, q IntervalFields) (Interval, error) {
	var it itm
	e := dtBad
	if fields, kinds, ok := splitDateTime(s); ok {
		e = decodeInterval(fields, kinds, q, &it)
	}
	if e == dtBad {
		it = itm{}
		e = decodeISO8601(s, &it)
	}
	switch e {
	case dtBad:
		return Interval{}, fmt.Errorf("%w: %q", ErrIntervalSyntax, s)
	case dtField:
		return Interval{}, fmt.Errorf("%w: %q", ErrIntervalField, s)
	}
	months := int64(it.year)*12 + int64(it.mon)
	if months > math.MaxInt32 || months < math.MinInt32 {
		return Interval{}, ErrIntervalRange
	}
	return AdjustInterval(Interval{Months: int32(months), Days: it.mday, Micros: it.usec}, q), nil
}

// AdjustInterval truncates x to qualifier q's fields, as PostgreSQL's
// AdjustIntervalForTypmod: YEAR keeps whole years, MONTH and YEAR TO
// MONTH drop days and time, DAY the time, a qualifier ending in HOUR or
// MINUTE the time below it.
func AdjustInterval(x Interval, q IntervalFields) Interval {
	switch {
	case q == 0:
	case q == FieldYear:
		x = Interval{Months: x.Months / 12 * 12}
	case q == FieldMonth, q == FieldYear|FieldMonth:
		x = Interval{Months: x.Months}
	case q == FieldDay:
		x.Micros = 0
	case q&FieldSecond != 0:
	case q&FieldMinute != 0:
		x.Micros = x.Micros / 60e6 * 60e6
	case q&FieldHour != 0:
		x.Micros = x.Micros / 3600e6 * 3600e6
	}
	return x
}

// itm is PostgreSQL's pg_itm_in: the parts being read.
type itm struct {
	year, mon, mday int32
	usec            int64
}

// splitDateTime is ParseDateTime: s split into at most 25 fields, each
// with its kind, lowered; false for a character it cannot place.
func splitDateTime(s string) ([]string, []int, bool) {
	var fields []string
	var kinds []int
	total := 0
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isAlpha := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isSpace := func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
	lower := func(c byte) byte {
		if c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if isSpace(c) {
			i++
			continue
		}
		if len(fields) >= 25 {
			return nil, nil, false
		}
		var f []byte
		kind := dtNumber
		switch {
		case isDigit(c):
			for i < len(s) && isDigit(s[i]) {
				f = append(f, s[i])
				i++
			}
			switch {
			case i < len(s) && s[i] == ':':
				kind = dtTime
				f = append(f, ':')
				i++
				for i < len(s) && (isDigit(s[i]) || s[i] == ':' || s[i] == '.') {
					f = append(f, s[i])
					i++
				}
			case i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.'):
				delim := s[i]
				f = append(f, delim)
				i++
				if i < len(s) && isDigit(s[i]) {
					kind = dtDate
					if delim == '.' {
						kind = dtNumber
					}
					for i < len(s) && isDigit(s[i]) {
						f = append(f, s[i])
						i++
					}
					if i < len(s) && s[i] == delim {
						kind = dtDate
						f = append(f, delim)
						i++
						for i < len(s) && (isDigit(s[i]) || s[i] == delim) {
							f = append(f, s[i])
							i++
						}
					}
				} else {
					kind = dtDate
					for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == delim) {
						f = append(f, lower(s[i]))
						i++
					}
				}
			}
		case c == '.':
			f = append(f, '.')
			i++
			for i < len(s) && isDigit(s[i]) {
				f = append(f, s[i])
				i++
			}
		case isAlpha(c):
			kind = dtString
			for i < len(s) && isAlpha(s[i]) {
				f = append(f, lower(s[i]))
				i++
			}
			date := false
			if i < len(s) {
				switch n := s[i]; {
				case n == '-' || n == '/' || n == '.':
					date = true
				case n == '+' || isDigit(n):
					date = !knownDateToken(string(f))
				}
			}
			if date {
				kind = dtDate
				for {
					f = append(f, lower(s[i]))
					i++
					if i >= len(s) {
						break
					}
					n := s[i]
					if !(n == '+' || n == '-' || n == '/' || n == '_' || n == '.' || n == ':' || isAlpha(n) || isDigit(n)) {
						break
					}
				}
			}
		case c == '+' || c == '-':
			f = append(f, c)
			i++
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			switch {
			case i < len(s) && isDigit(s[i]):
				kind = dtTZ
				f = append(f, s[i])
				i++
				for i < len(s) && (isDigit(s[i]) || s[i] == ':' || s[i] == '.' || s[i] == '-') {
					f = append(f, s[i])
					i++
				}
			case i < len(s) && isAlpha(s[i]):
				kind = dtSpecial
				for i < len(s) && isAlpha(s[i]) {
					f = append(f, lower(s[i]))
					i++
				}
			default:
				return nil, nil, false
			}
		case c < 0x80 && c > ' ' && c != 0x7f:
			// Other punctuation: a delimiter.
			i++
			continue
		default:
			return nil, nil, false
		}
		// PostgreSQL's work buffer holds 256 bytes, each field ended by
		// a NUL.
		total += len(f) + 1
		if total >= 256 {
			return nil, nil, false
		}
		fields = append(fields, string(f))
		kinds = append(kinds, kind)
	}
	return fields, kinds, true
}

// knownDateToken reports whether a word is in PostgreSQL's core date
// token table (datetktbl), so that it does not start a time zone name:
// only the words interval text may hold matter here.
func knownDateToken(w string) bool {
	switch w {
	case "ad", "allballs", "am", "at", "bc", "d", "dow", "doy", "epoch", "h", "infinity", "isodow", "isoyear",
		"j", "julian", "m", "mm", "now", "on", "pm", "s", "t", "today", "tomorrow", "y", "yesterday", "z", "zulu",
		"apr", "april", "aug", "august", "dec", "december", "feb", "february", "fri", "friday", "jan", "january",
		"jul", "july", "jun", "june", "mar", "march", "may", "mon", "monday", "nov", "november", "oct", "october",
		"sat", "saturday", "sep", "sept", "september", "sun", "sunday", "thu", "thur", "thurs", "thursday",
		"tue", "tues", "tuesday", "wed", "wednesday", "wednes":
		return true
	}
	return false
}

// decodeInterval is PostgreSQL 15's DecodeInterval, IntervalStyle
// postgres (15 takes a unit with no number, 'MONTH 1', and "ago" anywhere).
func decodeInterval(fields []string, kinds []int, q IntervalFields, it *itm) dtErr {
	fmask := 0
	typ := uNone
	ago := false
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		tmask := 0
		switch kinds[i] {
		case dtTime, dtTZ:
			if kinds[i] == dtTime || strings.Contains(f[1:], ":") {
				body := f
				if kinds[i] == dtTZ {
					body = f[1:]
				}
				us, e := decodeTime(body, q)
				if e != dtOK {
					if kinds[i] == dtTime {
						return e
					}
					goto number
				}
				if kinds[i] == dtTZ && f[0] == '-' {
					if us == math.MinInt64 {
						return dtField
					}
					us = -us
				}
				it.usec = us
				tmask = mTime
				typ = uDay
				break
			}
			fallthrough
		case dtDate, dtNumber:
			goto number
		case dtString, dtSpecial:
			u := f
			if len(u) > 10 {
				u = u[:10]
			}
			k, ok := intervalUnits[u]
			if !ok {
				return dtBad
			}
			switch k {
			case uIgnore:
				typ = uNone
				continue
			case uAgo:
				ago = true
				typ = uAgo // a number before it is bad text
			default:
				typ = k
			}
		default:
			return dtBad
		}
		if tmask&fmask != 0 {
			return dtBad
		}
		fmask |= tmask
		continue
	number:
		{
			if typ == uNone {
				typ = lastField(q)
			}
			val, rest, ok := strtoi64(f)
			if !ok {
				return dtField
			}
			fval := 0.0
			switch {
			case strings.HasPrefix(rest, "-"):
				// SQL's years-months.
				m, rest2, ok := strtoi64(rest[1:])
				if !ok || m < 0 || m >= 12 {
					return dtField
				}
				if rest2 != "" {
					return dtBad
				}
				typ = uMonth
				if f[0] == '-' {
					m = -m
				}
				v, ok1 := MulInt64(val, 12)
				v, ok2 := AddInt64(v, m)
				if !ok1 || !ok2 {
					return dtField
				}
				val = v
			case strings.HasPrefix(rest, "."):
				fr, ok := parseFraction(rest)
				if !ok {
					return dtBad
				}
				if f[0] == '-' {
					fr = -fr
				}
				fval = fr
			case rest != "":
				return dtBad
			}
			var ok2 bool
			switch typ {
			case uMicro:
				ok2, tmask = adjustMicros(val, fval, 1, it), mMicro
			case uMilli:
				ok2, tmask = adjustMicros(val, fval, 1000, it), mMilli
			case uSecond:
				ok2, tmask = adjustMicros(val, fval, 1e6, it), mSecond
				if fval != 0 {
					tmask = mAllSecs
				}
			case uMinute:
				ok2, tmask = adjustMicros(val, fval, 60e6, it), mMinute
			case uHour:
				ok2, tmask = adjustMicros(val, fval, 3600e6, it), mHour
				typ = uDay
			case uDay:
				ok2, tmask = adjustDays(val, 1, it) && adjustFracMicros(fval, DayMicros, it), mDay
			case uWeek:
				ok2, tmask = adjustDays(val, 7, it) && adjustFracDays(fval, 7, it), mWeek
			case uMonth:
				ok2, tmask = adjustMonths(val, it) && adjustFracDays(fval, MonthDays, it), mMonth
			case uYear:
				ok2, tmask = adjustYears(val, 1, it) && adjustFracYears(fval, 1, it), mYear
			case uDecade:
				ok2, tmask = adjustYears(val, 10, it) && adjustFracYears(fval, 10, it), mDecade
			case uCentury:
				ok2, tmask = adjustYears(val, 100, it) && adjustFracYears(fval, 100, it), mCentury
			case uMillennium:
				ok2, tmask = adjustYears(val, 1000, it) && adjustFracYears(fval, 1000, it), mMillennium
			default:
				return dtBad
			}
			if !ok2 {
				return dtField
			}
		}
		if tmask&fmask != 0 {
			return dtBad
		}
		fmask |= tmask
	}
	if fmask == 0 {
		return dtBad
	}
	if ago {
		if it.usec == math.MinInt64 || it.mday == math.MinInt32 || it.mon == math.MinInt32 || it.year == math.MinInt32 {
			return dtField
		}
		it.usec, it.mday, it.mon, it.year = -it.usec, -it.mday, -it.mon, -it.year
	}
	return dtOK
}

// lastField is the unit of a number without one: the qualifier's last
// field, seconds without a qualifier.
func lastField(q IntervalFields) int {
	switch q {
	case FieldYear:
		return uYear
	case FieldMonth, FieldYear | FieldMonth:
		return uMonth
	case FieldDay:
		return uDay
	case FieldHour, FieldDay | FieldHour:
		return uHour
	case FieldMinute, FieldHour | FieldMinute, FieldDay | FieldHour | FieldMinute:
		return uMinute
	}
	return uSecond
}

// strtoi64 is C's strtoll over a field: an optional sign and digits (none
// read as 0, as strtoll does), the rest, and false on overflow.
func strtoi64(f string) (int64, string, bool) {
	i := 0
	if i < len(f) && (f[i] == '+' || f[i] == '-') {
		i++
	}
	j := i
	for j < len(f) && f[j] >= '0' && f[j] <= '9' {
		j++
	}
	if j == i {
		return 0, f, true
	}
	v, err := strconv.ParseInt(f[:j], 10, 64)
	if err != nil {
		return 0, "", false
	}
	return v, f[j:], true
}

// parseFraction is ParseFraction: ".", or "." and what strtod reads to
// the end of the field.
func parseFraction(s string) (float64, bool) {
	if s == "." {
		return 0, true
	}
	if !cNumber(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// cNumber reports whether strtod reads all of s as a decimal number:
// digits with at most one point, and an exponent.
func cNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i == len(s)
}

// decodeTime is DecodeTimeForInterval: h:m[:s[.f]] (or m:s.f, and m:s
// under MINUTE TO SECOND) as µs.
func decodeTime(s string, q IntervalFields) (int64, dtErr) {
	hour, rest, ok := strtoi64(s)
	if !ok {
		return 0, dtField
	}
	if !strings.HasPrefix(rest, ":") {
		return 0, dtBad
	}
	minute, rest, ok := strtoi64(rest[1:])
	if !ok || minute > math.MaxInt32 || minute < math.MinInt32 {
		return 0, dtField
	}
	var sec, fsec int64
	switch {
	case rest == "":
		if q == FieldMinute|FieldSecond {
			if hour > math.MaxInt32 || hour < math.MinInt32 {
				return 0, dtField
			}
			sec, minute, hour = minute, hour, 0
		}
	case rest[0] == '.':
		f, e := fractionalSecond(rest)
		if e != dtOK {
			return 0, e
		}
		if hour > math.MaxInt32 || hour < math.MinInt32 {
			return 0, dtField
		}
		fsec = f
		sec, minute, hour = minute, hour, 0
	case rest[0] == ':':
		sec, rest, ok = strtoi64(rest[1:])
		if !ok || sec > math.MaxInt32 || sec < math.MinInt32 {
			return 0, dtField
		}
		switch {
		case rest == "":
		case rest[0] == '.':
			f, e := fractionalSecond(rest)
			if e != dtOK {
				return 0, e
			}
			fsec = f
		default:
			return 0, dtBad
		}
	default:
		return 0, dtBad
	}
	if hour < 0 || minute < 0 || minute > 59 || sec < 0 || sec > 60 || fsec < 0 || fsec > 1e6 {
		return 0, dtField
	}
	us := fsec
	for _, p := range [...][2]int64{{hour, 3600e6}, {minute, 60e6}, {sec, 1e6}} {
		m, ok1 := MulInt64(p[0], p[1])
		s, ok2 := AddInt64(us, m)
		if !ok1 || !ok2 {
			return 0, dtField
		}
		us = s
	}
	return us, dtOK
}

// fractionalSecond is ParseFractionalSecond: ".f" to the end as µs.
func fractionalSecond(s string) (int64, dtErr) {
	if !cNumber(s) {
		return 0, dtBad
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, dtBad
	}
	return int64(math.RoundToEven(f * 1e6)), dtOK
}

func adjustFracMicros(frac float64, scale int64, it *itm) bool {
	if frac == 0 {
		return true
	}
	frac *= float64(scale)
	us := int64(frac)
	frac -= float64(us)
	if frac > 0.5 {
		us++
	} else if frac < -0.5 {
		us--
	}
	s, ok := AddInt64(it.usec, us)
	it.usec = s
	return ok
}

func adjustFracDays(frac float64, scale int, it *itm) bool {
	if frac == 0 {
		return true
	}
	frac *= float64(scale)
	extra := int32(frac)
	d, ok := addInt32(it.mday, extra)
	if !ok {
		return false
	}
	it.mday = d
	frac -= float64(extra)
	return adjustFracMicros(frac, DayMicros, it)
}

func adjustFracYears(frac float64, scale int, it *itm) bool {
	extra := int32(math.RoundToEven(frac * float64(scale) * 12))
	m, ok := addInt32(it.mon, extra)
	it.mon = m
	return ok
}

func adjustMicros(val int64, frac float64, scale int64, it *itm) bool {
	us, ok1 := MulInt64(val, scale)
	s, ok2 := AddInt64(it.usec, us)
	if !ok1 || !ok2 {
		return false
	}
	it.usec = s
	return adjustFracMicros(frac, scale, it)
}

func adjustDays(val int64, scale int32, it *itm) bool {
	if val < math.MinInt32 || val > math.MaxInt32 {
		return false
	}
	d, ok1 := mulInt32(int32(val), scale)
	s, ok2 := addInt32(it.mday, d)
	it.mday = s
	return ok1 && ok2
}

func adjustMonths(val int64, it *itm) bool {
	if val < math.MinInt32 || val > math.MaxInt32 {
		return false
	}
	s, ok := addInt32(it.mon, int32(val))
	it.mon = s
	return ok
}

func adjustYears(val int64, scale int32, it *itm) bool {
	if val < math.MinInt32 || val > math.MaxInt32 {
		return false
	}
	y, ok1 := mulInt32(int32(val), scale)
	s, ok2 := addInt32(it.year, y)
	it.year = s
	return ok1 && ok2
}

func addInt32(a, b int32) (int32, bool) {
	s := int64(a) + int64(b)
	return int32(s), s >= math.MinInt32 && s <= math.MaxInt32
}

func mulInt32(a, b int32) (int32, bool) {
	p := int64(a) * int64(b)
	return int32(p), p >= math.MinInt32 && p <= math.MaxInt32
}

// decodeISO8601 is DecodeISO8601Interval.
func decodeISO8601(s string, it *itm) dtErr {
	if len(s) < 2 || s[0] != 'P' {
		return dtBad
	}
	str := s[1:]
	datePart, haveField := true, false
	for str != "" {
		if str[0] == 'T' {
			datePart, haveField = false, false
			str = str[1:]
			continue
		}
		fieldStart := str
		val, fval, rest, e := iso8601Number(str)
		if e != dtOK {
			return e
		}
		str = rest
		var unit byte
		if str != "" {
			unit, str = str[0], str[1:]
		}
		if datePart {
			switch unit {
			case 'Y':
				if !adjustYears(val, 1, it) || !adjustFracYears(fval, 1, it) {
					return dtField
				}
			case 'M':
				if !adjustMonths(val, it) || !adjustFracDays(fval, MonthDays, it) {
					return dtField
				}
			case 'W':
				if !adjustDays(val, 7, it) || !adjustFracDays(fval, 7, it) {
					return dtField
				}
			case 'D':
				if !adjustDays(val, 1, it) || !adjustFracMicros(fval, DayMicros, it) {
					return dtField
				}
			case 'T', 0, '-':
				if unit != '-' && iso8601Width(fieldStart) == 8 && !haveField {
					if !adjustYears(val/10000, 1, it) || !adjustMonths(val/100%100, it) || !adjustDays(val%100, 1, it) ||
						!adjustFracMicros(fval, DayMicros, it) {
						return dtField
					}
					if unit == 0 {
						return dtOK
					}
					datePart, haveField = false, false
					continue
				}
				if haveField {
					return dtBad
				}
				if !adjustYears(val, 1, it) || !adjustFracYears(fval, 1, it) {
					return dtField
				}
				if unit == 0 {
					return dtOK
				}
				if unit == 'T' {
					datePart, haveField = false, false
					continue
				}
				val, fval, str, e = iso8601Number(str)
				if e != dtOK {
					return e
				}
				if !adjustMonths(val, it) || !adjustFracDays(fval, MonthDays, it) {
					return dtField
				}
				if str == "" {
					return dtOK
				}
				if str[0] == 'T' {
					datePart, haveField = false, false
					str = str[1:]
					continue
				}
				if str[0] != '-' {
					return dtBad
				}
				val, fval, str, e = iso8601Number(str[1:])
				if e != dtOK {
					return e
				}
				if !adjustDays(val, 1, it) || !adjustFracMicros(fval, DayMicros, it) {
					return dtField
				}
				if str == "" {
					return dtOK
				}
				if str[0] == 'T' {
					datePart, haveField = false, false
					str = str[1:]
					continue
				}
				return dtBad
			default:
				return dtBad
			}
		} else {
			switch unit {
			case 'H':
				if !adjustMicros(val, fval, 3600e6, it) {
					return dtField
				}
			case 'M':
				if !adjustMicros(val, fval, 60e6, it) {
					return dtField
				}
			case 'S':
				if !adjustMicros(val, fval, 1e6, it) {
					return dtField
				}
			case 0, ':':
				if unit == 0 && iso8601Width(fieldStart) == 6 && !haveField {
					if !adjustMicros(val/10000, 0, 3600e6, it) || !adjustMicros(val/100%100, 0, 60e6, it) ||
						!adjustMicros(val%100, 0, 1e6, it) || !adjustFracMicros(fval, 1, it) {
						return dtField
					}
					return dtOK
				}
				if haveField {
					return dtBad
				}
				if !adjustMicros(val, fval, 3600e6, it) {
					return dtField
				}
				if unit == 0 {
					return dtOK
				}
				val, fval, str, e = iso8601Number(str)
				if e != dtOK {
					return e
				}
				if !adjustMicros(val, fval, 60e6, it) {
					return dtField
				}
				if str == "" {
					return dtOK
				}
				if str[0] != ':' {
					return dtBad
				}
				val, fval, str, e = iso8601Number(str[1:])
				if e != dtOK {
					return e
				}
				if !adjustMicros(val, fval, 1e6, it) {
					return dtField
				}
				if str == "" {
					return dtOK
				}
				return dtBad
			default:
				return dtBad
			}
		}
		haveField = true
	}
	return dtOK
}

// iso8601Number is ParseISO8601Number: what strtod reads at s (a digit,
// '-' or '.' first), as its integer part toward zero and the fraction.
func iso8601Number(s string) (int64, float64, string, dtErr) {
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '.') {
		return 0, 0, s, dtBad
	}
	n := strtodLen(s)
	if n == 0 && len(s) > 3 && s[0] == '-' && (strings.EqualFold(s[1:4], "inf") || strings.EqualFold(s[1:4], "nan")) {
		return 0, 0, s, dtField // strtod's -inf and nan
	}
	if n == 0 {
		return 0, 0, s, dtBad
	}
	v, err := strconv.ParseFloat(s[:n], 64)
	if err != nil && !math.IsInf(v, 0) {
		return 0, 0, s, dtBad
	}
	if math.IsNaN(v) || v < -1e15 || v > 1e15 {
		return 0, 0, s, dtField
	}
	ip := int64(math.Trunc(v))
	return ip, v - float64(ip), s[n:], dtOK
}

// strtodLen is how much of s strtod reads as a decimal number.
func strtodLen(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
		if digits > 0 {
			i = j
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i
}

// iso8601Width is ISO8601IntegerWidth: the digits at s after a '-'.
func iso8601Width(s string) int {
	s = strings.TrimPrefix(s, "-")
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
