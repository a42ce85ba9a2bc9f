package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state/keys"
)

// encodeValue appends row i of v as an order-preserving key part: a NULL
// marker, then the value in its kind's encoding.
func encodeValue(buf []byte, v *vec.Vec, i int) []byte {
	if v.IsNull(i) {
		return keys.AppendNull(buf)
	}
	buf = keys.AppendNotNull(buf)
	if v.Type.Kind == types.Numeric {
		// Held in Str, but keyed by value: not as its text.
		return vec.AppendNumericKeyAt(buf, v, i, true)
	}
	if v.Type.Kind == types.Interval {
		return vec.AppendIntervalKey(buf, v.IntervalAt(i), false)
	}
	switch v.Type.Phys() {
	case types.Bool:
		return keys.AppendBool(buf, v.Bool[i])
	case types.Float64:
		return keys.AppendFloat64(buf, v.F64[i])
	case types.String, types.Array:
		return keys.AppendString(buf, v.Str[i])
	}
	return keys.AppendInt64(buf, v.I64[i])
}

// encodeMatch appends row i of v as a key part for equality only: as
// encodeValue, but a NUMERIC without its display scale, so that 1.0 and
// 1.00 meet (join keys).
func encodeMatch(buf []byte, v *vec.Vec, i int) []byte {
	if v.Type.Kind == types.Numeric && !v.IsNull(i) {
		return vec.AppendNumericKeyAt(keys.AppendNotNull(buf), v, i, false)
	}
	return encodeGroup(buf, v, i)
}

// encodeGroup appends row i of v as a part of a group or partition key:
// as encodeValue, but an INTERVAL by its span alone, so that '1 day' and
// '24 hours', which are equal, are one group (as in PostgreSQL); such a
// key decodes to vec.IntervalOfSpan, days and a time of one sign.
func encodeGroup(buf []byte, v *vec.Vec, i int) []byte {
	if v.Type.Kind == types.Interval && !v.IsNull(i) {
		return vec.AppendIntervalKey(keys.AppendNotNull(buf), v.IntervalAt(i), true)
	}
	return encodeValue(buf, v, i)
}

// appendGroupValue appends row r of src as a group key column shows it:
// as it is, but an INTERVAL as the value its span-only key decodes to, so
// that a group reads the same from a row and from its stored key.
func appendGroupValue(out, src *vec.Vec, r int) {
	if src.Type.Kind != types.Interval || src.IsNull(r) || src.Str[r] == "" && src.I64[r] >= 0 && src.I64[r] < vec.DayMicros {
		out.AppendFrom(src, r)
		return
	}
	out.AppendInterval(vec.IntervalOfSpan(src.IntervalAt(r).Span()))
}

// decodeValue reads one key part written by encodeValue into out.
func decodeValue(b []byte, out *vec.Vec) ([]byte, error) {
	null, b, err := keys.DecodeNull(b)
	if err != nil {
		return nil, err
	}
	if null {
		out.AppendNull()
		return b, nil
	}
	switch phys := out.Type.Phys(); {
	case out.Type.Kind == types.Numeric:
		b, err = vec.DecodeNumericKeyTo(b, out)
	case out.Type.Kind == types.Interval:
		var x vec.Interval
		if x, b, err = vec.DecodeIntervalKey(b); err == nil {
			out.AppendInterval(x)
		}
	case phys == types.Bool:
		var x bool
		x, b, err = keys.DecodeBool(b)
		out.AppendBool(x)
	case phys == types.Float64:
		var x float64
		x, b, err = keys.DecodeFloat64(b)
		out.AppendF64(x)
	case phys == types.String:
		var x string
		x, b, err = keys.DecodeString(b)
		out.AppendStr(x)
	default:
		var x int64
		x, b, err = keys.DecodeInt64(b)
		out.AppendI64(x)
	}
	if err != nil {
		return nil, fmt.Errorf("exec: decoding %s key part: %w", out.Type, err)
	}
	return b, nil
}

// encodeRow appends every column of row i.
func encodeRow(buf []byte, cols []vec.Vec, i int) []byte {
	for c := range cols {
		buf = encodeValue(buf, &cols[c], i)
	}
	return buf
}

