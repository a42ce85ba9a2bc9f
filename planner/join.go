package planner

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// JoinKind is the kind of a join: which sides keep their unmatched rows,
// padded with NULLs.
type JoinKind uint8

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
)

func (k JoinKind) String() string { return [...]string{"INNER", "LEFT", "RIGHT", "FULL"}[k] }

// KeepsLeft reports whether a left row with no match is output, padded.
func (k JoinKind) KeepsLeft() bool { return k == LeftJoin || k == FullJoin }

// KeepsRight reports whether a right row with no match is output, padded.
func (k JoinKind) KeepsRight() bool { return k == RightJoin || k == FullJoin }

// Join is a regular join of two changelogs. Its output rows are Left's
// columns, then Right's. A left and a right row match when every
// LeftKeys[i] equals RightKeys[i] (a NULL key matches nothing) and Cond,
// over the joined row, is true. Each side's rows are kept by their key in
// the operator's state, so that a change on one side joins with the other
// side's current rows and a retraction retracts exactly what its row
// produced.
type Join struct {
	Kind        JoinKind
	Left, Right Node
	// LeftKeys are over Left's columns, RightKeys over Right's; pairs
	// have one type.
	LeftKeys, RightKeys []Expr
	// Cond is the rest of the join condition, or nil.
	Cond Expr
	// Interval, when set, makes this an interval join: see JoinInterval.
	Interval *JoinInterval
	// Lookup makes this a lookup join (FOR SYSTEM_TIME AS OF): Right is
	// a table read by its primary key as each left row arrives, and
	// LookupKeys, over Left's columns, are that key's values in PRIMARY
	// KEY order. The table's later changes change nothing already
	// joined, and the join keeps no state.
	Lookup     bool
	LookupKeys []Expr
	// LeftStored and RightStored say which columns of each side's rows the
	// join keeps (nil: all); the others are read by nothing above it.
	LeftStored, RightStored []bool
	// conds are the conditions while the FROM clause is being planned;
	// finishJoins turns them into keys, pushed-down filters and Cond.
	conds []Expr
}

var _ Node = (*Join)(nil)

// JoinInterval bounds the event times of an interval join's matches: a
// left row at time l matches right rows at times r with Lo <= r - l <= Hi
// (µs), where l and r are the inputs' event-time columns, both inputs
// append-only. The bounds come from the join's conditions (which keep
// them), as in Flink: r BETWEEN l - INTERVAL '10' MINUTE AND l, pairs of
// < <= > >=, or an equality of the two times (a window join's window_end).
// A left row can match no right row once the right side's watermark has
// passed l + Hi, nor a right row a left one once the left's has passed
// r - Lo: the rows are then dropped, so the state holds about the rate
// times the interval, and an outer join pads a row that leaves unmatched.
// The output is append-only, with the left time as its event time.
type JoinInterval struct {
	LeftTime, RightTime int
	Lo, Hi              int64
}

func (n *Join) Inputs() []Node { return []Node{n.Left, n.Right} }

// EventTime is -1: a regular join pairs a new row with old ones, so its
// output's times are not ordered by any watermark (as in Flink).
func (n *Join) EventTime() int {
	switch {
	case n.Interval != nil:
		return n.Interval.LeftTime
	case n.Lookup:
		return n.Left.EventTime()
	}
	return -1
}

// AppendOnly: an inner join of append-only inputs never retracts; an
// outer join retracts its padded rows when a match arrives.
func (n *Join) AppendOnly() bool {
	if n.Lookup {
		return n.Left.AppendOnly()
	}
	return n.Interval != nil || n.Kind == InnerJoin && n.Left.AppendOnly() && n.Right.AppendOnly()
}

func (n *Join) Columns() []catalog.Column {
	l, r := n.Left.Columns(), n.Right.Columns()
	cols := make([]catalog.Column, 0, len(l)+len(r))
	cols = append(cols, l...)
	cols = append(cols, r...)
	for i := range cols {
		if i < len(l) && n.Kind.KeepsRight() || i >= len(l) && n.Kind.KeepsLeft() {
			cols[i].NotNull = false
		}
	}
	return cols
}

