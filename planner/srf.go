package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// SRF is a set-returning function: a call gives each input row zero or
// more rows of Cols. Its generator is exec's, registered under Name.
type SRF struct {
	Name string
	// Sigs type the arguments as a builtin's do (Ret is the one column's
	// type, unless Cols says otherwise).
	Sigs []Sig
	// Out names the columns of a function with OUT parameters (jsonb_each's
	// key and value), which keep their names under a FROM alias; nil for
	// one column named by the function (or the alias).
	Out []string
	// OutTypes are Out's types (nil: each is Ret).
	OutTypes []types.T
	// NonStrict functions see NULL arguments; the others give no rows
	// when any argument is NULL.
	NonStrict bool
}

var srfs = map[string]*SRF{}

// RegisterSRF declares a set-returning function; families call it from init.
func RegisterSRF(f *SRF) {
	if _, dup := srfs[f.Name]; dup || !parser.SetReturning[f.Name] {
		panic("planner: set-returning function " + f.Name + " declared twice or unknown to the parser")
	}
	srfs[f.Name] = f
}

// SRFs lists the declared set-returning functions, for exec to check
// that each has a generator.
func SRFs() []*SRF {
	out := make([]*SRF, 0, len(srfs))
	for _, f := range srfs {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *SRF) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SRFCall is one bound call of a set-returning function.
type SRFCall struct {
	F    *SRF
	Args []Expr
	// Cols are the columns it outputs.
	Cols []catalog.Column
}

func (c SRFCall) String() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return c.F.Name + "(" + strings.Join(parts, ", ") + ")"
}

// ProjectSet is PostgreSQL's ProjectSet and its FunctionScan under a
// lateral join: each input row is output once per row of its calls,
// which run side by side (zipped: as many rows as the longest gives, the
// others padded with NULLs), followed by the calls' columns and, with
// Ordinality, the row's number. It keeps nothing: a retracted input row
// retracts exactly the rows its insertion added, since the calls are
// deterministic.
type ProjectSet struct {
	Input Node
	Calls []SRFCall
	// Ordinality adds a BIGINT column numbering each input row's rows
	// from 1 (WITH ORDINALITY).
	Ordinality bool
	// Outer outputs an input row whose calls give no rows once, with
	// NULLs (LEFT JOIN LATERAL ... ON true).
	Outer bool
}

var _ Node = (*ProjectSet)(nil)

func (n *ProjectSet) Columns() []catalog.Column {
	cols := slices.Clone(n.Input.Columns())
	for _, c := range n.Calls {
		cols = append(cols, c.Cols...)
	}
	if n.Ordinality {
		cols = append(cols, catalog.Column{Name: "ordinality", Type: types.BigInt})
	}
	return cols
}

func (n *ProjectSet) Inputs() []Node   { return []Node{n.Input} }
func (n *ProjectSet) EventTime() int   { return n.Input.EventTime() }
func (n *ProjectSet) AppendOnly() bool { return n.Input.AppendOnly() }
func (n *ProjectSet) String() string {
	parts := make([]string, len(n.Calls))
	for i, c := range n.Calls {
		parts[i] = c.String()
	}
	s := "ProjectSet " + strings.Join(parts, ", ")
	if n.Ordinality {
		s += " WITH ORDINALITY"
	}
	if n.Outer {
		s += " outer"
	}
	return s
}

// Width is the number of columns the calls add (ordinality included).
func (n *ProjectSet) Width() int {
	w := 0
	for _, c := range n.Calls {
		w += len(c.Cols)
	}
	if n.Ordinality {
		w++
	}
	return w
}

