package planner

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Relation plans CREATE TABLE / CREATE SOURCE into a catalog entry (its ID
// is assigned by the caller).
func (p *Planner) Relation(st *parser.CreateRelation) (*catalog.Relation, error) {
	rel := &catalog.Relation{Name: st.Name, Kind: st.Kind, EventTime: -1, Options: map[string]string{}}
	for _, c := range st.Columns {
		if rel.ColumnIndex(c.Name) >= 0 {
			return nil, sqlerr.At(sqlerr.DuplicateObject, c.Pos, "column %q specified more than once", c.Name)
		}
		if c.Metadata != "" && st.Kind == parser.KindTable {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.Pos, "METADATA FROM is for the columns of a source, not a table")
		}
		if c.ProcTime && st.Kind != parser.KindSource {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, c.Pos, "AS PROCTIME() is for the columns of a source, not a table")
		}
		rel.Columns = append(rel.Columns, catalog.Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull, Metadata: c.Metadata, ProcTime: c.ProcTime})
	}
	for _, o := range st.Options {
		known, err := timeOption(&rel.Time, o)
		if err != nil {
			return nil, err
		}
		if known {
			continue
		}
		if st.Kind == parser.KindTable {
			return nil, sqlerr.At(sqlerr.InvalidParameter, o.Pos,
				"unknown table option %q (a table takes only late_rows, max_future, future_rows, idle_timeout and idle_watermark; use CREATE SOURCE for a connector)", o.Key)
		}
		rel.Options[o.Key] = o.Value
	}
	for _, k := range st.PrimaryKey {
		i := rel.ColumnIndex(k)
		if i < 0 {
			return nil, sqlerr.At(sqlerr.UndefinedColumn, st.Pos, "column %q named in key does not exist", k)
		}
		rel.PrimaryKey = append(rel.PrimaryKey, i)
		rel.Columns[i].NotNull = true
	}
	if len(rel.PrimaryKey) > 0 && st.Kind == parser.KindSource {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Pos, "PRIMARY KEY on a source is not supported yet")
	}
	rel.AppendOnly = len(rel.PrimaryKey) == 0
	if wm := st.Watermark; wm != nil {
		idx, delay, err := watermark(wm, rel.Columns)
		if err != nil {
			return nil, err
		}
		rel.EventTime, rel.WatermarkDelay = idx, delay
	}
	if t := rel.Time; t.IdleAdvance && t.IdleTimeout == 0 {
		return nil, sqlerr.At(sqlerr.InvalidParameter, st.Pos, "idle_watermark = 'advance' needs idle_timeout: the watermark moves on only once every partition is idle")
	}
	if rel.Time.IdleTimeout > 0 && rel.EventTime < 0 {
		return nil, sqlerr.At(sqlerr.InvalidParameter, st.Pos, "idle_timeout needs a watermark: add WATERMARK FOR <column>")
	}
	return rel, nil
}

