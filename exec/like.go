package exec

import "unicode/utf8"

// likeMatcher matches SQL LIKE patterns: % any run, _ one character, the
// escape character (backslash unless ESCAPE names another, or none) makes
// the next character literal, as in PostgreSQL.
type likeMatcher struct {
	parts []likePart
	// bad is a pattern ending in its escape character, which PostgreSQL
	// refuses (22025): the planner refuses a constant one; a computed one
	// matches as NULL, since expressions never fail per row.
	bad bool
}

type likePart struct {
	lit string // literal text, or
	any bool   // %
	one bool   // _
}

// compileLike compiles pattern p with escape character esc ("" for none).
func compileLike(p, esc string) *likeMatcher {
	m := &likeMatcher{}
	lit := []byte{}
	flush := func() {
		if len(lit) > 0 {
			m.parts = append(m.parts, likePart{lit: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case esc != "" && c == esc[0]:
			if i+1 == len(p) {
				m.bad = true
				break
			}
			i++
			lit = append(lit, p[i])
		case c == '%':
			flush()
			if n := len(m.parts); n == 0 || !m.parts[n-1].any {
				m.parts = append(m.parts, likePart{any: true})
			}
		case c == '_':
			flush()
			m.parts = append(m.parts, likePart{one: true})
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return m
}

func (m *likeMatcher) match(s string) bool { return matchParts(m.parts, s) }

func matchParts(parts []likePart, s string) bool {
	for len(parts) > 0 {
		p := parts[0]
		switch {
		case p.any:
			if len(parts) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchParts(parts[1:], s[i:]) {
					return true
				}
				if i < len(s) {
					_, w := utf8.DecodeRuneInString(s[i:])
					i += w - 1
				}
			}
			return false
		case p.one:
			if s == "" {
				return false
			}
			_, w := utf8.DecodeRuneInString(s)
			s = s[w:]
		default:
			if len(s) < len(p.lit) || s[:len(p.lit)] != p.lit {
				return false
			}
			s = s[len(p.lit):]
		}
		parts = parts[1:]
	}
	return s == ""
}
