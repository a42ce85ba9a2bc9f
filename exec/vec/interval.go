package vec

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// An INTERVAL is PostgreSQL's: months, days and µs kept apart, because a
// month has no fixed number of days and a day (in a time zone with
// daylight-saving time) no fixed number of hours. A column keeps the µs
// in I64 and the months and days in Str as a tag: "" when both are zero
// (a length of time only, the common case of window sizes and
// differences of timestamps under a day), else 8 bytes (months, then
// days, little-endian int32s). Both slices are as long as the column.

// Interval is one INTERVAL value.
type Interval struct {
	Months, Days int32
	Micros       int64
}

// Errors of ParseInterval and of interval arithmetic, for callers to map
// to SQLSTATEs: bad text (22007), a field out of range (22015) and a
// result out of range (22008).
var (
	ErrIntervalSyntax = errors.New("invalid input syntax for type interval")
	ErrIntervalField  = errors.New("interval field value out of range")
	ErrIntervalRange  = errors.New("interval out of range")
)

// MonthDays and DayMicros are PostgreSQL's fixed conversions where an
// interval's parts must be compared or cascaded: a month is 30 days.
const MonthDays = 30

// tags for small day and month counts, so that the common intervals
// ('1 day', ts2 - ts1 of a few days, '1 mon', '1 mon 15 days') need no
// allocation.
var (
	dayTags   [2*tagRange + 1]string
	monthTags [2*tagRange + 1]string
	mixedTags [2*mixedMonths + 1][2*mixedDays + 1]string
)

const (
	tagRange    = 400
	mixedMonths = 24
	mixedDays   = 31
)

func init() {
	for i := -tagRange; i <= tagRange; i++ {
		dayTags[i+tagRange] = makeTag(0, int32(i))
		monthTags[i+tagRange] = makeTag(int32(i), 0)
	}
	dayTags[tagRange], monthTags[tagRange] = "", ""
	for m := -mixedMonths; m <= mixedMonths; m++ {
		for d := -mixedDays; d <= mixedDays; d++ {
			if m != 0 || d != 0 {
				mixedTags[m+mixedMonths][d+mixedDays] = makeTag(int32(m), int32(d))
			}
		}
	}
}

func makeTag(months, days int32) string {
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], uint32(months))
	binary.LittleEndian.PutUint32(b[4:], uint32(days))
	return string(b[:])
}

// IntervalTag is the Str form of an interval's months and days.
func IntervalTag(months, days int32) string {
	switch {
	case months == 0 && days >= -tagRange && days <= tagRange:
		return dayTags[days+tagRange]
	case days == 0 && months >= -tagRange && months <= tagRange:
		return monthTags[months+tagRange]
	case months >= -mixedMonths && months <= mixedMonths && days >= -mixedDays && days <= mixedDays:
		return mixedTags[months+mixedMonths][days+mixedDays]
	}
	return makeTag(months, days)
}

// IntervalOfTag reads a tag written by IntervalTag.
func IntervalOfTag(tag string, us int64) Interval {
	if len(tag) != 8 {
		return Interval{Micros: us}
	}
	return Interval{
		Months: int32(binary.LittleEndian.Uint32([]byte(tag[:4]))),
		Days:   int32(binary.LittleEndian.Uint32([]byte(tag[4:]))),
		Micros: us,
	}
}

// Tag is x's months and days in their Str form.
func (x Interval) Tag() string { return IntervalTag(x.Months, x.Days) }

// Fixed reports whether x is a length of time alone: no months, no days.
func (x Interval) Fixed() bool { return x.Months == 0 && x.Days == 0 }

// IntervalAt is row i of an INTERVAL column.
func (v *Vec) IntervalAt(i int) Interval {
	if s := v.Str[i]; s != "" {
		return IntervalOfTag(s, v.I64[i])
	}
	return Interval{Micros: v.I64[i]}
}

// AppendInterval appends an INTERVAL.
func (v *Vec) AppendInterval(x Interval) {
	v.I64 = append(v.I64, x.Micros)
	v.Str = append(v.Str, x.Tag())
	v.notNull()
}

// SetInterval sets row i of an INTERVAL column (not its null flag). A
// row with the months and days of the row before shares its tag.
func (v *Vec) SetInterval(i int, x Interval) {
	v.I64[i] = x.Micros
	if i > 0 && x.Months != 0 {
		if p := v.Str[i-1]; len(p) == 8 && IntervalOfTag(p, 0) == (Interval{Months: x.Months, Days: x.Days}) {
			v.Str[i] = p
			return
		}
	}
	v.Str[i] = x.Tag()
}

// Span is x's length for comparison as PostgreSQL's interval_cmp_value
// computes it, months of 30 days and days of 24 hours: whole days
// (months*30 + days + the µs's floor in days) and the µs of the day left,
// in [0, DayMicros). Intervals are equal, and group together, when their
// spans are.
func (x Interval) Span() (days, rest int64) {
	q := floorDiv64(x.Micros, DayMicros)
	return int64(x.Months)*MonthDays + int64(x.Days) + q, x.Micros - q*DayMicros
}

// CompareIntervals orders two intervals by their spans.
func CompareIntervals(a, b Interval) int {
	ad, ar := a.Span()
	bd, br := b.Span()
	switch {
	case ad < bd:
		return -1
	case ad > bd:
		return 1
	case ar < br:
		return -1
	case ar > br:
		return 1
	}
	return 0
}

