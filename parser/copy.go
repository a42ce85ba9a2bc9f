package parser

import (
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// copyStmt reads COPY { (query) | table [(col, ...)] } { TO STDOUT | FROM
// STDIN } [WITH] [(option value, ...) | old-style options], as PostgreSQL
// 15 does: FORMAT text | csv, DELIMITER, NULL, HEADER, QUOTE, ESCAPE,
// ENCODING 'UTF8', and the pre-9.0 spelling psql's \copy sends (CSV HEADER
// DELIMITER ',' NULL ”). Files on the server and BINARY are refused.
func (p *parser) copyStmt(c *cursor) (Stmt, error) {
	c.next()
	cp := &Copy{}
	if c.peekIs("(") {
		elems, err := c.group()
		if err != nil {
			return nil, err
		}
		if len(elems) == 0 {
			t := c.s.toks[c.i-1]
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near \")\": expected a query in COPY ( )")
		}
		// The query is everything inside the parentheses: group splits at
		// the select list's top-level commas.
		if cp.Stmt, err = p.rowsStmt(span{text: c.s.text, off: c.s.off, toks: c.s.toks[elems[0][0]:elems[len(elems)-1][1]]}, "COPY supports"); err != nil {
			return nil, err
		}
	} else {
		name, pos, err := c.ident("a table name or (query) after COPY")
		if err != nil {
			return nil, err
		}
		if c.accept(".") { // schema.table: only public's
			if name != "public" {
				return nil, sqlerr.At(sqlerr.UndefinedTable, pos, "relation %q does not exist", name+"."+c.peek().val)
			}
			if name, pos, err = c.ident("a table name"); err != nil {
				return nil, err
			}
		}
		cp.Table, cp.TablePos = name, pos
		if c.peekIs("(") {
			elems, err := c.group()
			if err != nil {
				return nil, err
			}
			for _, e := range elems {
				sub := &cursor{s: c.s, i: e[0]}
				col, _, err := sub.ident("a column name")
				if err != nil || sub.i != e[1] {
					return nil, sqlerr.At(sqlerr.Syntax, c.pos(c.s.toks[e[0]]), "syntax error at or near %q: expected a column name", c.s.toks[e[0]].text)
				}
				cp.Columns = append(cp.Columns, col)
			}
		}
	}
	switch t := c.peek(); {
	case c.accept("from"):
		if cp.Stmt != nil {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near \"FROM\": COPY (query) is TO only")
		}
		cp.From = true
		if !c.accept("stdin") {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "COPY FROM a file or program on the server is not supported: use COPY FROM STDIN (psql's \\copy)")
		}
	case c.accept("to"):
		if !c.accept("stdout") {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "COPY TO a file or program on the server is not supported: use COPY TO STDOUT (psql's \\copy)")
		}
	default:
		return nil, c.errHere("expected FROM STDIN or TO STDOUT")
	}
	if err := p.copyOptions(c, cp); err != nil {
		return nil, err
	}
	return cp, c.end()
}

