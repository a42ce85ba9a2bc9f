package exec

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// A datePattern is a to_char or DATE_FORMAT pattern compiled once: the
// literal text and fields it prints, in order. Both dialects compile to
// it, so one formatter serves them.
type datePattern []dateItem

// dateItem is one piece of a pattern: literal text, or a field of the
// timestamp printed with at least pad digits (numbers) or padded to pad
// columns (names).
type dateItem struct {
	field dateField
	pad   int
	style nameStyle
	th    uint8 // ordinal suffix after a number: 0 none, 'T' TH, 't' th
	n     uint8 // the digits of fYearMod and fFrac
	lit   string
}

type dateField uint8

const (
	fLit          dateField = iota
	fYear                   // the year of its era (1 BC is 1)
	fYearMod                // its last pad digits: Y, YY, YYY, Java's yy
	fYearComma              // Y,YYY
	fMonth                  // 1–12
	fMonthName              // January; abbreviated with style's short
	fDay                    // 1–31
	fDayOfYear              // 1–366
	fWeekday                // 1 (Sunday) to 7
	fWeekdayName            // Sunday; abbreviated with style's short
	fHour24                 // 0–23
	fHour12                 // 1–12
	fMinute                 // 0–59
	fSecond                 // 0–59
	fSecOfDay               // 0–86399
	fMilli                  // 0–999
	fMicro                  // 0–999999
	fFrac                   // the first pad digits of the fraction of a second
	fQuarter                // 1–4
	fMeridiem               // AM / PM
	fEra                    // AD / BC
	fISOYear                // the ISO 8601 week-numbering year: IYYY
	fISOYearMod             // its last n digits: IYY, IY, I
	fISOWeek                // 1–53: IW
	fISOWeekday             // 1 (Monday) to 7: ID
	fISOYearDay             // 1–371: IDDD
	fWeekOfYear             // 1–53, from January 1st: WW
	fWeekOfMonth            // 1–5: W
	fJulian                 // the Julian day: J
	fCentury                // CC, negative BC
	fRoman                  // the month in Roman numerals, padded to 4: RM
	fOffset                 // the UTC offset, +HH[:MM]: OF
	fOffsetHour             // its hours with a sign: TZH
	fOffsetMinute           // its minutes: TZM
	fZoneName               // the zone's abbreviation (EST): TZ
)

// nameStyle says how a name prints: its case, abbreviated or not, and
// with dots (A.M.).
type nameStyle uint8

const (
	styleTitle nameStyle = iota
	styleUpper
	styleLower
	styleShort nameStyle = 4 // or'ed: Jan, Mon
	styleDots  nameStyle = 8 // or'ed: A.M., B.C.
)

