package parser

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

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
			if t.kind == tString && len(toks) > 0 && toks[len(toks)-1].kind == tString {
				// 'a' 'b' on one line is no string in PostgreSQL; TiDB
				// would read 'ab'.
				return nil, sqlerr.At(sqlerr.Syntax, i+1, "syntax error at or near \"%s\"", t.text)
			}
			toks = append(toks, t)
			i = t.end
		case c == '$' && dollarTag(src[i:]) != "":
			t, err := lexDollar(src, i)
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
		case (c == 'e' || c == 'E') && i+1 < len(src) && src[i+1] == '\'':
			t, err := lexEString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = t.end
		case (c == 'u' || c == 'U') && (strings.HasPrefix(src[i+1:], "&'") || strings.HasPrefix(src[i+1:], "&\"")):
			t, err := lexUnicode(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = t.end
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
// doubled quote stands for itself; a backslash is itself, as PostgreSQL
// reads strings with standard_conforming_strings on (TiDB is run with
// NO_BACKSLASH_ESCAPES to agree).
func lexQuoted(src string, i int) (token, error) {
	q := src[i]
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == q && j+1 < len(src) && src[j+1] == q:
			b.WriteByte(q)
			j += 2
			continue
		case c == q && q == '\'' && continued(src, j+1) > 0:
			j = continued(src, j+1) + 1
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
	return token{}, sqlerr.At(sqlerr.Syntax, i+1, "unterminated %s at or near \"%s\"", what, src[i:])
}

// dollarTag is the opening delimiter of a dollar-quoted string at the
// start of s ($$ or $tag$, the tag a name without $), or "".
func dollarTag(s string) string {
	j := 1
	for j < len(s) && s[j] != '$' && isIdentPart(s[j]) && (j > 1 || !(s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	if j < len(s) && s[j] == '$' {
		return s[:j+1]
	}
	return ""
}

// lexDollar reads PostgreSQL's dollar-quoted string $tag$...$tag$ at
// src[i], whose text is taken as it is: no quote or backslash in it is
// special, which is why function bodies are written in it.
func lexDollar(src string, i int) (token, error) {
	tag := dollarTag(src[i:])
	body := i + len(tag)
	end := strings.Index(src[body:], tag)
	if end < 0 {
		return token{}, sqlerr.At(sqlerr.Syntax, i+1, "unterminated dollar-quoted string at or near \"%s\"", src[i:])
	}
	val := src[body : body+end]
	if err := CheckText(val); err != nil {
		return token{}, err
	}
	return token{kind: tString, text: src[i : body+end+len(tag)], val: val, pos: i, end: body + end + len(tag)}, nil
}

// continued reports where a string that ended before src[k] goes on: two
// literals separated by white space with a newline in it are one, as in
// SQL and PostgreSQL. It returns the offset of the next opening quote, or
// 0 when there is none.
func continued(src string, k int) int {
	newline := false
	for k < len(src) {
		switch c := src[k]; {
		case c == '\n' || c == '\r':
			newline = true
			k++
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			k++
		case c == '-' && strings.HasPrefix(src[k:], "--"):
			for k < len(src) && src[k] != '\n' && src[k] != '\r' {
				k++
			}
		case c == '\'' && newline:
			return k
		default:
			return 0
		}
	}
	return 0
}

// lexEString reads PostgreSQL's escape string E'...' starting at src[i]
// (the E): \b \f \n \r \t, \ooo (octal), \xHH, \uXXXX and \UXXXXXXXX
// (a UTF-16 surrogate pair as two \u), any other \c is c, and a doubled
// quote or \' is a quote. Errors are PostgreSQL's: a bad \u is 22025, a
// bad code point or surrogate 42601, and a value that is not UTF-8 or
// holds a NUL 22021.
func lexEString(src string, i int) (token, error) {
	var b []byte
	j := i + 2
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\'' && j+1 < len(src) && src[j+1] == '\'':
			b = append(b, '\'')
			j += 2
		case c == '\'' && continued(src, j+1) > 0:
			j = continued(src, j+1) + 1
		case c == '\'':
			val := string(b)
			if err := CheckText(val); err != nil {
				return token{}, err
			}
			return token{kind: tString, text: src[i : j+1], val: val, pos: i, end: j + 1}, nil
		case c == '\\' && j+1 < len(src):
			var err error
			if b, j, err = unescapeE(src, j, b); err != nil {
				return token{}, err
			}
		default:
			b = append(b, c)
			j++
		}
	}
	return token{}, sqlerr.At(sqlerr.Syntax, i+1, "unterminated quoted string at or near \"%s\"", src[i:])
}

// unescapeE appends the value of the escape at src[j] (a backslash with
// something after it) to b, returning where the escape ends.
func unescapeE(src string, j int, b []byte) ([]byte, int, error) {
	k := src[j+1]
	switch k {
	case 'b':
		return append(b, '\b'), j + 2, nil
	case 'f':
		return append(b, '\f'), j + 2, nil
	case 'n':
		return append(b, '\n'), j + 2, nil
	case 'r':
		return append(b, '\r'), j + 2, nil
	case 't':
		return append(b, '\t'), j + 2, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, e := 0, j+1
		for e < len(src) && e < j+4 && src[e] >= '0' && src[e] <= '7' {
			v = v*8 + int(src[e]-'0')
			e++
		}
		return append(b, byte(v)), e, nil // \777 is 0xff, as in PostgreSQL
	case 'x':
		v, n := hexDigits(src[j+2:], 2)
		if n == 0 {
			return append(b, 'x'), j + 2, nil
		}
		return append(b, byte(v)), j + 2 + n, nil
	case 'u', 'U':
		r, e, err := unicodeEscape(src, j)
		if err != nil {
			return nil, 0, err
		}
		if utf16.IsSurrogate(r) {
			if r >= 0xDC00 {
				return nil, 0, sqlerr.At(sqlerr.Syntax, j+1, "invalid Unicode surrogate pair at or near \"%s\"", src[j:e])
			}
			lo, e2, err := unicodeEscape(src, e)
			if err != nil || lo < 0xDC00 || lo > 0xDFFF {
				return nil, 0, sqlerr.At(sqlerr.Syntax, e+1, "invalid Unicode surrogate pair at or near \"%s\"", nearText(src, e))
			}
			r, e = utf16.DecodeRune(r, lo), e2
		}
		if r == 0 || r > unicode.MaxRune {
			return nil, 0, sqlerr.At(sqlerr.Syntax, j+1, "invalid Unicode escape value at or near \"%s\"", src[j:e])
		}
		return utf8.AppendRune(b, r), e, nil
	}
	return append(b, k), j + 2, nil
}

// unicodeEscape reads \uXXXX or \UXXXXXXXX at src[j].
func unicodeEscape(src string, j int) (rune, int, error) {
	if j+1 >= len(src) || src[j] != '\\' || src[j+1] != 'u' && src[j+1] != 'U' {
		return 0, j, sqlerr.At(sqlerr.InvalidEscape, j+1, "invalid Unicode escape")
	}
	want := 4
	if src[j+1] == 'U' {
		want = 8
	}
	v, n := hexDigits(src[j+2:], want)
	if n < want {
		return 0, j, sqlerr.At(sqlerr.InvalidEscape, j+1, "invalid Unicode escape")
	}
	if v > unicode.MaxRune {
		return unicode.MaxRune + 1, j + 2 + n, nil
	}
	return rune(v), j + 2 + n, nil
}

// hexDigits reads up to max hex digits from the start of s.
func hexDigits(s string, max int) (uint64, int) {
	var v uint64
	n := 0
	for n < len(s) && n < max {
		c := s[n]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return v, n
		}
		v = v*16 + uint64(c)
		n++
	}
	return v, n
}