// copyOptions reads the options after STDIN or STDOUT into cp.Format,
// checking them as PostgreSQL does.
func (p *parser) copyOptions(c *cursor, cp *Copy) error {
	f := &cp.Format
	f.Delimiter, f.Quote, f.Escape = '\t', '"', '"'
	var delim, null, quote, escape *string
	csvOnly := ""
	str := func(t token) (*string, error) {
		if t.kind != tString {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: expected a string", t.text)
		}
		return &t.val, nil
	}
	// set applies one option; the value token is nil for a bare keyword.
	set := func(name token, v *token) error {
		key := strings.ToLower(name.text)
		bad := func() error {
			return sqlerr.At(sqlerr.Syntax, c.pos(name), "COPY option %q takes a value", key)
		}
		var err error
		switch key {
		case "format":
			if v == nil {
				return bad()
			}
			switch strings.ToLower(v.val) {
			case "text":
			case "csv":
				f.CSV = true
			case "binary":
				f.Binary = true
			default:
				return sqlerr.At(sqlerr.InvalidParameter, c.pos(*v), "COPY format %q not recognized", v.val)
			}
		case "csv":
			f.CSV = true
		case "binary":
			f.Binary = true
		case "header":
			f.Header = true
			if v != nil {
				on, ok := parseBool(v.val)
				if !ok && !strings.EqualFold(v.val, "match") {
					return sqlerr.At(sqlerr.InvalidParameter, c.pos(*v), "header requires a Boolean value or \"match\"")
				}
				f.Header = on || !ok // match: the header is read and checked
			}
			csvOnly = "HEADER"
		case "delimiter":
			if v == nil {
				return bad()
			}
			delim, err = str(*v)
		case "null":
			if v == nil {
				return bad()
			}
			null, err = str(*v)
		case "quote":
			if v == nil {
				return bad()
			}
			quote, err = str(*v)
			csvOnly = "QUOTE"
		case "escape":
			if v == nil {
				return bad()
			}
			escape, err = str(*v)
			csvOnly = "ESCAPE"
		case "encoding":
			if v == nil || !strings.EqualFold(strings.ReplaceAll(v.val, "-", ""), "utf8") {
				return sqlerr.At(sqlerr.FeatureNotSupported, c.pos(name), "COPY ENCODING must be UTF8")
			}
		case "freeze":
		default:
			return sqlerr.At(sqlerr.FeatureNotSupported, c.pos(name), "COPY option %q is not supported", key)
		}
		return err
	}
	c.accept("with")
	if c.peekIs("(") {
		elems, err := c.group()
		if err != nil {
			return err
		}
		for _, e := range elems {
			toks := c.s.toks[e[0]:e[1]]
			var v *token
			switch len(toks) {
			case 1:
			case 2:
				v = &toks[1]
			default:
				return sqlerr.At(sqlerr.Syntax, c.pos(toks[2]), "syntax error at or near %q", toks[2].text)
			}
			if err := set(toks[0], v); err != nil {
				return err
			}
		}
	} else {
		// The old spelling: keywords, some followed by [AS] 'value'.
		for !c.atEnd() && !c.peekIs(";") {
			name := c.next()
			switch strings.ToLower(name.text) {
			case "delimiter", "null", "quote", "escape":
				c.accept("as")
				if c.atEnd() {
					return c.errHere("expected a string")
				}
				v := c.next()
				if err := set(name, &v); err != nil {
					return err
				}
			case "force":
				return sqlerr.At(sqlerr.FeatureNotSupported, c.pos(name), "COPY FORCE options are not supported")
			default:
				if err := set(name, nil); err != nil {
					return err
				}
			}
		}
	}
	if f.Binary && !cp.From {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY TO STDOUT in BINARY is not supported: use FORMAT text or csv")
	}
	if f.Binary && (f.CSV || delim != nil || null != nil || f.Header) {
		return sqlerr.New(sqlerr.Syntax, "COPY BINARY takes no CSV, DELIMITER, NULL or HEADER")
	}
	if f.CSV {
		f.Delimiter = ','
	}
	one := func(s *string, what string, into *byte) error {
		if s == nil {
			return nil
		}
		if len(*s) != 1 {
			return sqlerr.New(sqlerr.FeatureNotSupported, "COPY %s must be a single one-byte character", what)
		}
		*into = (*s)[0]
		return nil
	}
	if err := one(delim, "delimiter", &f.Delimiter); err != nil {
		return err
	}
	if !f.CSV && csvOnly != "" && csvOnly != "HEADER" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY %s available only in CSV mode", strings.ToLower(csvOnly))
	}
	if err := one(quote, "quote", &f.Quote); err != nil {
		return err
	}
	f.Escape = f.Quote
	if err := one(escape, "escape", &f.Escape); err != nil {
		return err
	}
	if null != nil {
		f.Null = *null
	} else if !f.CSV {
		f.Null = `\N`
	}
	switch {
	case f.Delimiter == '\n' || f.Delimiter == '\r':
		return sqlerr.New(sqlerr.InvalidParameter, "COPY delimiter cannot be newline or carriage return")
	case !f.CSV && f.Delimiter == '\\':
		return sqlerr.New(sqlerr.InvalidParameter, `COPY delimiter cannot be "\"`)
	case f.CSV && f.Delimiter == f.Quote:
		return sqlerr.New(sqlerr.InvalidParameter, "COPY delimiter and quote must be different")
	case strings.IndexByte(f.Null, f.Delimiter) >= 0:
		return sqlerr.New(sqlerr.InvalidParameter, "COPY delimiter character must not appear in the NULL specification")
	}
	return nil
}
