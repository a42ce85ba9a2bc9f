package wire

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// oneRow returns a one-row vector of type t holding x, which is a bool,
// float64, string or int64 as t's representation needs.
func oneRow(t types.T, x any) *vec.Vec {
	v := vec.New(t, 1)
	switch x := x.(type) {
	case bool:
		v.AppendBool(x)
	case float64:
		v.AppendF64(x)
	case string:
		v.AppendStr(x)
	case int64:
		if t.Kind == types.Interval {
			v.AppendInterval(vec.Interval{Micros: x})
			break
		}
		v.AppendI64(x)
	case vec.Interval:
		v.AppendInterval(x)
	default:
		panic("oneRow: unsupported value")
	}
	return &v
}

// encodeRow is appendBinary of a one-row vector, checked against the OID
// and size typeInfo reports for t.
func encodeRow(t *testing.T, typ types.T, x any) (uint32, []byte) {
	t.Helper()
	oid, size, _ := typeInfo(typ)
	// Non-nil even when empty: pgx reads nil as NULL.
	b := appendBinary([]byte{}, oneRow(typ, x), 0)
	if size > 0 && len(b) != int(size) {
		t.Fatalf("%s %v: %d bytes, typeInfo says %d", typ, x, len(b), size)
	}
	return oid, b
}

// numericText is pgx's text for a decoded numeric.
func numericText(t *testing.T, n pgtype.Numeric) string {
	t.Helper()
	s, err := n.Value()
	if err != nil {
		t.Fatal(err)
	}
	return s.(string)
}

// TestBinaryNumericGolden checks appendBinary's numeric bytes against what
// PostgreSQL 15's numeric_send wrote for the same values, with each value
// written with exactly scale fraction digits (so dscale = scale).
func TestBinaryNumericGolden(t *testing.T) {
	for _, c := range []struct {
		x     int64
		scale int
		hex   string
	}{
		{0, 0, "0000000000000000"},                                       // 0
		{0, 2, "0000000000000002"},                                       // 0.00
		{0, 18, "0000000000000012"},                                      // 0.000000000000000000
		{1, 0, "00010000000000000001"},                                   // 1
		{-1, 0, "00010000400000000001"},                                  // -1
		{12345, 2, "0002000000000002007b1194"},                           // 123.45
		{-12345, 2, "0002000040000002007b1194"},                          // -123.45
		{1, 2, "0001ffff000000020064"},                                   // 0.01
		{1, 5, "0001fffe0000000503e8"},                                   // 0.00001
		{-1, 5, "0001fffe4000000503e8"},                                  // -0.00001
		{10000, 0, "00010001000000000001"},                               // 10000
		{100000000, 0, "00010002000000000001"},                           // 100000000
		{1, 4, "0001ffff000000040001"},                                   // 0.0001
		{1, 8, "0001fffe000000080001"},                                   // 0.00000001
		{123456789, 4, "0003000100000004000109291a85"},                   // 12345.6789
		{10000, 4, "00010000000000040001"},                               // 1.0000
		{150, 2, "000200000000000200011388"},                             // 1.50
		{5, 1, "0001ffff000000011388"},                                   // 0.5
		{-5, 1, "0001ffff400000011388"},                                  // -0.5
		{math.MaxInt64, 0, "0005000400000000039a0d2c0170156516af"},       // 9223372036854775807
		{math.MinInt64, 0, "0005000440000000039a0d2c0170156516b0"},       // -9223372036854775808
		{math.MinInt64, 18, "0006000040000012000908b91c231ac61e4e0320"},  // -9.223372036854775808
		{math.MaxInt64, 18, "0006000000000012000908b91c231ac61e4e02bc"},  // 9.223372036854775807
		{math.MaxInt64, 3, "000500030000000324070e880e6512a71f86"},       // 9223372036854775.807
		{math.MinInt64, 7, "000500024000000724070e880e6512a71f90"},       // -922337203685.4775808
		{999999999999999999, 18, "0005ffff00000012270f270f270f270f26ac"}, // 0.999999999999999999
		{1, 18, "0001fffb000000120064"},                                  // 0.000000000000000001
		{-100000000000000000, 17, "00010000400000110001"},                // -1.00000000000000000
		{20000, 0, "00010001000000000002"},                               // 20000
		{120000, 1, "0002000100000001000107d0"},                          // 12000.0
		{10001, 4, "000200000000000400010001"},                           // 1.0001
		{100010000, 8, "000200000000000800010001"},                       // 1.00010000
		{123, 6, "0002ffff00000006000108fc"},                             // 0.000123
		{50000, 5, "0001ffff000000051388"},                               // 0.50000
	} {
		text := string(vec.AppendDecimal(nil, c.x, c.scale))
		_, b := encodeRow(t, types.DecimalOf(18, c.scale), c.x)
		if got := hex.EncodeToString(b); got != c.hex {
			t.Errorf("%s (scale %d): got %s, PostgreSQL sends %s", text, c.scale, got, c.hex)
		}
	}
}