// watermark reads WATERMARK FOR col AS col [- INTERVAL ...]: the watermark
// trails the largest event time seen by a constant delay.
func watermark(wm *parser.Watermark, cols []catalog.Column) (int, int64, error) {
	idx := -1
	for i, c := range cols {
		if c.Name == wm.Column {
			idx = i
		}
	}
	if idx < 0 {
		return 0, 0, sqlerr.At(sqlerr.UndefinedColumn, wm.Pos, "column %q named in WATERMARK FOR does not exist", wm.Column)
	}
	if cols[idx].ProcTime {
		return 0, 0, sqlerr.At(sqlerr.FeatureNotSupported, wm.Pos, "column %q is processing time (AS PROCTIME()), which needs no watermark: its windows close as the clock passes their end", wm.Column)
	}
	if k := cols[idx].Type.Kind; k != types.Timestamp && k != types.TimestampTZ {
		return 0, 0, sqlerr.At(sqlerr.DatatypeMismatch, wm.Pos, "WATERMARK FOR column %q must be a TIMESTAMP, not %s", wm.Column, cols[idx].Type)
	}
	b := &binder{q: wm.Expr, cols: cols, noAggs: "WATERMARK FOR"}
	e, err := b.expr(wm.Expr.Node)
	if err != nil {
		return 0, 0, err
	}
	bad := sqlerr.At(sqlerr.FeatureNotSupported, wm.Expr.Pos(wm.Expr.Node),
		"a watermark must be %s or %s - INTERVAL '...' (got %s)", wm.Column, wm.Column, e)
	switch e := e.(type) {
	case *ColRef:
		if e.Idx != idx {
			return 0, 0, bad
		}
		return idx, 0, nil
	case *Call:
		col, ok := e.Args[0].(*ColRef)
		delay, ok2 := e.Args[1].(*Const)
		if !ok || !ok2 || col.Idx != idx || delay.T.Kind != types.Interval || e.Fn != FnSub && e.Fn != FnAdd {
			return 0, 0, bad
		}
		d, fixed := delay.FixedLength()
		if !fixed {
			return 0, 0, sqlerr.At(sqlerr.InvalidParameter, wm.Expr.Pos(wm.Expr.Node), "a watermark's delay must be a fixed length of time: %s has months", delay)
		}
		if e.Fn == FnAdd {
			d = -d
		}
		if d < 0 {
			return 0, 0, sqlerr.At(sqlerr.InvalidParameter, wm.Pos, "a watermark may not run ahead of event time")
		}
		return idx, d, nil
	}
	return 0, 0, bad
}

// MaxParallelism bounds a view's parallelism option: each replica of its
// aggregate takes a state namespace of the view's 255.
const MaxParallelism = 64

// View plans CREATE [MATERIALIZED] VIEW into a catalog entry whose Query
// is the plan.
func (p *Planner) View(st *parser.CreateView) (*catalog.Relation, error) {
	plan, err := p.Query(st.Query, Streaming, st.EmitOnClose)
	if err != nil {
		return nil, err
	}
	kind := parser.KindView
	if st.Materialized {
		kind = parser.KindMaterializedView
	}
	opts := map[string]string{}
	for _, o := range st.Options {
		if o.Key != "parallelism" || !st.Materialized {
			return nil, sqlerr.At(sqlerr.InvalidParameter, o.Pos, "unknown view option %q", o.Key)
		}
		n, err := strconv.Atoi(o.Value)
		if err != nil || n < 1 || n > MaxParallelism {
			return nil, sqlerr.At(sqlerr.InvalidParameter, o.Pos, "parallelism must be a whole number from 1 to %d, not %q", MaxParallelism, o.Value)
		}
		if n > 1 {
			if err := Shardable(plan); err != nil {
				return nil, sqlerr.At(sqlerr.FeatureNotSupported, o.Pos, "%v", err)
			}
		}
		opts[o.Key] = strconv.Itoa(n)
	}
	return &catalog.Relation{
		Name: st.Name, Kind: kind, Columns: plan.Columns(), EventTime: plan.EventTime(),
		AppendOnly: plan.AppendOnly(), Query: plan, EmitOnClose: st.EmitOnClose, Options: opts, Functions: p.usedFuncs(),
	}, nil
}

// Insert is a planned INSERT: constant rows in the table's column order.
type Insert struct {
	Rel  *catalog.Relation
	Rows [][]Expr
	// Query, for INSERT ... SELECT, gives the rows instead: an ad-hoc
	// query whose columns are the table's, in order.
	Query Node
}

