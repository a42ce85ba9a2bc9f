package parser

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// create parses CREATE TABLE | SOURCE | [MATERIALIZED] VIEW | SINK.
func (p *parser) create(c *cursor) (Stmt, error) {
	start := c.next()
	if c.accept("or", "replace") {
		if err := c.expect("function"); err != nil {
			return nil, err
		}
		return p.createFunction(c, true, start)
	}
	switch {
	case c.accept("function"):
		return p.createFunction(c, false, start)
	case c.accept("table"):
		return p.createRelation(c, KindTable, start)
	case c.accept("source"):
		return p.createRelation(c, KindSource, start)
	case c.accept("materialized", "view"):
		return p.createView(c, true, start)
	case c.accept("view"):
		return p.createView(c, false, start)
	case c.accept("sink"):
		return p.createSink(c, start)
	}
	return nil, c.errHere("expected TABLE, SOURCE, MATERIALIZED VIEW, VIEW, SINK or FUNCTION")
}

// createSink parses CREATE SINK [IF NOT EXISTS] name FROM view WITH (...).
func (p *parser) createSink(c *cursor, start token) (Stmt, error) {
	st := &CreateSink{Pos: c.pos(start)}
	st.IfNotExists = c.ifNotExists()
	var err error
	if st.Name, _, err = c.ident("a name"); err != nil {
		return nil, err
	}
	if c.peekIs("as") {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(c.peek()), "CREATE SINK ... AS SELECT is not supported yet: create a materialized view and CREATE SINK %s FROM it", st.Name)
	}
	if err := c.expect("from"); err != nil {
		return nil, err
	}
	if st.From, st.FromPos, err = c.ident("the materialized view to sink"); err != nil {
		return nil, err
	}
	if !c.accept("with") {
		return nil, c.errHere("expected WITH (connector = 'kafka', ...)")
	}
	if st.Options, err = c.options(); err != nil {
		return nil, err
	}
	st.SQL = c.text()
	return st, c.end()
}

func (c *cursor) ifNotExists() bool { return c.accept("if", "not", "exists") }

// createRelation parses CREATE TABLE/SOURCE name (elements) [WITH (...)].
func (p *parser) createRelation(c *cursor, kind RelKind, start token) (Stmt, error) {
	st := &CreateRelation{Kind: kind, Pos: c.pos(start)}
	st.IfNotExists = c.ifNotExists()
	var err error
	if st.Name, _, err = c.ident("a name"); err != nil {
		return nil, err
	}
	elems, err := c.group()
	if err != nil {
		return nil, err
	}
	for _, e := range elems {
		if err := p.tableElem(c.s, e, st); err != nil {
			return nil, err
		}
	}
	if c.accept("with") {
		if st.Options, err = c.options(); err != nil {
			return nil, err
		}
	}
	if len(st.Columns) == 0 {
		return nil, sqlerr.At(sqlerr.Syntax, st.Pos, "%s %s has no columns", kind, st.Name)
	}
	if kind == KindSource && len(st.Options) == 0 {
		return nil, c.errHere("expected WITH (connector = '...', ...)")
	}
	st.SQL = c.text()
	return st, c.end()
}

