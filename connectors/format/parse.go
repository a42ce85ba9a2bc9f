package format

import (
	"errors"
	"strconv"
	"unsafe"

	"github.com/streamsql/streamsql/exec/vec"
)

// view is b as a string without a copy, for parsers that do not keep it.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// trim drops the spaces around a CSV field or a quoted number.
func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// parseInt reads a decimal integer.
func parseInt(b []byte) (int64, bool) {
	b = trim(b)
	if len(b) == 0 || len(b) > 19 {
		x, err := strconv.ParseInt(view(b), 10, 64)
		return x, err == nil
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var x int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int64(c-'0')
	}
	if x < 0 { // 19 digits past MaxInt64
		return 0, false
	}
	if neg {
		x = -x
	}
	return x, true
}

func parseFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(view(trim(b)), 64)
	return f, err == nil
}

// errTimestampRange is the reason of a number that is a timestamp out of
// TIMESTAMP's range.
var errTimestampRange = errors.New("out of the range of TIMESTAMP (4714-11-24 BC to 294246-12-31 AD)")

// parseTimestamp reads `YYYY-MM-DD[ T]HH:MM:SS[.fraction]` (the common
// case, parsed by hand) or any spelling vec.ParseTimestamp knows; a bare
// integer is epoch milliseconds, and one outside TIMESTAMP's range is
// errTimestampRange rather than a time it wraps to.
func parseTimestamp(b []byte) (int64, error) {
	b = trim(b)
	if us, ok := fastTimestamp(b); ok {
		return us, nil
	}
	if ms, ok := parseInt(b); ok {
		if us, ok := vec.EpochMillis(ms); ok {
			return us, nil
		}
		return 0, errTimestampRange
	}
	if isInteger(b) {
		return 0, errTimestampRange // past int64 milliseconds
	}
	if us, ok := vec.ParseTimestamp(string(b)); ok && vec.TimestampInRange(us) {
		return us, nil
	}
	return 0, errNotTimestamp
}

var errNotTimestamp = errors.New("not a timestamp")

// isInteger reports whether b is an optionally signed run of digits.
func isInteger(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func fastTimestamp(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	us := 0
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i, scale := 1, 100000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			us += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return 0, false
		}
		rest = rest[i:]
	}
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && rest[0] == 'Z':
	default:
		return 0, false // a zone offset: the slow path converts it
	}
	if d > daysIn(mo, y) {
		return 0, false
	}
	secs := civilDays(y, mo, d)*86400 + int64(h*3600+mi*60+s)
	return secs*1e6 + int64(us), true
}

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func daysIn(m, y int) int {
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return monthDays[m]
}

// civilDays is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func civilDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
