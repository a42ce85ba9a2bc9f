package parser

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/planner/types"
)

// Stmt is one statement of the streaming dialect. Positions (Pos fields and
// Query.Pos) are 1-based byte offsets into the whole query string given to
// Parse, ready for an ErrorResponse.
type Stmt interface {
	fmt.Stringer
	stmt()
}

// RelKind tells the kinds of named relations apart.
type RelKind uint8

const (
	KindTable RelKind = iota
	KindSource
	KindMaterializedView
	KindView
	KindSink
)

func (k RelKind) String() string {
	return [...]string{"TABLE", "SOURCE", "MATERIALIZED VIEW", "VIEW", "SINK"}[k]
}

// Noun is the kind as messages name it ("materialized view").
func (k RelKind) Noun() string { return strings.ToLower(k.String()) }

// ColumnDef is one column of CREATE TABLE or CREATE SOURCE.
type ColumnDef struct {
	Name    string
	Type    types.T
	NotNull bool
	Pos     int
	// Metadata names the record metadata a source column is filled from
	// (`METADATA FROM 'timestamp'`), as in Flink; "" for a value column.
	Metadata string
	// ProcTime marks `name AS PROCTIME()`: not read from the source, but
	// filled with the time the row is processed.
	ProcTime bool
}

// Watermark is `WATERMARK FOR col AS expr`.
type Watermark struct {
	Column string
	Expr   *Expr
	Pos    int
}

// Option is one `key = value` of a WITH clause; values keep their text.
type Option struct {
	Key, Value string
	Pos        int
}

// Expr is an expression parsed by TiDB with a map back to the user's text.
type Expr struct {
	Node ast.ExprNode
	Text string // the user's text of the expression
	pos  posMap
}

// Pos maps a TiDB node's offset to a position in the query string.
func (e *Expr) Pos(n ast.Node) int { return e.pos.orig(n.OriginTextPosition()) }

// Word is the word the user wrote where n starts (see wordAt).
func (e *Expr) Word(n ast.Node) string { return wordAt(e.Text, e.Pos(n)-e.pos.orig(0)) }

// wordAt returns the token at byte offset off of text: the name the user
// wrote for a node that TiDB renamed (STDDEV is stddev_pop to TiDB).
func wordAt(text string, off int) string {
	if off < 0 || off >= len(text) {
		return ""
	}
	toks, err := lex(text[off:])
	if err != nil || len(toks) == 0 {
		return ""
	}
	return toks[0].text
}

// Query is a SELECT (or UNION) parsed by TiDB from rewritten text.
type Query struct {
	Node ast.StmtNode
	Text string // the user's text of the query
	pos  posMap
}

// Pos maps a TiDB node's offset to a position in the query string.
func (q *Query) Pos(n ast.Node) int { return q.pos.orig(n.OriginTextPosition()) }

// WindowTVF reports whether the subquery sel stands for a window table
// function in FROM: the parser front end wrote TABLE(TUMBLE(TABLE t,
// DESCRIPTOR(ts), size)) as (SELECT * FROM t GROUP BY tumble(ts, size)).
func (q *Query) WindowTVF(sel *ast.SelectStmt) bool {
	if sel.GroupBy == nil || len(sel.GroupBy.Items) == 0 {
		return false
	}
	fc, ok := sel.GroupBy.Items[0].Expr.(*ast.FuncCallExpr)
	return ok && slices.Contains(q.pos.tvfs, q.Pos(fc))
}

// FieldPos is where a select-list entry starts: TiDB records a
// wildcard's offset in the field, not in the node.
func (q *Query) FieldPos(f *ast.SelectField) int { return q.pos.orig(f.Offset) }

// Word is the word the user wrote where n starts (see wordAt).
func (q *Query) Word(n ast.Node) string { return wordAt(q.Text, q.Pos(n)-q.pos.orig(0)) }

// NamePos finds where a relation name n stands in the query: TiDB gives
// table names no offset, so it looks for the name as a whole word after
// FROM (or INTO), falling back to n's own position.
func (q *Query) NamePos(n ast.Node, name string) int {
	base := q.pos.orig(0)
	toks, err := lex(q.Text)
	if err != nil {
		return q.Pos(n)
	}
	after := false
	for _, t := range toks {
		switch {
		case t.is("from") || t.is("into") || t.is("join"):
			after = true
		case after && (t.kind == tIdent || t.kind == tQuoted) && strings.EqualFold(t.val, name):
			return base + t.pos
		}
	}
	return q.Pos(n)
}

// CreateRelation is CREATE TABLE or CREATE SOURCE.
type CreateRelation struct {
	Kind        RelKind // KindTable or KindSource
	Name        string
	IfNotExists bool
	Columns     []ColumnDef
	Watermark   *Watermark
	PrimaryKey  []string
	Options     []Option
	Pos         int
	// SQL is the statement as the user wrote it.
	SQL string
}