func (n *Join) String() string {
	var b strings.Builder
	b.WriteString("Join ")
	switch {
	case n.Interval != nil:
		b.WriteString("INTERVAL ")
	case n.Lookup:
		b.WriteString("LOOKUP ")
	}
	b.WriteString(n.Kind.String())
	if len(n.LeftKeys) > 0 {
		keys := make([]string, len(n.LeftKeys))
		for i := range n.LeftKeys {
			keys[i] = n.LeftKeys[i].String() + " = " + n.RightKeys[i].String()
		}
		fmt.Fprintf(&b, " keys=[%s]", strings.Join(keys, ", "))
	} else {
		b.WriteString(" keys=[]")
	}
	if n.Cond != nil {
		fmt.Fprintf(&b, " cond=%s", n.Cond)
	}
	if n.Lookup {
		b.WriteString(" state=[none: each left row reads the right table's current row by its primary key]")
	} else if iv := n.Interval; iv != nil {
		lc, rc := n.Left.Columns()[iv.LeftTime].Name, n.Right.Columns()[iv.RightTime].Name
		fmt.Fprintf(&b, " between=[right %s - left %s in %s .. %s]", rc, lc, ival(iv.Lo), ival(iv.Hi))
		fmt.Fprintf(&b, " state=[left rows (%s) and right rows (%s) by key and time, dropped as the other side's watermark passes them]",
			storedNames(n.Left.Columns(), n.LeftStored), storedNames(n.Right.Columns(), n.RightStored))
	} else {
		fmt.Fprintf(&b, " state=[left rows (%s) by key, right rows (%s) by key]",
			storedNames(n.Left.Columns(), n.LeftStored), storedNames(n.Right.Columns(), n.RightStored))
	}
	if n.AppendOnly() {
		b.WriteString(" append-only")
	} else {
		b.WriteString(" retracting")
	}
	return b.String()
}

