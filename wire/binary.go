package wire

import (
	"strings"

	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// PostgreSQL type OIDs a client may send parameters as, besides those in
// results.go (pg_type.dat).
const (
	oidChar        = 18
	oidName        = 19
	oidInt2        = 21
	oidFloat4      = 700
	oidTimestamptz = 1184
	oidJSON        = 114
	oidJSONB       = 3802
)

// pgEpochMicros is 2000-01-01 00:00:00 UTC in Unix microseconds: binary
// timestamps count from PostgreSQL's epoch, not Unix's.
const pgEpochMicros = 946684800000000

// Sign words of the binary numeric format (numeric.c).
const (
	numericPos    = 0x0000
	numericNeg    = 0x4000
	numericNaN    = 0xC000
	numericPInf   = 0xD000
	numericNInf   = 0xF000
	numericDScale = 0x3FFF // NUMERIC_DSCALE_MASK
)

// appendBinary appends non-NULL row i of v in PostgreSQL's binary format
// (what the type's send function writes), without the length prefix the
// DataRow puts before it. It appends to buf only, so a reused buffer makes
// it allocation-free. NULL-typed columns have no values and append nothing.
func appendBinary(buf []byte, v *vec.Vec, i int) []byte {
	switch v.Type.Kind {
	case types.Bool:
		if v.Bool[i] {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.Int32:
		return binary.BigEndian.AppendUint32(buf, uint32(int32(v.I64[i])))
	case types.Int64:
		return binary.BigEndian.AppendUint64(buf, uint64(v.I64[i]))
	case types.Float64:
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(v.F64[i]))
	case types.Decimal:
		return appendNumeric(buf, v.I64[i], v.Type.Scale)
	case types.Numeric:
		if c, s, ok := v.NumericCompact(i); ok && s <= types.MaxDecimalPrec {
			return appendNumeric(buf, c, s)
		}
		return appendNumericText(buf, v.NumericString(i))
	case types.String, types.JSON:
		return append(buf, v.Str[i]...)
	case types.JSONB:
		// jsonb_send: a version byte, 1, then the text.
		return append(append(buf, 1), v.Str[i]...)
	case types.Date:
		// date_send: int32 days since 2000-01-01 (every DATE fits).
		return binary.BigEndian.AppendUint32(buf, uint32(int32(v.I64[i]-pgEpochMicros/vec.DayMicros)))
	case types.Timestamp, types.TimestampTZ:
		us := v.I64[i]
		// A value before PostgreSQL's epoch by more than int64 holds
		// (about 292,000 years) saturates to -infinity rather than wrap.
		if us < math.MinInt64+pgEpochMicros {
			us = math.MinInt64
		} else {
			us -= pgEpochMicros
		}
		return binary.BigEndian.AppendUint64(buf, uint64(us))
	case types.Interval:
		// interval_send: time in µs, then int32 days and int32 months.
		x := v.IntervalAt(i)
		buf = binary.BigEndian.AppendUint64(buf, uint64(x.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(x.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(x.Months))
	case types.Array:
		return appendArrayBinary(buf, v, i)
	}
	return buf
}

// appendNumeric appends x·10^-scale as numeric_send does: int16 ndigits,
// int16 weight, uint16 sign, int16 dscale, then ndigits base-10000 digits
// from the most significant, whose groups are aligned on the decimal point.
// Like PostgreSQL (strip_var) it drops leading and trailing zero groups, and
// zero has no digits, weight 0 and a positive sign. scale is in [0, 18].
func appendNumeric(buf []byte, x int64, scale int) []byte {
	u := uint64(x)
	if x < 0 {
		u = -u // also right for math.MinInt64: 2^63 as uint64
	}
	// Collect groups from the least significant. The lowest group holds
	// the last fraction digits padded on the right to four; its weight is
	// -ceil(scale/4). A uint64 has 20 digits, plus up to 3 of padding: at
	// most 6 groups.
	var groups [6]uint16
	n := 0
	lowWeight := -((scale + 3) / 4)
	if r := scale % 4; r != 0 && u != 0 {
		m := uint64(types.Pow10[r])
		groups[0] = uint16(u % m * uint64(types.Pow10[4-r]))
		u /= m
		n = 1
	}
	for ; u != 0; n++ {
		groups[n] = uint16(u % 10000)
		u /= 10000
	}
	// Strip trailing zero groups (the low end of groups).
	low := 0
	for low < n && groups[low] == 0 {
		low++
	}
	ndigits := n - low
	weight, sign := 0, numericPos
	if ndigits > 0 {
		weight = lowWeight + n - 1
		if x < 0 {
			sign = numericNeg
		}
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(sign))
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for k := n - 1; k >= low; k-- {
		buf = binary.BigEndian.AppendUint16(buf, groups[k])
	}
	return buf
}

// binaryParamText decodes a parameter the client sent in binary format
// (the type's recv format) into the text the engine's parsers read for a
// text-format parameter, so both formats take one path after this. Errors
// are *sqlerr.Error: InvalidBinary (22P03) for malformed input or a value
// the engine cannot represent, FeatureNotSupported (0A000) for a type with
// no binary support here.
func binaryParamText(oid uint32, b []byte) (string, error) {
	if _, ok := arrayElemOIDs[oid]; ok {
		return arrayParamText(oid, b)
	}
	switch oid {
	case oidBool:
		if err := wantLen(oid, b, 1); err != nil {
			return "", err
		}
		// boolrecv treats any non-zero byte as true.
		if b[0] != 0 {
			return "true", nil
		}
		return "false", nil
	case oidInt2:
		if err := wantLen(oid, b, 2); err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(int16(binary.BigEndian.Uint16(b))), 10), nil
	case oidInt4:
		if err := wantLen(oid, b, 4); err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(int32(binary.BigEndian.Uint32(b))), 10), nil
	case oidInt8:
		if err := wantLen(oid, b, 8); err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10), nil
	case oidFloat4:
		if err := wantLen(oid, b, 4); err != nil {
			return "", err
		}
		// The float4's own shortest text (as float4out prints it), not
		// its float8 widening: 0.1 stays "0.1", which also suits a
		// DECIMAL context.
		return string(appendFloat(nil, float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32)), nil
	case oidFloat8:
		if err := wantLen(oid, b, 8); err != nil {
			return "", err
		}
		return string(vec.AppendFloat(nil, math.Float64frombits(binary.BigEndian.Uint64(b)))), nil
	case oidText, oidVarchar, oidChar, oidName:
		// textrecv rejects what the server encoding (UTF-8) cannot hold,
		// NUL included.
		if !utf8.Valid(b) {
			return "", binaryErr(oid, "invalid UTF-8")
		}
		for _, c := range b {
			if c == 0 {
				return "", binaryErr(oid, "invalid byte 0x00")
			}
		}
		return string(b), nil
	case oidJSON:
		return binaryParamText(oidText, b)
	case oidJSONB:
		// jsonb_recv: version 1, then the text.
		if len(b) == 0 || b[0] != 1 {
			return "", binaryErr(oid, "unsupported jsonb version number")
		}
		return binaryParamText(oidText, b[1:])
	case oidTimestamp, oidTimestamptz:
		return timestampParamText(oid, b)
	case oidDate:
		if err := wantLen(oid, b, 4); err != nil {
			return "", err
		}
		d := int64(int32(binary.BigEndian.Uint32(b))) + pgEpochMicros/vec.DayMicros
		if d < vec.MinDate || d > vec.MaxDate {
			return "", binaryErr(oid, "date out of range")
		}
		return string(vec.AppendDate(nil, d)), nil
	case oidInterval:
		return intervalParamText(b)
	case oidNumeric:
		return numericParamText(b)
	}
	return "", sqlerr.New(sqlerr.FeatureNotSupported, "binary format is not supported for parameters of type OID %d", oid)
}

