package parser

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// createFunction parses the rest of CREATE [OR REPLACE] FUNCTION, in
// PostgreSQL's grammar: the options may come in any order, the body is
// AS 'text' (a SELECT of one expression, or the expression alone) or, as
// in PostgreSQL 14, a final RETURN expr.
func (p *parser) createFunction(c *cursor, orReplace bool, start token) (Stmt, error) {
	st := &CreateFunction{OrReplace: orReplace, Pos: c.pos(start), Volatility: 'v'}
	var err error
	if st.Name, _, err = c.funcName(); err != nil {
		return nil, err
	}
	if st.Args, err = c.funcArgs(true); err != nil {
		return nil, err
	}
	if !c.accept("returns") {
		return nil, sqlerr.At(sqlerr.InvalidFunctionDefinition, st.Pos, "function result type must be specified")
	}
	if c.peekIs("setof") || c.peekIs("table") {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "a function returning a set is not supported: a SQL function returns one value")
	}
	if st.Returns, err = c.colType(); err != nil {
		return nil, err
	}
	st.Returns = argType(st.Returns)
	seen := map[string]bool{}
	once := func(what string, at token) error {
		if seen[what] {
			return sqlerr.At(sqlerr.Syntax, c.pos(at), "conflicting or redundant options")
		}
		seen[what] = true
		return nil
	}
	for !c.atEnd() {
		at := c.peek()
		var what string
		switch {
		case c.accept("language"):
			what = "language"
			t := c.next()
			if lang := strings.ToLower(t.val); lang != "sql" {
				return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(t), "language %q is not supported: a function is written in LANGUAGE SQL", lang)
			}
		case c.accept("immutable"):
			what, st.Volatility = "volatility", 'i'
		case c.accept("stable"):
			what, st.Volatility = "volatility", 's'
		case c.accept("volatile"):
			what, st.Volatility = "volatility", 'v'
		case c.accept("strict"), c.accept("returns", "null", "on", "null", "input"):
			what, st.Strict = "strict", true
		case c.accept("called", "on", "null", "input"):
			what, st.Strict = "strict", false
		case c.accept("leakproof"), c.accept("not", "leakproof"):
			what = "leakproof"
		case c.accept("external", "security"), c.accept("security"):
			what = "security"
			if !c.accept("invoker") && !c.accept("definer") {
				return nil, c.errHere("expected INVOKER or DEFINER")
			}
		case c.accept("parallel"):
			what = "parallel"
			if !c.accept("safe") && !c.accept("restricted") && !c.accept("unsafe") {
				return nil, c.errHere("expected SAFE, RESTRICTED or UNSAFE")
			}
		case c.accept("cost"), c.accept("rows"):
			what = strings.ToLower(at.text)
			if t := c.next(); t.kind != tNumber {
				return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: expected a number", t.text)
			}
		case c.accept("as"):
			what = "body"
			t := c.next()
			if t.kind != tString {
				return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: expected the function body as a string ($$ ... $$)", t.text)
			}
			if c.peekIs(",") {
				return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "AS 'object file', 'link symbol' is for C functions, which are not supported")
			}
			if st.Body, err = p.functionBody(c.s, t); err != nil {
				return nil, err
			}
		case c.accept("return"):
			what = "body"
			seen["language"] = true // a RETURN body is SQL
			if c.atEnd() {
				return nil, c.errHere("expected an expression after RETURN")
			}
			if err := once(what, at); err != nil {
				return nil, err
			}
			if st.Body, err = p.expr(c.s, c.i, len(c.s.toks)); err != nil {
				return nil, err
			}
			c.i = len(c.s.toks)
			continue
		case c.accept("begin", "atomic"):
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(at), "BEGIN ATOMIC bodies are not supported: write RETURN expression")
		default:
			return nil, c.errHere("expected LANGUAGE SQL, IMMUTABLE, STABLE, VOLATILE, STRICT, AS or RETURN")
		}
		if err := once(what, at); err != nil {
			return nil, err
		}
	}
	switch {
	case st.Body == nil:
		return nil, sqlerr.At(sqlerr.InvalidFunctionDefinition, st.Pos, "no function body specified")
	case !seen["language"]:
		return nil, sqlerr.At(sqlerr.InvalidFunctionDefinition, st.Pos, "no language specified")
	}
	st.SQL = c.text()
	return st, nil
}

// funcName reads a function's name, which may be qualified by public,
// the one schema functions live in.
func (c *cursor) funcName() (string, int, error) {
	name, pos, err := c.ident("a function name")
	if err == nil && name == "public" && c.accept(".") {
		return c.ident("a function name")
	}
	return name, pos, err
}