// storedNames lists the columns a join keeps of one side's rows.
func storedNames(cols []catalog.Column, keep []bool) string {
	var names []string
	for i, c := range cols {
		if keep == nil || keep[i] {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

// scopeCol says how a column of a FROM clause is named: qual is the name
// or alias of the relation it comes from ("" for a column a USING merged);
// a hidden column (a join input's column that USING merged) answers only
// to its qualified name and stays out of *.
type scopeCol struct {
	qual   string
	hidden bool
	// outer marks a column of an outer query (or of the items before a
	// LATERAL subquery): a name resolves to one only when no other
	// column has it, and * leaves it out.
	outer bool
}

// qualified gives every column of a relation named alias one qualifier.
func qualified(n Node, alias string) []scopeCol {
	s := make([]scopeCol, len(n.Columns()))
	for i := range s {
		s[i].qual = alias
	}
	return s
}

// fromItem plans one item of FROM: a relation, a subquery or a join.
func (p *Planner) fromItem(q *parser.Query, rs ast.ResultSetNode, mode Mode, eowc bool) (Node, []scopeCol, error) {
	switch x := rs.(type) {
	case *ast.Join:
		if x.Right == nil {
			return p.fromItem(q, x.Left, mode, eowc)
		}
		return p.join(q, x, mode, eowc)
	case *ast.TableSource:
		if l := p.lateralLeft; l != nil && x == l.marker {
			return l.node, l.scope, nil
		}
		n, alias, err := p.tableSource(q, x, mode, eowc)
		if err != nil {
			return nil, nil, err
		}
		return n, qualified(n, alias), nil
	}
	return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(rs), "this FROM item is not supported yet")
}

// join plans l JOIN r: the kind, then ON or USING (NATURAL is a USING of
// the names both sides have).
func (p *Planner) join(q *parser.Query, j *ast.Join, mode Mode, eowc bool) (Node, []scopeCol, error) {
	l, ls, err := p.fromItem(q, j.Left, mode, eowc)
	if err != nil {
		return nil, nil, err
	}
	if n, scope, ok, err := p.lateralFunction(q, j, l, ls); ok {
		return n, scope, err
	}
	if n, scope, ok, err := p.lateralSubquery(q, j, l, ls, mode, eowc); ok {
		return n, scope, err
	}
	r, rs, err := p.fromItem(q, j.Right, mode, eowc)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]bool{}
	for _, a := range ls {
		if !a.outer {
			names[a.qual] = true
		}
	}
	for _, b := range rs {
		if b.qual != "" && names[b.qual] {
			return nil, nil, sqlerr.At(sqlerr.DuplicateAlias, q.Pos(j.Right), "table name %q specified more than once", b.qual)
		}
	}
	jn := &Join{Left: l, Right: r}
	if ts, ok := j.Right.(*ast.TableSource); ok {
		if tn, ok := ts.Source.(*ast.TableName); ok && tn.AsOf != nil {
			if err := p.lookupSide(q, j, tn, jn, ls, mode); err != nil {
				return nil, nil, err
			}
		}
	}
	switch {
	case j.StraightJoin:
		jn.Kind = FullJoin // the front end's spelling of FULL JOIN
	case j.Tp == ast.LeftJoin:
		jn.Kind = LeftJoin
	case j.Tp == ast.RightJoin:
		jn.Kind = RightJoin
	}
	scope := append(slices.Clone(ls), rs...)
	b := &binder{q: q, cols: jn.Columns(), scope: scope, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	if j.On != nil {
		w := *b
		w.noAggs = "JOIN conditions"
		for _, c := range conjuncts(j.On.Expr) {
			pred, err := w.expr(c)
			if err != nil {
				return nil, nil, err
			}
			if pred.Type().Kind != types.Bool && pred.Type().Kind != types.Null {
				return nil, nil, sqlerr.At(sqlerr.DatatypeMismatch, q.Pos(c), "argument of JOIN/ON must be type boolean, not type %s", pred.Type())
			}
			if pred, err = w.coerce(pred, types.Boolean, c); err != nil {
				return nil, nil, err
			}
			jn.conds = append(jn.conds, pred)
		}
	}
	using := j.Using
	if j.NaturalJoin {
		lc, rc := l.Columns(), r.Columns()
		for i, c := range lc {
			if ls[i].hidden {
				continue
			}
			for k, d := range rc {
				if !rs[k].hidden && d.Name == c.Name {
					using = append(using, &ast.ColumnName{Name: ast.NewCIStr(c.Name)})
					break
				}
			}
		}
	}
	if len(using) == 0 {
		return jn, scope, nil
	}
	return p.joinUsing(q, j, jn, b, using)
}

// lookupSide checks t FOR SYSTEM_TIME AS OF x, the right side of j: x
// must be a processing-time attribute of the left side and t a table
// with a primary key. Ad hoc, it is a plain join of the current rows.
func (p *Planner) lookupSide(q *parser.Query, j *ast.Join, tn *ast.TableName, jn *Join, ls []scopeCol, mode Mode) error {
	lb := &binder{q: q, cols: jn.Left.Columns(), scope: ls, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	x, err := lb.expr(tn.AsOf.TsExpr)
	if err != nil {
		return err
	}
	if c, ok := x.(*ColRef); !ok || !lb.cols[c.Idx].ProcTime {
		return sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(tn.AsOf.TsExpr),
			"FOR SYSTEM_TIME AS OF needs a processing-time attribute of the stream (a column AS PROCTIME()); joins with a table's version as of event time are not supported")
	}
	scan, ok := jn.Right.(*Scan)
	if !ok || scan.Rel.Kind != parser.KindTable || len(scan.Rel.PrimaryKey) == 0 {
		return sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(j.Right),
			"FOR SYSTEM_TIME AS OF reads a table by its PRIMARY KEY: %q is not a table with one", tn.Name.O)
	}
	if j.Tp == ast.RightJoin || j.StraightJoin {
		return sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(j.Right), "a lookup join keeps the stream's rows: use JOIN or LEFT JOIN")
	}
	jn.Lookup = mode == Streaming
	return nil
}

