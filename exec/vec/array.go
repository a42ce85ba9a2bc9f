package vec

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"strings"

	"github.com/streamsql/streamsql/planner/types"
)

// An ARRAY value lives in a vector's Str slice in this encoding: the
// element count as a uvarint, then per element a flag byte (0 NULL, 1 a
// value) and the value: a varint for the kinds kept in I64, 8 bytes for a
// DOUBLE, a byte for a BOOLEAN, a uvarint length and the bytes for a
// string. Equal arrays of one type have equal encodings (but for -0 and
// NaN, which compare as PostgreSQL does in CompareArrays), so grouping,
// joining and storing an array treat it as the string it is.

// ErrArrayEncoding is a stored array whose bytes do not decode.
var ErrArrayEncoding = errors.New("vec: malformed array encoding")

// EncodeArray appends rows [0, elems.Len()) of elems as one array value.
func EncodeArray(buf []byte, elems *Vec) []byte {
	n := elems.Len()
	buf = binary.AppendUvarint(buf, uint64(n))
	for i := 0; i < n; i++ {
		buf = appendElem(buf, elems, i)
	}
	return buf
}

// appendElem appends row i of v as one element of the array encoding.
func appendElem(buf []byte, v *Vec, i int) []byte {
	if v.IsNull(i) {
		return append(buf, 0)
	}
	buf = append(buf, 1)
	switch v.Type.Kind {
	case types.Bool:
		if v.Bool[i] {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.Float64:
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.F64[i]))
	case types.String, types.Array:
		buf = binary.AppendUvarint(buf, uint64(len(v.Str[i])))
		return append(buf, v.Str[i]...)
	case types.Numeric:
		// Its canonical text, whichever layout the vector holds it in.
		var tmp [40]byte
		t := v.AppendNumericText(tmp[:0], i)
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		return append(buf, t...)
	case types.Interval:
		// µs alone as before intervals had months and days; with them
		// after the flag 2.
		if x := v.IntervalAt(i); !x.Fixed() {
			buf[len(buf)-1] = 2
			return AppendIntervalPlain(buf, x)
		}
	}
	return binary.AppendVarint(buf, v.I64[i])
}

// ArrayLen is the number of elements of an encoded array.
func ArrayLen(s string) int {
	n, k := uvarintString(s)
	if k <= 0 {
		return 0
	}
	return int(n)
}

// DecodeArray appends the elements of the encoded array s to out, whose
// type is the array's element type. Strings are slices of s: no copy.
func DecodeArray(s string, out *Vec) error {
	n, k := uvarintString(s)
	if k <= 0 {
		return ErrArrayEncoding
	}
	s = s[k:]
	out.Grow(int(min(n, 1<<16)))
	for j := uint64(0); j < n; j++ {
		var err error
		if s, err = decodeElem(s, out); err != nil {
			return err
		}
	}
	if len(s) != 0 {
		return ErrArrayEncoding
	}
	return nil
}

// decodeElem reads one element into out and returns the rest of s.
func decodeElem(s string, out *Vec) (string, error) {
	if len(s) == 0 {
		return "", ErrArrayEncoding
	}
	if s[0] == 0 {
		out.AppendNull()
		return s[1:], nil
	}
	parts := s[0] == 2
	s = s[1:]
	switch out.Type.Kind {
	case types.Bool:
		if len(s) < 1 {
			return "", ErrArrayEncoding
		}
		out.AppendBool(s[0] != 0)
		return s[1:], nil
	case types.Float64:
		if len(s) < 8 {
			return "", ErrArrayEncoding
		}
		out.AppendF64(math.Float64frombits(binary.LittleEndian.Uint64([]byte(s[:8]))))
		return s[8:], nil
	case types.String, types.Array:
		n, k := uvarintString(s)
		if k <= 0 || uint64(len(s)-k) < n {
			return "", ErrArrayEncoding
		}
		out.AppendStr(s[k : k+int(n)])
		return s[k+int(n):], nil
	case types.Numeric:
		n, k := uvarintString(s)
		if k <= 0 || uint64(len(s)-k) < n {
			return "", ErrArrayEncoding
		}
		out.appendNumericText(s[k : k+int(n)])
		return s[k+int(n):], nil
	case types.Interval:
		if !parts {
			x, k := varintString(s)
			if k <= 0 {
				return "", ErrArrayEncoding
			}
			out.AppendInterval(Interval{Micros: x})
			return s[k:], nil
		}
		x, k := DecodeIntervalPlain([]byte(s[:min(len(s), 3*binary.MaxVarintLen64)]))
		if k == 0 {
			return "", ErrArrayEncoding
		}
		out.AppendInterval(x)
		return s[k:], nil
	}
	x, k := varintString(s)
	if k <= 0 {
		return "", ErrArrayEncoding
	}
	out.AppendI64(x)
	return s[k:], nil
}

func uvarintString(s string) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<sh, i + 1
		}
		x |= uint64(b&0x7f) << sh
		sh += 7
	}
	return 0, 0
}

func varintString(s string) (int64, int) {
	u, k := uvarintString(s)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, k
}

// ArrayOf encodes the rows of elems as a fresh array value, for callers
// that build one array.
func ArrayOf(elems *Vec) string { return string(EncodeArray(nil, elems)) }

// CompareArrays orders two encoded arrays of element type elem as
// PostgreSQL's btree array ordering does: element by element, a NULL
// element after every value and equal to another NULL, then the shorter
// array first.
func CompareArrays(a, b string, elem types.T) int {
	x, y := New(elem, 0), New(elem, 0)
	if DecodeArray(a, &x) != nil || DecodeArray(b, &y) != nil {
		return strings.Compare(a, b)
	}
	n, m := x.Len(), y.Len()
	for i := 0; i < min(n, m); i++ {
		if c := CompareElems(&x, i, &y, i); c != 0 {
			return c
		}
	}
	return cmp.Compare(n, m)
}

// CompareElems orders x[i] and y[j] as array elements: NULL last, equal
// to NULL; a DOUBLE's NaN after every number and equal to NaN.
func CompareElems(x *Vec, i int, y *Vec, j int) int {
	xn, yn := x.IsNull(i), y.IsNull(j)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	if x.Type.Kind == types.Float64 {
		return CompareFloatPG(x.F64[i], y.F64[j])
	}
	return Compare(x, i, y, j)
}

// CompareFloatPG orders floats as PostgreSQL does: NaN is greater than
// every number and equal to itself, -0 equals 0.
func CompareFloatPG(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(a, b)
}