// tableElem parses one element: a column, WATERMARK FOR or PRIMARY KEY.
func (p *parser) tableElem(s span, e [2]int, st *CreateRelation) error {
	c := &cursor{s: span{text: s.text, off: s.off, toks: s.toks[:e[1]]}, i: e[0]}
	first := c.peek()
	switch {
	case c.accept("watermark", "for"):
		if st.Watermark != nil {
			return sqlerr.At(sqlerr.Syntax, c.pos(first), "only one WATERMARK FOR clause is allowed")
		}
		col, _, err := c.ident("the event-time column")
		if err != nil {
			return err
		}
		if err := c.expect("as"); err != nil {
			return err
		}
		if c.atEnd() {
			return c.errHere("expected the watermark expression")
		}
		x, err := p.expr(s, c.i, e[1])
		if err != nil {
			return err
		}
		st.Watermark = &Watermark{Column: col, Expr: x, Pos: c.pos(first)}
		return nil
	case c.accept("primary", "key"):
		if st.PrimaryKey != nil {
			return sqlerr.At(sqlerr.Syntax, c.pos(first), "multiple primary keys are not allowed")
		}
		cols, err := c.group()
		if err != nil {
			return err
		}
		for _, r := range cols {
			t := s.toks[r[0]]
			if r[1]-r[0] != 1 || t.kind != tIdent && t.kind != tQuoted {
				return sqlerr.At(sqlerr.Syntax, c.pos(t), "expected a column name")
			}
			st.PrimaryKey = append(st.PrimaryKey, identVal(t))
		}
		return c.end()
	}
	name, pos, err := c.ident("a column name")
	if err != nil {
		return err
	}
	if c.accept("as") {
		// name AS PROCTIME(): the time each row is processed, as in Flink.
		if !c.accept("proctime", "(", ")") {
			return c.errHere("expected PROCTIME() after AS (the one computed column is a processing-time attribute: p_time AS PROCTIME())")
		}
		st.Columns = append(st.Columns, ColumnDef{Name: name, Type: types.T{Kind: types.Timestamp, Prec: 3}, Pos: pos, ProcTime: true})
		return c.end()
	}
	typ, err := c.colType()
	if err != nil {
		return err
	}
	col := ColumnDef{Name: name, Type: typ, Pos: pos}
	for !c.atEnd() {
		switch {
		case c.accept("not", "null"):
			col.NotNull = true
		case c.accept("null"):
		case c.accept("metadata", "from"):
			t := c.next()
			if t.kind != tString {
				return sqlerr.At(sqlerr.Syntax, c.pos(t), "expected a quoted metadata name after METADATA FROM, such as 'timestamp'")
			}
			col.Metadata = t.val
		case c.accept("primary", "key"):
			if st.PrimaryKey != nil {
				return sqlerr.At(sqlerr.Syntax, pos, "multiple primary keys are not allowed")
			}
			st.PrimaryKey = []string{name}
			col.NotNull = true
		default:
			return c.errHere("expected NOT NULL, NULL, PRIMARY KEY, METADATA FROM, or , between columns")
		}
	}
	st.Columns = append(st.Columns, col)
	return nil
}

func identVal(t token) string {
	if t.kind == tQuoted {
		return t.val
	}
	return strings.ToLower(t.text)
}

// colType reads a column type, accepting both MySQL's and PostgreSQL's
// names (BIGINT/INT8, DOUBLE/FLOAT8/DOUBLE PRECISION, VARCHAR/TEXT, ...),
// and an array of one: INT[], INT[3] (the size is not enforced, as in
// PostgreSQL) or INT ARRAY.
func (c *cursor) colType() (types.T, error) {
	at := c.peek()
	t, err := c.scalarType()
	if err != nil {
		return t, err
	}
	dims := 0
	for {
		switch {
		case c.peekIs("["):
			c.next()
			if n := c.peek(); n.kind == tNumber {
				c.next()
			}
			if err := c.expect("]"); err != nil {
				return types.T{}, err
			}
		case c.peekIs("array"):
			c.next()
			if c.accept("[") {
				if n := c.peek(); n.kind == tNumber {
					c.next()
				}
				if err := c.expect("]"); err != nil {
					return types.T{}, err
				}
			}
		default:
			if dims > 1 {
				return types.T{}, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(at), "arrays of more than one dimension are not supported")
			}
			if dims == 1 {
				return types.ArrayOf(t), nil
			}
			return t, nil
		}
		dims++
	}
}