// pgKeywords are to_char's fields (PostgreSQL's formatting.c names):
// matched case-sensitively, the longest first, as PostgreSQL does, so
// that YYYY is not YY twice. Fields streamsql does not print are listed
// with unsupported set, so that they fail rather than print as text.
var pgKeywords = func() []pgKeyword {
	var ks []pgKeyword
	add := func(f dateField, pad int, style nameStyle, names ...string) {
		for _, n := range names {
			ks = append(ks, pgKeyword{n, dateItem{field: f, pad: pad, style: style, n: uint8(pad)}, false})
		}
	}
	add(fYear, 4, 0, "YYYY", "yyyy")
	add(fYearMod, 3, 0, "YYY", "yyy")
	add(fYearMod, 2, 0, "YY", "yy")
	add(fYearMod, 1, 0, "Y", "y")
	add(fYearComma, 0, 0, "Y,YYY", "y,yyy")
	add(fMonth, 2, 0, "MM", "mm")
	// Month, MONTH, month (padded to 9), Mon, MON, mon; Day, ..., dy.
	for _, n := range []struct {
		f           dateField
		full, short string
	}{{fMonthName, "Month", "Mon"}, {fWeekdayName, "Day", "Dy"}} {
		for _, c := range []struct {
			style nameStyle
			cased func(string) string
		}{{styleTitle, strings.Clone}, {styleUpper, strings.ToUpper}, {styleLower, strings.ToLower}} {
			add(n.f, 9, c.style, c.cased(n.full))
			add(n.f, 0, c.style|styleShort, c.cased(n.short))
		}
	}
	add(fDay, 2, 0, "DD", "dd")
	add(fDayOfYear, 3, 0, "DDD", "ddd")
	add(fWeekday, 1, 0, "D", "d")
	add(fHour24, 2, 0, "HH24", "hh24")
	add(fHour12, 2, 0, "HH", "HH12", "hh", "hh12")
	add(fMinute, 2, 0, "MI", "mi")
	add(fSecond, 2, 0, "SS", "ss")
	add(fSecOfDay, 1, 0, "SSSS", "SSSSS", "ssss", "sssss")
	add(fMilli, 3, 0, "MS", "ms")
	add(fMicro, 6, 0, "US", "us")
	for d := 1; d <= 6; d++ {
		add(fFrac, d, 0, "FF"+string(rune('0'+d)), "ff"+string(rune('0'+d)))
	}
	add(fQuarter, 1, 0, "Q", "q")
	add(fMeridiem, 0, styleUpper, "AM", "PM")
	add(fMeridiem, 0, styleLower, "am", "pm")
	add(fMeridiem, 0, styleUpper|styleDots, "A.M.", "P.M.")
	add(fMeridiem, 0, styleLower|styleDots, "a.m.", "p.m.")
	add(fEra, 0, styleUpper, "AD", "BC")
	add(fEra, 0, styleLower, "ad", "bc")
	add(fEra, 0, styleUpper|styleDots, "A.D.", "B.C.")
	add(fEra, 0, styleLower|styleDots, "a.d.", "b.c.")
	add(fLit, 0, 0, "FX", "fx")
	add(fISOYear, 4, 0, "IYYY", "iyyy")
	add(fISOYearMod, 3, 0, "IYY", "iyy")
	add(fISOYearMod, 2, 0, "IY", "iy")
	add(fISOYearMod, 1, 0, "I", "i")
	add(fISOWeek, 2, 0, "IW", "iw")
	add(fISOWeekday, 1, 0, "ID", "id")
	add(fISOYearDay, 3, 0, "IDDD", "iddd")
	add(fWeekOfYear, 2, 0, "WW", "ww")
	add(fWeekOfMonth, 1, 0, "W", "w")
	add(fJulian, 1, 0, "J", "j")
	add(fCentury, 2, 0, "CC", "cc")
	add(fRoman, 4, styleUpper, "RM")
	add(fRoman, 4, styleLower, "rm")
	// A timestamp without time zone has offset +00 and no zone name, as
	// in PostgreSQL.
	add(fOffset, 2, 0, "OF")
	add(fOffsetHour, 2, 0, "TZH")
	add(fOffsetMinute, 2, 0, "TZM")
	add(fZoneName, 0, styleUpper, "TZ")
	add(fZoneName, 0, styleLower, "tz")
	return ks
}()

type pgKeyword struct {
	name        string
	item        dateItem
	unsupported bool
}

// compileToChar compiles a PostgreSQL to_char pattern: its fields, FM
// (no padding) and TM prefixes, TH, th and SP suffixes, "quoted" text
// (a backslash escaping the next character) and any other text as is.
func compileToChar(p string) (datePattern, error) {
	var out datePattern
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].field == fLit && out[n-1].lit != "" {
			out[n-1].lit += s
			return
		}
		out = append(out, dateItem{lit: s})
	}
	for i := 0; i < len(p); {
		fm, tm := false, false
		if strings.HasPrefix(p[i:], "FM") || strings.HasPrefix(p[i:], "fm") {
			fm, i = true, i+2
		} else if strings.HasPrefix(p[i:], "TM") || strings.HasPrefix(p[i:], "tm") {
			tm, i = true, i+2
		}
		if i >= len(p) {
			break
		}
		switch {
		case p[i] == '"':
			var b strings.Builder
			for i++; i < len(p) && p[i] != '"'; i++ {
				if p[i] == '\\' && i+1 < len(p) {
					i++
				}
				b.WriteByte(p[i])
			}
			i++ // the closing quote; an unclosed one ends the pattern, as in PostgreSQL
			lit(b.String())
			continue
		case p[i] == '\\' && i+1 < len(p) && p[i+1] == '"':
			lit(`"`)
			i += 2
			continue
		}
		k := pgKeyword{}
		for _, c := range pgKeywords {
			if len(c.name) > len(k.name) && strings.HasPrefix(p[i:], c.name) {
				k = c
			}
		}
		if k.name == "" {
			_, n := utf8.DecodeRuneInString(p[i:])
			lit(p[i : i+n])
			i += n
			continue
		}
		if k.unsupported {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "to_char field %q is not supported", k.name)
		}
		i += len(k.name)
		it := k.item
		if it.field == fLit {
			continue
		}
		switch {
		case strings.HasPrefix(p[i:], "TH"):
			it.th, i = 'T', i+2
		case strings.HasPrefix(p[i:], "th"):
			it.th, i = 't', i+2
		case strings.HasPrefix(p[i:], "SP"):
			i += 2 // accepted and ignored, as in PostgreSQL
		}
		text := it.field == fMonthName || it.field == fWeekdayName
		if fm && it.field != fMilli && it.field != fMicro && it.field != fFrac || tm && text {
			it.pad = 0
		}
		if fm && it.field == fCentury {
			it.n = 0 // CC pads -5 to -05 unless FM; n keeps the width
		}
		if !numericField(it.field) {
			it.th = 0
		}
		out = append(out, it)
	}
	return out, nil
}