// TestBinaryRoundTrip decodes appendBinary's bytes with pgx's codecs for
// the OID typeInfo reports.
func TestBinaryRoundTrip(t *testing.T) {
	m := pgtype.NewMap()
	scan := func(t *testing.T, oid uint32, b []byte, dst any) {
		t.Helper()
		if err := m.Scan(oid, pgtype.BinaryFormatCode, b, dst); err != nil {
			t.Fatalf("oid %d, bytes %x: %v", oid, b, err)
		}
	}
	t.Run("bool", func(t *testing.T) {
		for _, x := range []bool{true, false} {
			oid, b := encodeRow(t, types.Boolean, x)
			var got bool
			scan(t, oid, b, &got)
			if got != x {
				t.Errorf("%v: got %v", x, got)
			}
		}
	})
	t.Run("int4", func(t *testing.T) {
		for _, x := range []int64{0, 1, -1, math.MaxInt32, math.MinInt32, 123456} {
			oid, b := encodeRow(t, types.Int, x)
			var got int32
			scan(t, oid, b, &got)
			if int64(got) != x {
				t.Errorf("%d: got %d", x, got)
			}
		}
	})
	t.Run("int8", func(t *testing.T) {
		for _, x := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 40} {
			oid, b := encodeRow(t, types.BigInt, x)
			var got int64
			scan(t, oid, b, &got)
			if got != x {
				t.Errorf("%d: got %d", x, got)
			}
		}
	})
	t.Run("float8", func(t *testing.T) {
		for _, x := range []float64{0, math.Copysign(0, -1), 1.5, -0.1, math.MaxFloat64,
			math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN()} {
			oid, b := encodeRow(t, types.Double, x)
			var got float64
			scan(t, oid, b, &got)
			if math.Float64bits(got) != math.Float64bits(x) {
				t.Errorf("%v: got %v", x, got)
			}
		}
	})
	t.Run("varchar", func(t *testing.T) {
		for _, typ := range []types.T{types.Varchar, {Kind: types.String, Width: 10}} {
			for _, x := range []string{"", "hello", "héllo wörld ✓", "a\tb\nc"} {
				oid, b := encodeRow(t, typ, x)
				var got string
				scan(t, oid, b, &got)
				if got != x {
					t.Errorf("%q: got %q", x, got)
				}
			}
		}
	})
	t.Run("timestamp", func(t *testing.T) {
		for _, s := range []string{"2000-01-01 00:00:00", "1970-01-01 00:00:00", "2024-02-29 13:14:15.123456",
			"1999-12-31 23:59:59.999999", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1900-06-15 12:00:00.5"} {
			us, ok := vec.ParseTimestamp(s)
			if !ok {
				t.Fatalf("bad test timestamp %q", s)
			}
			oid, b := encodeRow(t, types.Ts, us)
			var got pgtype.Timestamp
			scan(t, oid, b, &got)
			if !got.Valid || got.InfinityModifier != pgtype.Finite || got.Time.UnixMicro() != us {
				t.Errorf("%s: got %+v", s, got)
			}
			if text := got.Time.UTC().Format("2006-01-02 15:04:05.999999"); text != s {
				t.Errorf("%s: pgx reads %s", s, text)
			}
		}
	})
	t.Run("interval", func(t *testing.T) {
		for _, us := range []int64{0, 1, -1, 90e6, 86400e6 + 1, -3 * 86400e6, math.MaxInt64, math.MinInt64} {
			oid, b := encodeRow(t, types.Ival, us)
			var got pgtype.Interval
			scan(t, oid, b, &got)
			if got != (pgtype.Interval{Microseconds: us, Valid: true}) {
				t.Errorf("%d µs: got %+v", us, got)
			}
		}
		for _, x := range []vec.Interval{{Months: 14, Days: -3, Micros: 5}, {Months: math.MinInt32, Days: math.MaxInt32, Micros: math.MinInt64}} {
			oid, b := encodeRow(t, types.Ival, x)
			var got pgtype.Interval
			scan(t, oid, b, &got)
			if got != (pgtype.Interval{Months: x.Months, Days: x.Days, Microseconds: x.Micros, Valid: true}) {
				t.Errorf("%+v: got %+v", x, got)
			}
		}
	})
	t.Run("numeric", func(t *testing.T) {
		for _, c := range []struct {
			x     int64
			scale int
		}{
			{0, 0}, {0, 4}, {1, 0}, {-1, 0}, {12345, 2}, {-12345, 2}, {1, 5}, {-1, 18}, {10000, 0},
			{100000000, 4}, {math.MaxInt64, 0}, {math.MinInt64, 0}, {math.MinInt64, 18}, {math.MaxInt64, 9},
		} {
			text := string(vec.AppendDecimal(nil, c.x, c.scale))
			oid, b := encodeRow(t, types.DecimalOf(18, c.scale), c.x)
			var got pgtype.Numeric
			scan(t, oid, b, &got)
			if !numericEqual(t, got, text) {
				t.Errorf("%s: pgx reads %s", text, numericText(t, got))
			}
		}
	})
}

