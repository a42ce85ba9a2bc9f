package vec

import (
	"github.com/cockroachdb/apd/v3"

	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec/jsonb"
	"github.com/streamsql/streamsql/planner/types"
)

// tsLayouts are the timestamp spellings accepted from SQL text and CSV:
// ISO 8601 with a space or a T, optional fraction, optional zone (which is
// converted to UTC, since TIMESTAMP has no zone).
var tsLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07", // +00, as PostgreSQL prints (and JDBC sends)
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999Z07:00:00", // -04:56:02, a local mean time's offset, as PostgreSQL prints one
	"2006-01-02T15:04:05.999999999Z07:00:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTimestamp reads a timestamp as microseconds since the epoch,
// failing for one outside TIMESTAMP's range. Besides four-digit years it
// reads what AppendTimestamp prints, as PostgreSQL does: longer years
// ("10000-01-01") and an era after the rest (" BC" or " AD", any case),
// where 0001 BC is ISO year 0; there is no year 0000.
func ParseTimestamp(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	bc := false
	if n := len(s); n > 3 && s[n-3] == ' ' {
		switch strings.ToUpper(s[n-2:]) {
		case "BC":
			bc = true
			fallthrough
		case "AD":
			s = strings.TrimRight(s[:n-3], " ")
		}
	}
	// The year: its digits up to the first '-'.
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < 4 || n > 6 || n == len(s) || s[n] != '-' {
		return 0, false
	}
	y, _ := strconv.Atoi(s[:n])
	if y == 0 {
		return 0, false // PostgreSQL has no year 0
	}
	if bc {
		y = 1 - y
	}
	if y < -4714 || y > 294247 {
		return 0, false // out of range whatever the rest says
	}
	// time.Parse reads four-digit years: read the date in the year of
	// 2000..2399 that has the same place in the 400-year cycle of the
	// Gregorian calendar, then move by whole cycles.
	cycles := floorDiv(y, 400) - 5
	s = strconv.Itoa(y-cycles*400) + s[n:]
	for _, l := range tsLayouts {
		if t, err := time.Parse(l, s); err == nil {
			us, move := t.UnixMicro(), int64(cycles)*cycleMicros
			if move > 0 && us > math.MaxInt64-move {
				return 0, false
			}
			us += move
			return us, TimestampInRange(us)
		}
	}
	return 0, false
}

// cycleMicros is the length of 400 Gregorian years, 146097 days.
const cycleMicros = 146097 * 86400 * 1e6

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ParseDecimal reads a decimal number as an integer scaled by 10^scale.
// With scale < 0 the scale is the number of fraction digits written.
// Extra fraction digits are rounded half away from zero. It fails on
// overflow past 18 digits.
func ParseDecimal(s string, scale int) (int64, int, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || strings.ContainsAny(intPart+frac, "+-eE") {
		return 0, 0, false
	}
	if scale < 0 {
		scale = len(frac)
	}
	if scale > types.MaxDecimalPrec {
		return 0, 0, false
	}
	round := false
	if len(frac) > scale {
		round = frac[scale] >= '5'
		frac = frac[:scale]
	}
	frac += strings.Repeat("0", scale-len(frac))
	digits := strings.TrimLeft(intPart+frac, "0")
	if len(digits) > types.MaxDecimalPrec {
		return 0, 0, false
	}
	var x int64
	if digits != "" {
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		x = v
	}
	if round {
		x++
	}
	if neg {
		x = -x
	}
	return x, scale, true
}

// ParseBool reads PostgreSQL's boolean spellings.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "yes", "y", "on", "1":
		return true, true
	case "f", "false", "no", "n", "off", "0":
		return false, true
	}
	return false, false
}

