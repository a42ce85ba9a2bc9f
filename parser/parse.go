// Package parser is streamsql's SQL front end. It recognises the streaming
// statements TiDB's parser cannot read (CREATE SOURCE, WATERMARK FOR, WITH
// options, CREATE MATERIALIZED VIEW, EMIT ON WINDOW CLOSE, FLUSH, ...),
// rewrites the window-function arguments TiDB cannot read, and hands every
// SELECT and expression to TiDB. Positions in errors and in the returned
// statements are 1-based byte offsets into the query string.
package parser

import (
	"regexp"
	"strings"

	tidb "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value literals
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// sqlMode makes TiDB read "x" as an identifier, || as concatenation and a
// backslash in a string as itself, as PostgreSQL does (with
// standard_conforming_strings on, its default and the only setting
// streamsql has); E'...' strings are decoded by the front end.
const sqlMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes

// Parse parses a query string that may hold several statements separated
// by semicolons. Like PostgreSQL, it parses all of them before any runs.
func Parse(sql string) ([]Stmt, error) {
	spans, err := split(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{tidb: tidb.New()}
	p.tidb.SetSQLMode(sqlMode)
	out := make([]Stmt, 0, len(spans))
	for _, s := range spans {
		st, err := p.stmt(s)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// ParseOne parses a query string holding exactly one statement.
func ParseOne(sql string) (Stmt, error) {
	stmts, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, sqlerr.New(sqlerr.Syntax, "expected one statement, got %d", len(stmts))
	}
	return stmts[0], nil
}

type parser struct {
	tidb *tidb.Parser
}

// stmt dispatches on the statement's leading keywords.
func (p *parser) stmt(s span) (Stmt, error) {
	c := &cursor{s: s}
	switch {
	case c.peekIs("create"):
		return p.create(c)
	case c.peekIs("drop"):
		return p.drop(c)
	case c.peekIs("show"):
		return p.show(c)
	case c.peekIs("describe"), c.peekIs("desc"):
		c.next()
		name, pos, err := c.ident("relation name")
		if err != nil {
			return nil, err
		}
		return &Describe{Name: name, Pos: pos}, c.end()
	case c.peekIs("explain"):
		c.next()
		if ex, ok, err := p.explainAnalyze(c); ok {
			return ex, err
		}
		if c.atEnd() {
			return nil, c.errHere("expected a statement after EXPLAIN")
		}
		inner := c.rest()
		st, err := p.stmt(inner)
		if err != nil {
			return nil, err
		}
		return &Explain{Stmt: st}, nil
	case c.peekIs("flush"):
		c.next()
		return &Flush{}, c.end()
	case c.peekIs("set"):
		return p.set(c)
	case c.peekIs("reset"):
		return p.reset(c)
	case c.peekIs("begin"), c.peekIs("start"), c.peekIs("commit"), c.peekIs("rollback"), c.peekIs("end"):
		return &Tx{Verb: strings.ToUpper(s.toks[0].text)}, nil
	case c.peekIs("insert"):
		n, q, err := p.tidbStmt(s, 0, len(s.toks))
		if err != nil {
			return nil, err
		}
		ins, ok := n.(*ast.InsertStmt)
		if !ok {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, s.off+1, "unsupported statement: %s", firstWords(s))
		}
		return &Insert{Node: ins, q: *q}, nil
	case c.peekIs("select"), c.peekIs("with"), c.peekIs("("):
		q, err := p.query(s, 0, len(s.toks))
		if err != nil {
			return nil, err
		}
		return &Select{Query: q}, nil
	case c.peekIs("subscribe"):
		return p.subscribe(c)
	case c.peekIs("copy"):
		return p.copyStmt(c)
	case c.peekIs("declare"):
		return p.declare(c)
	case c.peekIs("fetch"):
		return p.fetch(c)
	case c.peekIs("close"):
		return p.closeCursor(c)
	case c.peekIs("deallocate"):
		return p.deallocate(c)
	case c.peekIs("update"), c.peekIs("delete"):
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, s.off+1, "%s is not supported: tables are append-only streams (a table with a PRIMARY KEY upserts on INSERT)", strings.ToUpper(s.toks[0].text))
	}
	t := s.toks[0]
	return nil, sqlerr.At(sqlerr.Syntax, s.off+t.pos+1, "syntax error at or near %q", t.text)
}

// query parses toks[from:to] as a SELECT through TiDB.
func (p *parser) query(s span, from, to int) (*Query, error) {
	n, q, err := p.tidbStmt(s, from, to)
	if err != nil {
		return nil, err
	}
	switch n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return q, nil
	}
	return nil, sqlerr.At(sqlerr.Syntax, s.off+s.toks[from].pos+1, "expected a SELECT query")
}

// tidbStmt rewrites toks[from:to] and parses the result with TiDB.
func (p *parser) tidbStmt(s span, from, to int) (ast.StmtNode, *Query, error) {
	r := &rewriter{src: s.text, base: s.off}
	if err := r.rewriteTokens(s.toks, from, to); err != nil {
		return nil, nil, err
	}
	text := r.out.String()
	n, err := p.tidb.ParseOneStmt(text, "", "")
	if err != nil {
		return nil, nil, p.syntaxError(err, text, r.m, s)
	}
	q := &Query{Node: n, Text: s.text[s.toks[from].pos:s.toks[to-1].end], pos: r.m}
	return n, q, nil
}