// IntervalOfSpan is the interval that stands for a span where only the
// span is kept (a group key): days and a time of one sign, months only
// when the days do not fit an int32.
func IntervalOfSpan(days, rest int64) Interval {
	if days < 0 && rest > 0 {
		days++
		rest -= DayMicros
	}
	var months int64
	if days > 1<<31-1 || days < -1<<31 {
		months, days = days/MonthDays, days%MonthDays
	}
	return Interval{Months: int32(months), Days: int32(days), Micros: rest}
}

// AppendIntervalText formats x as PostgreSQL does with IntervalStyle
// postgres: "1 year 2 mons -3 days +04:05:06.5", each part after a
// negative one with an explicit sign, "00:00:00" for zero.
func AppendIntervalText(buf []byte, x Interval) []byte {
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			buf = append(buf, ' ')
		}
		if before && v > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		before, zero = v < 0, false
	}
	part(int64(x.Months/12), "year")
	part(int64(x.Months%12), "mon")
	part(int64(x.Days), "day")
	t := x.Micros
	if !zero && t == 0 {
		return buf
	}
	if !zero {
		buf = append(buf, ' ')
	}
	// |t| as unsigned: exact for the smallest int64 too.
	u := uint64(t)
	switch {
	case t < 0:
		buf = append(buf, '-')
		u = -u
	case before:
		buf = append(buf, '+')
	}
	hours := u / 3600e6
	if hours < 10 {
		buf = append(buf, '0')
	}
	buf = strconv.AppendUint(buf, hours, 10)
	buf = append(buf, ':')
	secs := u / 1e6
	buf = append2(buf, int(secs/60%60))
	buf = append(buf, ':')
	buf = append2(buf, int(secs%60))
	return appendFraction(buf, int64(u%1e6))
}

// appendFraction appends 0 <= frac < 1e6 µs as a fraction of a second
// with no trailing zeros, nothing for 0.
func appendFraction(buf []byte, frac int64) []byte {
	if frac == 0 {
		return buf
	}
	digits := strconv.AppendInt(nil, frac+1e6, 10)[1:]
	n := len(digits)
	for digits[n-1] == '0' {
		n--
	}
	buf = append(buf, '.')
	return append(buf, digits[:n]...)
}

// AppendIntervalKey appends x's order-preserving key: its span (whole
// days, then the µs of the day), then, unless the key is for matching
// only (span true: a group key, where '1 day' and '24 hours' must meet),
// its parts, so that it comes back as it was. A span-only key comes
// back as IntervalOfSpan.
func AppendIntervalKey(buf []byte, x Interval, spanOnly bool) []byte {
	days, rest := x.Span()
	buf = binary.BigEndian.AppendUint64(buf, uint64(days)^1<<63)
	buf = binary.BigEndian.AppendUint64(buf, uint64(rest))
	if spanOnly {
		return append(buf, 0)
	}
	buf = append(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, uint32(x.Months)^1<<31)
	return binary.BigEndian.AppendUint32(buf, uint32(x.Days)^1<<31)
}

var errIntervalKey = errors.New("vec: bad INTERVAL key")

// DecodeIntervalKey reads a key written by AppendIntervalKey.
func DecodeIntervalKey(b []byte) (Interval, []byte, error) {
	if len(b) < 17 {
		return Interval{}, nil, errIntervalKey
	}
	days := int64(binary.BigEndian.Uint64(b) ^ 1<<63)
	rest := int64(binary.BigEndian.Uint64(b[8:]))
	if b[16] == 0 {
		return IntervalOfSpan(days, rest), b[17:], nil
	}
	if len(b) < 25 {
		return Interval{}, nil, errIntervalKey
	}
	x := Interval{
		Months: int32(binary.BigEndian.Uint32(b[17:]) ^ 1<<31),
		Days:   int32(binary.BigEndian.Uint32(b[21:]) ^ 1<<31),
	}
	x.Micros = (days-int64(x.Months)*MonthDays-int64(x.Days))*DayMicros + rest
	return x, b[25:], nil
}

// AppendIntervalPlain appends x in the plain encoding of stored rows:
// three varints, µs, months and days.
func AppendIntervalPlain(buf []byte, x Interval) []byte {
	buf = binary.AppendVarint(buf, x.Micros)
	buf = binary.AppendVarint(buf, int64(x.Months))
	return binary.AppendVarint(buf, int64(x.Days))
}

// DecodeIntervalPlain reads what AppendIntervalPlain wrote; n is 0 for
// bad input.
func DecodeIntervalPlain(b []byte) (x Interval, n int) {
	us, k1 := binary.Varint(b)
	if k1 <= 0 {
		return x, 0
	}
	m, k2 := binary.Varint(b[k1:])
	if k2 <= 0 {
		return x, 0
	}
	d, k3 := binary.Varint(b[k1+k2:])
	if k3 <= 0 {
		return x, 0
	}
	return Interval{Months: int32(m), Days: int32(d), Micros: us}, k1 + k2 + k3
}

// RoundIntervalMicros rounds an interval's µs to p fractional digits of a
// second, half away from zero, as INTERVAL SECOND(p) does.
func RoundIntervalMicros(us int64, p int) int64 {
	if p >= 6 {
		return us
	}
	scale := int64(1)
	for range 6 - p {
		scale *= 10
	}
	if us >= 0 {
		return (us + scale/2) / scale * scale
	}
	return -((-us + scale/2) / scale * scale)
}