// timestampParamText decodes timestamp or timestamptz: int64 µs since
// 2000-01-01 UTC. TIMESTAMP has no zone, so a timestamptz becomes its UTC
// time, as vec.ParseTimestamp does with a zone in text.
func timestampParamText(oid uint32, b []byte) (string, error) {
	if err := wantLen(oid, b, 8); err != nil {
		return "", err
	}
	pg := int64(binary.BigEndian.Uint64(b))
	if pg == math.MaxInt64 || pg == math.MinInt64 {
		return "", binaryErr(oid, "infinite timestamps are not supported")
	}
	if pg > math.MaxInt64-pgEpochMicros {
		return "", binaryErr(oid, "timestamp out of range")
	}
	us := pg + pgEpochMicros
	if !vec.TimestampInRange(us) {
		return "", binaryErr(oid, "timestamp out of range")
	}
	// The text form the engine prints, which vec.ParseTimestamp reads
	// back, BC years and years past 9999 included; a timestamptz says its
	// offset, so that a session in another zone reads the same instant.
	if oid == oidTimestamptz {
		return string(vec.AppendTimestampTZ(nil, us, time.UTC)), nil
	}
	return string(vec.AppendTimestamp(nil, us)), nil
}

// intervalParamText decodes an interval: int64 µs, int32 days, int32
// months, as text the engine reads back exactly: each part in its own
// unit ("1 mons -2 days 3600000000 microseconds"), since hours past
// 2562047788 in hh:mm:ss text overflow on the way in.
func intervalParamText(b []byte) (string, error) {
	if err := wantLen(oidInterval, b, 16); err != nil {
		return "", err
	}
	us := int64(binary.BigEndian.Uint64(b))
	days := int32(binary.BigEndian.Uint32(b[8:]))
	months := int32(binary.BigEndian.Uint32(b[12:]))
	buf := make([]byte, 0, 64)
	buf = strconv.AppendInt(buf, int64(months), 10)
	buf = append(buf, " mons "...)
	buf = strconv.AppendInt(buf, int64(days), 10)
	buf = append(buf, " days "...)
	buf = strconv.AppendInt(buf, us, 10)
	return string(append(buf, " microseconds"...)), nil
}