// numericEqual reports whether pgx's numeric n is the decimal text. pgx
// keeps dscale as the exponent of a non-zero value, so its text is
// compared exactly; a zero (no digits) comes back as plain 0.
func numericEqual(t *testing.T, n pgtype.Numeric, text string) bool {
	t.Helper()
	if !n.Valid || n.NaN || n.InfinityModifier != pgtype.Finite {
		return false
	}
	if n.Int.Sign() == 0 {
		return strings.Trim(text, "0.") == ""
	}
	return numericText(t, n) == text
}

// TestBinaryDecimalProperty encodes many decimals, from random bits,
// small values, powers of ten and the extremes, at every scale, and checks
// that pgx decodes each to its text, that the bytes are in PostgreSQL's
// canonical (stripped) form, and that binaryParamText reads them back.
func TestBinaryDecimalProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := pgtype.NewMap()
	pick := func() int64 {
		switch rng.IntN(6) {
		case 0:
			return int64(rng.Uint64())
		case 1:
			return rng.Int64N(20001) - 10000
		case 2:
			x := types.Pow10[rng.IntN(19)] * int64(rng.IntN(10))
			return x + rng.Int64N(3) - 1
		case 3:
			return []int64{0, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}[rng.IntN(5)]
		case 4:
			// Digit groups with zeros inside and at either end.
			return int64(rng.IntN(10000)) * types.Pow10[4*rng.IntN(4)+rng.IntN(3)]
		}
		return -rng.Int64N(types.Pow10[rng.IntN(19)] + 1)
	}
	var buf []byte
	for range 20000 {
		x, scale := pick(), rng.IntN(types.MaxDecimalPrec+1)
		text := string(vec.AppendDecimal(nil, x, scale))
		buf = appendBinary(buf[:0], oneRow(types.DecimalOf(18, scale), x), 0)

		var got pgtype.Numeric
		if err := m.Scan(oidNumeric, pgtype.BinaryFormatCode, buf, &got); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if !numericEqual(t, got, text) {
			t.Fatalf("%s (scale %d): pgx reads %s from %x", text, scale, numericText(t, got), buf)
		}
		checkCanonicalNumeric(t, text, x, scale, buf)

		back, err := binaryParamText(oidNumeric, buf)
		if err != nil || back != text {
			t.Fatalf("%s: binaryParamText gives %q, %v", text, back, err)
		}
		if x <= -types.Pow10[18] || x >= types.Pow10[18] {
			continue // the engine's parser reads at most 18 digits
		}
		if y, s, ok := vec.ParseDecimal(back, scale); !ok || y != x || s != scale {
			t.Fatalf("%s: ParseDecimal reads %d (scale %d, %v)", back, y, s, ok)
		}
	}
}