// scalarType reads a type name that is not an array's.
func (c *cursor) scalarType() (types.T, error) {
	t := c.next()
	if t.kind != tIdent {
		return types.T{}, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: expected a type", t.text)
	}
	name := strings.ToLower(t.text)
	args, err := c.typeArgs()
	if err != nil {
		return types.T{}, err
	}
	arg := func(i, def int) int {
		if i < len(args) {
			return args[i]
		}
		return def
	}
	switch name {
	case "bigint", "int8":
		return types.BigInt, nil
	case "int", "integer", "int4", "smallint", "int2", "tinyint", "mediumint":
		return types.Int, nil
	case "boolean", "bool":
		return types.Boolean, nil
	case "double", "float8", "float", "real", "float4":
		c.accept("precision")
		return types.Double, nil
	case "decimal", "numeric", "dec":
		// Without a precision it is PostgreSQL's unconstrained NUMERIC; up
		// to 18 digits a scaled int64 (the fast path), past them exact
		// text (types.Numeric).
		if len(args) == 0 {
			return types.Unconstrained, nil
		}
		prec, scale := arg(0, 10), arg(1, 0)
		if prec < 1 || prec > types.MaxNumericPrec || scale < 0 || scale > prec {
			return types.T{}, sqlerr.At(sqlerr.InvalidParameter, c.pos(t),
				"NUMERIC precision %d and scale %d are out of range: precision must be 1..%d and scale 0..precision", prec, scale, types.MaxNumericPrec)
		}
		if prec > types.MaxDecimalPrec {
			return types.NumericOf(prec, scale), nil
		}
		return types.DecimalOf(prec, scale), nil
	case "varchar", "text", "string", "char", "character":
		if name == "character" && c.accept("varying") {
			if args, err = c.typeArgs(); err != nil {
				return types.T{}, err
			}
		}
		return types.T{Kind: types.String, Width: arg(0, 0)}, nil
	case "timestamp", "datetime":
		prec := arg(0, 6)
		if prec < 0 || prec > 6 {
			return types.T{}, sqlerr.At(sqlerr.InvalidParameter, c.pos(t), "TIMESTAMP(%d) precision must be between 0 and 6", prec)
		}
		if c.accept("with", "time", "zone") {
			return types.T{Kind: types.TimestampTZ, Prec: prec}, nil
		}
		c.accept("without", "time", "zone")
		return types.T{Kind: types.Timestamp, Prec: prec}, nil
	case "timestamptz":
		prec := arg(0, 6)
		if prec < 0 || prec > 6 {
			return types.T{}, sqlerr.At(sqlerr.InvalidParameter, c.pos(t), "TIMESTAMPTZ(%d) precision must be between 0 and 6", prec)
		}
		return types.T{Kind: types.TimestampTZ, Prec: prec}, nil
	case "date":
		return types.Dt, nil
	case "interval":
		return types.Ival, nil
	case "jsonb":
		return types.Jsonb, nil
	case "json":
		return types.Json, nil
	case "time", "bytea", "blob":
		return types.T{}, sqlerr.At(sqlerr.FeatureNotSupported, c.pos(t), "type %s is not supported yet", strings.ToUpper(name))
	}
	return types.T{}, sqlerr.At(sqlerr.UndefinedObject, c.pos(t), "type %q does not exist", name)
}

// typeArgs reads an optional (n[, m]) after a type name.
func (c *cursor) typeArgs() ([]int, error) {
	if !c.peekIs("(") {
		return nil, nil
	}
	c.next()
	var args []int
	for {
		t := c.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tNumber || err != nil {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: expected a number", t.text)
		}
		args = append(args, n)
		if c.accept(")") {
			return args, nil
		}
		if err := c.expect(","); err != nil {
			return nil, err
		}
	}
}

// createView parses CREATE [MATERIALIZED] VIEW name [WITH (...)]
// [EMIT ON WINDOW CLOSE] AS query [EMIT ON WINDOW CLOSE].
func (p *parser) createView(c *cursor, materialized bool, start token) (Stmt, error) {
	st := &CreateView{Materialized: materialized, Pos: c.pos(start)}
	st.IfNotExists = c.ifNotExists()
	var err error
	if st.Name, _, err = c.ident("a view name"); err != nil {
		return nil, err
	}
	if c.accept("with") {
		if st.Options, err = c.options(); err != nil {
			return nil, err
		}
	}
	emitAt := c.peek()
	st.EmitOnClose = c.accept("emit", "on", "window", "close")
	if err := c.expect("as"); err != nil {
		return nil, err
	}
	if c.atEnd() {
		return nil, c.errHere("expected a query")
	}
	to := len(c.s.toks)
	if n := to - c.i; n > 4 && c.s.toks[to-4].is("emit") && c.s.toks[to-3].is("on") &&
		c.s.toks[to-2].is("window") && c.s.toks[to-1].is("close") {
		if st.EmitOnClose {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(c.s.toks[to-4]), "EMIT ON WINDOW CLOSE given twice")
		}
		emitAt = c.s.toks[to-4]
		st.EmitOnClose = true
		to -= 4
	}
	if st.EmitOnClose && !materialized {
		return nil, sqlerr.At(sqlerr.Syntax, c.pos(emitAt), "EMIT ON WINDOW CLOSE applies only to materialized views")
	}
	if st.Query, err = p.query(c.s, c.i, to); err != nil {
		return nil, err
	}
	st.SQL = c.text()
	return st, nil
}