// numericParamText decodes numeric_send's format (see appendNumeric) to a
// decimal string with exactly dscale fraction digits, as numeric_out
// prints it. Like numeric_recv it accepts unstripped digit groups and
// drops digits past dscale. The text may have more digits than a DECIMAL
// holds; the engine's parser reports that.
func numericParamText(b []byte) (string, error) {
	if len(b) < 8 {
		return "", binaryErr(oidNumeric, "need at least 8 bytes, got %d", len(b))
	}
	ndigits := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	switch sign {
	case numericPos, numericNeg:
	case numericNaN:
		return "", binaryErr(oidNumeric, "NaN is not supported")
	case numericPInf, numericNInf:
		return "", binaryErr(oidNumeric, "infinity is not supported")
	default:
		return "", binaryErr(oidNumeric, "invalid sign 0x%04x", sign)
	}
	if len(b) != 8+2*ndigits {
		return "", binaryErr(oidNumeric, "%d bytes do not hold %d digits", len(b), ndigits)
	}
	if dscale&numericDScale != dscale {
		return "", binaryErr(oidNumeric, "invalid scale %d", dscale)
	}
	digit := func(k int) int { // base-10000 group k, counting from the first
		if k < 0 || k >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(b[8+2*k:]))
	}
	for k := range ndigits {
		if digit(k) > 9999 {
			return "", binaryErr(oidNumeric, "invalid digit %d", digit(k))
		}
	}
	out := make([]byte, 0, 2+4*max(weight+1, 1)+dscale)
	if sign == numericNeg {
		out = append(out, '-')
	}
	start := len(out)
	// Integer part: groups 0..weight, each four digits, then leading
	// zeros trimmed.
	for k := 0; k <= weight; k++ {
		d := digit(k)
		out = append(out, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
	}
	z := start
	for z < len(out) && out[z] == '0' {
		z++
	}
	out = append(out[:start], out[z:]...)
	if len(out) == start {
		out = append(out, '0')
	}
	// Fraction: dscale digits; digit j lies in group weight+1+j/4.
	if dscale > 0 {
		out = append(out, '.')
		for j := range dscale {
			d := digit(weight + 1 + j/4)
			out = append(out, byte('0'+d/int(types.Pow10[3-j%4])%10))
		}
	}
	// Zero is unsigned, whatever the sign word says.
	if sign == numericNeg {
		zero := true
		for _, c := range out[1:] {
			zero = zero && (c == '0' || c == '.')
		}
		if zero {
			out = out[1:]
		}
	}
	return string(out), nil
}