// Insert plans INSERT INTO table [(cols)] VALUES (...), ...
func (p *Planner) Insert(st *parser.Insert) (*Insert, error) {
	n := st.Node
	tn, ok := n.Table.TableRefs.Left.(*ast.TableSource)
	var name *ast.TableName
	if ok {
		name, _ = tn.Source.(*ast.TableName)
	}
	if name == nil {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Pos(n), "INSERT needs a table name")
	}
	rel, ok := p.Cat.Relation(name.Name.O)
	if !ok {
		return nil, sqlerr.At(sqlerr.UndefinedTable, st.NamePos(name, name.Name.O), "relation %q does not exist", name.Name.O)
	}
	if rel.Kind != parser.KindTable {
		return nil, sqlerr.At(sqlerr.WrongObjectType, st.NamePos(name, name.Name.O), "cannot insert into %s %q: only tables take INSERT", rel.Kind.Noun(), rel.Name)
	}
	switch {
	case n.Setlist || len(n.OnDuplicate) > 0 || n.IsReplace:
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Pos(n), "only INSERT INTO ... VALUES is supported")
	}
	target := make([]int, 0, len(rel.Columns))
	if len(n.Columns) == 0 {
		for i := range rel.Columns {
			target = append(target, i)
		}
	}
	for _, c := range n.Columns {
		i := rel.ColumnIndex(c.Name.O)
		if i < 0 {
			return nil, sqlerr.At(sqlerr.UndefinedColumn, st.Pos(n), "column %q of relation %q does not exist", c.Name.O, rel.Name)
		}
		target = append(target, i)
	}
	if q := st.SelectQuery(); q != nil {
		return p.insertSelect(st, q, rel, target, len(n.Columns) == 0)
	}
	b := &binder{q: st, noAggs: "VALUES", params: p.Params, fns: p.funcs(), clock: p.clockFor(AdHoc), zone: p.Zone}
	out := &Insert{Rel: rel}
	for _, row := range n.Lists {
		target := target
		if len(n.Columns) == 0 && len(row) < len(target) {
			target = target[:len(row)] // the first columns, the rest NULL, as PostgreSQL
		}
		switch {
		case len(row) > len(target):
			return nil, sqlerr.At(sqlerr.Syntax, st.Pos(row[len(target)]), "INSERT has more expressions than target columns")
		case len(row) < len(target):
			return nil, sqlerr.At(sqlerr.Syntax, st.ColumnPos(len(row)), "INSERT has more target columns than expressions")
		}
		vals := make([]Expr, len(rel.Columns))
		for i, x := range row {
			e, err := b.expr(x)
			if err != nil {
				return nil, err
			}
			col := rel.Columns[target[i]]
			ce, err := b.coerce(e, col.Type, x)
			if err != nil {
				// A computed value, or a number of another numeric type,
				// converts as an assignment cast would: a BIGINT past an
				// INT column's range is out of range (22003).
				if _, isConst := e.(*Const); isConst && !(e.Type().Numeric() && col.Type.Numeric()) && !(e.Type().Temporal() && col.Type.Temporal()) {
					return nil, err
				}
				if ce, err = b.cast(e, col.Type, x); err != nil {
					return nil, err
				}
			}
			vals[target[i]] = ce
		}
		for i, c := range rel.Columns {
			if vals[i] == nil {
				vals[i] = &Const{T: c.Type, Null: true}
			}
			if k, ok := vals[i].(*Const); ok && k.Null && c.NotNull {
				return nil, sqlerr.At(sqlerr.NotNullViolation, st.Pos(n), "null value in column %q of relation %q violates not-null constraint", c.Name, rel.Name)
			}
		}
		out.Rows = append(out.Rows, vals)
	}
	return out, nil
}