// checkCanonicalNumeric checks the header and digits of a numeric as
// PostgreSQL's strip_var leaves them.
func checkCanonicalNumeric(t *testing.T, text string, x int64, scale int, b []byte) {
	t.Helper()
	nd := int(binary.BigEndian.Uint16(b))
	weight := int16(binary.BigEndian.Uint16(b[2:]))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	if len(b) != 8+2*nd || dscale != scale {
		t.Fatalf("%s: %d bytes, ndigits %d, dscale %d", text, len(b), nd, dscale)
	}
	wantSign := uint16(numericPos)
	if x < 0 {
		wantSign = numericNeg
	}
	if x == 0 && (nd != 0 || weight != 0 || sign != numericPos) || x != 0 && sign != wantSign {
		t.Fatalf("%s: ndigits %d, weight %d, sign %#x", text, nd, weight, sign)
	}
	for k := range nd {
		d := binary.BigEndian.Uint16(b[8+2*k:])
		if d > 9999 || d == 0 && (k == 0 || k == nd-1) {
			t.Fatalf("%s: digit %d of %d is %d in %x", text, k, nd, d, b)
		}
	}
}

// TestBinaryParamText decodes values pgx encodes in binary.
func TestBinaryParamText(t *testing.T) {
	m := pgtype.NewMap()
	ts := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			panic(err)
		}
		return tm
	}
	num := func(i string, exp int32) pgtype.Numeric {
		n, ok := new(big.Int).SetString(i, 10)
		if !ok {
			panic(i)
		}
		return pgtype.Numeric{Int: n, Exp: exp, Valid: true}
	}
	for _, c := range []struct {
		oid  uint32
		val  any
		want string
	}{
		{oidBool, true, "true"},
		{oidBool, false, "false"},
		{oidInt2, int16(math.MinInt16), "-32768"},
		{oidInt2, int16(math.MaxInt16), "32767"},
		{oidInt4, int32(math.MinInt32), "-2147483648"},
		{oidInt4, int32(42), "42"},
		{oidInt8, int64(math.MaxInt64), "9223372036854775807"},
		{oidInt8, int64(math.MinInt64), "-9223372036854775808"},
		{oidFloat4, float32(0.1), "0.1"},
		{oidFloat4, float32(-2.5), "-2.5"},
		{oidFloat4, float32(1e20), "1e+20"},
		{oidFloat4, float32(math.Inf(-1)), "-Infinity"},
		{oidFloat4, float32(math.NaN()), "NaN"},
		{oidFloat8, 0.1, "0.1"},
		{oidFloat8, 123456.789, "123456.789"},
		{oidFloat8, 1e300, "1e+300"},
		{oidFloat8, math.Copysign(0, -1), "-0"},
		{oidFloat8, math.Inf(1), "Infinity"},
		{oidText, "héllo 'world'", "héllo 'world'"},
		{oidText, "", ""},
		{oidVarchar, "abc", "abc"},
		{oidName, "pg_class", "pg_class"},
		{oidChar, byte('x'), "x"},
		{oidTimestamp, ts("2024-02-29 13:14:15.123456"), "2024-02-29 13:14:15.123456"},
		{oidTimestamp, ts("2024-02-29 13:14:15.1"), "2024-02-29 13:14:15.1"},
		{oidTimestamp, ts("2000-01-01 00:00:00"), "2000-01-01 00:00:00"},
		{oidTimestamp, ts("1969-12-31 23:59:59.999999"), "1969-12-31 23:59:59.999999"},
		{oidTimestamp, ts("0001-01-01 00:00:00"), "0001-01-01 00:00:00"},
		{oidTimestamp, ts("9999-12-31 23:59:59.999999"), "9999-12-31 23:59:59.999999"},
		{oidTimestamptz, time.Date(2024, 7, 1, 2, 30, 0, 0, time.FixedZone("", 5*3600)), "2024-06-30 21:30:00+00"},
		{oidInterval, pgtype.Interval{Microseconds: 90e6, Valid: true}, "0 mons 0 days 90000000 microseconds"},
		{oidInterval, pgtype.Interval{Microseconds: -1, Valid: true}, "0 mons 0 days -1 microseconds"},
		{oidInterval, pgtype.Interval{Microseconds: -3600e6, Days: 1, Months: -2, Valid: true}, "-2 mons 1 days -3600000000 microseconds"},
		{oidInterval, pgtype.Interval{Microseconds: math.MinInt64, Valid: true}, "0 mons 0 days -9223372036854775808 microseconds"},
		{oidNumeric, num("12345", -2), "123.45"},
		{oidNumeric, num("-5", -3), "-0.005"},
		{oidNumeric, num("0", -2), "0.00"}, // pgx sends one zero digit
		{oidNumeric, num("7", 6), "7000000"},
		{oidNumeric, num("123456789012345678901234567890", -1), "12345678901234567890123456789.0"},
		{oidNumeric, num("-1", -30), "-0.000000000000000000000000000001"},
	} {
		b, err := m.Encode(c.oid, pgtype.BinaryFormatCode, c.val, nil)
		if err != nil {
			t.Fatalf("pgx encode %d %v: %v", c.oid, c.val, err)
		}
		got, err := binaryParamText(c.oid, b)
		if err != nil || got != c.want {
			t.Errorf("oid %d %v (%x): got %q, %v; want %q", c.oid, c.val, b, got, err, c.want)
		}
	}
}