// CreateView is CREATE [MATERIALIZED] VIEW.
type CreateView struct {
	Name         string
	Materialized bool
	IfNotExists  bool
	// EmitOnClose holds each window's row back until the window closes.
	EmitOnClose bool
	Options     []Option
	Query       *Query
	Pos         int
	// SQL is the statement as the user wrote it.
	SQL string
}

// Insert is INSERT INTO ... VALUES, parsed by TiDB.
type Insert struct {
	Node *ast.InsertStmt
	q    Query
}

// Pos maps a TiDB node's offset to a position in the query string.
func (s *Insert) Pos(n ast.Node) int { return s.q.Pos(n) }

// Word is the word the user wrote where n starts.
func (s *Insert) Word(n ast.Node) string { return s.q.Word(n) }

// NamePos finds where a relation name stands (see Query.NamePos).
func (s *Insert) NamePos(n ast.Node, name string) int { return s.q.NamePos(n, name) }

// ColumnPos is where the i-th name of the INSERT's column list stands (1-based
// offset), or the statement's start when it cannot be found.
func (s *Insert) ColumnPos(i int) int {
	base := s.q.pos.orig(0)
	toks, err := lex(s.q.Text)
	if err != nil {
		return s.Pos(s.Node)
	}
	for j, t := range toks {
		if !t.is("(") {
			continue
		}
		// The first parenthesis after INTO name opens the column list.
		for k := j + 1; k < len(toks); k += 2 {
			if k-(j+1) == 2*i {
				return base + toks[k].pos
			}
			if k+1 >= len(toks) || !toks[k+1].is(",") {
				break
			}
		}
		break
	}
	return s.Pos(s.Node)
}

// SelectQuery is the query of an INSERT ... SELECT, positioned in the
// statement's text; nil for INSERT ... VALUES.
func (s *Insert) SelectQuery() *Query {
	sel, ok := s.Node.Select.(ast.StmtNode)
	if !ok {
		return nil
	}
	return &Query{Node: sel, Text: s.q.Text, pos: s.q.pos}
}

// Select is a query to answer now.
type Select struct{ Query *Query }

// Drop is DROP kind [IF EXISTS] name.
type Drop struct {
	Kind     RelKind
	Name     string
	IfExists bool
	Pos      int
}

// Show is SHOW of a catalog listing (Sources, Tables, ...) or of a setting.
type Show struct {
	// What is "sources", "tables", "materialized views", "views", "sinks",
	// or "" for a setting named by Name.
	What string
	Name string
}

// Describe is DESCRIBE name.
type Describe struct {
	Name string
	Pos  int
}

// Explain is EXPLAIN of another statement, or EXPLAIN ANALYZE of the
// materialized view Name (at Pos), whose Stmt is nil; Timing is false
// for TIMING OFF.
type Explain struct {
	Stmt    Stmt
	Analyze bool
	Timing  bool
	Name    string
	Pos     int
}

// Flush waits until every accepted row is reflected in every view.
type Flush struct{}

// Set is SET name = value.
type Set struct{ Name, Value string }

// Reset is RESET name, RESET ALL (Name "") or SET name TO DEFAULT: the
// setting goes back to its default.
type Reset struct{ Name string }

// Tx is BEGIN, COMMIT or ROLLBACK, accepted for clients that send them;
// streamsql statements are each atomic on their own.
type Tx struct{ Verb string }

// Subscribe is SUBSCRIBE [TO] relation [WITH (snapshot = true|false)]: the
// relation's rows, then every change to it, as they happen.
type Subscribe struct {
	Name string
	Pos  int
	// Snapshot asks for the current rows first (the default).
	Snapshot bool
}

// Copy is COPY (query) TO STDOUT, COPY table [(cols)] TO STDOUT or COPY
// table [(cols)] FROM STDIN, in text or CSV format.
type Copy struct {
	// Stmt is the query's SELECT or SUBSCRIBE; nil for a table, which
	// Table names (at TablePos) with its Columns (nil: all).
	Stmt     Stmt
	Table    string
	TablePos int
	Columns  []string
	// From is COPY FROM STDIN.
	From   bool
	Format CopyFormat
}

// CopyFormat is how COPY writes and reads rows: PostgreSQL's text format
// (tab-separated, \N for NULL, backslash escapes) or CSV.
type CopyFormat struct {
	CSV bool
	// Binary is PostgreSQL's binary format (what pgx's CopyFrom sends),
	// for COPY FROM only.
	Binary    bool
	Delimiter byte
	Null      string
	Header    bool
	// Quote and Escape are CSV's (both '"' by default).
	Quote, Escape byte
}