// appendFloat formats f as vec.AppendFloat does, shortest for bitSize (32
// or 64): plain digits but for very large or small magnitudes, so the
// text also reads as a DECIMAL where it can.
func appendFloat(buf []byte, f float64, bitSize int) []byte {
	if bitSize == 64 || math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
		return vec.AppendFloat(buf, f)
	}
	exp := math.Floor(math.Log10(math.Abs(f)))
	if exp < -4 || exp >= 15 {
		return strconv.AppendFloat(buf, f, 'e', -1, bitSize)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bitSize)
}

// wantLen checks a fixed-size type's length.
func wantLen(oid uint32, b []byte, n int) error {
	if len(b) != n {
		return binaryErr(oid, "want %d bytes, got %d", n, len(b))
	}
	return nil
}

// binaryErr is a 22P03 invalid_binary_representation error naming the
// parameter's type.
func binaryErr(oid uint32, format string, args ...any) error {
	return sqlerr.New(sqlerr.InvalidBinary, "invalid binary value for type %s: "+format,
		append([]any{paramTypeName(oid)}, args...)...)
}

// paramTypeName names a parameter type in messages, as PostgreSQL does.
func paramTypeName(oid uint32) string {
	switch oid {
	case oidBool:
		return "boolean"
	case oidInt2:
		return "smallint"
	case oidInt4:
		return "integer"
	case oidInt8:
		return "bigint"
	case oidFloat4:
		return "real"
	case oidFloat8:
		return "double precision"
	case oidText:
		return "text"
	case oidVarchar:
		return "character varying"
	case oidChar:
		return `"char"`
	case oidName:
		return "name"
	case oidTimestamp:
		return "timestamp without time zone"
	case oidTimestamptz:
		return "timestamp with time zone"
	case oidDate:
		return "date"
	case oidJSON:
		return "json"
	case oidJSONB:
		return "jsonb"
	case oidInterval:
		return "interval"
	case oidNumeric:
		return "numeric"
	}
	return "OID " + strconv.FormatUint(uint64(oid), 10)
}

// appendNumericText writes canonical NUMERIC text (digits, an optional
// point, an optional leading minus) in numeric_send's form: base-10000
// groups aligned on the decimal point, without leading or trailing zero
// groups, and the display scale.
func appendNumericText(buf []byte, s string) []byte {
	sign := numericPos
	if strings.HasPrefix(s, "-") {
		sign, s = numericNeg, s[1:]
	}
	ints, frac, _ := strings.Cut(s, ".")
	ints = strings.TrimLeft(ints, "0")
	scale := len(frac)
	digits := strings.Repeat("0", (4-len(ints)%4)%4) + ints + frac + strings.Repeat("0", (4-len(frac)%4)%4)
	weight := (len(ints)+3)/4 - 1
	groups := make([]uint16, 0, len(digits)/4)
	for k := 0; k < len(digits); k += 4 {
		g, _ := strconv.Atoi(digits[k : k+4])
		groups = append(groups, uint16(g))
	}
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		weight, sign = 0, numericPos
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(groups)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(sign))
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, g)
	}
	return buf
}