// TestBinaryParamNumericBytes covers numeric inputs pgx does not produce:
// negative zero, unstripped groups, and dscale hiding or padding digits
// (numeric_recv truncates hidden digits).
func TestBinaryParamNumericBytes(t *testing.T) {
	for _, c := range []struct{ hex, want string }{
		{"0000000040000002", "0.00"},                   // -0.00
		{"0001ffff400000020001", "0.00"},               // -0.0001 at dscale 2
		{"000300010000000200000001162e", "1.56"},       // 0000 0001 5678: leading zero group, truncated
		{"0001000000000006000c", "12.000000"},          // dscale pads
		{"00010002000000000001", "100000000"},          // weight past the digits
		{"0001fffd000000100002", "0.0000000000020000"}, // weight -3
		{"000200000000000000010000", "1"},              // trailing zero group
	} {
		b, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatal(err)
		}
		got, err := binaryParamText(oidNumeric, b)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.hex, got, err, c.want)
		}
	}
}

// TestBinaryParamErrors checks that malformed or unsupported values are
// refused with 22P03 (0A000 for a type with no binary support).
func TestBinaryParamErrors(t *testing.T) {
	be64 := func(x int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(x)) }
	for _, c := range []struct {
		name string
		oid  uint32
		b    []byte
		code string
	}{
		{"bool empty", oidBool, nil, "22P03"},
		{"bool long", oidBool, []byte{1, 0}, "22P03"},
		{"int2 short", oidInt2, []byte{1}, "22P03"},
		{"int4 as int8", oidInt4, be64(1), "22P03"},
		{"int8 short", oidInt8, []byte{0, 0, 0, 1}, "22P03"},
		{"float4 long", oidFloat4, be64(0), "22P03"},
		{"float8 short", oidFloat8, []byte{0, 0, 0, 0}, "22P03"},
		{"text bad utf8", oidText, []byte{'a', 0xff}, "22P03"},
		{"varchar NUL", oidVarchar, []byte{'a', 0, 'b'}, "22P03"},
		{"timestamp short", oidTimestamp, []byte{0, 0, 0, 0}, "22P03"},
		{"timestamp infinity", oidTimestamp, be64(math.MaxInt64), "22P03"},
		{"timestamptz -infinity", oidTimestamptz, be64(math.MinInt64), "22P03"},
		{"timestamp before 4714 BC", oidTimestamp, be64(vec.MinTimestamp - 1 - pgEpochMicros), "22P03"},
		{"timestamp past 294246", oidTimestamp, be64(vec.MaxTimestamp + 1 - pgEpochMicros), "22P03"},
		{"timestamp overflow", oidTimestamp, be64(math.MaxInt64 - 1), "22P03"},
		{"interval short", oidInterval, be64(1), "22P03"},
		{"numeric short", oidNumeric, []byte{0, 0, 0, 0}, "22P03"},
		{"numeric NaN", oidNumeric, numericWire(0, 0, numericNaN, 0), "22P03"},
		{"numeric infinity", oidNumeric, numericWire(0, 0, numericPInf, 0), "22P03"},
		{"numeric -infinity", oidNumeric, numericWire(0, 0, numericNInf, 0), "22P03"},
		{"numeric bad sign", oidNumeric, numericWire(1, 0, 0x1234, 0, 1), "22P03"},
		{"numeric bad digit", oidNumeric, numericWire(1, 0, numericPos, 0, 10000), "22P03"},
		{"numeric bad dscale", oidNumeric, numericWire(1, 0, numericPos, 0x4000, 1), "22P03"},
		{"numeric missing digits", oidNumeric, numericWire(2, 0, numericPos, 0, 1), "22P03"},
		{"numeric extra bytes", oidNumeric, append(numericWire(1, 0, numericPos, 0, 1), 0), "22P03"},
		{"bytea", 17, []byte{1, 2}, "0A000"},
		{"unknown", 999999, nil, "0A000"},
	} {
		got, err := binaryParamText(c.oid, c.b)
		if err == nil {
			t.Errorf("%s: got %q, want an error", c.name, got)
			continue
		}
		if _, ok := sqlerr.As(err); !ok || Code(err) != c.code {
			t.Errorf("%s: %v has code %s, want %s", c.name, err, Code(err), c.code)
		}
	}
}