// finishLookup orders a lookup join's keys by the table's primary key;
// equalities on other columns join the residual condition.
func finishLookup(q *parser.Query, y *Join, at ast.Node) error {
	rel := y.Right.(*Scan).Rel
	nl := len(y.Left.Columns())
	y.LookupKeys = make([]Expr, len(rel.PrimaryKey))
	for i := range y.LeftKeys {
		col := -1
		switch r := y.RightKeys[i].(type) {
		case *ColRef:
			col = r.Idx
		case *Cast:
			if c, ok := r.X.(*ColRef); ok {
				col = c.Idx
			}
		}
		k := slices.Index(rel.PrimaryKey, col)
		if k < 0 || y.LookupKeys[k] != nil {
			y.Cond = and(y.Cond, &Call{Fn: FnEq, Args: []Expr{y.LeftKeys[i], shift(y.RightKeys[i], nl)}, T: types.Boolean})
			continue
		}
		// The key's value in the column's own type, as the table stores it.
		pkType := rel.Columns[col].Type
		lk := y.LeftKeys[i]
		if lt := lk.Type(); lt.Kind != pkType.Kind || lt.Kind == types.Decimal && lt.Scale != pkType.Scale {
			lk = &Cast{X: lk, T: pkType} // (integers and strings encode alike whatever their width)
		}
		y.LookupKeys[k] = lk
	}
	for k, e := range y.LookupKeys {
		if e == nil {
			return sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(at),
				"a lookup join reads %q by its PRIMARY KEY: the ON condition needs an equality on %s", rel.Name, rel.Columns[rel.PrimaryKey[k]].Name)
		}
	}
	return nil
}

// joinUsing adds the conditions of USING (names) to jn and projects the
// merged columns first, as PostgreSQL lists them: a merged column is the
// left one (the right one in a RIGHT JOIN, the first non-NULL in a FULL
// JOIN); the inputs' own columns stay reachable by qualified name.
func (p *Planner) joinUsing(q *parser.Query, j *ast.Join, jn *Join, b *binder, names []*ast.ColumnName) (Node, []scopeCol, error) {
	cols := jn.Columns()
	nl := len(jn.Left.Columns())
	find := func(name string, lo, hi int, side string) (int, error) {
		at := -1
		for i := lo; i < hi; i++ {
			if b.scope[i].hidden || cols[i].Name != name {
				continue
			}
			if at >= 0 {
				return 0, sqlerr.At(sqlerr.AmbiguousColumn, q.Pos(j), "common column name %q appears more than once in %s table", name, side)
			}
			at = i
		}
		if at < 0 {
			return 0, sqlerr.At(sqlerr.UndefinedColumn, q.Pos(j), "column %q specified in USING clause does not exist in %s table", name, side)
		}
		return at, nil
	}
	proj := &Project{Input: jn, Time: -1}
	var scope []scopeCol
	merged := map[int]bool{}
	for _, n := range names {
		li, err := find(n.Name.O, 0, nl, "left")
		if err != nil {
			return nil, nil, err
		}
		ri, err := find(n.Name.O, nl, len(cols), "right")
		if err != nil {
			return nil, nil, err
		}
		lref := &ColRef{Idx: li, Name: b.refName(li), T: cols[li].Type}
		rref := &ColRef{Idx: ri, Name: b.refName(ri), T: cols[ri].Type}
		t, err := b.commonType([]Expr{lref, rref}, []ast.Node{j, j}, j)
		if err != nil {
			return nil, nil, sqlerr.At(sqlerr.UndefinedFunction, q.Pos(j), "JOIN/USING types %s and %s cannot be matched", lref.T, rref.T)
		}
		lx, err := b.coerce(lref, t, j)
		if err != nil {
			return nil, nil, err
		}
		rx, err := b.coerce(rref, t, j)
		if err != nil {
			return nil, nil, err
		}
		jn.conds = append(jn.conds, &Call{Fn: FnEq, Args: []Expr{lx, rx}, T: types.Boolean})
		var e Expr
		switch jn.Kind {
		case RightJoin:
			e = rx
		case FullJoin:
			e = &Call{Fn: FnCoalesce, Args: []Expr{lx, rx}, T: t}
		default:
			e = lx
		}
		proj.Exprs = append(proj.Exprs, e)
		proj.Names = append(proj.Names, n.Name.O)
		scope = append(scope, scopeCol{})
		merged[li], merged[ri] = true, true
	}
	for i, c := range cols {
		proj.Exprs = append(proj.Exprs, &ColRef{Idx: i, Name: b.refName(i), T: c.Type})
		proj.Names = append(proj.Names, c.Name)
		s := b.scope[i]
		s.hidden = s.hidden || merged[i]
		scope = append(scope, s)
	}
	return proj, scope, nil
}