// bindSRF binds a call of a set-returning function; ok is false for any
// other name. fromItem says the call is a FROM item, where unnest takes
// several arrays (unnest(a, b) is ROWS FROM (unnest(a), unnest(b))).
func (b *binder) bindSRF(n *ast.FuncCallExpr, fromItem bool) ([]SRFCall, bool, error) {
	name := n.FnName.L
	if n.Schema.L != "" && n.Schema.L != PgCatalog {
		return nil, false, nil
	}
	f := srfs[name]
	if f == nil {
		return nil, false, nil
	}
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, true, err
	}
	if name == "unnest" {
		if len(xs) == 0 || len(xs) > 1 && !fromItem {
			ts := make([]string, len(xs))
			for i, x := range xs {
				ts[i] = pgTypeName(x.Type())
			}
			return nil, true, b.errAt(sqlerr.UndefinedFunction, n, "function unnest(%s) does not exist", strings.Join(ts, ", "))
		}
		var calls []SRFCall
		for i, x := range xs {
			if c, ok := x.(*Const); ok && untyped(x) && c.Param == 0 {
				// A literal could be any array type, as in PostgreSQL.
				return nil, true, b.errAt(sqlerr.AmbiguousFunction, n, "function unnest(unknown) is not unique")
			}
			if x, err = b.arrayArg(x, types.Unknown, n.Args[i]); err != nil {
				return nil, true, err
			}
			et := x.Type().ElemType()
			calls = append(calls, SRFCall{F: f, Args: []Expr{x}, Cols: []catalog.Column{{Name: "unnest", Type: et}}})
		}
		return calls, true, nil
	}
	if name == "generate_subscripts" {
		return b.generateSubscripts(f, xs, n)
	}
	fn := &Builtin{Name: f.Name, Sigs: f.Sigs, NonStrict: f.NonStrict}
	e, err := b.bindBuiltin(fn, xs, n)
	if err != nil {
		return nil, true, err
	}
	call := e.(*Call)
	c := SRFCall{F: f, Args: call.Args}
	if name == "generate_series" && call.T.Kind == types.TimestampTZ {
		// Its interval's days and months are the session zone's, as in
		// timestamptz + interval: the zone travels as a last argument.
		zone := "UTC"
		if b.zone != nil {
			zone = b.zone.String()
		}
		c.Args = append(c.Args, &Const{T: types.Varchar, S: zone})
	}
	if f.Out == nil {
		c.Cols = []catalog.Column{{Name: f.Name, Type: call.T}}
	}
	for i, o := range f.Out {
		t := call.T
		if f.OutTypes != nil {
			t = f.OutTypes[i]
		}
		c.Cols = append(c.Cols, catalog.Column{Name: o, Type: t})
	}
	return []SRFCall{c}, true, nil
}

// generateSubscripts binds generate_subscripts(array, dim [, reverse]),
// the subscripts of the array's dimension dim (1 to its length for a
// one-dimensional array's first, in reverse if asked; none for another
// dimension).
func (b *binder) generateSubscripts(f *SRF, xs []Expr, n *ast.FuncCallExpr) ([]SRFCall, bool, error) {
	if len(xs) < 2 || len(xs) > 3 {
		ts := make([]string, len(xs))
		for i, x := range xs {
			ts[i] = pgTypeName(x.Type())
		}
		return nil, true, b.errAt(sqlerr.UndefinedFunction, n, "function generate_subscripts(%s) does not exist", strings.Join(ts, ", "))
	}
	arr, err := b.arrayArg(xs[0], types.Unknown, n.Args[0])
	if err != nil {
		return nil, true, err
	}
	args := []Expr{arr}
	for i, t := range []types.T{types.Int, types.Boolean}[:len(xs)-1] {
		x, err := b.coerce(xs[i+1], t, n.Args[i+1])
		if err != nil {
			return nil, true, err
		}
		args = append(args, x)
	}
	return []SRFCall{{F: f, Args: args, Cols: []catalog.Column{{Name: "generate_subscripts", Type: types.Int}}}}, true, nil
}

// fromFunction reads the subquery the front end wrote a FROM item's
// function call as (parser.SRFFunc): the call, its flags ('o' for WITH
// ORDINALITY), the alias and the column aliases. ok is false for any
// other subquery.
type fromFunc struct {
	call       *ast.FuncCallExpr
	ordinality bool
	alias      string
	cols       []string
}