// Declare is DECLARE name CURSOR [WITH[OUT] HOLD] FOR query, where query is
// a SELECT or a SUBSCRIBE.
type Declare struct {
	Name string
	Pos  int
	Stmt Stmt
	// SQL is the statement's text.
	SQL string
}

// Fetch is FETCH [FORWARD] [count | ALL] [FROM | IN] cursor [WITH (timeout =
// 'interval')]. It waits until at least one row is available (or the
// timeout passes) and returns up to Count of them.
type Fetch struct {
	Cursor string
	Pos    int
	// Count is the most rows to return; -1 is ALL.
	Count int64
	// Timeout, when HasTimeout, bounds the wait in µs; 0 returns at once.
	Timeout    int64
	HasTimeout bool
}

// CloseCursor is CLOSE name or CLOSE ALL.
type CloseCursor struct {
	Name string // "" with All
	All  bool
	Pos  int
}

// Deallocate is DEALLOCATE [PREPARE] {name | ALL}: it drops the
// connection's prepared statements, which drivers make with the extended
// protocol's Parse (psycopg 3 sends DEALLOCATE ALL after a ROLLBACK).
type Deallocate struct {
	Name string // "" with All
	All  bool
	Pos  int
}

// CreateSink is CREATE SINK [IF NOT EXISTS] name FROM view WITH (...).
type CreateSink struct {
	Name        string
	IfNotExists bool
	From        string
	FromPos     int
	Options     []Option
	Pos         int
	// SQL is the statement as the user wrote it.
	SQL string
}

func (s *CreateSink) String() string {
	var b strings.Builder
	b.WriteString("CREATE SINK ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	fmt.Fprintf(&b, "%s FROM %s", s.Name, s.From)
	writeOptions(&b, s.Options)
	return b.String()
}

func (*CreateSink) stmt()     {}
func (*CreateRelation) stmt() {}
func (*CreateView) stmt()     {}
func (*Insert) stmt()         {}
func (*Select) stmt()         {}
func (*Drop) stmt()           {}
func (*Show) stmt()           {}
func (*Describe) stmt()       {}
func (*Explain) stmt()        {}
func (*Flush) stmt()          {}
func (*Set) stmt()            {}
func (*Reset) stmt()          {}
func (*Tx) stmt()             {}
func (*Subscribe) stmt()      {}
func (*Copy) stmt()           {}
func (*Declare) stmt()        {}
func (*Fetch) stmt()          {}
func (*CloseCursor) stmt()    {}
func (*Deallocate) stmt()     {}

func (s *Subscribe) String() string {
	if !s.Snapshot {
		return "SUBSCRIBE " + s.Name + " WITH (snapshot = false)"
	}
	return "SUBSCRIBE " + s.Name
}
func (s *Copy) String() string {
	what := s.Table
	if s.Columns != nil {
		what += " (" + strings.Join(s.Columns, ", ") + ")"
	}
	if s.Stmt != nil {
		what = "(" + s.Stmt.String() + ")"
	}
	dir, format := "TO STDOUT", "text"
	if s.From {
		dir = "FROM STDIN"
	}
	if s.Format.CSV {
		format = "csv"
	}
	return fmt.Sprintf("COPY %s %s (FORMAT %s, DELIMITER %q, NULL %q, HEADER %t)", what, dir, format, s.Format.Delimiter, s.Format.Null, s.Format.Header)
}
func (s *Declare) String() string { return "DECLARE " + s.Name + " CURSOR FOR " + s.Stmt.String() }
func (s *Fetch) String() string {
	n := "ALL"
	if s.Count >= 0 {
		n = strconv.FormatInt(s.Count, 10)
	}
	if s.HasTimeout {
		return fmt.Sprintf("FETCH %s %s WITH (timeout = '%d MICROSECOND')", n, s.Cursor, s.Timeout)
	}
	return "FETCH " + n + " " + s.Cursor
}
func (s *Deallocate) String() string {
	if s.All {
		return "DEALLOCATE ALL"
	}
	return "DEALLOCATE " + s.Name
}

func (s *CloseCursor) String() string {
	if s.All {
		return "CLOSE ALL"
	}
	return "CLOSE " + s.Name
}

func (s *CreateRelation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE %s", s.Kind)
	if s.IfNotExists {
		b.WriteString(" IF NOT EXISTS")
	}
	fmt.Fprintf(&b, " %s (", s.Name)
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		if c.ProcTime {
			fmt.Fprintf(&b, "%s AS PROCTIME()", c.Name)
			continue
		}
		fmt.Fprintf(&b, "%s %s", c.Name, c.Type)
		if c.NotNull {
			b.WriteString(" NOT NULL")
		}
		if c.Metadata != "" {
			fmt.Fprintf(&b, " METADATA FROM '%s'", c.Metadata)
		}
	}
	if s.Watermark != nil {
		fmt.Fprintf(&b, ", WATERMARK FOR %s AS %s", s.Watermark.Column, restore(s.Watermark.Expr.Node))
	}
	if len(s.PrimaryKey) > 0 {
		fmt.Fprintf(&b, ", PRIMARY KEY (%s)", strings.Join(s.PrimaryKey, ", "))
	}
	b.WriteString(")")
	writeOptions(&b, s.Options)
	return b.String()
}