func numericField(f dateField) bool {
	switch f {
	case fLit, fMonthName, fWeekdayName, fMeridiem, fEra, fYearComma, fRoman, fOffset, fOffsetHour, fZoneName:
		return false
	}
	return true
}

// zonedField reports whether f prints something of the zone.
func zonedField(f dateField) bool {
	return f == fOffset || f == fOffsetHour || f == fOffsetMinute || f == fZoneName
}

// javaLetters are the pattern letters of Java's SimpleDateFormat, which
// Flink's DATE_FORMAT takes; those not listed in compileDateFormat fail.
const javaLetters = "GyYMLwWDdFEuaHkKhmsSzZX"

// compileDateFormat compiles a Flink DATE_FORMAT pattern, Java's
// SimpleDateFormat letters: a run of one letter is a field whose length
// is its least number of digits (yy: the year's last two; MMM and MMMM:
// the month's name, short and full; E to EEE a day's short name, EEEE its
// full one); text in single quotes is literal (” is a quote); any other
// character is itself.
func compileDateFormat(p string) (datePattern, error) {
	var out datePattern
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].field == fLit {
			out[n-1].lit += s
			return
		}
		out = append(out, dateItem{lit: s})
	}
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			if i+1 < len(p) && p[i+1] == '\'' {
				lit("'")
				i += 2
				continue
			}
			j := i + 1
			var b strings.Builder
			for ; j < len(p); j++ {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(p[j])
			}
			if j >= len(p) {
				return nil, sqlerr.New(sqlerr.InvalidParameter, "DATE_FORMAT pattern %q has an unterminated quote", p)
			}
			lit(b.String())
			i = j + 1
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			_, n := utf8.DecodeRuneInString(p[i:])
			lit(p[i : i+n])
			i += n
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		it := dateItem{pad: n}
		switch c {
		case 'y':
			it.field = fYear
			if n == 2 {
				it.field, it.n = fYearMod, 2
			}
		case 'M':
			switch {
			case n == 3:
				it = dateItem{field: fMonthName, style: styleTitle | styleShort}
			case n > 3:
				it = dateItem{field: fMonthName, style: styleTitle}
			default:
				it.field = fMonth
			}
		case 'd':
			it.field = fDay
		case 'E':
			it = dateItem{field: fWeekdayName, style: styleTitle | styleShort}
			if n >= 4 {
				it.style = styleTitle
			}
		case 'a':
			it = dateItem{field: fMeridiem, style: styleUpper}
		case 'H':
			it.field = fHour24
		case 'h':
			it.field = fHour12
		case 'm':
			it.field = fMinute
		case 's':
			it.field = fSecond
		case 'S':
			it.field = fMilli
		default:
			if strings.IndexByte(javaLetters, c) >= 0 {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "DATE_FORMAT pattern letter %q is not supported", string(c))
			}
			return nil, sqlerr.New(sqlerr.InvalidParameter, "illegal pattern character %q in DATE_FORMAT pattern %q", string(c), p)
		}
		out = append(out, it)
	}
	return out, nil
}