func fromFunctionOf(rs ast.ResultSetNode) (*fromFunc, bool) {
	if ts, ok := rs.(*ast.TableSource); ok {
		rs = ts.Source
	}
	sel, ok := rs.(*ast.SelectStmt)
	if !ok || sel.From != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, false
	}
	m, ok := sel.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
	if !ok || m.FnName.L != parser.SRFFunc || len(m.Args) < 3 {
		return nil, false
	}
	call, ok := m.Args[0].(*ast.FuncCallExpr)
	if !ok {
		return nil, false
	}
	strs := make([]string, len(m.Args)-1)
	for i, a := range m.Args[1:] {
		v, ok := a.(*test_driver.ValueExpr)
		if !ok {
			return nil, false
		}
		strs[i] = v.Datum.GetString()
	}
	return &fromFunc{call: call, ordinality: strs[0] == "o", alias: strs[1], cols: strs[2:]}, true
}

// projectSet plans the FROM item f over input (Values' one empty row
// for a function alone), naming its columns as PostgreSQL does: a
// function of one column without OUT parameters takes the alias as its
// column's name; column aliases rename the first columns.
func (f *fromFunc) projectSet(b *binder, input Node, outer bool) (*ProjectSet, error) {
	calls, ok, err := b.bindSRF(f.call, true)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, b.errAt(sqlerr.UndefinedFunction, f.call, "function %s does not exist", f.call.FnName.O)
	}
	ps := &ProjectSet{Input: input, Calls: calls, Ordinality: f.ordinality, Outer: outer}
	if f.alias != "" && len(calls) == 1 && calls[0].F.Out == nil {
		calls[0].Cols[0].Name = f.alias
	}
	width := ps.Width()
	if len(f.cols) > width {
		return nil, b.errAt(sqlerr.InvalidColumnReference, f.call, "table %q has %d columns available but %d columns specified", f.name(), width, len(f.cols))
	}
	k := 0
	for ci := range calls {
		for j := range calls[ci].Cols {
			if k < len(f.cols) {
				calls[ci].Cols[j].Name = f.cols[k]
			}
			k++
		}
	}
	return ps, nil
}

// ordinalityName renames the ordinality column when a column alias
// reaches it.
func (f *fromFunc) ordinalityName(ps *ProjectSet) string {
	if ps.Ordinality && len(f.cols) == ps.Width() {
		return f.cols[len(f.cols)-1]
	}
	return "ordinality"
}

func (f *fromFunc) name() string {
	if f.alias != "" {
		return f.alias
	}
	return f.call.FnName.L
}

