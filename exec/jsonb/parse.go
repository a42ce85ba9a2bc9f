package jsonb

import (
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// tok is a lexical token of JSON text.
type tok uint8

const (
	tEnd tok = iota
	tLBrace
	tRBrace
	tLBracket
	tRBracket
	tComma
	tColon
	tString
	tNumber
	tTrue
	tFalse
	tNull
	tInvalid
)

// lexer reads JSON text as PostgreSQL's (src/common/jsonapi.c) does, so
// that its errors name the same token.
type lexer struct {
	in string
	// start and end bound the current token.
	start, end int
	t          tok
	// decode: strings are decoded (and \u escapes checked), as for jsonb.
	decode bool
	str    []byte // the decoded string, when decode
	strOK  bool   // the string had no escapes: it is in[start+1:end-1]
}

// errKind is what went wrong, PostgreSQL's JsonParseErrorType.
type errKind uint8

const (
	eNone errKind = iota
	eEscapingInvalid
	eEscapingRequired
	eExpectedEnd
	eExpectedArrayNext
	eExpectedColon
	eExpectedJSON
	eExpectedMore
	eExpectedObjectFirst
	eExpectedObjectNext
	eExpectedString
	eInvalidToken
	eCodePointZero
	eUnicodeFormat
	eHighSurrogate
	eLowSurrogate
)

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// charEnd is the offset after the character at i.
func (l *lexer) charEnd(i int) int {
	if i >= len(l.in) {
		return i
	}
	_, n := utf8.DecodeRuneInString(l.in[i:])
	return i + n
}

// next reads the next token.
func (l *lexer) next() errKind {
	s := l.end
	for s < len(l.in) && (l.in[s] == ' ' || l.in[s] == '\t' || l.in[s] == '\n' || l.in[s] == '\r') {
		s++
	}
	l.start = s
	if s >= len(l.in) {
		l.t, l.end = tEnd, s
		return eNone
	}
	switch c := l.in[s]; c {
	case '{', '}', '[', ']', ',', ':':
		l.t, l.end = map[byte]tok{'{': tLBrace, '}': tRBrace, '[': tLBracket, ']': tRBracket, ',': tComma, ':': tColon}[c], s+1
		return eNone
	case '"':
		l.t = tString
		return l.lexString()
	case '-':
		l.t = tNumber
		return l.lexNumber(s + 1)
	}
	if c := l.in[s]; c >= '0' && c <= '9' {
		l.t = tNumber
		return l.lexNumber(s)
	}
	p := s
	for p < len(l.in) && alnum(l.in[p]) {
		p++
	}
	if p == s {
		l.t, l.end = tInvalid, l.charEnd(s)
		return eInvalidToken
	}
	l.end = p
	switch l.in[s:p] {
	case "true":
		l.t = tTrue
	case "false":
		l.t = tFalse
	case "null":
		l.t = tNull
	default:
		l.t = tInvalid
		return eInvalidToken
	}
	return eNone
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) lexNumber(s int) errKind {
	in, bad := l.in, false
	switch {
	case s < len(in) && in[s] == '0':
		s++
	case s < len(in) && in[s] >= '1' && in[s] <= '9':
		for s < len(in) && digit(in[s]) {
			s++
		}
	default:
		bad = true
	}
	if s < len(in) && in[s] == '.' {
		s++
		if s >= len(in) || !digit(in[s]) {
			bad = true
		}
		for s < len(in) && digit(in[s]) {
			s++
		}
	}
	if s < len(in) && (in[s] == 'e' || in[s] == 'E') {
		s++
		if s < len(in) && (in[s] == '+' || in[s] == '-') {
			s++
		}
		if s >= len(in) || !digit(in[s]) {
			bad = true
		}
		for s < len(in) && digit(in[s]) {
			s++
		}
	}
	for s < len(in) && alnum(in[s]) {
		s, bad = s+1, true
	}
	l.end = s
	if bad {
		l.t = tInvalid
		return eInvalidToken
	}
	return eNone
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (l *lexer) lexString() errKind {
	in := l.in
	s := l.start + 1
	l.str, l.strOK = l.str[:0], true
	hi := -1
	atStart := func(k errKind) errKind { l.end = s; return k }
	atEnd := func(k errKind) errKind { l.end = l.charEnd(s); return k }
	for {
		if s >= len(in) {
			return atStart(eInvalidToken)
		}
		c := in[s]
		if c == '"' {
			break
		}
		if c < 0x20 {
			return atStart(eEscapingRequired)
		}
		if c != '\\' {
			if l.decode && hi != -1 {
				return atEnd(eLowSurrogate)
			}
			n := l.charEnd(s) - s
			if l.decode {
				l.str = append(l.str, in[s:s+n]...)
			}
			s += n
			continue
		}
		l.strOK = false
		s++
		if s >= len(in) {
			return atStart(eInvalidToken)
		}
		if in[s] == 'u' {
			ch := 0
			for k := 0; k < 4; k++ {
				s++
				if s >= len(in) {
					return atStart(eInvalidToken)
				}
				h := hexVal(in[s])
				if h < 0 {
					return atEnd(eUnicodeFormat)
				}
				ch = ch*16 + h
			}
			if l.decode {
				switch {
				case ch >= 0xD800 && ch <= 0xDBFF:
					if hi != -1 {
						return atEnd(eHighSurrogate)
					}
					hi = ch
					s++
					continue
				case ch >= 0xDC00 && ch <= 0xDFFF:
					if hi == -1 {
						return atEnd(eLowSurrogate)
					}
					ch = (hi-0xD800)<<10 + (ch - 0xDC00) + 0x10000
					hi = -1
				}
				if hi != -1 {
					return atEnd(eLowSurrogate)
				}
				if ch == 0 {
					return atEnd(eCodePointZero)
				}
				l.str = utf8.AppendRune(l.str, rune(ch))
			}
			s++
			continue
		}
		if l.decode && hi != -1 {
			return atEnd(eLowSurrogate)
		}
		var d byte
		switch in[s] {
		case '"', '\\', '/':
			d = in[s]
		case 'b':
			d = '\b'
		case 'f':
			d = '\f'
		case 'n':
			d = '\n'
		case 'r':
			d = '\r'
		case 't':
			d = '\t'
		default:
			l.start = s
			return atEnd(eEscapingInvalid)
		}
		if l.decode {
			l.str = append(l.str, d)
		}
		s++
	}
	if l.decode && hi != -1 {
		return atEnd(eLowSurrogate)
	}
	l.end = s + 1
	return eNone
}

// text returns the current string token's value.
func (l *lexer) text() string {
	if l.strOK {
		return l.in[l.start+1 : l.end-1]
	}
	return string(l.str)
}

// parser builds Values (or, with build false, only checks the syntax).
type parser struct {
	l     lexer
	build bool
	// keepOrder keeps objects' members and numbers as written (json).
	keepOrder bool
	err       errKind
	// numErr is a number too large for PostgreSQL's numeric.
	numErr bool
}

// Parse reads jsonb text: strings decoded, numbers in numeric's canonical
// form, object keys sorted with the last of duplicates kept.
func Parse(s string) (Value, error) {
	p := &parser{l: lexer{in: s, decode: true}, build: true}
	v, ok := p.top()
	if !ok {
		return Value{}, p.error()
	}
	return v, nil
}

// ParseJSON reads json text into a Value that keeps its objects' members
// as written (duplicates too) and numbers' text as written; strings are
// decoded, so a lone surrogate or \u0000 fails here, as it does in
// PostgreSQL's json operators.
func ParseJSON(s string) (Value, error) {
	p := &parser{l: lexer{in: s, decode: true}, build: true}
	p.keepOrder = true
	v, ok := p.top()
	if !ok {
		return Value{}, p.error()
	}
	return v, nil
}

// Validate checks json text as PostgreSQL's json input does: syntax only.
func Validate(s string) error {
	p := &parser{l: lexer{in: s}}
	if _, ok := p.top(); !ok {
		return p.error()
	}
	return nil
}

func (p *parser) fail(k errKind) bool { p.err = k; return false }

func (p *parser) top() (Value, bool) {
	if k := p.l.next(); k != eNone {
		return Value{}, p.fail(k)
	}
	v, ok := p.value()
	if !ok {
		return v, false
	}
	if k := p.l.next(); k != eNone {
		return v, p.fail(k)
	}
	if p.l.t != tEnd {
		return v, p.fail(eExpectedEnd)
	}
	return v, true
}

// expected is the error of an unexpected token: the input ended, it is
// not a token, or the one given.
func (p *parser) expected(k errKind) bool {
	if p.l.t == tEnd {
		return p.fail(eExpectedMore)
	}
	if p.l.t == tInvalid {
		return p.fail(eInvalidToken)
	}
	return p.fail(k)
}

// value parses the value whose first token is current.
func (p *parser) value() (Value, bool) {
	l := &p.l
	switch l.t {
	case tLBrace:
		return p.object()
	case tLBracket:
		return p.array()
	case tString:
		if !p.build {
			return Value{}, true
		}
		return Value{K: String, S: l.text()}, true
	case tNumber:
		if !p.build {
			return Value{}, true
		}
		txt := l.in[l.start:l.end]
		if p.keepOrder {
			return Value{K: Number, S: txt}, true
		}
		n, ok := canonNumber(txt)
		if !ok {
			p.numErr = true
			return Value{}, false
		}
		return Value{K: Number, S: n}, true
	case tTrue, tFalse:
		return Value{K: Bool, B: l.t == tTrue}, true
	case tNull:
		return Value{}, true
	}
	return Value{}, p.expected(eExpectedJSON)
}

func (p *parser) array() (Value, bool) {
	l := &p.l
	v := Value{K: Array}
	if k := l.next(); k != eNone {
		return v, p.fail(k)
	}
	if l.t == tRBracket {
		return v, true
	}
	for {
		e, ok := p.value()
		if !ok {
			return v, false
		}
		if p.build {
			v.A = append(v.A, e)
		}
		if k := l.next(); k != eNone {
			return v, p.fail(k)
		}
		switch l.t {
		case tRBracket:
			return v, true
		case tComma:
		default:
			return v, p.expected(eExpectedArrayNext)
		}
		if k := l.next(); k != eNone {
			return v, p.fail(k)
		}
	}
}

func (p *parser) object() (Value, bool) {
	l := &p.l
	v := Value{K: Object}
	if k := l.next(); k != eNone {
		return v, p.fail(k)
	}
	if l.t == tRBrace {
		return v, true
	}
	first := true
	for {
		if l.t != tString {
			if first {
				return v, p.expected(eExpectedObjectFirst)
			}
			return v, p.expected(eExpectedString)
		}
		first = false
		var key string
		if p.build {
			key = l.text()
		}
		if k := l.next(); k != eNone {
			return v, p.fail(k)
		}
		if l.t != tColon {
			return v, p.expected(eExpectedColon)
		}
		if k := l.next(); k != eNone {
			return v, p.fail(k)
		}
		e, ok := p.value()
		if !ok {
			return v, false
		}
		if p.build {
			v.O = append(v.O, Pair{key, e})
		}
		if k := l.next(); k != eNone {
			return v, p.fail(k)
		}
		switch l.t {
		case tRBrace:
			if p.build && !p.keepOrder {
				v.O = sortPairs(v.O)
			}
			return v, true
		case tComma:
		default:
			return v, p.expected(eExpectedObjectNext)
		}
		if k := l.next(); k != eNone {
			return v, p.fail(k)
		}
	}
}

// error is the parse's error as PostgreSQL words it, with its DETAIL and
// its CONTEXT (the line up to the token).
func (p *parser) error() error {
	l := &p.l
	if p.numErr {
		return sqlerr.New(sqlerr.NumericOutOfRange, "value overflows numeric format")
	}
	tokText := l.in[l.start:l.end]
	var detail string
	switch p.err {
	case eEscapingInvalid:
		detail = `Escape sequence "\` + tokText + `" is invalid.`
	case eEscapingRequired:
		detail = "Character with value 0x" + hex2(l.in[l.end]) + " must be escaped."
	case eExpectedEnd:
		detail = `Expected end of input, but found "` + tokText + `".`
	case eExpectedArrayNext:
		detail = `Expected "," or "]", but found "` + tokText + `".`
	case eExpectedColon:
		detail = `Expected ":", but found "` + tokText + `".`
	case eExpectedJSON:
		detail = `Expected JSON value, but found "` + tokText + `".`
	case eExpectedMore:
		detail = "The input string ended unexpectedly."
	case eExpectedObjectFirst:
		detail = `Expected string or "}", but found "` + tokText + `".`
	case eExpectedObjectNext:
		detail = `Expected "," or "}", but found "` + tokText + `".`
	case eExpectedString:
		detail = `Expected string, but found "` + tokText + `".`
	case eInvalidToken:
		detail = `Token "` + tokText + `" is invalid.`
	case eCodePointZero:
		detail = `\u0000 cannot be converted to text.`
	case eUnicodeFormat:
		detail = `"\u" must be followed by four hexadecimal digits.`
	case eHighSurrogate:
		detail = "Unicode high surrogate must not follow a high surrogate."
	case eLowSurrogate:
		detail = "Unicode low surrogate must follow a high surrogate."
	}
	e := sqlerr.New(sqlerr.InvalidText, "invalid input syntax for type json")
	if p.err == eCodePointZero {
		e = sqlerr.New(sqlerr.UntranslatableCharacter, "unsupported Unicode escape sequence")
	}
	e.Detail, e.Where = detail, l.context(p.err == eExpectedMore)
	return e
}

func hex2(c byte) string {
	const d = "0123456789abcdef"
	return string([]byte{d[c>>4], d[c&15]})
}

// context is PostgreSQL's CONTEXT of a JSON error: the line up to the end
// of the token at fault, its last 50 bytes or so.
func (l *lexer) context(atEnd bool) string {
	end := min(l.end, len(l.in))
	lineStart := strings.LastIndexByte(l.in[:min(l.start, end)], '\n') + 1
	line := 1 + strings.Count(l.in[:lineStart], "\n")
	cs := lineStart
	for end-cs >= 50 {
		cs = l.charEnd(cs)
	}
	if cs-lineStart <= 3 {
		cs = lineStart
	}
	prefix, suffix := "", ""
	if cs > lineStart {
		prefix = "..."
	}
	if !atEnd && l.t != tEnd && end < len(l.in) && l.in[end] != '\n' && l.in[end] != '\r' {
		suffix = "..."
	}
	return "JSON data, line " + itoa(line) + ": " + prefix + l.in[cs:end] + suffix
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
