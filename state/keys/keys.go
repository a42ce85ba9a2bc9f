// Package keys builds composite state keys whose byte order is their value
// order.
//
// Operator state is keyed like `window end | group key columns`, and closing a
// window is a range scan plus DeleteRange over the prefix of its end, so the
// encodings must satisfy bytes.Compare(enc(a), enc(b)) == cmp(a, b) for every
// type, and every encoding must be self-delimiting so that concatenating
// columns gives lexicographic tuple order. Each AppendX has a DecodeX that
// returns the value and the rest of the key.
//
// The append functions never allocate except to grow the slice they are
// given; operators reuse one key buffer per batch.
package keys

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrInvalid is wrapped by every decoding error: the input is not a valid
// encoding of the requested type (too short, or a bad marker byte).
var ErrInvalid = errors.New("keys: invalid encoding")

// Markers of a nullable column. NULL sorts before every value, as in
// Postgres's ORDER BY ... NULLS FIRST of an ascending key.
const (
	nullMarker    = 0x00
	notNullMarker = 0x01
)

// Escapes of AppendString: a 0x00 inside the value becomes 0x00 0xFF and the
// value ends with 0x00 0x01. Since 0x01 < 0xFF, a string sorts before every
// string it is a proper prefix of, whatever byte follows.
const (
	escape     = 0x00
	escapedNul = 0xFF
	terminator = 0x01
)

// canonicalNaN is the one NaN the encoding produces, so all NaNs are equal
// and sort after +Inf.
const canonicalNaN = 0x7FF8000000000000

// AppendUint64 appends v as 8 big-endian bytes.
func AppendUint64(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(b, v)
}

// DecodeUint64 decodes a value written by AppendUint64.
func DecodeUint64(b []byte) (uint64, []byte, error) {
	return decode8(b, "uint64")
}

func decode8(b []byte, typ string) (uint64, []byte, error) {
	if len(b) < 8 {
		return 0, b, fmt.Errorf("%w: %s needs 8 bytes, have %d", ErrInvalid, typ, len(b))
	}
	return binary.BigEndian.Uint64(b), b[8:], nil
}

// AppendInt64 appends v big-endian with its sign bit flipped, which maps
// math.MinInt64..math.MaxInt64 onto 0..math.MaxUint64 in order. Timestamps
// (int64 microseconds) use it too.
func AppendInt64(b []byte, v int64) []byte {
	return AppendUint64(b, uint64(v)^(1<<63))
}

// DecodeInt64 decodes a value written by AppendInt64.
func DecodeInt64(b []byte) (int64, []byte, error) {
	u, rest, err := decode8(b, "int64")
	if err != nil {
		return 0, b, err
	}
	return int64(u ^ (1 << 63)), rest, nil
}

// AppendFloat64 appends v in IEEE 754 total order: negative numbers have all
// bits flipped, non-negative ones only the sign bit. -0 is encoded as +0 so
// that the two compare equal, as they do in SQL, and every NaN is encoded as
// one canonical NaN that sorts after +Inf (Postgres's order).
func AppendFloat64(b []byte, v float64) []byte {
	u := math.Float64bits(v)
	switch {
	case v != v:
		u = canonicalNaN
	case v == 0:
		u = 0
	}
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return AppendUint64(b, u)
}

// DecodeFloat64 decodes a value written by AppendFloat64. -0 comes back as +0
// and every NaN as the same NaN.
func DecodeFloat64(b []byte) (float64, []byte, error) {
	u, rest, err := decode8(b, "float64")
	if err != nil {
		return 0, b, err
	}
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u), rest, nil
}

// AppendString appends s with every 0x00 escaped as 0x00 0xFF and a 0x00 0x01
// terminator, so any bytes are allowed and a prefix sorts first.
func AppendString(b []byte, s string) []byte {
	for i := strings.IndexByte(s, 0); i >= 0; i = strings.IndexByte(s, 0) {
		b = append(b, s[:i]...)
		b = append(b, escape, escapedNul)
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, escape, terminator)
}

// AppendBytes is AppendString for a byte slice; the encodings are identical.
func AppendBytes(b, v []byte) []byte {
	for i := bytes.IndexByte(v, 0); i >= 0; i = bytes.IndexByte(v, 0) {
		b = append(b, v[:i]...)
		b = append(b, escape, escapedNul)
		v = v[i+1:]
	}
	b = append(b, v...)
	return append(b, escape, terminator)
}

// DecodeString decodes a value written by AppendString or AppendBytes.
func DecodeString(b []byte) (string, []byte, error) {
	v, rest, err := decodeEscaped(nil, b)
	return string(v), rest, err
}

// DecodeBytes decodes a value written by AppendString or AppendBytes into a
// newly allocated slice, so the result does not alias b.
func DecodeBytes(b []byte) ([]byte, []byte, error) {
	v, rest, err := decodeEscaped(nil, b)
	if err == nil && v == nil {
		v = []byte{}
	}
	return v, rest, err
}

func decodeEscaped(dst, b []byte) ([]byte, []byte, error) {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], 0)
		if j < 0 || i+j+1 >= len(b) {
			return nil, b, fmt.Errorf("%w: string not terminated", ErrInvalid)
		}
		j += i
		dst = append(dst, b[i:j]...)
		switch b[j+1] {
		case terminator:
			return dst, b[j+2:], nil
		case escapedNul:
			dst = append(dst, 0)
			i = j + 2
		default:
			return nil, b, fmt.Errorf("%w: string has bad escape 0x00 0x%02x", ErrInvalid, b[j+1])
		}
	}
}

// AppendBool appends false as 0x00 and true as 0x01.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// DecodeBool decodes a value written by AppendBool.
func DecodeBool(b []byte) (bool, []byte, error) {
	if len(b) == 0 || b[0] > 1 {
		return false, b, fmt.Errorf("%w: bool", ErrInvalid)
	}
	return b[0] == 1, b[1:], nil
}

// AppendNull appends the marker of a NULL column value; nothing follows it.
func AppendNull(b []byte) []byte { return append(b, nullMarker) }

// AppendNotNull appends the marker of a non-NULL column value, which the
// value's own encoding must follow.
func AppendNotNull(b []byte) []byte { return append(b, notNullMarker) }

// DecodeNull decodes a marker written by AppendNull or AppendNotNull and
// reports whether it was NULL.
func DecodeNull(b []byte) (null bool, rest []byte, err error) {
	if len(b) == 0 || b[0] > notNullMarker {
		return false, b, fmt.Errorf("%w: null marker", ErrInvalid)
	}
	return b[0] == nullMarker, b[1:], nil
}

// PrefixEnd returns the smallest key greater than every key that starts with
// prefix, the end bound of a scan or DeleteRange over that prefix. It returns
// nil, which the state package reads as "no end", when no such key exists
// (the prefix is empty or all 0xFF).
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xFF {
			end := append([]byte(nil), prefix[:i+1]...)
			end[i]++
			return end
		}
	}
	return nil
}