// fromFunctionSelect plans a FROM item's function over no other item:
// the rows of its calls over constant (or outer) arguments. ok is false
// for any other SELECT.
func (p *Planner) fromFunctionSelect(q *parser.Query, sel *ast.SelectStmt) (Node, bool, error) {
	f, ok := fromFunctionOf(sel)
	if !ok {
		return nil, false, nil
	}
	b := &binder{q: q, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	ps, err := f.projectSet(b, &Values{Rows: [][]Expr{{}}}, false)
	if err != nil {
		return nil, true, err
	}
	return renameOrdinality(ps, f), true, nil
}

// renameOrdinality projects ps's columns when a column alias names its
// ordinality column.
func renameOrdinality(ps *ProjectSet, f *fromFunc) Node {
	name := f.ordinalityName(ps)
	if name == "ordinality" {
		return ps
	}
	cols := ps.Columns()
	pr := &Project{Input: ps, Time: ps.EventTime()}
	for i, c := range cols {
		pr.Exprs = append(pr.Exprs, &ColRef{Idx: i, Name: c.Name, T: c.Type})
		pr.Names = append(pr.Names, c.Name)
	}
	pr.Names[len(cols)-1] = name
	return pr
}

// lateralFunction plans l JOIN f(...) where f's arguments read l's
// columns: a ProjectSet over l. ok is false when the right side is no
// function or reads none of l's columns (an ordinary join).
func (p *Planner) lateralFunction(q *parser.Query, j *ast.Join, l Node, ls []scopeCol) (Node, []scopeCol, bool, error) {
	f, ok := fromFunctionOf(j.Right)
	if !ok {
		return nil, nil, false, nil
	}
	alone := &binder{q: q, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	if _, err := alone.bindArgs(f.call); err == nil {
		return nil, nil, false, nil
	}
	if j.StraightJoin || j.Tp == ast.RightJoin {
		return nil, nil, true, sqlerr.At(sqlerr.InvalidColumnReference, q.Pos(f.call),
			"invalid reference to FROM-clause entry: the combining JOIN type must be INNER or LEFT for a LATERAL reference")
	}
	b := &binder{q: q, cols: l.Columns(), scope: ls, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	outer := j.Tp == ast.LeftJoin
	var conds []ast.ExprNode
	if j.On != nil {
		conds = conjuncts(j.On.Expr)
	}
	if outer {
		for _, c := range conds {
			if !isTrue(c) {
				return nil, nil, true, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(c), "LEFT JOIN LATERAL over a function takes ON true for now")
			}
		}
	}
	ps, err := f.projectSet(b, l, outer)
	if err != nil {
		return nil, nil, true, err
	}
	var n Node = renameOrdinality(ps, f)
	scope := append(slices.Clone(ls), make([]scopeCol, ps.Width())...)
	for i := len(ls); i < len(scope); i++ {
		scope[i].qual = f.name()
	}
	if len(j.Using) > 0 || j.NaturalJoin {
		return nil, nil, true, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(j.Right), "USING and NATURAL with a LATERAL function are not supported yet")
	}
	if !outer {
		w := &binder{q: q, cols: n.Columns(), scope: scope, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone, noAggs: "JOIN conditions"}
		for _, c := range conds {
			pred, err := w.expr(c)
			if err != nil {
				return nil, nil, true, err
			}
			if pred, err = w.coerce(pred, types.Boolean, c); err != nil {
				return nil, nil, true, err
			}
			n = &Filter{Input: n, Pred: pred}
		}
	}
	return n, scope, true, nil
}

// isTrue reports whether c is the literal TRUE (or 1, TiDB's reading).
func isTrue(c ast.ExprNode) bool {
	if p, ok := c.(*ast.ParenthesesExpr); ok {
		return isTrue(p.Expr)
	}
	v, ok := c.(*test_driver.ValueExpr)
	if !ok {
		return false
	}
	s := strings.ToLower(fmt.Sprint(v.Datum.GetValue()))
	return s == "1" || s == "true"
}

// selectSRF is a set-returning call in a select list, with its height:
// 0 for a call with no such call in its arguments, else one more than
// theirs. PostgreSQL runs the calls of one height zipped, lowest first.
type selectSRF struct {
	call  *ast.FuncCallExpr
	depth int
}

// srfFinder collects the set-returning calls of a select-list
// expression, refusing them where PostgreSQL does: inside CASE, COALESCE,
// an aggregate or a window function.
type srfFinder struct {
	q     *parser.Query
	stack []ast.Node
	found []selectSRF
	// heights holds, for each call being walked, the highest call found
	// in its arguments so far.
	heights []int
	err     error
}

func isSRFCall(n ast.Node) (*ast.FuncCallExpr, bool) {
	c, ok := n.(*ast.FuncCallExpr)
	if !ok || srfs[c.FnName.L] == nil || c.Schema.L != "" && c.Schema.L != PgCatalog {
		return nil, false
	}
	return c, true
}

func (v *srfFinder) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil {
		return n, true
	}
	if _, ok := n.(*ast.SubqueryExpr); ok {
		return n, true // its select list is its own
	}
	if c, ok := isSRFCall(n); ok {
		for _, up := range v.stack {
			where := ""
			switch x := up.(type) {
			case *ast.CaseExpr:
				where = "CASE"
			case *ast.FuncCallExpr:
				if x.FnName.L == "coalesce" {
					where = "COALESCE"
				} else if hasAggregate(&ast.FuncCallExpr{FnName: x.FnName}) {
					v.err = sqlerr.At(sqlerr.FeatureNotSupported, v.q.Pos(c), "aggregate function calls cannot contain set-returning function calls")
				}
			case *ast.AggregateFuncExpr:
				v.err = sqlerr.At(sqlerr.FeatureNotSupported, v.q.Pos(c), "aggregate function calls cannot contain set-returning function calls")
			case *ast.WindowFuncExpr:
				v.err = sqlerr.At(sqlerr.FeatureNotSupported, v.q.Pos(c), "window function calls cannot contain set-returning function calls")
			}
			if where != "" {
				v.err = sqlerr.At(sqlerr.FeatureNotSupported, v.q.Pos(c), "set-returning functions are not allowed in %s", where)
			}
			if v.err != nil {
				return n, true
			}
		}
		v.heights = append(v.heights, -1)
	}
	v.stack = append(v.stack, n)
	return n, false
}