// refName is the name a reference to column i shows: qualified in a
// join's scope, where two inputs may have columns of one name.
func (b *binder) refName(i int) string {
	if b.scope != nil && b.scope[i].qual != "" {
		return b.scope[i].qual + "." + b.cols[i].Name
	}
	return b.cols[i].Name
}

// hasJoin reports whether the plan has a Join node.
func hasJoin(n Node) bool {
	if _, ok := n.(*Join); ok {
		return true
	}
	for _, in := range n.Inputs() {
		if hasJoin(in) {
			return true
		}
	}
	return false
}

// pushFilter filters n by pred, as deep below n's joins and projections
// as the filter means the same: into an inner join's side that pred
// reads alone, into the preserved side of an outer join, and otherwise
// into an inner join's conditions. It copies what it changes, since a
// (non-materialized) view's plan is shared.
func pushFilter(n Node, pred Expr) Node {
	switch x := n.(type) {
	case *Join:
		nl := len(x.Left.Columns())
		l, r := sides(pred, nl)
		y := *x
		switch {
		case !r && (x.Kind == InnerJoin || x.Kind == LeftJoin):
			y.Left = pushFilter(x.Left, pred)
		case !l && (x.Kind == InnerJoin || x.Kind == RightJoin) && !x.Lookup:
			y.Right = pushFilter(x.Right, shift(pred, -nl))
		case x.Kind == InnerJoin:
			y.conds = append(slices.Clone(x.conds), pred)
		default:
			return &Filter{Input: n, Pred: pred}
		}
		return &y
	case *Project:
		y := *x
		y.Input = pushFilter(x.Input, substitute(pred, x.Exprs))
		return &y
	case *Filter:
		y := *x
		y.Input = pushFilter(x.Input, pred)
		return &y
	case *ProjectSet:
		// A condition on the input's columns alone filters the input.
		nin, reads := len(x.Input.Columns()), false
		walkExpr(pred, func(c *ColRef) { reads = reads || c.Idx >= nin })
		if !reads {
			y := *x
			y.Input = pushFilter(x.Input, pred)
			return &y
		}
	}
	return &Filter{Input: n, Pred: pred}
}

// finishJoins turns each join's conditions into its keys (an equality of
// an expression of each side), filters pushed into one side, and the
// residual Cond; then it checks what a stream can keep.
func finishJoins(q *parser.Query, n Node, mode Mode, at ast.Node) (Node, error) {
	switch x := n.(type) {
	case *Join:
		y := *x
		y.conds = nil
		y.LeftKeys, y.RightKeys = slices.Clone(x.LeftKeys), slices.Clone(x.RightKeys)
		nl := len(x.Left.Columns())
		for _, c := range x.conds {
			if lk, rk, ok := equiKey(c, nl); ok {
				y.LeftKeys, y.RightKeys = append(y.LeftKeys, lk), append(y.RightKeys, rk)
				continue
			}
			l, r := sides(c, nl)
			switch {
			case !r && (x.Kind == InnerJoin || x.Kind == RightJoin):
				// In ON, a condition on the side whose rows are not kept
				// unmatched filters that side.
				y.Left = pushFilter(y.Left, c)
			case !l && (x.Kind == InnerJoin || x.Kind == LeftJoin) && !x.Lookup:
				y.Right = pushFilter(y.Right, shift(c, -nl))
			default:
				y.Cond = and(y.Cond, c)
			}
		}
		var err error
		if y.Left, err = finishJoins(q, y.Left, mode, at); err != nil {
			return nil, err
		}
		if y.Right, err = finishJoins(q, y.Right, mode, at); err != nil {
			return nil, err
		}
		if y.Lookup {
			if err := finishLookup(q, &y, at); err != nil {
				return nil, err
			}
		} else if mode == Streaming {
			y.Interval = intervalOf(&y)
		}
		if mode == Streaming && len(y.LeftKeys) == 0 && y.Interval == nil && !y.Lookup && !bounded(y.Left) && !bounded(y.Right) {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(at),
				"a join with no equality condition between two unbounded streams (%s and %s) would keep every row of both and pair each new row with all of them: join on an equality of their columns, or join a table", describe(y.Left), describe(y.Right))
		}
		return &y, nil
	case *Filter:
		in, err := finishJoins(q, x.Input, mode, at)
		if err != nil || in == x.Input {
			return x, err
		}
		y := *x
		y.Input = in
		return &y, nil
	case *Project:
		in, err := finishJoins(q, x.Input, mode, at)
		if err != nil || in == x.Input {
			return x, err
		}
		return &Project{Input: in, Exprs: x.Exprs, Names: x.Names, Time: x.Time}, nil
	case *ProjectSet:
		in, err := finishJoins(q, x.Input, mode, at)
		if err != nil || in == x.Input {
			return x, err
		}
		y := *x
		y.Input = in
		return &y, nil
	}
	return n, nil
}

