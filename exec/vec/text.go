package vec

import (
	"math"
	"strconv"
	"time"

	"github.com/streamsql/streamsql/planner/types"
)

// AppendText appends row i in PostgreSQL's text format, the form psql
// prints and drivers parse. NULL has no text form; callers check IsNull.
func (v *Vec) AppendText(buf []byte, i int) []byte {
	switch v.Type.Kind {
	case types.Bool:
		if v.Bool[i] {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case types.Int32, types.Int64:
		return strconv.AppendInt(buf, v.I64[i], 10)
	case types.Float64:
		return AppendFloat(buf, v.F64[i])
	case types.Decimal:
		return AppendDecimal(buf, v.I64[i], v.Type.Scale)
	case types.Numeric:
		return v.AppendNumericText(buf, i)
	case types.String, types.JSONB, types.JSON:
		return append(buf, v.Str[i]...)
	case types.Timestamp:
		return AppendTimestamp(buf, v.I64[i])
	case types.Interval:
		return AppendIntervalText(buf, v.IntervalAt(i))
	case types.Date:
		return AppendDate(buf, v.I64[i])
	case types.TimestampTZ:
		return AppendTimestampTZ(buf, v.I64[i], time.UTC)
	case types.Array:
		return AppendArrayText(buf, v.Str[i], v.Type.ElemType(), time.UTC)
	}
	return buf
}

// Text returns row i as text, "NULL" for NULL; for messages and tests.
func (v *Vec) Text(i int) string {
	if v.IsNull(i) {
		return "NULL"
	}
	return string(v.AppendText(nil, i))
}

// AppendFloat formats f as PostgreSQL 12+ does: the shortest text that
// reads back exactly, in exponent form only for very large or small values.
func AppendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0 && math.Signbit(f):
		return append(buf, "-0"...) // as PostgreSQL prints it
	case f == 0:
		return append(buf, '0')
	}
	// The decimal exponent of the shortest digits decides, as in
	// PostgreSQL's d2s.c, not a logarithm, which is 14.999... for 1e15.
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'e', -1, 64)
	exp := 0
	for i := len(buf) - 1; i > start; i-- {
		if buf[i] == 'e' {
			exp, _ = strconv.Atoi(string(buf[i+1:]))
			break
		}
	}
	if exp < -4 || exp >= 15 {
		return buf
	}
	return strconv.AppendFloat(buf[:start], f, 'f', -1, 64)
}

// DecimalFloat is the double nearest x·10^-scale, as PostgreSQL's numeric
// to float8 reads the value's text: a division of two exact doubles is
// rounded once, past 2^53 the text is read.
func DecimalFloat(x int64, scale int) float64 {
	if x <= 1<<53 && x >= -1<<53 {
		return float64(x) / float64(types.Pow10[scale])
	}
	var buf [24]byte
	f, _ := strconv.ParseFloat(string(AppendDecimal(buf[:0], x, scale)), 64)
	return f
}

// AppendDecimal formats a scaled integer with exactly scale fraction digits.
func AppendDecimal(buf []byte, x int64, scale int) []byte {
	if scale == 0 {
		return strconv.AppendInt(buf, x, 10)
	}
	u := uint64(x)
	if x < 0 {
		buf = append(buf, '-')
		u = uint64(-x)
	}
	p := uint64(types.Pow10[scale])
	buf = strconv.AppendUint(buf, u/p, 10)
	buf = append(buf, '.')
	var fbuf [20]byte
	frac := strconv.AppendUint(fbuf[:0], u%p, 10)
	for i := len(frac); i < scale; i++ {
		buf = append(buf, '0')
	}
	return append(buf, frac...)
}

// AppendTimestamp formats microseconds since the epoch as PostgreSQL prints
// a timestamp without time zone: fraction digits only as far as needed, a
// year of at least four digits, and a year before 1 AD as PostgreSQL
// counts it, with no year 0: ISO year 0 is 0001 BC, -1 is 0002 BC, and the
// era follows the time ("0001-12-31 23:00:00 BC").
func AppendTimestamp(buf []byte, us int64) []byte {
	buf, bc := appendWall(buf, us)
	return appendEra(buf, bc)
}

// appendWall appends a timestamp without its era, reporting whether it is
// BC.
func appendWall(buf []byte, us int64) ([]byte, bool) {
	days := floorDiv64(us, DayMicros)
	buf, bc := appendDay(buf, days)
	secs := (us - days*DayMicros) / 1e6
	buf = append(buf, ' ')
	buf = append2(buf, int(secs/3600))
	buf = append(buf, ':')
	buf = append2(buf, int(secs/60%60))
	buf = append(buf, ':')
	buf = append2(buf, int(secs%60))
	frac := us % 1e6
	if frac < 0 {
		frac += 1e6
	}
	return appendFraction(buf, frac), bc
}

// digits is the number of decimal digits of 0 <= x < 1000, 1 for 0.
func digits(x int) int {
	switch {
	case x >= 100:
		return 3
	case x >= 10:
		return 2
	}
	return 1
}

// append2 appends 0 <= x < 100 as two digits.
func append2(buf []byte, x int) []byte { return append(buf, byte('0'+x/10), byte('0'+x%10)) }
