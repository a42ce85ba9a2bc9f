package parser

import (
	"slices"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// subscribe reads SUBSCRIBE [TO] name [WITH (snapshot = true|false)].
func (p *parser) subscribe(c *cursor) (Stmt, error) {
	c.next()
	c.accept("to")
	if c.peekIs("(") {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "SUBSCRIBE to a query is not supported yet: create a materialized view and subscribe to it")
	}
	name, pos, err := c.ident("relation name")
	if err != nil {
		return nil, err
	}
	if c.peekIs(".") { // schema.relation, for streamsql_catalog's
		c.next()
		rel, _, err := c.ident("relation name")
		if err != nil {
			return nil, err
		}
		name += "." + rel
	}
	st := &Subscribe{Name: name, Pos: pos, Snapshot: true}
	opts, err := c.withOptions("SUBSCRIBE", "snapshot")
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		b, ok := parseBool(o.Value)
		if !ok {
			return nil, sqlerr.At(sqlerr.InvalidParameter, o.Pos, "snapshot must be true or false, not %q", o.Value)
		}
		st.Snapshot = b
	}
	return st, c.end()
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "on", "1", "yes":
		return true, true
	case "false", "off", "0", "no":
		return false, true
	}
	return false, false
}

// declare reads DECLARE name [BINARY] [[NO] SCROLL] CURSOR [WITH[OUT]
// HOLD] FOR query.
func (p *parser) declare(c *cursor) (Stmt, error) {
	c.next()
	name, pos, err := c.ident("cursor name")
	if err != nil {
		return nil, err
	}
	if c.peekIs("binary") || c.peekIs("scroll") || c.peekIs("insensitive") {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "%s cursors are not supported", strings.ToUpper(c.peek().text))
	}
	c.accept("no", "scroll")
	if err := c.expect("cursor"); err != nil {
		return nil, err
	}
	if !c.accept("without", "hold") && c.accept("with", "hold") {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.s.toks[c.i-2]), "WITH HOLD cursors are not supported")
	}
	if err := c.expect("for"); err != nil {
		return nil, err
	}
	if c.atEnd() {
		return nil, c.errHere("expected a query")
	}
	st, err := p.rowsStmt(c.rest(), "a cursor reads")
	if err != nil {
		return nil, err
	}
	return &Declare{Name: name, Pos: pos, Stmt: st, SQL: c.text()}, nil
}

// fetch reads FETCH [FORWARD] [count | ALL] [FROM | IN] cursor [WITH
// (timeout = 'interval')].
func (p *parser) fetch(c *cursor) (Stmt, error) {
	c.next()
	st := &Fetch{Count: 1}
	c.accept("forward")
	switch t := c.peek(); {
	case t.is("all"):
		c.next()
		st.Count = -1
	case t.kind == tNumber:
		c.next()
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil || n < 0 {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "FETCH count must be a non-negative integer, not %s", t.text)
		}
		st.Count = n
	case t.is("next"):
		c.next()
	case t.is("prior"), t.is("first"), t.is("last"), t.is("absolute"), t.is("relative"), t.is("backward"):
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(t), "FETCH %s is not supported: cursors only move forward", strings.ToUpper(t.text))
	}
	if !c.accept("from") {
		c.accept("in")
	}
	name, pos, err := c.ident("cursor name")
	if err != nil {
		return nil, err
	}
	st.Cursor, st.Pos = name, pos
	opts, err := c.withOptions("FETCH", "timeout")
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		us, err := ParseDuration(o.Value)
		if err != nil || us < 0 {
			return nil, sqlerr.At(sqlerr.InvalidParameter, o.Pos, "invalid timeout %q: want an interval such as '1 second'", o.Value)
		}
		st.Timeout, st.HasTimeout = us, true
	}
	return st, c.end()
}

// closeCursor reads CLOSE name or CLOSE ALL.
func (p *parser) closeCursor(c *cursor) (Stmt, error) {
	start := c.next()
	if c.accept("all") {
		return &CloseCursor{All: true, Pos: c.pos(start)}, c.end()
	}
	name, pos, err := c.ident("cursor name")
	if err != nil {
		return nil, err
	}
	return &CloseCursor{Name: name, Pos: pos}, c.end()
}

// deallocate reads DEALLOCATE [PREPARE] {name | ALL}.
func (p *parser) deallocate(c *cursor) (Stmt, error) {
	start := c.next()
	c.accept("prepare")
	if c.accept("all") {
		return &Deallocate{All: true, Pos: c.pos(start)}, c.end()
	}
	name, pos, err := c.ident("a prepared statement's name")
	if err != nil {
		return nil, err
	}
	return &Deallocate{Name: name, Pos: pos}, c.end()
}

// withOptions reads an optional WITH (key = value, ...) whose keys must
// be among keys.
func (c *cursor) withOptions(stmt string, keys ...string) ([]Option, error) {
	if !c.accept("with") {
		return nil, nil
	}
	opts, err := c.options()
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		if !slices.Contains(keys, o.Key) {
			return nil, sqlerr.At(sqlerr.InvalidParameter, o.Pos, "unknown %s option %q (want %s)", stmt, o.Key, strings.Join(keys, ", "))
		}
	}
	return opts, nil
}

// rowsStmt parses the query inside COPY ( ) or after DECLARE ... FOR: a
// SELECT or a SUBSCRIBE. what starts the error for anything else.
func (p *parser) rowsStmt(inner span, what string) (Stmt, error) {
	st, err := p.stmt(inner)
	if err != nil {
		return nil, err
	}
	switch st.(type) {
	case *Select, *Subscribe:
		return st, nil
	}
	return nil, sqlerr.At(sqlerr.FeatureNotSupported, inner.off+inner.toks[0].pos+1, "%s a SELECT or a SUBSCRIBE, not %s", what, strings.ToUpper(inner.toks[0].text))
}
