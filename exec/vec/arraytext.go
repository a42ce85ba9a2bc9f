package vec

import (
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/planner/types"
)

// AppendArrayText appends the encoded array s, of element type elem, as
// PostgreSQL's array_out prints it: {1,2,NULL}, an element quoted when it
// is empty, is NULL spelled as a value, or holds a quote, backslash,
// brace, comma or white space, with quotes and backslashes escaped. A
// TIMESTAMPTZ element shows in loc.
func AppendArrayText(buf []byte, s string, elem types.T, loc *time.Location) []byte {
	v := New(elem, 0)
	if DecodeArray(s, &v) != nil {
		return append(buf, "{?}"...)
	}
	buf = append(buf, '{')
	var tmp []byte
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		if v.IsNull(i) {
			buf = append(buf, "NULL"...)
			continue
		}
		if elem.Kind == types.TimestampTZ && loc != nil {
			tmp = AppendTimestampTZ(tmp[:0], v.I64[i], loc)
		} else {
			tmp = v.AppendText(tmp[:0], i)
		}
		buf = appendArrayElemText(buf, tmp)
	}
	return append(buf, '}')
}

// AppendArrayElemText appends one element's text, quoted if array_out
// would quote it.
func AppendArrayElemText(buf, t []byte) []byte { return appendArrayElemText(buf, t) }

func appendArrayElemText(buf, t []byte) []byte {
	quote := len(t) == 0 || strings.EqualFold(string(t), "null")
	for _, c := range t {
		switch c {
		case '"', '\\', '{', '}', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(buf, t...)
	}
	buf = append(buf, '"')
	for _, c := range t {
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}

// ArrayTextError says why array text did not read.
type ArrayTextError uint8

const (
	ArrayTextOK ArrayTextError = iota
	// ArrayMalformed is text that is no array literal (22P02).
	ArrayMalformed
	// ArrayMultiDim is an array of more than one dimension, or with
	// explicit bounds, which streamsql's arrays cannot be (0A000).
	ArrayMultiDim
)

// isArraySpace is array_in's white space (scanner_isspace).
func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// ParseArrayText splits array text as array_in reads it into the elements'
// texts, with null[i] set for an unquoted NULL. Quoted elements keep their
// inner white space; unquoted ones lose the white space around them, and
// a backslash escapes the next character in either.
func ParseArrayText(s string) (elems []string, null []bool, r ArrayTextError) {
	i := 0
	skip := func() {
		for i < len(s) && isArraySpace(s[i]) {
			i++
		}
	}
	skip()
	want := -1 // the element count [1:n]= declares
	if i < len(s) && s[i] == '[' {
		// Explicit bounds: only [1:n], the ones every array here has.
		j := strings.IndexByte(s[i:], '=')
		if j < 0 {
			return nil, nil, ArrayMalformed
		}
		var lo, hi int
		if _, err := fmt.Sscanf(strings.TrimSpace(s[i:i+j]), "[%d:%d]", &lo, &hi); err != nil || strings.Count(s[i:i+j], "[") > 1 {
			return nil, nil, ArrayMultiDim
		}
		if lo != 1 || hi < lo {
			return nil, nil, ArrayMultiDim
		}
		want = hi
		i += j + 1
		skip()
	}
	if i >= len(s) || s[i] != '{' {
		return nil, nil, ArrayMalformed
	}
	i++
	skip()
	if i < len(s) && s[i] == '}' {
		i++
		skip()
		if i != len(s) {
			return nil, nil, ArrayMalformed
		}
		return []string{}, []bool{}, ArrayTextOK
	}
	var b strings.Builder
	for {
		skip()
		if i >= len(s) {
			return nil, nil, ArrayMalformed
		}
		b.Reset()
		quoted, sawAny := false, false
		switch s[i] {
		case '{':
			return nil, nil, ArrayMultiDim
		case '"':
			quoted, sawAny = true, true
			i++
			for {
				if i >= len(s) {
					return nil, nil, ArrayMalformed
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' {
					i++
					if i >= len(s) {
						return nil, nil, ArrayMalformed
					}
					c = s[i]
				}
				b.WriteByte(c)
				i++
			}
			skip()
		default:
			// Unquoted: up to a comma or closing brace; trailing white
			// space that was not escaped is dropped.
			keep := 0 // length of b up to the last escaped or non-space byte
			for i < len(s) && s[i] != ',' && s[i] != '}' {
				c := s[i]
				switch {
				case c == '"' || c == '{':
					return nil, nil, ArrayMalformed
				case c == '\\':
					i++
					if i >= len(s) {
						return nil, nil, ArrayMalformed
					}
					b.WriteByte(s[i])
					keep = b.Len()
					sawAny = true
					quoted = true // an escaped NULL is the text NULL
				default:
					b.WriteByte(c)
					if !isArraySpace(c) {
						keep = b.Len()
						sawAny = true
					}
				}
				i++
			}
			if !sawAny {
				return nil, nil, ArrayMalformed
			}
			t := b.String()[:keep]
			b.Reset()
			b.WriteString(t)
		}
		text := b.String()
		elems = append(elems, text)
		null = append(null, !quoted && strings.EqualFold(text, "null"))
		if i >= len(s) {
			return nil, nil, ArrayMalformed
		}
		if s[i] == ',' {
			i++
			continue
		}
		if s[i] != '}' {
			return nil, nil, ArrayMalformed
		}
		i++
		skip()
		if i != len(s) || want >= 0 && want != len(elems) {
			return nil, nil, ArrayMalformed
		}
		return elems, null, ArrayTextOK
	}
}