// insertSelect plans INSERT INTO rel [(cols)] SELECT ...: the query, ad
// hoc, under a projection to the table's columns, each value converted as
// PostgreSQL's assignment casts convert (a number to another numeric type,
// in range; a time to another time type; anything to text), the columns
// not named NULL.
func (p *Planner) insertSelect(st *parser.Insert, q *parser.Query, rel *catalog.Relation, target []int, all bool) (*Insert, error) {
	in, err := p.Query(q, AdHoc, false)
	if err != nil {
		return nil, err
	}
	if n := len(in.Columns()); all && n < len(target) {
		target = target[:n] // without a column list, the first columns, the rest NULL
	}
	at := st.Node.Select.(ast.Node)
	// pos is where the query's i-th expression stands, as PostgreSQL
	// points at it; the query's start for a set operation.
	pos := func(i int) int {
		if sel, ok := at.(*ast.SelectStmt); ok && sel.Fields != nil && i < len(sel.Fields.Fields) && sel.Fields.Fields[i].Expr != nil {
			return st.Pos(sel.Fields.Fields[i].Expr)
		}
		return st.Pos(at)
	}
	cols := in.Columns()
	if len(cols) != len(target) {
		if len(cols) > len(target) {
			return nil, sqlerr.At(sqlerr.Syntax, pos(len(target)), "INSERT has more expressions than target columns")
		}
		// At the first column without a value, as PostgreSQL points.
		return nil, sqlerr.At(sqlerr.Syntax, st.ColumnPos(len(cols)), "INSERT has more target columns than expressions")
	}
	b := &binder{q: st, params: p.Params, fns: p.funcs(), zone: p.Zone}
	proj := &Project{Input: in, Exprs: make([]Expr, len(rel.Columns)), Names: make([]string, len(rel.Columns)), Time: -1}
	for i, c := range rel.Columns {
		proj.Names[i] = c.Name
		proj.Exprs[i] = &Const{T: c.Type, Null: true}
	}
	for i, t := range target {
		col := rel.Columns[t]
		var x Expr = &ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type}
		ce, err := b.coerce(x, col.Type, at)
		if err != nil {
			xt := x.Type()
			if !(xt.Numeric() && col.Type.Numeric() || xt.Temporal() && col.Type.Temporal() || col.Type.Kind == types.String || xt.Kind == types.Null) {
				e := sqlerr.At(sqlerr.DatatypeMismatch, pos(i), "column %q is of type %s but expression is of type %s", col.Name, pgTypeName(col.Type), pgTypeName(xt))
				e.Hint = "You will need to rewrite or cast the expression."
				return nil, e
			}
			if ce, err = b.cast(x, col.Type, at); err != nil {
				return nil, err
			}
		}
		proj.Exprs[t] = ce
	}
	return &Insert{Rel: rel, Query: proj}, nil
}

// timeOption reads one of the event-time options tables and sources share,
// reporting whether o is one.
func timeOption(t *catalog.TimeOptions, o parser.Option) (bool, error) {
	bad := func(want string) error {
		return sqlerr.At(sqlerr.InvalidParameter, o.Pos, "invalid value for option %s: %q (want %s)", o.Key, o.Value, want)
	}
	switch o.Key {
	case "late_rows":
		switch strings.ToLower(o.Value) {
		case "drop":
			t.KeepLate = false
		case "keep":
			t.KeepLate = true
		default:
			return true, bad("'drop' or 'keep'")
		}
	case "max_future":
		us, err := parser.ParseDuration(o.Value)
		if err != nil || us <= 0 {
			return true, bad("a positive interval such as '1 hour'")
		}
		t.MaxFuture = us
	case "idle_timeout":
		us, err := parser.ParseDuration(o.Value)
		if err != nil || us <= 0 {
			return true, bad("a positive interval such as '5 seconds'")
		}
		t.IdleTimeout = us
	case "idle_watermark":
		switch strings.ToLower(o.Value) {
		case "hold":
			t.IdleAdvance = false
		case "advance":
			t.IdleAdvance = true
		default:
			return true, bad("'hold' or 'advance'")
		}
	case "future_rows":
		switch strings.ToLower(o.Value) {
		case "drop":
			t.FutureClamp = false
		case "clamp":
			t.FutureClamp = true
		default:
			return true, bad("'drop' or 'clamp'")
		}
	default:
		return false, nil
	}
	return true, nil
}