// expr parses toks[from:to] as one expression through TiDB.
func (p *parser) expr(s span, from, to int) (*Expr, error) {
	r := &rewriter{src: s.text, base: s.off}
	r.insert("SELECT ", s.toks[from].pos)
	if err := r.rewriteTokens(s.toks, from, to); err != nil {
		return nil, err
	}
	text := r.out.String()
	n, err := p.tidb.ParseOneStmt(text, "", "")
	if err != nil {
		return nil, p.syntaxError(err, text, r.m, s)
	}
	sel, ok := n.(*ast.SelectStmt)
	if !ok || sel.From != nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].AsName.L != "" {
		return nil, sqlerr.At(sqlerr.Syntax, s.off+s.toks[from].pos+1, "expected one expression")
	}
	return &Expr{Node: sel.Fields.Fields[0].Expr, Text: s.text[s.toks[from].pos:s.toks[to-1].end], pos: r.m}, nil
}

var nearRE = regexp.MustCompile(`(?s)line \d+ column \d+ near "(.*)"\s*$`)

// syntaxError turns TiDB's error into a positioned syntax error. TiDB's
// message ends with `near "rest of text"`, so the offset is
// len(text) - len(rest). The token named is the one the user wrote there
// in s (the text handed to TiDB has its names folded, and $1 became
// streamsql_param).
func (p *parser) syntaxError(err error, text string, m posMap, s span) error {
	msg := err.Error()
	sub := nearRE.FindStringSubmatch(msg)
	if sub == nil {
		return sqlerr.New(sqlerr.Syntax, "%s", msg)
	}
	rest := sub[1]
	off := len(text) - len(rest)
	if off < 0 || off > len(text) || !strings.HasSuffix(text, rest) {
		return sqlerr.New(sqlerr.Syntax, "syntax error: %s", msg)
	}
	if strings.TrimSpace(rest) == "" {
		return &sqlerr.Error{Kind: sqlerr.Syntax, Msg: "syntax error at end of input", Pos: m.orig(max(len(text)-1, 0)) + 1, Err: err}
	}
	near := rest
	if toks, lerr := lex(rest); lerr == nil && len(toks) > 0 {
		near = toks[0].text
		off += toks[0].pos
		if at := m.orig(off) - 1 - s.off; at >= 0 && at < len(s.text) {
			if orig, lerr := lex(s.text[at:]); lerr == nil && len(orig) > 0 && orig[0].pos == 0 {
				near = orig[0].text
			}
		}
	}
	return &sqlerr.Error{Kind: sqlerr.Syntax, Msg: "syntax error at or near \"" + near + "\"", Pos: m.orig(off), Err: err}
}

// restore prints a TiDB node back as SQL, for String methods and EXPLAIN.
func restore(n ast.Node) string {
	var b strings.Builder
	ctx := format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreStringWithoutCharset|format.RestoreKeyWordUppercase|format.RestoreNameBackQuotes, &b)
	if err := n.Restore(ctx); err != nil {
		return "<" + err.Error() + ">"
	}
	return strings.ReplaceAll(b.String(), "`", "")
}

// Restore prints a TiDB node back as SQL for the user to read: the front
// end's rewrites are undone (see unrewrite).
func Restore(n ast.Node) string { return unrewrite(restore(n)) }

// unrewrite turns the names the front end gave TiDB back into what the
// user wrote: streamsql_cast(x, 'T') into CAST(x AS T), streamsql_param(n)
// into $n, session_window into SESSION.
func unrewrite(s string) string {
	toks, err := lex(s)
	if err != nil {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tIdent || i+1 >= len(toks) || !toks[i+1].is("(") {
			continue
		}
		end, comma, depth := -1, -1, 0
		for k := i + 1; k < len(toks) && end < 0; k++ {
			switch {
			case toks[k].is("("):
				depth++
			case toks[k].is(")"):
				if depth--; depth == 0 {
					end = k
				}
			case toks[k].is(",") && depth == 1:
				comma = k
			}
		}
		var repl string
		switch {
		case end < 0:
			continue
		case strings.EqualFold(t.text, CastFunc) && comma > 0 && comma+1 < end && toks[comma+1].kind == tString:
			repl = "CAST(" + unrewrite(s[toks[i+1].end:toks[comma].pos]) + " AS " + toks[comma+1].val + ")"
		case strings.EqualFold(t.text, ParamFunc) && end == i+3:
			repl = "$" + toks[i+2].text
		case strings.EqualFold(t.text, SessionFunc):
			b.WriteString(s[last:t.pos])
			b.WriteString("SESSION")
			last = t.end
			continue
		default:
			continue
		}
		b.WriteString(s[last:t.pos])
		b.WriteString(repl)
		last = toks[end].end
		i = end
	}
	b.WriteString(s[last:])
	return b.String()
}

func firstWords(s span) string {
	n := min(len(s.toks), 3)
	var w []string
	for _, t := range s.toks[:n] {
		w = append(w, strings.ToUpper(t.text))
	}
	return strings.Join(w, " ")
}