func (s *CreateView) String() string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if s.Materialized {
		b.WriteString("MATERIALIZED ")
	}
	b.WriteString("VIEW ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(s.Name)
	writeOptions(&b, s.Options)
	if s.EmitOnClose {
		b.WriteString(" EMIT ON WINDOW CLOSE")
	}
	fmt.Fprintf(&b, " AS %s", restore(s.Query.Node))
	return b.String()
}

func writeOptions(b *strings.Builder, opts []Option) {
	if len(opts) == 0 {
		return
	}
	b.WriteString(" WITH (")
	for i, o := range opts {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%s = '%s'", o.Key, strings.ReplaceAll(o.Value, "'", "''"))
	}
	b.WriteString(")")
}

func (s *Insert) String() string { return restore(s.Node) }
func (s *Select) String() string { return restore(s.Query.Node) }
func (s *Drop) String() string {
	ie := ""
	if s.IfExists {
		ie = "IF EXISTS "
	}
	return fmt.Sprintf("DROP %s %s%s", s.Kind, ie, s.Name)
}
func (s *Show) String() string {
	if s.What == "" {
		return "SHOW " + s.Name
	}
	return "SHOW " + strings.ToUpper(s.What)
}
func (s *Describe) String() string { return "DESCRIBE " + s.Name }
func (s *Explain) String() string {
	if s.Analyze {
		return "EXPLAIN ANALYZE " + s.Name
	}
	return "EXPLAIN " + s.Stmt.String()
}
func (*Flush) String() string { return "FLUSH" }
func (s *Set) String() string { return fmt.Sprintf("SET %s = '%s'", s.Name, s.Value) }
func (s *Reset) String() string {
	if s.Name == "" {
		return "RESET ALL"
	}
	return "RESET " + s.Name
}
func (s *Tx) String() string { return s.Verb }

// FuncArg is one parameter of CREATE FUNCTION, or one argument type of
// DROP FUNCTION; Name is "" for a parameter known only as $n.
type FuncArg struct {
	Name string
	Type types.T
	Pos  int
}

// CreateFunction is CREATE [OR REPLACE] FUNCTION name(args) RETURNS type
// LANGUAGE SQL ... AS 'body' | RETURN expr: a SQL function, whose body is
// one expression over its arguments.
type CreateFunction struct {
	Name      string
	OrReplace bool
	Args      []FuncArg
	Returns   types.T
	// Volatility is PostgreSQL's provolatile: 'i' (IMMUTABLE), 's'
	// (STABLE) or 'v' (VOLATILE, the default).
	Volatility byte
	// Strict functions return NULL when any argument is NULL without
	// evaluating the body (STRICT, RETURNS NULL ON NULL INPUT).
	Strict bool
	Body   *Expr
	Pos    int
	// SQL is the statement as the user wrote it.
	SQL string
}

// DropFunction is DROP FUNCTION [IF EXISTS] name[(types)] [CASCADE |
// RESTRICT]; without the list (HasArgs false) it names the function's one
// overload.
type DropFunction struct {
	Name     string
	Pos      int
	IfExists bool
	HasArgs  bool
	Args     []FuncArg
	Cascade  bool
}

func (*CreateFunction) stmt() {}
func (*DropFunction) stmt()   {}

func (s *CreateFunction) String() string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if s.OrReplace {
		b.WriteString("OR REPLACE ")
	}
	fmt.Fprintf(&b, "FUNCTION %s(%s) RETURNS %s LANGUAGE SQL", s.Name, funcArgs(s.Args), s.Returns)
	if v := map[byte]string{'i': " IMMUTABLE", 's': " STABLE"}[s.Volatility]; v != "" {
		b.WriteString(v)
	}
	if s.Strict {
		b.WriteString(" STRICT")
	}
	fmt.Fprintf(&b, " RETURN %s", restore(s.Body.Node))
	return b.String()
}

func (s *DropFunction) String() string {
	var b strings.Builder
	b.WriteString("DROP FUNCTION ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	b.WriteString(s.Name)
	if s.HasArgs {
		fmt.Fprintf(&b, "(%s)", funcArgs(s.Args))
	}
	if s.Cascade {
		b.WriteString(" CASCADE")
	}
	return b.String()
}

func funcArgs(args []FuncArg) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.TrimSpace(a.Name + " " + a.Type.String())
	}
	return strings.Join(out, ", ")
}
