package exec

import "unicode/utf8"

// likeMatcher matches SQL LIKE patterns: % any run, _ one character, the
// escape character (backslash unless ESCAPE names another, or none) makes
// the next character literal, as in PostgreSQL.
type likeMatcher struct {
	parts []likePart
	// bad is a pattern ending in its escape character, which PostgreSQL
	// refuses (22025) only in a row whose match reaches it: such a
	// pattern is matched by pgMatchText instead, which says so.
	bad          bool
	pattern, esc string
}

type likePart struct {
	lit string // literal text, or
	any bool   // %
	one bool   // _
}

// compileLike compiles pattern p with escape character esc ("" for none).
func compileLike(p, esc string) *likeMatcher {
	m := &likeMatcher{pattern: p, esc: esc}
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

// matchChecked matches s as PostgreSQL does, and reports a pattern that
// ends in its escape character where the match reaches it (bad).
func (m *likeMatcher) matchChecked(s string) (match, bad bool) {
	if !m.bad {
		return m.match(s), false
	}
	var esc byte
	if m.esc != "" {
		esc = m.esc[0]
	}
	r := pgMatchText(s, m.pattern, esc, m.esc != "")
	return r == likeTrue, r == likeBadEscape
}

// The outcomes of pgMatchText.
const (
	likeFalse = iota
	likeTrue
	likeAbort // false, and no later start can match either
	likeBadEscape
)

// pgMatchText is PostgreSQL 15's MatchText (like_match.c) over text t
// and pattern p with escape character esc (if hasEsc): step by step as
// it is, since where it stops decides whether a pattern ending in its
// escape character is an error (likeBadEscape) or no match. Literal
// bytes compare one by one, _ takes a whole UTF-8 character.
func pgMatchText(t, p string, esc byte, hasEsc bool) int {
	if p == "%" {
		return likeTrue
	}
	nextChar := func(s string) string {
		_, w := utf8.DecodeRuneInString(s)
		return s[w:]
	}
	for len(t) > 0 && len(p) > 0 {
		switch {
		case hasEsc && p[0] == esc:
			p = p[1:]
			if len(p) == 0 {
				return likeBadEscape
			}
			if p[0] != t[0] {
				return likeFalse
			}
		case p[0] == '%':
			p = p[1:]
			for len(p) > 0 {
				if p[0] == '%' {
					p = p[1:]
				} else if p[0] == '_' {
					if len(t) == 0 {
						return likeAbort
					}
					t, p = nextChar(t), p[1:]
				} else {
					break
				}
			}
			if len(p) == 0 {
				return likeTrue
			}
			first := p[0]
			if hasEsc && p[0] == esc {
				if len(p) < 2 {
					return likeBadEscape
				}
				first = p[1]
			}
			for len(t) > 0 {
				if t[0] == first {
					if r := pgMatchText(t, p, esc, hasEsc); r != likeFalse {
						return r // true, abort or the error
					}
				}
				t = nextChar(t)
			}
			return likeAbort
		case p[0] == '_':
			t, p = nextChar(t), p[1:]
			continue
		case p[0] != t[0]:
			return likeFalse
		}
		t, p = t[1:], p[1:]
	}
	if len(t) > 0 {
		return likeFalse
	}
	for len(p) > 0 && p[0] == '%' {
		p = p[1:]
	}
	if len(p) == 0 {
		return likeTrue
	}
	return likeAbort
}
