package jsonb

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// TextArray reads a text[] literal such as '{a,b,"c d",NULL}' as
// PostgreSQL's array_in does (a NULL element is nil), for the path and
// key-list operands of #>, #>>, ?| and ?&.
func TextArray(s string) ([]*string, error) {
	bad := func(detail string) error {
		e := sqlerr.New(sqlerr.InvalidText, "malformed array literal: %q", s)
		e.Detail = detail
		return e
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		return nil, bad(`Array value must start with "{" or dimension information.`)
	}
	if !strings.HasSuffix(t, "}") {
		return nil, bad("Unexpected end of input.")
	}
	body := t[1 : len(t)-1]
	var out []*string
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	i := 0
	for {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
			if i >= len(body) {
				return nil, bad("Unexpected end of input.")
			}
			i++
			for i < len(body) && body[i] == ' ' {
				i++
			}
		} else {
			for i < len(body) && body[i] != ',' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				} else if body[i] == '{' || body[i] == '}' || body[i] == '"' {
					return nil, bad("Unexpected \"" + string(body[i]) + "\" character.")
				}
				b.WriteByte(body[i])
				i++
			}
		}
		e := b.String()
		if !quoted {
			e = strings.TrimRight(e, " ")
			if e == "" {
				return nil, bad(`Unexpected "," character.`)
			}
		}
		if !quoted && strings.EqualFold(e, "null") {
			out = append(out, nil)
		} else {
			out = append(out, &e)
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, bad("Unexpected array element.")
		}
		i++
	}
}

// Path follows a #> path through the JSON text s: a key in an object, an
// integer (negative from the end) in an array. ok is false where the path
// leads nowhere or holds a NULL; last is json's duplicate-key rule.
func Path(s string, path []*string, last bool) (string, bool) {
	if len(path) == 0 {
		// The document from its start to its value's end, as
		// PostgreSQL's json lexer delimits it.
		return strings.TrimRight(s, " \t\n\r"), true
	}
	for _, p := range path {
		if p == nil {
			return "", false
		}
		switch TypeOf(s) {
		case Object:
			v, ok := Field(s, *p, last)
			if !ok {
				return "", false
			}
			s = v
		case Array:
			k, err := strconv.Atoi(strings.TrimSpace(*p))
			if err != nil {
				return "", false
			}
			v, ok := Elem(s, k)
			if !ok {
				return "", false
			}
			s = v
		default:
			return "", false
		}
	}
	return strings.TrimSpace(s), true
}

// FlinkPath reads a JSON path as Flink's JSON_VALUE takes it: $, then
// .key, ['key'] or [n] steps.
func FlinkPath(p string) ([]*string, bool) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "lax ") || strings.HasPrefix(p, "strict ") {
		_, p, _ = strings.Cut(p, " ")
		p = strings.TrimSpace(p)
	}
	if !strings.HasPrefix(p, "$") {
		return nil, false
	}
	p = p[1:]
	var out []*string
	for p != "" {
		switch {
		case p[0] == '.':
			k := 1
			for k < len(p) && p[k] != '.' && p[k] != '[' {
				k++
			}
			key := p[1:k]
			if key == "" {
				return nil, false
			}
			out = append(out, &key)
			p = p[k:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false
			}
			in := strings.TrimSpace(p[1:end])
			if len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] {
				in = in[1 : len(in)-1]
			} else if _, err := strconv.Atoi(in); err != nil {
				return nil, false
			}
			out = append(out, &in)
			p = p[end+1:]
		default:
			return nil, false
		}
	}
	return out, true
}