// TestBinaryParamRoundTrip checks that the text binaryParamText gives reads
// back, through the parser the engine uses for the type, as exactly the
// value appendBinary encoded.
func TestBinaryParamRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// All of TIMESTAMP's range, with the edges of 1 BC (ISO year 0000).
	const minTs, maxTs = vec.MinTimestamp, vec.MaxTimestamp
	tsVals := []int64{0, minTs, maxTs, pgEpochMicros, pgEpochMicros - 1, -1,
		-62167219200000000, -62167219200000001, -62135596800000000, -62135596800000001}
	ivVals := []int64{0, 1, -1, 86400e6, -86400e6, 86400e6 - 1, 1 << 53, 1<<53 + 1, -(1 << 53) - 1, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	fVals := []float64{0, 0.1, -1.5e-7, 1e15, 123456789012345.6, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.NaN()}
	for range 2000 {
		tsVals = append(tsVals, minTs+int64(rng.Uint64N(uint64(maxTs)+uint64(-minTs))))
		ivVals = append(ivVals, int64(rng.Uint64())>>rng.IntN(64))
		fVals = append(fVals, math.Float64frombits(rng.Uint64()))
	}
	for _, us := range tsVals {
		oid, b := encodeRow(t, types.Ts, us)
		s, err := binaryParamText(oid, b)
		if err != nil {
			t.Fatalf("%d: %v", us, err)
		}
		if back, ok := vec.ParseTimestamp(s); !ok || back != us {
			t.Fatalf("%d: %q reads as %d, %v", us, s, back, ok)
		}
		if want := string(vec.AppendTimestamp(nil, us)); s != want {
			t.Fatalf("%d: %q, text format has %q", us, s, want)
		}
	}
	for _, us := range ivVals {
		oid, b := encodeRow(t, types.Ival, us)
		s, err := binaryParamText(oid, b)
		if err != nil {
			t.Fatalf("%d: %v", us, err)
		}
		if back, err := parser.ParseInterval(s, 0); err != nil || back != (vec.Interval{Micros: us}) {
			t.Fatalf("%d: %q reads as %d, %v", us, s, back, err)
		}
	}
	for range 2000 {
		x := vec.Interval{Months: int32(rng.Uint32()), Days: int32(rng.Uint32()), Micros: int64(rng.Uint64()) >> rng.IntN(64)}
		oid, b := encodeRow(t, types.Ival, x)
		s, err := binaryParamText(oid, b)
		if err != nil {
			t.Fatalf("%+v: %v", x, err)
		}
		if back, err := parser.ParseInterval(s, 0); err != nil || back != x {
			t.Fatalf("%+v: %q reads as %+v, %v", x, s, back, err)
		}
	}
	for _, f := range fVals {
		oid, b := encodeRow(t, types.Double, f)
		s, err := binaryParamText(oid, b)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(back) != math.Float64bits(f) && !(math.IsNaN(f) && math.IsNaN(back)) && f != 0 {
			t.Fatalf("%v: %q reads as %v, %v", f, s, back, err)
		}
		f32 := float32(f)
		s, err = binaryParamText(oidFloat4, binary.BigEndian.AppendUint32(nil, math.Float32bits(f32)))
		if err != nil {
			t.Fatalf("%v: %v", f32, err)
		}
		back, err = strconv.ParseFloat(s, 32)
		if err != nil || float32(back) != f32 && !(f32 != f32 && back != back) {
			t.Fatalf("float4 %v: %q reads as %v, %v", f32, s, back, err)
		}
	}
	for _, x := range []int64{0, 1, -1, math.MaxInt32, math.MinInt32} {
		oid, b := encodeRow(t, types.Int, x)
		if s, err := binaryParamText(oid, b); err != nil || s != strconv.FormatInt(x, 10) {
			t.Fatalf("int4 %d: %q, %v", x, s, err)
		}
	}
	for _, x := range []bool{true, false} {
		oid, b := encodeRow(t, types.Boolean, x)
		s, err := binaryParamText(oid, b)
		if back, ok := vec.ParseBool(s); err != nil || !ok || back != x {
			t.Fatalf("bool %v: %q, %v", x, s, err)
		}
	}
}