// equiKey splits c into a key pair when it is an equality of an
// expression of the left side and one of the right.
func equiKey(c Expr, nl int) (lk, rk Expr, ok bool) {
	call, isCall := c.(*Call)
	if !isCall || call.Fn != FnEq {
		return nil, nil, false
	}
	a, b := call.Args[0], call.Args[1]
	al, ar := sides(a, nl)
	bl, br := sides(b, nl)
	switch {
	case al && !ar && br && !bl:
		return a, shift(b, -nl), true
	case bl && !br && ar && !al:
		return b, shift(a, -nl), true
	}
	return nil, nil, false
}

func and(a, b Expr) Expr {
	if a == nil {
		return b
	}
	return &Call{Fn: FnAnd, Args: []Expr{a, b}, T: types.Boolean}
}

// bounded reports whether a streaming plan reads only tables (directly
// or through views), whose rows are finite; a source's are not.
func bounded(n Node) bool {
	if s, ok := n.(*Scan); ok {
		switch s.Rel.Kind {
		case parser.KindTable:
			return true
		case parser.KindMaterializedView:
			if q, ok := s.Rel.Query.(Node); ok {
				return bounded(q)
			}
		}
		return false
	}
	for _, in := range n.Inputs() {
		if !bounded(in) {
			return false
		}
	}
	return true
}