// nearText is the text an error at src[j] names: an escape, or one
// character.
func nearText(src string, j int) string {
	if j >= len(src) {
		return ""
	}
	if _, e, err := unicodeEscape(src, j); err == nil {
		return src[j:e]
	}
	_, n := utf8.DecodeRuneInString(src[j:])
	return src[j : j+n]
}

// lexUnicode reads PostgreSQL's Unicode escape string U&'...' (or
// identifier U&"...") starting at src[i], with the UESCAPE 'c' clause that
// may follow it: \XXXX and \+XXXXXX are code points (a UTF-16 surrogate
// pair as two), \\ is a backslash, with c for backslash after UESCAPE.
func lexUnicode(src string, i int) (token, error) {
	q, err := lexQuoted(src, i+2)
	if err != nil {
		return token{}, err
	}
	if q.kind == tString && q.text != quoteString(q.val) {
		return token{}, sqlerr.At(sqlerr.FeatureNotSupported, q.pos+1, "a U&'...' string continued on another line is not supported")
	}
	esc, end := byte('\\'), q.end
	k := end
	for k < len(src) && strings.IndexByte(" \t\n\r\f", src[k]) >= 0 {
		k++
	}
	if k+7 < len(src) && strings.EqualFold(src[k:k+7], "uescape") && !isIdentPart(src[k+7]) {
		k += 7
		for k < len(src) && strings.IndexByte(" \t\n\r\f", src[k]) >= 0 {
			k++
		}
		if k >= len(src) || src[k] != '\'' {
			return token{}, sqlerr.At(sqlerr.Syntax, k+1, "UESCAPE must be followed by a simple string literal")
		}
		e, err := lexQuoted(src, k)
		if err != nil {
			return token{}, err
		}
		if len(e.val) != 1 || isHex(e.val[0]) || strings.IndexByte("+'\" \t\n\r\f", e.val[0]) >= 0 {
			return token{}, sqlerr.At(sqlerr.Syntax, k+1, "invalid Unicode escape character at or near \"%s\"", e.text)
		}
		esc, end = e.val[0], e.end
	}
	// Decode the quoted text as written, so errors point into it.
	body, base := src[q.pos+1:q.end-1], q.pos+1
	var b []byte
	var hi rune // a first surrogate, waiting for its second
	for j := 0; j < len(body); {
		c := body[j]
		if c == src[q.pos] { // a doubled quote
			b, j = append(b, c), j+2
			continue
		}
		if c != esc {
			if hi != 0 {
				return token{}, sqlerr.At(sqlerr.Syntax, base+j+1, "invalid Unicode surrogate pair")
			}
			b, j = append(b, c), j+1
			continue
		}
		if j+1 < len(body) && body[j+1] == esc {
			if hi != 0 {
				return token{}, sqlerr.At(sqlerr.Syntax, base+j+1, "invalid Unicode surrogate pair")
			}
			b, j = append(b, esc), j+2
			continue
		}
		var v uint64
		n := 0 // the escape's length
		if v4, n4 := hexDigits(body[j+1:], 4); n4 == 4 {
			v, n = v4, 5
		} else if j+1 < len(body) && body[j+1] == '+' {
			if v6, n6 := hexDigits(body[j+2:], 6); n6 == 6 {
				v, n = v6, 8
			}
		}
		if n == 0 {
			return token{}, sqlerr.At(sqlerr.Syntax, base+j+1, "invalid Unicode escape")
		}
		r := rune(v)
		switch {
		case hi != 0 && r >= 0xDC00 && r <= 0xDFFF:
			r, hi = utf16.DecodeRune(hi, r), 0
		case hi != 0 || r >= 0xDC00 && r <= 0xDFFF:
			return token{}, sqlerr.At(sqlerr.Syntax, base+j+1, "invalid Unicode surrogate pair")
		case r >= 0xD800 && r <= 0xDBFF:
			hi, j = r, j+n
			continue
		}
		if r == 0 || r > unicode.MaxRune {
			return token{}, sqlerr.At(sqlerr.Syntax, base+j+1, "invalid Unicode escape value")
		}
		b, j = utf8.AppendRune(b, r), j+n
	}
	if hi != 0 {
		return token{}, sqlerr.At(sqlerr.Syntax, q.end, "invalid Unicode surrogate pair")
	}
	return token{kind: q.kind, text: src[i:end], val: string(b), pos: i, end: end}, nil
}

func isHex(c byte) bool { _, n := hexDigits(string(c), 1); return n == 1 }

// CheckText refuses what PostgreSQL's UTF8 text cannot hold, as
// PostgreSQL does (22021): bytes that are not UTF-8, and NUL. Statements,
// parameters, E'...' strings and inserted values pass through it, so that
// no client is ever sent a string it would reject.
func CheckText(s string) error {
	if utf8.ValidString(s) {
		if strings.IndexByte(s, 0) < 0 {
			return nil
		}
		return sqlerr.New(sqlerr.CharNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x00`)
	}
	return sqlerr.New(sqlerr.CharNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x%02x`, s[InvalidUTF8(s)])
}

// InvalidUTF8 is the byte offset of the first byte of s that starts no
// valid UTF-8 sequence, or -1 when s is UTF-8: what CheckText and the
// connectors' invalid_utf8 rule name in their errors.
func InvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// quoteString writes s as a string literal TiDB (with
// NO_BACKSLASH_ESCAPES) reads back as s.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

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