// funcArgs reads a parenthesised list of parameters (see funcArg).
func (c *cursor) funcArgs(create bool) ([]FuncArg, error) {
	elems, err := c.group()
	if err != nil {
		return nil, err
	}
	var out []FuncArg
	for _, e := range elems {
		a, err := c.funcArg(e, create)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// funcArg reads one parameter, [IN] [name] type, of the token range e.
// Whether its first word is a name or the type is told by trying the
// type first: (double precision) is a type, (s varchar) a name and one.
func (c *cursor) funcArg(e [2]int, create bool) (FuncArg, error) {
	sub := &cursor{s: span{text: c.s.text, off: c.s.off, toks: c.s.toks[:e[1]]}, i: e[0]}
	first := sub.peek()
	switch {
	case sub.accept("in"):
	case sub.peekIs("out"), sub.peekIs("inout"), sub.peekIs("variadic"):
		return FuncArg{}, sqlerr.At(sqlerr.FeatureNotSupported, sub.pos(first), "%s parameters are not supported: a SQL function takes IN parameters only", strings.ToUpper(first.text))
	}
	for i := sub.i; i < e[1]; i++ {
		if t := c.s.toks[i]; t.is("default") || t.is("=") {
			return FuncArg{}, sqlerr.At(sqlerr.FeatureNotSupported, sub.pos(t), "parameter defaults are not supported")
		}
	}
	from := sub.i
	a := FuncArg{Pos: sub.pos(sub.peek())}
	if t, err := sub.colType(); err == nil && sub.atEnd() {
		a.Type = argType(t)
		return a, nil
	}
	sub.i = from
	var err error
	if a.Name, _, err = sub.ident("a parameter name"); err != nil {
		return FuncArg{}, err
	}
	if !create {
		a.Name = "" // DROP FUNCTION's names are ignored, as PostgreSQL's
	}
	t, err := sub.colType()
	if err != nil {
		return FuncArg{}, err
	}
	a.Type = argType(t)
	return a, sub.end()
}

// argType is t as a function's parameter or result has it: without the
// length a VARCHAR(n) is written with, which PostgreSQL ignores there.
func argType(t types.T) types.T {
	if t.Kind == types.String {
		t.Width = 0
	}
	return t
}

// functionBody parses the string t of AS 'body': SELECT expr, or expr,
// with an optional final semicolon. Positions point into the statement.
func (p *parser) functionBody(s span, t token) (*Expr, error) {
	start := t.pos + 1
	switch {
	case strings.HasPrefix(t.text, "$"):
		start = t.pos + len(dollarTag(t.text))
	case t.text[0] != '\'':
		start = t.pos + strings.IndexByte(t.text, '\'') + 1 // E'...', U&'...'
	}
	toks, err := lex(t.val)
	if err != nil {
		return nil, sqlerr.Shift(err, s.off+start)
	}
	body := span{text: t.val, off: s.off + start, toks: toks}
	for len(body.toks) > 0 && body.toks[len(body.toks)-1].is(";") {
		body.toks = body.toks[:len(body.toks)-1]
	}
	bad := func(at int, why string) error {
		return sqlerr.At(sqlerr.FeatureNotSupported, body.off+at+1, "a SQL function's body is one expression over its arguments (SELECT expression): %s", why)
	}
	if len(body.toks) == 0 {
		return nil, sqlerr.At(sqlerr.InvalidFunctionDefinition, s.off+t.pos+1, "return type mismatch in function: its body is empty")
	}
	for _, k := range body.toks {
		if k.is(";") {
			return nil, bad(k.pos, "it holds several statements")
		}
	}
	if !body.toks[0].is("select") {
		return p.expr(body, 0, len(body.toks))
	}
	q, err := p.query(body, 0, len(body.toks))
	if err != nil {
		return nil, err
	}
	sel, ok := q.Node.(*ast.SelectStmt)
	switch {
	case !ok:
		return nil, bad(0, "it is a set operation")
	case sel.From != nil:
		at := 0
		for _, k := range body.toks {
			if k.is("from") {
				at = k.pos
				break
			}
		}
		return nil, bad(at, "it cannot read a relation (FROM)")
	case sel.Where != nil || sel.GroupBy != nil || sel.Having != nil || sel.OrderBy != nil || sel.Limit != nil || sel.Distinct || sel.With != nil:
		return nil, bad(0, "it has no clauses after its expression")
	case len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].WildCard != nil:
		return nil, bad(0, "it returns one column")
	}
	return &Expr{Node: sel.Fields.Fields[0].Expr, Text: q.Text, pos: q.pos}, nil
}

// dropFunction parses the rest of DROP FUNCTION [IF EXISTS] name[(types)]
// [CASCADE | RESTRICT].
func (p *parser) dropFunction(c *cursor) (Stmt, error) {
	st := &DropFunction{IfExists: c.accept("if", "exists")}
	var err error
	if st.Name, st.Pos, err = c.funcName(); err != nil {
		return nil, err
	}
	if c.peekIs("(") {
		st.HasArgs = true
		if st.Args, err = c.funcArgs(false); err != nil {
			return nil, err
		}
	}
	if c.accept("cascade") {
		st.Cascade = true
	} else {
		c.accept("restrict")
	}
	return st, c.end()
}