var (
	monthNames = [12]string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
	dayNames = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// civil is a timestamp's calendar fields, proleptic Gregorian as
// PostgreSQL's (year 0 is 1 BC).
type civil struct {
	year                        int64
	month, day, yday, wday      int // wday 0 is Sunday
	hour, min, sec, micro, sofd int
}

// civilOf splits a timestamp in µs since 1970 into its fields, with
// Howard Hinnant's days-to-civil arithmetic (no time.Time, no zone).
func civilOf(us int64) civil {
	const dayUs = 86400 * 1e6
	days := planner.FloorDiv(us, dayUs)
	tod := us - days*dayUs
	var c civil
	c.micro = int(tod % 1e6)
	c.sofd = int(tod / 1e6)
	c.hour, c.min, c.sec = c.sofd/3600, c.sofd/60%60, c.sofd%60
	c.wday = int(((days+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
	z := days + 719468
	era := planner.FloorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	c.day = int(doy - (153*mp+2)/5 + 1)
	c.month = int(mp + 3)
	if c.month > 12 {
		c.month -= 12
	}
	c.year = yoe + era*400
	if c.month <= 2 {
		c.year++
	}
	// doy counts from March 1; January and February end the count.
	if c.month <= 2 {
		c.yday = int(doy) - 306 + 1
	} else if c.yday = int(doy) + 59 + 1; leap(c.year) {
		c.yday++
	}
	return c
}

func leap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// zoneOf is what a pattern prints of a time's zone: its UTC offset in
// seconds east and its abbreviation (none for a TIMESTAMP).
type zoneOf struct {
	off  int64
	abbr string
}

// isoYearDay is the day (1–371) of the ISO 8601 week-numbering year of
// day number days, counted from the Monday of its week 1.
func isoYearDay(days int64) int64 {
	y, _ := isoWeek(days)
	jan4 := vec.DaysFromCivil(y, 1, 4)
	return days - (jan4 - floorMod(jan4+3, 7)) + 1
}

var romanMonths = [12]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

// appendTo formats us, a wall-clock time, by the pattern onto dst; z is
// the zone it is in.
func (p datePattern) appendTo(dst []byte, us int64, z zoneOf) []byte {
	c := civilOf(us)
	era := c.year // the year of its era: 1 BC is 1
	if era <= 0 {
		era = 1 - era
	}
	for _, it := range p {
		var v int64
		switch it.field {
		case fLit:
			dst = append(dst, it.lit...)
			continue
		case fMonthName:
			dst = appendName(dst, monthNames[c.month-1], it)
			continue
		case fWeekdayName:
			dst = appendName(dst, dayNames[c.wday], it)
			continue
		case fMeridiem:
			s := "AM"
			if c.hour >= 12 {
				s = "PM"
			}
			dst = appendMark(dst, s, it.style)
			continue
		case fEra:
			s := "AD"
			if c.year <= 0 {
				s = "BC"
			}
			dst = appendMark(dst, s, it.style)
			continue
		case fRoman:
			r := romanMonths[c.month-1]
			dst = appendName(dst, r, it)
			continue
		case fOffset, fOffsetHour:
			off := z.off
			if off < 0 {
				dst, off = append(dst, '-'), -off
			} else {
				dst = append(dst, '+')
			}
			dst = appendInt(dst, off/3600, it.pad)
			if it.field == fOffset && off%3600 != 0 {
				dst = append(dst, ':')
				dst = appendInt(dst, off%3600/60, 2)
			}
			continue
		case fZoneName:
			start := len(dst)
			dst = append(dst, z.abbr...)
			if it.style == styleLower {
				lowerASCII(dst[start:])
			}
			continue
		case fCentury:
			var cc int64
			if c.year > 0 {
				cc = (c.year-1)/100 + 1
			} else {
				cc = c.year/100 - 1
			}
			if cc < 0 {
				dst = append(dst, '-')
				dst = appendInt(dst, -cc, int(it.n))
			} else {
				dst = appendInt(dst, cc, int(it.n))
			}
			if it.th != 0 {
				dst = appendTH(dst, cc, it.th == 'T')
			}
			continue
		case fYearComma:
			dst = appendInt(dst, era/1000, 0)
			dst = append(dst, ',')
			dst = appendInt(dst, era%1000, 3)
			continue
		case fYear:
			v = era
		case fYearMod:
			v = era % [4]int64{1, 10, 100, 1000}[it.n]
		case fMonth:
			v = int64(c.month)
		case fDay:
			v = int64(c.day)
		case fDayOfYear:
			v = int64(c.yday)
		case fWeekday:
			v = int64(c.wday + 1)
		case fHour24:
			v = int64(c.hour)
		case fHour12:
			v = int64((c.hour+11)%12 + 1)
		case fMinute:
			v = int64(c.min)
		case fSecond:
			v = int64(c.sec)
		case fSecOfDay:
			v = int64(c.sofd)
		case fMilli:
			v = int64(c.micro / 1000)
		case fMicro:
			v = int64(c.micro)
		case fFrac:
			v = int64(c.micro) / [7]int64{1e6, 1e5, 1e4, 1e3, 100, 10, 1}[it.n]
		case fQuarter:
			v = int64(c.month+2) / 3
		case fISOYear, fISOYearMod, fISOWeek, fISOYearDay:
			days := planner.FloorDiv(us, vec.DayMicros)
			y, w := isoWeek(days)
			if y <= 0 {
				y = 1 - y
			}
			switch it.field {
			case fISOYear:
				v = y
			case fISOYearMod:
				v = y % [4]int64{1, 10, 100, 1000}[it.n]
			case fISOWeek:
				v = w
			default:
				v = isoYearDay(days)
			}
		case fISOWeekday:
			v = int64((c.wday+6)%7 + 1)
		case fWeekOfYear:
			v = int64((c.yday-1)/7 + 1)
		case fWeekOfMonth:
			v = int64((c.day-1)/7 + 1)
		case fJulian:
			v = planner.FloorDiv(us, vec.DayMicros) + 2440588
		case fOffsetMinute:
			off := z.off
			if off < 0 {
				off = -off
			}
			v = off % 3600 / 60
		}
		dst = appendInt(dst, v, it.pad)
		if it.th != 0 {
			dst = appendTH(dst, v, it.th == 'T')
		}
	}
	return dst
}

// appendInt appends v (not negative) with at least pad digits.
func appendInt(dst []byte, v int64, pad int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || pad > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		pad--
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// appendTH appends the English ordinal suffix of v: st, nd, rd, th.
func appendTH(dst []byte, v int64, upper bool) []byte {
	s := "th"
	if v%100 < 11 || v%100 > 13 {
		switch v % 10 {
		case 1:
			s = "st"
		case 2:
			s = "nd"
		case 3:
			s = "rd"
		}
	}
	if upper {
		s = strings.ToUpper(s)
	}
	return append(dst, s...)
}

// appendName appends a month or day name in the item's style, padded
// with spaces to it.pad columns.
func appendName(dst []byte, name string, it dateItem) []byte {
	if it.style&styleShort != 0 {
		name = name[:3]
	}
	start := len(dst)
	dst = append(dst, name...)
	switch it.style &^ (styleShort | styleDots) {
	case styleUpper:
		upperASCII(dst[start:])
	case styleLower:
		lowerASCII(dst[start:])
	}
	for n := len(name); n < it.pad; n++ {
		dst = append(dst, ' ')
	}
	return dst
}

// appendMark appends AM, PM, AD or BC in a style: lower case, dotted.
func appendMark(dst []byte, s string, style nameStyle) []byte {
	start := len(dst)
	if style&styleDots != 0 {
		dst = append(dst, s[0], '.', s[1], '.')
	} else {
		dst = append(dst, s...)
	}
	if style&^(styleShort|styleDots) == styleLower {
		lowerASCII(dst[start:])
	}
	return dst
}

func upperASCII(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
}

func lowerASCII(b []byte) {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
}

// compileDatePattern compiles fn's pattern: to_char's or DATE_FORMAT's.
func compileDatePattern(fn planner.Func, p string) (datePattern, error) {
	if fn == planner.FnToChar {
		return compileToChar(p)
	}
	return compileDateFormat(p)
}

func init() {
	// The planner checks a constant pattern with the formatter's own
	// compiler, so that a bad one fails the statement, not each row.
	planner.CheckDatePattern = func(fn planner.Func, p string) error {
		_, err := compileDatePattern(fn, p)
		return err
	}
}

// dateFormatter formats one call's rows: its pattern compiled once when
// constant, else each distinct pattern compiled once (up to a bound). The
// last string made is reused while rows fall in the same unit of the
// pattern's finest field, as most rows of a stream do (a day, a minute),
// so they share it and cost neither formatting nor an allocation.
type dateFormatter struct {
	fn planner.Func
	// zone is the session's zone of a TIMESTAMPTZ argument, whose
	// wall-clock time, offset and zone name print; nil for a TIMESTAMP.
	zone  *time.Location
	fixed *compiledDate
	cache map[string]*compiledDate
	errs  map[string]error
	buf   []byte
	ts    vec.Vec // DATE_FORMAT's string argument read as timestamps
	// last is the string made for the unit lastUnit of pattern lastP.
	last     string
	lastP    *compiledDate
	lastUnit int64
}

// compiledDate is a pattern and the µs of its finest field's unit (a day
// for yyyy-MM-dd): timestamps in one such unit format alike.
type compiledDate struct {
	p     datePattern
	unit  int64
	zoned bool // prints the offset or the zone's name
}

func newCompiledDate(p datePattern) *compiledDate {
	unit := int64(math.MaxInt64)
	for _, it := range p {
		u := int64(86400e6)
		switch it.field {
		case fLit:
			continue
		case fHour24, fHour12, fMeridiem:
			u = 3600e6
		case fMinute:
			u = 60e6
		case fSecond, fSecOfDay:
			u = 1e6
		case fMilli:
			u = 1e3
		case fMicro:
			u = 1
		case fFrac:
			u = [7]int64{1e6, 1e5, 1e4, 1e3, 100, 10, 1}[it.n]
		}
		unit = min(unit, u)
	}
	zoned := false
	for _, it := range p {
		zoned = zoned || zonedField(it.field)
	}
	return &compiledDate{p, unit, zoned}
}

// maxDatePatterns bounds dateFormatter's cache of non-constant patterns.
const maxDatePatterns = 64

// pattern is the compiled form of p.
func (f *dateFormatter) pattern(p string) (*compiledDate, error) {
	if c, ok := f.cache[p]; ok {
		return c, nil
	}
	if err, ok := f.errs[p]; ok {
		return nil, err
	}
	if len(f.cache)+len(f.errs) >= maxDatePatterns || f.cache == nil {
		f.cache, f.errs = map[string]*compiledDate{}, map[string]error{}
	}
	c, err := compileDatePattern(f.fn, p)
	if err != nil {
		f.errs[p] = err
		return nil, err
	}
	f.cache[p] = newCompiledDate(c)
	return f.cache[p], nil
}

// eval sets out's rows (their nulls set already) to x formatted by the
// patterns of pat.
func (f *dateFormatter) eval(out, x, pat *vec.Vec, n int, ctx *evalCtx) {
	if x.Type.Kind == types.String {
		// Flink reads a string as a timestamp, and one that is not is NULL.
		f.ts.Reset()
		for i := 0; i < n; i++ {
			if x.IsNull(i) || planner.CastValue(x, i, &f.ts) != planner.CastOK {
				f.ts.AppendNull()
				if !out.IsNull(i) {
					out.SetNull(i)
				}
			}
		}
		x = &f.ts
	}
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		p := f.fixed
		if p == nil {
			var err error
			if p, err = f.pattern(pat.Str[i]); err != nil {
				out.SetNull(i)
				ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
				continue
			}
		}
		if x.Type.Kind == types.Interval {
			b, err := p.p.appendInterval(f.buf[:0], x.IntervalAt(i))
			f.buf = b
			if err != nil {
				out.SetNull(i)
				ctx.report(i, func() *sqlerr.Error { return err })
				continue
			}
			out.Str[i] = string(b)
			continue
		}
		us := x.I64[i]
		if f.zone != nil {
			if p.zoned {
				t := time.UnixMicro(us).In(f.zone)
				abbr, off := t.Zone()
				out.Str[i] = string(p.p.appendTo(f.buf[:0], us+int64(off)*1e6, zoneOf{int64(off), abbr}))
				continue
			}
			us = vec.ToLocal(us, f.zone)
		}
		out.Str[i] = f.format(p, us)
	}
}

// format is us formatted by c.
func (f *dateFormatter) format(c *compiledDate, us int64) string {
	unit := planner.FloorDiv(us, c.unit)
	if c == f.lastP && unit == f.lastUnit {
		return f.last
	}
	f.buf = c.p.appendTo(f.buf[:0], us, zoneOf{})
	f.last, f.lastP, f.lastUnit = string(f.buf), c, unit
	return f.last
}
