package jsonb

import (
	"slices"
	"strconv"
)

// sortPairs sorts an object's members into jsonb's key order, keeping the
// last of each duplicated key, as jsonb_in does.
func sortPairs(ps []Pair) []Pair {
	if len(ps) < 2 {
		return ps
	}
	slices.SortStableFunc(ps, func(a, b Pair) int { return keyCmp(a.Key, b.Key) })
	out := ps[:0]
	for i := range ps {
		if i+1 < len(ps) && ps[i+1].Key == ps[i].Key {
			continue
		}
		out = append(out, ps[i])
	}
	return out
}

// Append appends v's text as jsonb_out prints it.
func Append(b []byte, v *Value) []byte {
	switch v.K {
	case Null:
		return append(b, "null"...)
	case Bool:
		if v.B {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Number:
		return append(b, v.S...)
	case String:
		return AppendQuoted(b, v.S)
	case Array:
		b = append(b, '[')
		for i := range v.A {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = Append(b, &v.A[i])
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i := range v.O {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = AppendQuoted(b, v.O[i].Key)
		b = append(b, ": "...)
		b = Append(b, &v.O[i].Val)
	}
	return append(b, '}')
}

// String is v's jsonb text.
func (v *Value) String() string { return string(Append(nil, v)) }

// AppendQuoted appends s as a JSON string as PostgreSQL's escape_json
// writes it: quote, backslash and the control characters escaped, the
// rest as is.
func AppendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hex2(c)...)
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendPretty appends v as jsonb_pretty prints it: four spaces a level,
// one member or element a line.
func AppendPretty(b []byte, v *Value, level int) []byte {
	indent := func(b []byte, n int) []byte {
		for range n {
			b = append(b, "    "...)
		}
		return b
	}
	switch v.K {
	case Array:
		b = append(b, '[')
		for i := range v.A {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = indent(b, level+1)
			b = AppendPretty(b, &v.A[i], level+1)
		}
		b = append(b, '\n')
		b = indent(b, level)
		return append(b, ']')
	case Object:
		b = append(b, '{')
		for i := range v.O {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = indent(b, level+1)
			b = AppendQuoted(b, v.O[i].Key)
			b = append(b, ": "...)
			b = AppendPretty(b, &v.O[i].Val, level+1)
		}
		b = append(b, '\n')
		b = indent(b, level)
		return append(b, '}')
	}
	return Append(b, v)
}

// Canon makes a value built from parts (to_jsonb, jsonb_build_object)
// canonical: objects' keys sorted and unique.
func Canon(v *Value) {
	switch v.K {
	case Array:
		for i := range v.A {
			Canon(&v.A[i])
		}
	case Object:
		for i := range v.O {
			Canon(&v.O[i].Val)
		}
		v.O = sortPairs(v.O)
	}
}

// Number is a number value from Go text that is valid JSON number text.
func NumberOf(text string) (Value, bool) {
	n, ok := canonNumber(text)
	return Value{K: Number, S: n}, ok
}

// Int is an integer value.
func Int(x int64) Value { return Value{K: Number, S: strconv.FormatInt(x, 10)} }
