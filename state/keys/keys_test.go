package keys

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// seed is fixed so that failures reproduce; every failure message carries it.
const seed = 20240601

// kind is one column type of the property tests, with a generator biased
// toward edge cases, its encoder, decoder and value order.
type kind struct {
	name   string
	gen    func(r *rand.Rand) any
	encode func(b []byte, v any) []byte
	decode func(b []byte) (any, []byte, error)
	cmp    func(a, b any) int
}

var kinds = []kind{
	{"uint64",
		func(r *rand.Rand) any {
			return pick(r, []uint64{0, 1, math.MaxUint64, 1 << 63, (1 << 63) - 1}, r.Uint64()>>r.IntN(64))
		},
		func(b []byte, v any) []byte { return AppendUint64(b, v.(uint64)) },
		func(b []byte) (any, []byte, error) { return wrap(DecodeUint64(b)) },
		func(a, b any) int { return cmp.Compare(a.(uint64), b.(uint64)) }},
	{"int64",
		func(r *rand.Rand) any {
			return pick(r, []int64{0, 1, -1, math.MinInt64, math.MaxInt64}, int64(r.Uint64())>>r.IntN(64))
		},
		func(b []byte, v any) []byte { return AppendInt64(b, v.(int64)) },
		func(b []byte) (any, []byte, error) { return wrap(DecodeInt64(b)) },
		func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) }},
	{"float64",
		func(r *rand.Rand) any {
			edge := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
				math.Float64frombits(0xFFF8000000000001), math.SmallestNonzeroFloat64,
				-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1, -1}
			return pick(r, edge, math.Float64frombits(r.Uint64()))
		},
		func(b []byte, v any) []byte { return AppendFloat64(b, v.(float64)) },
		func(b []byte) (any, []byte, error) { return wrap(DecodeFloat64(b)) },
		func(a, b any) int { return sqlFloatCompare(a.(float64), b.(float64)) }},
	{"string",
		func(r *rand.Rand) any {
			alphabet := []byte{0x00, 0x01, 0x02, 'a', 'b', 0xFE, 0xFF}
			s := make([]byte, r.IntN(6))
			for i := range s {
				s[i] = alphabet[r.IntN(len(alphabet))]
			}
			return string(s)
		},
		func(b []byte, v any) []byte { return AppendString(b, v.(string)) },
		func(b []byte) (any, []byte, error) { return wrap(DecodeString(b)) },
		func(a, b any) int { return strings.Compare(a.(string), b.(string)) }},
	{"bool",
		func(r *rand.Rand) any { return r.IntN(2) == 1 },
		func(b []byte, v any) []byte { return AppendBool(b, v.(bool)) },
		func(b []byte) (any, []byte, error) { return wrap(DecodeBool(b)) },
		func(a, b any) int { return cmp.Compare(b2i(a.(bool)), b2i(b.(bool))) }},
}

// sqlFloatCompare is the SQL order of floats: -0 == 0, NaN after everything
// and equal to NaN (cmp.Compare puts NaN first).
func sqlFloatCompare(x, y float64) int {
	switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

func pick[T any](r *rand.Rand, edge []T, random T) T {
	if r.IntN(3) == 0 {
		return edge[r.IntN(len(edge))]
	}
	return random
}

func wrap[T any](v T, rest []byte, err error) (any, []byte, error) { return v, rest, err }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sign(x int) int { return cmp.Compare(x, 0) }

// TestOrderAndRoundTrip checks, per type, that comparing encodings agrees
// with comparing values and that decoding gives back an equal value.
func TestOrderAndRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(seed, 1))
	for _, k := range kinds {
		for range 20000 {
			a, b := k.gen(r), k.gen(r)
			ea, eb := k.encode(nil, a), k.encode(nil, b)
			if got, want := bytes.Compare(ea, eb), k.cmp(a, b); got != sign(want) {
				t.Fatalf("seed %d: %s: compare(%v, %v) = %d, encodings %x %x compare %d", seed, k.name, a, b, want, ea, eb, got)
			}
			trailer := []byte{0xAB}
			v, rest, err := k.decode(append(ea, trailer...))
			if err != nil || k.cmp(v, a) != 0 || !bytes.Equal(rest, trailer) {
				t.Fatalf("seed %d: %s: round trip of %v gave %v rest %x err %v", seed, k.name, a, v, rest, err)
			}
		}
	}
}