// binaryBenchVecs is one vector of each result type, several rows each.
func binaryBenchVecs() []*vec.Vec {
	vs := []*vec.Vec{
		oneRow(types.Boolean, true),
		oneRow(types.Int, int64(123456)),
		oneRow(types.BigInt, int64(-9876543210)),
		oneRow(types.Double, 3.14159),
		oneRow(types.DecimalOf(18, 2), int64(-123456789012)),
		oneRow(types.DecimalOf(18, 18), int64(math.MinInt64)),
		oneRow(types.Varchar, "some text value"),
		oneRow(types.Ts, int64(1700000000123456)),
		oneRow(types.Ival, int64(90e6)),
	}
	return vs
}

// TestBinaryAppendNoAllocs holds the encode path to zero allocations with
// a buffer that has room, as the DataRow buffer has in steady state.
func TestBinaryAppendNoAllocs(t *testing.T) {
	vs := binaryBenchVecs()
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf = buf[:0]
		for _, v := range vs {
			buf = appendBinary(buf, v, 0)
		}
	})
	if allocs != 0 {
		t.Fatalf("appendBinary allocates %v times per row", allocs)
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	vs := binaryBenchVecs()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, v := range vs {
			buf = appendBinary(buf, v, 0)
		}
	}
}

// numericWire is a binary numeric value as numeric_send writes it: the
// digit count nd (which tests may make disagree with digits), weight,
// sign, display scale, then the base-10000 digits.
func numericWire(nd, weight int16, sign, dscale uint16, digits ...uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(nd))
	b = binary.BigEndian.AppendUint16(b, uint16(weight))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, dscale)
	for _, d := range digits {
		b = binary.BigEndian.AppendUint16(b, d)
	}
	return b
}
