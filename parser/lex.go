package parser

import (
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// tokKind classifies a token of the front end's lexer. The lexer knows only
// enough SQL to find statement boundaries and the streaming clauses; TiDB's
// parser reads everything else.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // "ident" or `ident`
	tString // 'text'
	tNumber
	tPunct
	tParam // $1, $2, ...: a parameter of a prepared statement
)

type token struct {
	kind tokKind
	// text is the raw source text; val is the unquoted value of strings and
	// quoted identifiers, and the text of everything else.
	text, val string
	pos, end  int // byte offsets into the statement
}

// is reports whether t is the keyword or punctuation kw (case-insensitive).
func (t token) is(kw string) bool {
	return (t.kind == tIdent || t.kind == tPunct) && strings.EqualFold(t.text, kw)
}

// lex tokenizes src, dropping comments and white space.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, sqlerr.At(sqlerr.Syntax, i+1, "unterminated /* comment")
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			t, err := lexQuoted(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = t.end
		case c == '$' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i + 1
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			toks = append(toks, token{kind: tParam, text: src[i:j], val: src[i+1 : j], pos: i, end: j})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: src[i:j], val: src[i:j], pos: i, end: j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i + 1
			for j < len(src) && (isIdentPart(src[j]) || src[j] == '.' ||
				(src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E')) {
				j++
			}
			toks = append(toks, token{kind: tNumber, text: src[i:j], val: src[i:j], pos: i, end: j})
			i = j
		default:
			n := 1
			if i+1 < len(src) {
				switch src[i : i+2] {
				case "<=", ">=", "<>", "!=", "||", "::", "&&", "<<", ">>":
					n = 2
				}
			}
			toks = append(toks, token{kind: tPunct, text: src[i : i+n], val: src[i : i+n], pos: i, end: i + n})
			i += n
		}
	}
	return toks, nil
}

// lexQuoted reads a quoted string or identifier starting at src[i]. A
// doubled quote stands for itself; in strings a backslash escapes, as in
// MySQL, which is what TiDB will read.
func lexQuoted(src string, i int) (token, error) {
	q := src[i]
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\\' && q == '\'' && j+1 < len(src):
			b.WriteByte(unescape(src[j+1]))
			j += 2
			continue
		case c == q && j+1 < len(src) && src[j+1] == q:
			b.WriteByte(q)
			j += 2
			continue
		case c == q:
			kind := tString
			if q != '\'' {
				kind = tQuoted
				if b.Len() == 0 {
					return token{}, sqlerr.At(sqlerr.Syntax, i+1, "zero-length delimited identifier at or near \"%s\"", src[i:j+1])
				}
			}
			return token{kind: kind, text: src[i : j+1], val: b.String(), pos: i, end: j + 1}, nil
		}
		b.WriteByte(c)
		j++
	}
	what := "quoted string"
	if q != '\'' {
		what = "quoted identifier"
	}
	return token{}, sqlerr.At(sqlerr.Syntax, i+1, "unterminated %s at or near %q", what, src[i:])
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case '0':
		return 0
	}
	return c
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// span is one statement of a query string: its text and where it starts.
type span struct {
	text string
	off  int // byte offset of text in the whole query string
	toks []token
}

// split cuts a query string into statements at top-level semicolons,
// dropping empty ones. Token positions are relative to each statement.
func split(sql string) ([]span, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	var out []span
	start, first := 0, 0
	flush := func(end, next int) {
		if first < len(toks) && toks[first].pos < end {
			body := toks[first:]
			n := 0
			for n < len(body) && body[n].pos < end {
				n++
			}
			s := span{text: sql[start:end], off: start}
			for _, t := range body[:n] {
				t.pos -= start
				t.end -= start
				s.toks = append(s.toks, t)
			}
			out = append(out, s)
		}
		start = next
	}
	for i, t := range toks {
		if t.kind == tPunct && t.text == ";" {
			flush(t.pos, t.end)
			first = i + 1
		}
	}
	flush(len(sql), len(sql))
	return out, nil
}