func (v *srfFinder) Leave(n ast.Node) (ast.Node, bool) {
	if len(v.stack) > 0 && v.stack[len(v.stack)-1] == n {
		v.stack = v.stack[:len(v.stack)-1]
	}
	if c, ok := isSRFCall(n); ok && v.err == nil && len(v.heights) > 0 {
		// Its height: one more than the highest call in its arguments.
		h := v.heights[len(v.heights)-1] + 1
		v.heights = v.heights[:len(v.heights)-1]
		if k := len(v.heights) - 1; k >= 0 {
			v.heights[k] = max(v.heights[k], h)
		}
		v.found = append(v.found, selectSRF{call: c, depth: h})
	}
	return n, true
}

// findSRFs lists the set-returning calls of the select list.
func findSRFs(q *parser.Query, fields []field) ([]selectSRF, error) {
	v := &srfFinder{q: q}
	for _, f := range fields {
		if f.expr != nil {
			f.expr.Accept(v)
		}
	}
	return v.found, v.err
}

// selectSRFs plans the select list's set-returning calls over input, as
// PostgreSQL 10 and later do: the calls of one height run zipped in one
// ProjectSet, those inside another's arguments in one below it;
// b then reads each call as its column.
func selectSRFs(b *binder, input Node, found []selectSRF) (Node, error) {
	maxDepth := -1
	for _, s := range found {
		maxDepth = max(maxDepth, s.depth)
	}
	for d := 0; d <= maxDepth; d++ {
		ps := &ProjectSet{}
		var at []*ast.FuncCallExpr
		if b.sub != nil {
			*b.sub.input = input
		}
		for _, s := range found {
			if s.depth != d {
				continue
			}
			calls, _, err := b.bindSRF(s.call, false)
			if err != nil {
				return nil, err
			}
			if len(calls[0].Cols) > 1 {
				return nil, b.errAt(sqlerr.FeatureNotSupported, s.call, "%s in a select list returns a record, which is not supported; call it in FROM", s.call.FnName.L)
			}
			ps.Calls = append(ps.Calls, calls...)
			at = append(at, s.call)
		}
		if b.sub != nil {
			// A subquery in the calls' arguments joined onto the input.
			input = *b.sub.input
		}
		ps.Input = input
		base := len(input.Columns())
		if b.srfRefs == nil {
			b.srfRefs = map[*ast.FuncCallExpr]Expr{}
		}
		for i, c := range ps.Calls {
			b.srfRefs[at[i]] = &ColRef{Idx: base + i, Name: c.Cols[0].Name, T: c.Cols[0].Type}
		}
		input = ps
	}
	if b.sub != nil {
		*b.sub.input = input
	}
	return input, nil
}

// lateralFrom stands for a subquery's FROM that is one function over the
// outer query's columns until plan puts it over D, the outer values.
type lateralFrom struct {
	f    *fromFunc
	cols []catalog.Column
}

func (n *lateralFrom) Columns() []catalog.Column { return n.cols }
func (n *lateralFrom) Inputs() []Node            { return nil }
func (n *lateralFrom) EventTime() int            { return -1 }
func (n *lateralFrom) AppendOnly() bool          { return false }
func (n *lateralFrom) String() string            { return "LateralFunction " + n.f.call.FnName.O }

// lateralFrom reports a subquery whose FROM is one function call that
// reads the outer query's columns, with the function's columns.
func (b *binder) lateralFrom(sel *ast.SelectStmt) (*lateralFrom, bool) {
	if sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return nil, false
	}
	f, ok := fromFunctionOf(sel.From.TableRefs.Left)
	if !ok {
		return nil, false
	}
	alone := &binder{q: b.q, params: b.params, fns: b.fns, clock: b.clock, zone: b.zone}
	if _, err := alone.bindArgs(f.call); err == nil {
		return nil, false
	}
	probe := *b
	probe.sub = nil
	ps, err := f.projectSet(&probe, &Values{Rows: [][]Expr{{}}}, false)
	if err != nil {
		return nil, false
	}
	return &lateralFrom{f: f, cols: renameOrdinality(ps, f).Columns()}, true
}