// TestCompositeOrder builds random tuples of a random schema, with nullable
// columns, and checks that encodings sort lexicographically by column.
func TestCompositeOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(seed, 2))
	type col struct {
		k        kind
		nullable bool
	}
	for range 500 {
		schema := make([]col, 1+r.IntN(4))
		for i := range schema {
			schema[i] = col{kinds[r.IntN(len(kinds))], r.IntN(2) == 0}
		}
		gen := func() []any {
			row := make([]any, len(schema))
			for i, c := range schema {
				if !c.nullable || r.IntN(4) != 0 {
					row[i] = c.k.gen(r)
				}
			}
			return row
		}
		encode := func(row []any) []byte {
			var b []byte
			for i, c := range schema {
				switch {
				case !c.nullable:
					b = c.k.encode(b, row[i])
				case row[i] == nil:
					b = AppendNull(b)
				default:
					b = c.k.encode(AppendNotNull(b), row[i])
				}
			}
			return b
		}
		compare := func(x, y []any) int {
			for i, c := range schema {
				switch {
				case x[i] == nil && y[i] == nil:
				case x[i] == nil:
					return -1
				case y[i] == nil:
					return 1
				default:
					if d := c.k.cmp(x[i], y[i]); d != 0 {
						return d
					}
				}
			}
			return 0
		}
		for range 50 {
			x, y := gen(), gen()
			if got, want := bytes.Compare(encode(x), encode(y)), sign(compare(x, y)); got != want {
				t.Fatalf("seed %d: tuples %v and %v compare %d, encodings %x %x compare %d", seed, x, y, want, encode(x), encode(y), got)
			}
			// Decoding column by column consumes the key exactly.
			b := encode(x)
			for i, c := range schema {
				if c.nullable {
					null, rest, err := DecodeNull(b)
					if err != nil || null != (x[i] == nil) {
						t.Fatalf("seed %d: null marker of %v: %v %v", seed, x, null, err)
					}
					if b = rest; null {
						continue
					}
				}
				v, rest, err := c.k.decode(b)
				if err != nil || c.k.cmp(v, x[i]) != 0 {
					t.Fatalf("seed %d: column %d of %v decoded as %v, %v", seed, i, x, v, err)
				}
				b = rest
			}
			if len(b) != 0 {
				t.Fatalf("seed %d: %x left after decoding %v", seed, b, x)
			}
		}
	}
}

func TestBytesMatchesString(t *testing.T) {
	for _, s := range []string{"", "a", "\x00", "a\x00\x00b\x00"} {
		if a, b := AppendString(nil, s), AppendBytes(nil, []byte(s)); !bytes.Equal(a, b) {
			t.Errorf("%q: string %x bytes %x", s, a, b)
		}
		v, _, err := DecodeBytes(AppendString(nil, s))
		if err != nil || string(v) != s || v == nil {
			t.Errorf("%q: DecodeBytes gave %q %v", s, v, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, f := range map[string]func() error{
		"uint64":  func() error { _, _, err := DecodeUint64([]byte{1, 2}); return err },
		"string":  func() error { _, _, err := DecodeString([]byte("ab\x00")); return err },
		"escape":  func() error { _, _, err := DecodeBytes([]byte("a\x00\x07")); return err },
		"bool":    func() error { _, _, err := DecodeBool(nil); return err },
		"null":    func() error { _, _, err := DecodeNull([]byte{9}); return err },
		"float64": func() error { _, _, err := DecodeFloat64(nil); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v does not wrap ErrInvalid", name, err)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ prefix, end []byte }{
		{nil, nil},
		{[]byte{0xFF, 0xFF}, nil},
		{[]byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xFF}, []byte{2}},
	} {
		if got := PrefixEnd(tc.prefix); !bytes.Equal(got, tc.end) || (got == nil) != (tc.end == nil) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", tc.prefix, got, tc.end)
		}
	}
	// Every key with the prefix sorts before the end, and the prefix's
	// successor at the end itself does not.
	p := AppendInt64(nil, 42)
	end := PrefixEnd(p)
	if k := AppendString(append([]byte(nil), p...), "\xff\xff"); bytes.Compare(k, end) >= 0 {
		t.Errorf("%x not below %x", k, end)
	}
	if k := AppendInt64(nil, 43); bytes.Compare(k, end) < 0 {
		t.Errorf("%x below %x", k, end)
	}
}

// TestAppendDoesNotAllocate guards the hot path: building a key in a buffer
// with room must not allocate.
func TestAppendDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	s := "group\x00key"
	bs := []byte(s)
	n := testing.AllocsPerRun(100, func() {
		b := AppendInt64(buf[:0], -5)
		b = AppendUint64(b, 7)
		b = AppendFloat64(b, math.NaN())
		b = AppendNotNull(b)
		b = AppendString(b, s)
		b = AppendBytes(b, bs)
		b = AppendBool(b, true)
		_ = AppendNull(b)
	})
	if n != 0 {
		t.Errorf("append functions allocate %v times per key", n)
	}
}

// FuzzDecode checks that decoders never panic on arbitrary input and that a
// successful decode re-encodes to the bytes it consumed (canonical inputs).
func FuzzDecode(f *testing.F) {
	f.Add([]byte("a\x00\xffb\x00\x01"))
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, rest, err := DecodeString(b); err == nil {
			if enc := AppendString(nil, v); !bytes.Equal(enc, b[:len(b)-len(rest)]) {
				t.Fatalf("%x decoded as %q re-encodes as %x", b, v, enc)
			}
		}
		_, _, _ = DecodeFloat64(b)
		_, _, _ = DecodeInt64(b)
		_, _, _ = DecodeBool(b)
		_, _, _ = DecodeNull(b)
	})
}
