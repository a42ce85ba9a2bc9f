package format

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// AppendJSON appends row i of b as a JSON object of the columns at idx
// (all of them when idx is nil), named as cols names them. Timestamps are
// strings in the form the decoders read back; DECIMALs are exact numbers;
// a float that JSON cannot hold (NaN, ±Inf) is null.
func AppendJSON(dst []byte, cols []catalog.Column, b *vec.Batch, i int, idx []int) []byte {
	dst = append(dst, '{')
	n := len(cols)
	if idx != nil {
		n = len(idx)
	}
	for j := 0; j < n; j++ {
		c := j
		if idx != nil {
			c = idx[j]
		}
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, cols[c].Name)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, &b.Cols[c], i)
	}
	return append(dst, '}')
}

func appendJSONValue(dst []byte, v *vec.Vec, i int) []byte {
	if v.IsNull(i) {
		return append(dst, "null"...)
	}
	switch v.Type.Kind {
	case types.Bool:
		return strconv.AppendBool(dst, v.Bool[i])
	case types.Int32, types.Int64:
		return strconv.AppendInt(dst, v.I64[i], 10)
	case types.Float64:
		f := v.F64[i]
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case types.Decimal, types.Numeric:
		return v.AppendText(dst, i)
	case types.String:
		return appendJSONString(dst, v.Str[i])
	case types.JSONB, types.JSON:
		return append(dst, v.Str[i]...) // nested JSON, not a string
	case types.Array:
		// A JSON array of the elements, each as its type writes.
		ev := vec.New(v.Type.ElemType(), 0)
		_ = vec.DecodeArray(v.Str[i], &ev)
		dst = append(dst, '[')
		for k := 0; k < ev.Len(); k++ {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, &ev, k)
		}
		return append(dst, ']')
	}
	dst = append(dst, '"')
	dst = v.AppendText(dst, i)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(dst, '"')
}