// drop parses DROP kind [IF EXISTS] name.
func (p *parser) drop(c *cursor) (Stmt, error) {
	c.next()
	if c.accept("function") {
		return p.dropFunction(c)
	}
	st := &Drop{}
	switch {
	case c.accept("table"):
		st.Kind = KindTable
	case c.accept("source"):
		st.Kind = KindSource
	case c.accept("materialized", "view"):
		st.Kind = KindMaterializedView
	case c.accept("view"):
		st.Kind = KindView
	case c.accept("sink"):
		st.Kind = KindSink
	default:
		return nil, c.errHere("expected TABLE, SOURCE, MATERIALIZED VIEW, VIEW, SINK or FUNCTION")
	}
	st.IfExists = c.accept("if", "exists")
	var err error
	if st.Name, st.Pos, err = c.ident("a name"); err != nil {
		return nil, err
	}
	return st, c.end()
}

// show parses SHOW SOURCES | TABLES | MATERIALIZED VIEWS | VIEWS | SINKS |
// METRICS | PROGRESS, or SHOW setting.
func (p *parser) show(c *cursor) (Stmt, error) {
	c.next()
	for _, what := range [][]string{{"sources"}, {"tables"}, {"materialized", "views"}, {"views"}, {"sinks"}, {"metrics"}, {"progress"}} {
		if c.accept(what...) {
			return &Show{What: strings.Join(what, " ")}, c.end()
		}
	}
	if c.accept("all") {
		return &Show{Name: "all"}, c.end()
	}
	// SQL's spellings of two settings (SQLAlchemy asks the first when it
	// connects).
	if c.accept("transaction", "isolation", "level") {
		return &Show{Name: "transaction_isolation"}, c.end()
	}
	if c.accept("time", "zone") {
		return &Show{Name: "timezone"}, c.end()
	}
	name, err := c.settingName("SOURCES, TABLES, MATERIALIZED VIEWS, VIEWS, SINKS or a setting name")
	if err != nil {
		return nil, err
	}
	return &Show{Name: name}, c.end()
}

// set parses SET [SESSION|LOCAL] name {= | TO} value.
func (p *parser) set(c *cursor) (Stmt, error) {
	c.next()
	if !c.accept("session", "characteristics") {
		c.accept("session")
	}
	c.accept("local")
	if c.accept("time", "zone") {
		// SET TIME ZONE 'zone' | LOCAL | DEFAULT, SQL's spelling of SET
		// timezone.
		if c.accept("local") || c.accept("default") {
			return &Reset{Name: "timezone"}, c.end()
		}
		t := c.next()
		if t.kind != tString && t.kind != tIdent {
			return nil, sqlerr.At(sqlerr.Syntax, c.pos(t), "syntax error at or near %q: expected a time zone", t.text)
		}
		return &Set{Name: "timezone", Value: t.val}, c.end()
	}
	name, err := c.settingName("a setting name")
	if err != nil {
		return nil, err
	}
	if !c.accept("=") && !c.accept("to") {
		return nil, c.errHere("expected = or TO")
	}
	if c.peekIs("default") && c.i+1 == len(c.s.toks) {
		return &Reset{Name: name}, nil
	}
	// A list of values separated by commas; each is a quoted string or
	// the text as written (-1, 10s, ISO).
	if c.atEnd() {
		return nil, c.errHere("expected a value")
	}
	var vals []string
	for {
		if c.atEnd() || c.peekIs(",") {
			return nil, c.errHere("expected a value")
		}
		from := c.next()
		to := from
		for !c.atEnd() && !c.peekIs(",") {
			to = c.next()
		}
		if from == to && from.kind == tString {
			vals = append(vals, from.val)
		} else {
			vals = append(vals, c.s.text[from.pos:to.end])
		}
		if !c.accept(",") {
			break
		}
	}
	return &Set{Name: name, Value: strings.Join(vals, ", ")}, nil
}

// settingName reads a setting's name: an identifier, or a custom
// setting's prefix.name (my.option).
func (c *cursor) settingName(what string) (string, error) {
	name, _, err := c.ident(what)
	for err == nil && c.accept(".") {
		var part string
		part, _, err = c.ident("a setting name after .")
		name += "." + part
	}
	return name, err
}

// reset reads RESET name and RESET ALL.
func (p *parser) reset(c *cursor) (Stmt, error) {
	c.next()
	if c.accept("all") {
		return &Reset{}, c.end()
	}
	name, err := c.settingName("a setting name or ALL")
	if err != nil {
		return nil, err
	}
	return &Reset{Name: name}, c.end()
}