// describe names the relations a plan reads, for messages.
func describe(n Node) string {
	var names []string
	var walk func(Node)
	walk = func(n Node) {
		if s, ok := n.(*Scan); ok {
			names = append(names, s.Rel.Name)
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return strings.Join(names, ", ")
}

// sides reports whether e reads columns below nl (the left side's) and
// at or above it (the right side's).
func sides(e Expr, nl int) (left, right bool) {
	walkExpr(e, func(c *ColRef) {
		if c.Idx < nl {
			left = true
		} else {
			right = true
		}
	})
	return left, right
}

// walkExpr calls f on every column reference in e.
func walkExpr(e Expr, f func(*ColRef)) {
	switch x := e.(type) {
	case *ColRef:
		f(x)
	case *Call:
		for _, a := range x.Args {
			walkExpr(a, f)
		}
	case *Case:
		for _, w := range x.Whens {
			walkExpr(w.Cond, f)
			walkExpr(w.Then, f)
		}
		if x.Else != nil {
			walkExpr(x.Else, f)
		}
	case *Cast:
		walkExpr(x.X, f)
	}
}

// mapExpr rebuilds e with each column reference replaced by f's result;
// it shares what has no column reference.
func mapExpr(e Expr, f func(*ColRef) Expr) Expr {
	switch x := e.(type) {
	case *ColRef:
		return f(x)
	case *Call:
		y := *x
		y.Args = make([]Expr, len(x.Args))
		for i, a := range x.Args {
			y.Args[i] = mapExpr(a, f)
		}
		return &y
	case *Case:
		y := *x
		y.Whens = make([]When, len(x.Whens))
		for i, w := range x.Whens {
			y.Whens[i] = When{Cond: mapExpr(w.Cond, f), Then: mapExpr(w.Then, f)}
		}
		if x.Else != nil {
			y.Else = mapExpr(x.Else, f)
		}
		return &y
	case *Cast:
		y := *x
		y.X = mapExpr(x.X, f)
		return &y
	}
	return e
}

// shift moves e's column references by d, to read one side of a join.
func shift(e Expr, d int) Expr {
	return mapExpr(e, func(c *ColRef) Expr { y := *c; y.Idx += d; return &y })
}

// substitute rewrites e, over a projection's output, over its input.
func substitute(e Expr, exprs []Expr) Expr {
	return mapExpr(e, func(c *ColRef) Expr { return exprs[c.Idx] })
}

// splitAnd splits a bound condition at its top-level ANDs.
func splitAnd(e Expr) []Expr {
	if c, ok := e.(*Call); ok && c.Fn == FnAnd {
		return append(splitAnd(c.Args[0]), splitAnd(c.Args[1])...)
	}
	return []Expr{e}
}

// intervalOf finds the time bounds that make j an interval join, or nil:
// both inputs append-only with event times, and conditions that bound
// the right time minus the left one from both sides.
func intervalOf(j *Join) *JoinInterval {
	lt, rt := j.Left.EventTime(), j.Right.EventTime()
	if lt < 0 || rt < 0 || !j.Left.AppendOnly() || !j.Right.AppendOnly() {
		return nil
	}
	nl := len(j.Left.Columns())
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	for i := range j.LeftKeys {
		l, lok := timeOffset(j.LeftKeys[i])
		r, rok := timeOffset(j.RightKeys[i])
		if lok && rok && l.col == lt && r.col == rt {
			lo, hi = max(lo, l.off-r.off), min(hi, l.off-r.off)
		}
	}
	if j.Cond != nil {
		for _, c := range splitAnd(j.Cond) {
			call, ok := c.(*Call)
			if !ok || len(call.Args) != 2 {
				continue
			}
			x, xok := timeOffset(call.Args[0])
			y, yok := timeOffset(call.Args[1])
			if !xok || !yok {
				continue
			}
			// Normalize to (l + a) op (r + b), flipping op when x is the
			// right side's time.
			fn := call.Fn
			switch {
			case x.col == lt && y.col == nl+rt:
			case x.col == nl+rt && y.col == lt:
				x, y = y, x
				fn = map[Func]Func{FnLt: FnGt, FnLe: FnGe, FnGt: FnLt, FnGe: FnLe, FnEq: FnEq}[fn]
			default:
				continue
			}
			d := x.off - y.off // l + a op r + b  <=>  r - l (op flipped) a - b
			switch fn {
			case FnLe:
				lo = max(lo, d)
			case FnLt:
				lo = max(lo, d+1)
			case FnGe:
				hi = min(hi, d)
			case FnGt:
				hi = min(hi, d-1)
			case FnEq:
				lo, hi = max(lo, d), min(hi, d)
			}
		}
	}
	if lo == math.MinInt64 || hi == math.MaxInt64 {
		return nil
	}
	return &JoinInterval{LeftTime: lt, RightTime: rt, Lo: lo, Hi: hi}
}

// colOffset is a time column plus a constant interval.
type colOffset struct {
	col int
	off int64
}

// timeOffset matches ts, ts + INTERVAL c and ts - INTERVAL c (through
// casts between timestamp precisions).
func timeOffset(e Expr) (colOffset, bool) {
	switch x := e.(type) {
	case *ColRef:
		return colOffset{col: x.Idx}, x.T.Kind == types.Timestamp || x.T.Kind == types.TimestampTZ
	case *Cast:
		if k := x.T.Kind; (k == types.Timestamp || k == types.TimestampTZ) && x.X.Type().Kind == k {
			return timeOffset(x.X)
		}
	case *Call:
		if (x.Fn == FnAdd || x.Fn == FnSub) && len(x.Args) == 2 {
			c, ok := x.Args[1].(*Const)
			if !ok || c.Null || c.T.Kind != types.Interval {
				return colOffset{}, false
			}
			t, ok := timeOffset(x.Args[0])
			us, fixed := c.FixedLength()
			if !ok || !fixed {
				return colOffset{}, false
			}
			if x.Fn == FnAdd {
				t.off += us
			} else {
				t.off -= us
			}
			return t, true
		}
	}
	return colOffset{}, false
}

// storedColumns marks, in every join of the plan, the columns of each
// side that something above reads (need says which of n's output columns
// are read), so the join keeps only those of the rows it stores: an input
// row's other columns are NULL in its later joined rows, where nothing
// reads them. It only sets Join fields. A join can be reached by more
// than one path (a correlated subquery reads the distinct outer values of
// the same input the outer query joins it to), so what it stores is the
// union of what every path needs, not the last one's.
func storedColumns(n Node, need []bool) {
	cols := func(k int) []bool { return make([]bool, k) }
	mark := func(into []bool, e Expr) {
		if e != nil {
			walkExpr(e, func(c *ColRef) {
				if c.Idx < len(into) {
					into[c.Idx] = true
				}
			})
		}
	}
	switch x := n.(type) {
	case *Project:
		in := cols(len(x.Input.Columns()))
		for i, e := range x.Exprs {
			if i >= len(need) || need[i] {
				mark(in, e)
			}
		}
		if x.Time >= 0 && x.Time < len(x.Exprs) {
			mark(in, x.Exprs[x.Time])
		}
		storedColumns(x.Input, in)
	case *Filter:
		in := slices.Clone(need)
		mark(in, x.Pred)
		storedColumns(x.Input, in)
	case *ProjectSet:
		in := cols(len(x.Input.Columns()))
		copy(in, need)
		for _, c := range x.Calls {
			for _, a := range c.Args {
				mark(in, a)
			}
		}
		if t := x.Input.EventTime(); t >= 0 {
			in[t] = true
		}
		storedColumns(x.Input, in)
	case *TemporalFilter:
		in := slices.Clone(need)
		for _, e := range append(slices.Clone(x.From), x.Until...) {
			mark(in, e)
		}
		storedColumns(x.Input, in)
	case *Sort:
		in := slices.Clone(need)
		for _, k := range x.Keys {
			in[k.Col] = true
		}
		storedColumns(x.Input, in)
	case *Limit:
		storedColumns(x.Input, need)
	case *Windows:
		in := slices.Clone(need[:len(x.Input.Columns())])
		in[x.Window.Time] = true
		for _, c := range x.Partition {
			in[c] = true
		}
		storedColumns(x.Input, in)
	case *TopN:
		in := slices.Clone(need[:len(x.Input.Columns())])
		for _, c := range x.Partition {
			in[c] = true
		}
		for _, k := range x.Order {
			in[k.Col] = true
		}
		if x.WindowEnd >= 0 {
			in[x.WindowEnd] = true
		}
		storedColumns(x.Input, in)
	case *Aggregate:
		in := cols(len(x.Input.Columns()))
		if x.Window != nil {
			in[x.Window.Time] = true
		}
		for _, k := range x.Keys {
			mark(in, k)
		}
		for _, a := range x.Aggs {
			mark(in, a.Arg)
			for _, o := range a.Order {
				mark(in, o.X)
			}
			if a.Filter != nil {
				mark(in, a.Filter)
			}
		}
		if t := x.Input.EventTime(); t >= 0 {
			in[t] = true
		}
		storedColumns(x.Input, in)
	case *Join:
		nl := len(x.Left.Columns())
		all := cols(nl + len(x.Right.Columns()))
		copy(all, need)
		mark(all, x.Cond)
		if x.Interval != nil {
			all[x.Interval.LeftTime], all[nl+x.Interval.RightTime] = true, true
		}
		l, r := all[:nl], all[nl:]
		for i := range x.LeftKeys {
			mark(l, x.LeftKeys[i])
			mark(r, x.RightKeys[i])
		}
		for _, k := range x.LookupKeys {
			mark(l, k)
		}
		if t := x.Left.EventTime(); t >= 0 {
			l[t] = true
		}
		if t := x.Right.EventTime(); t >= 0 {
			r[t] = true
		}
		for i, keep := range x.LeftStored {
			if keep && i < len(l) {
				l[i] = true
			}
		}
		for i, keep := range x.RightStored {
			if keep && i < len(r) {
				r[i] = true
			}
		}
		x.LeftStored, x.RightStored = slices.Clone(l), slices.Clone(r)
		storedColumns(x.Left, l)
		storedColumns(x.Right, r)
	}
}