// AppendParsed parses text s as a value of v's type and appends it,
// reporting false (and appending nothing) when s does not parse.
func (v *Vec) AppendParsed(s string) bool {
	switch v.Type.Kind {
	case types.Bool:
		b, ok := ParseBool(s)
		if ok {
			v.AppendBool(b)
		}
		return ok
	case types.Int32, types.Int64:
		x, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v.Type.Kind == types.Int32 && (x < -1<<31 || x >= 1<<31) {
			return false
		}
		v.AppendI64(x)
	case types.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return false
		}
		v.AppendF64(f)
	case types.Decimal:
		x, _, ok := ParseDecimal(s, v.Type.Scale)
		if !ok && strings.ContainsAny(s, "eE") {
			// An exponent ('1e3') reads as numeric input does.
			x, ok = decimalOfNumeric(s, v.Type)
		}
		if !ok || !FitsPrecision(x, v.Type.Prec) {
			return false
		}
		v.AppendI64(x)
	case types.Numeric:
		var d apd.Decimal
		if ParseNumeric(s, &d) != NumOK || NumericFit(&d, v.Type.Prec, v.Type.Scale) != NumOK {
			return false
		}
		v.AppendNumericDecimal(&d)
	case types.JSONB:
		j, err := jsonb.Parse(s)
		if err != nil {
			return false
		}
		v.AppendStr(j.String())
	case types.JSON:
		if jsonb.Validate(s) != nil {
			return false
		}
		v.AppendStr(s)
	case types.String:
		if v.Type.Width > 0 && len([]rune(s)) > v.Type.Width {
			return false
		}
		v.AppendStr(s)
	case types.Timestamp:
		us, ok := ParseTimestamp(s)
		if !ok {
			return false
		}
		v.AppendI64(TruncateMicros(us, v.Type.Prec))
	case types.TimestampTZ:
		us, ok := ParseTimestampTZ(s, time.UTC)
		if !ok {
			return false
		}
		v.AppendI64(TruncateMicros(us, v.Type.Prec))
	case types.Date:
		d, r := ParseDate(s)
		if r != TimeOK {
			return false
		}
		v.AppendI64(d)
	case types.Interval:
		x, err := ParseInterval(s)
		if err != nil {
			return false
		}
		v.AppendInterval(x)
	case types.Array:
		a, ok := ParseArray(s, v.Type.ElemType())
		if !ok {
			return false
		}
		v.AppendStr(a)
	default:
		return false
	}
	return true
}

// ParseArray reads array text (see ParseArrayText) into the array
// encoding, each element parsed as elem.
func ParseArray(s string, elem types.T) (string, bool) {
	texts, null, r := ParseArrayText(s)
	if r != ArrayTextOK {
		return "", false
	}
	ev := New(elem, len(texts))
	for k, t := range texts {
		if null[k] {
			ev.AppendNull()
		} else if !ev.AppendParsed(t) {
			return "", false
		}
	}
	return ArrayOf(&ev), true
}

// FitsPrecision reports whether a scaled decimal has at most prec digits
// (an int64 holds 18 digits exactly, and some values of 19).
func FitsPrecision(x int64, prec int) bool {
	prec = min(prec, types.MaxDecimalPrec)
	return x < types.Pow10[prec] && x > -types.Pow10[prec]
}

// TruncateMicros drops fraction digits past a timestamp precision.
func TruncateMicros(us int64, prec int) int64 {
	if prec >= 6 || prec < 0 {
		return us
	}
	unit := types.Pow10[6-prec]
	r := us % unit
	if r < 0 {
		r += unit
	}
	return us - r
}

// decimalOfNumeric reads s as NUMERIC and scales it to DECIMAL t.
func decimalOfNumeric(s string, t types.T) (int64, bool) {
	var d apd.Decimal
	if ParseNumeric(s, &d) != NumOK || NumericFit(&d, t.Prec, t.Scale) != NumOK || !d.Coeff.IsInt64() {
		return 0, false
	}
	x := d.Coeff.Int64()
	for e := int(d.Exponent); e > -t.Scale; e-- {
		x *= 10 // the fit bounds the digits: no overflow
	}
	if d.Negative {
		x = -x
	}
	return x, true
}
