package parser

import (
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// cursor walks the tokens of one statement for the front end's own
// recursive-descent rules.
type cursor struct {
	s span
	i int
}

func (c *cursor) atEnd() bool { return c.i >= len(c.s.toks) }

func (c *cursor) peek() token {
	if c.atEnd() {
		return token{kind: tEOF, pos: len(c.s.text), end: len(c.s.text)}
	}
	return c.s.toks[c.i]
}

func (c *cursor) peekIs(kw string) bool { return c.peek().is(kw) }

func (c *cursor) next() token {
	t := c.peek()
	if !c.atEnd() {
		c.i++
	}
	return t
}

// accept consumes the keywords kws if they come next, all of them.
func (c *cursor) accept(kws ...string) bool {
	for k, kw := range kws {
		if c.i+k >= len(c.s.toks) || !c.s.toks[c.i+k].is(kw) {
			return false
		}
	}
	c.i += len(kws)
	return true
}

// expect consumes kws or fails with a syntax error at the next token.
func (c *cursor) expect(kws ...string) error {
	if c.accept(kws...) {
		return nil
	}
	return c.errHere("expected " + strings.ToUpper(strings.Join(kws, " ")))
}

// pos returns the 1-based query-string position of token t.
func (c *cursor) pos(t token) int { return c.s.off + t.pos + 1 }

// errHere is a syntax error at the next token.
func (c *cursor) errHere(why string) error {
	t := c.peek()
	if t.kind == tEOF {
		return sqlerr.At(sqlerr.Syntax, c.s.off+len(strings.TrimRight(c.s.text, " \t\r\n"))+1, "syntax error at end of input: %s", why)
	}
	return sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: %s", t.text, why)
}

// end requires that the statement is over.
func (c *cursor) end() error {
	if c.atEnd() {
		return nil
	}
	return c.errHere("expected end of statement")
}

// ident reads a name. Unquoted names fold to lower case, as in PostgreSQL;
// quoted names keep their case.
func (c *cursor) ident(what string) (string, int, error) {
	t := c.peek()
	switch t.kind {
	case tIdent:
		c.i++
		return strings.ToLower(t.text), c.pos(t), nil
	case tQuoted:
		c.i++
		return t.val, c.pos(t), nil
	}
	return "", 0, c.errHere("expected " + what)
}

// text returns the statement's text from its first to its last token.
func (c *cursor) text() string {
	toks := c.s.toks
	return c.s.text[toks[0].pos:toks[len(toks)-1].end]
}

// rest returns the remaining tokens as a statement of their own.
func (c *cursor) rest() span {
	return span{text: c.s.text, off: c.s.off, toks: c.s.toks[c.i:]}
}

// group reads a parenthesised list and returns the token index ranges of
// its top-level comma-separated elements; the cursor ends after ")".
func (c *cursor) group() ([][2]int, error) {
	if err := c.expect("("); err != nil {
		return nil, err
	}
	var elems [][2]int
	start, depth := c.i, 0
	for !c.atEnd() {
		t := c.next()
		switch {
		case t.is("("):
			depth++
		case t.is(")") && depth > 0:
			depth--
		case t.is(")"):
			if c.i-1 > start {
				elems = append(elems, [2]int{start, c.i - 1})
			}
			return elems, nil
		case t.is(",") && depth == 0:
			if c.i-1 == start {
				return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near \",\"")
			}
			elems = append(elems, [2]int{start, c.i - 1})
			start = c.i
		}
	}
	return nil, c.errHere("expected )")
}

// options reads WITH (key = value, ...). Keys may be dotted; values are
// strings, numbers, identifiers or booleans, kept as text.
func (c *cursor) options() ([]Option, error) {
	elems, err := c.group()
	if err != nil {
		return nil, err
	}
	var opts []Option
	seen := map[string]bool{}
	for _, e := range elems {
		sub := &cursor{s: c.s, i: e[0]}
		first := sub.peek()
		var key strings.Builder
		for sub.i < e[1] && !sub.peekIs("=") {
			t := sub.next()
			if t.kind == tQuoted || t.kind == tString {
				key.WriteString(t.val)
			} else {
				key.WriteString(strings.ToLower(t.text))
			}
		}
		if key.Len() == 0 || sub.i >= e[1] || !sub.accept("=") || sub.i != e[1]-1 {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(first), "syntax error at or near %q: expected key = value", first.text)
		}
		v := sub.next()
		val := v.val
		if v.kind == tIdent {
			val = strings.ToLower(v.text)
		}
		k := key.String()
		if seen[k] {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(first), "option %q given twice", k)
		}
		seen[k] = true
		opts = append(opts, Option{Key: k, Value: val, Pos: c.pos(first)})
	}
	return opts, nil
}
