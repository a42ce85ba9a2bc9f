package jsonb

import "strings"

// The functions here walk JSON text that is known to be valid (a JSONB
// column's canonical text, or a JSON column's checked text) without
// building a tree, so ->, ->> and #> over a column allocate nothing but
// a decoded string.

func ws(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skip returns the offset after the value that starts at s[i].
func skip(s string, i int) int {
	switch s[i] {
	case '"':
		return skipString(s, i)
	case '{', '[':
		depth := 0
		for ; i < len(s); i++ {
			switch s[i] {
			case '"':
				i = skipString(s, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(s) && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
		i++
	}
	return i
}

func skipString(s string, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// TypeOf is the kind of the value in s.
func TypeOf(s string) Kind {
	i := ws(s, 0)
	if i >= len(s) {
		return Null
	}
	switch s[i] {
	case '{':
		return Object
	case '[':
		return Array
	case '"':
		return String
	case 't', 'f':
		return Bool
	case 'n':
		return Null
	}
	return Number
}

// Field returns the text of member key of the object in s; last takes
// the last of duplicated keys (json's rule), else the first is returned.
func Field(s, key string, last bool) (string, bool) {
	i := ws(s, 0)
	if i >= len(s) || s[i] != '{' {
		return "", false
	}
	var found string
	ok := false
	i = ws(s, i+1)
	for i < len(s) && s[i] == '"' {
		ke := skipString(s, i)
		match := keyIs(s[i:ke], key)
		i = ws(s, ke)
		i = ws(s, i+1) // the colon
		ve := skip(s, i)
		if match {
			found, ok = s[i:ve], true
			if !last {
				return found, true
			}
		}
		i = ws(s, ve)
		if i < len(s) && s[i] == ',' {
			i = ws(s, i+1)
			continue
		}
		break
	}
	return found, ok
}

// keyIs reports whether the quoted key q is key.
func keyIs(q, key string) bool {
	raw := q[1 : len(q)-1]
	if strings.IndexByte(raw, '\\') < 0 {
		return raw == key
	}
	d, err := Unquote(q)
	return err == nil && d == key
}

// Elems calls fn with the text of each element of the array in s, until
// fn returns false; it reports whether s is an array.
func Elems(s string, fn func(e string) bool) bool {
	i := ws(s, 0)
	if i >= len(s) || s[i] != '[' {
		return false
	}
	i = ws(s, i+1)
	for i < len(s) && s[i] != ']' {
		e := skip(s, i)
		if !fn(s[i:e]) {
			return true
		}
		i = ws(s, e)
		if i < len(s) && s[i] == ',' {
			i = ws(s, i+1)
		}
	}
	return true
}

// Members calls fn with each member of the object in s (its key quoted).
func Members(s string, fn func(qkey, val string) bool) bool {
	i := ws(s, 0)
	if i >= len(s) || s[i] != '{' {
		return false
	}
	i = ws(s, i+1)
	for i < len(s) && s[i] == '"' {
		ke := skipString(s, i)
		k := s[i:ke]
		i = ws(s, ws(s, ke)+1)
		ve := skip(s, i)
		if !fn(k, s[i:ve]) {
			return true
		}
		i = ws(s, ve)
		if i < len(s) && s[i] == ',' {
			i = ws(s, i+1)
		}
	}
	return true
}

// Len is the number of elements of the array in s, -1 if s is none.
func Len(s string) int {
	n := 0
	if !Elems(s, func(string) bool { n++; return true }) {
		return -1
	}
	return n
}

// Elem returns the text of element k of the array in s; a negative k
// counts from the end.
func Elem(s string, k int) (string, bool) {
	if k < 0 {
		n := Len(s)
		if n < 0 {
			return "", false
		}
		k += n
		if k < 0 {
			return "", false
		}
	}
	var out string
	ok := false
	j := 0
	Elems(s, func(e string) bool {
		if j == k {
			out, ok = e, true
			return false
		}
		j++
		return true
	})
	return out, ok
}

// Unquote decodes the JSON string literal q (quotes included).
func Unquote(q string) (string, error) {
	raw := q[1 : len(q)-1]
	if strings.IndexByte(raw, '\\') < 0 {
		return raw, nil
	}
	l := lexer{in: q, decode: true}
	if k := l.next(); k != eNone {
		p := parser{l: l, err: k}
		return "", p.error()
	}
	return string(l.str), nil
}

// Text is the text ->> gives for a value's text: a string decoded, null
// as SQL NULL (ok false), anything else as it is.
func Text(v string) (string, bool, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "null":
		return "", false, nil
	case len(v) > 0 && v[0] == '"':
		s, err := Unquote(v)
		return s, err == nil, err
	}
	return v, true, nil
}