// decodeRow reads a row written by encodeRow, appending to cols.
func decodeRow(b []byte, cols []vec.Vec) ([]byte, error) {
	var err error
	for c := range cols {
		if b, err = decodeValue(b, &cols[c]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// EncodeRow appends row i of cols in the order-preserving key encoding,
// for logs and state that need a row's bytes.
func EncodeRow(buf []byte, cols []vec.Vec, i int) []byte { return encodeRow(buf, cols, i) }

// DecodeRow reads one row written by EncodeRow, appending to cols, and
// returns the bytes after it.
func DecodeRow(b []byte, cols []vec.Vec) ([]byte, error) { return decodeRow(b, cols) }

// appendPlainRow appends row i of cols in the plain encoding of stored
// values, which need no order: per column a flag byte (0 NULL, 1 a value,
// 2 a value in its second form: a compact NUMERIC's coefficient and scale,
// an interval with months or days), then an integer or timestamp as a
// varint, a float as 8 bytes, a string as its length and bytes, a bool as
// a byte. It is cheaper than the key encoding,
// which must escape every string.
func appendPlainRow(buf []byte, cols []vec.Vec, i int) []byte {
	for c := range cols {
		v := &cols[c]
		if v.IsNull(i) {
			buf = append(buf, 0)
			continue
		}
		buf = append(buf, 1)
		switch v.Type.Phys() {
		case types.Bool:
			b := byte(0)
			if v.Bool[i] {
				b = 1
			}
			buf = append(buf, b)
		case types.Float64:
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.F64[i]))
		case types.Numeric:
			// A compact value as its coefficient and scale after the flag
			// 2; any other as its text, the form stored before values
			// were compact, after the flag 1.
			if c, sc, ok := v.NumericCompact(i); ok {
				buf[len(buf)-1] = 2
				buf = append(binary.AppendVarint(buf, c), byte(sc))
				break
			}
			buf = binary.AppendUvarint(buf, uint64(len(v.Str[i])))
			buf = append(buf, v.Str[i]...)
		case types.Interval:
			// A length of time alone as it was stored before intervals had
			// months and days (one varint after the flag 1); one with them
			// after the flag 2.
			if x := v.IntervalAt(i); x.Fixed() {
				buf = binary.AppendVarint(buf, x.Micros)
			} else {
				buf[len(buf)-1] = 2
				buf = vec.AppendIntervalPlain(buf, x)
			}
		case types.String:
			buf = binary.AppendUvarint(buf, uint64(len(v.Str[i])))
			buf = append(buf, v.Str[i]...)
		default:
			buf = binary.AppendVarint(buf, v.I64[i])
		}
	}
	return buf
}

// AppendPlainRow appends row i of cols in the plain encoding stored rows
// use (see appendPlainRow): compact, for rows held as bytes that need no
// order, such as a subscription's queued changes.
func AppendPlainRow(buf []byte, cols []vec.Vec, i int) []byte { return appendPlainRow(buf, cols, i) }

// DecodePlainRow reads one row written by AppendPlainRow, appending to
// cols, and returns the bytes after it. The values it appends own their
// memory: none points into b.
func DecodePlainRow(b []byte, cols []vec.Vec) ([]byte, error) { return decodePlainRow(b, cols) }

var errPlainRow = errors.New("exec: truncated stored row")

// decodePlainRow reads a row written by appendPlainRow, appending to cols,
// and returns the bytes after it.
func decodePlainRow(b []byte, cols []vec.Vec) ([]byte, error) {
	for c := range cols {
		out := &cols[c]
		if len(b) == 0 {
			return nil, errPlainRow
		}
		null, parts := b[0] == 0, b[0] == 2
		b = b[1:]
		if null {
			out.AppendNull()
			continue
		}
		switch out.Type.Phys() {
		case types.Bool:
			if len(b) < 1 {
				return nil, errPlainRow
			}
			out.AppendBool(b[0] != 0)
			b = b[1:]
		case types.Float64:
			if len(b) < 8 {
				return nil, errPlainRow
			}
			out.AppendF64(math.Float64frombits(binary.LittleEndian.Uint64(b)))
			b = b[8:]
		case types.Interval:
			if !parts {
				us, k := binary.Varint(b)
				if k <= 0 {
					return nil, errPlainRow
				}
				out.AppendInterval(vec.Interval{Micros: us})
				b = b[k:]
				break
			}
			x, k := vec.DecodeIntervalPlain(b)
			if k == 0 {
				return nil, errPlainRow
			}
			out.AppendInterval(x)
			b = b[k:]
		case types.Numeric:
			if parts {
				c, k := binary.Varint(b)
				if k <= 0 || len(b) <= k || int(b[k]) > vec.MaxCompactScale {
					return nil, errPlainRow
				}
				out.AppendNumericCompact(c, int(b[k]))
				b = b[k+1:]
				break
			}
			n, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < n {
				return nil, errPlainRow
			}
			out.AppendNumericBytes(b[k : k+int(n)])
			b = b[k+int(n):]
		case types.String:
			n, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < n {
				return nil, errPlainRow
			}
			out.AppendStr(string(b[k : k+int(n)]))
			b = b[k+int(n):]
		default:
			x, k := binary.Varint(b)
			if k <= 0 {
				return nil, errPlainRow
			}
			out.AppendI64(x)
			b = b[k:]
		}
	}
	return b, nil
}
