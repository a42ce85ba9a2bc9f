package planner

import (
	"fmt"
	"slices"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Union is UNION ALL: every input's rows, as they come. Its output is
// append-only when every input is; it has an event time when every input
// has it in the same column, its watermark the least of theirs.
type Union struct {
	Ins []Node
}

// Replicate outputs each input row's first Width columns Count times
// (Count evaluated on the row, never negative): how INTERSECT and EXCEPT
// turn a row's count on each side into the rows the operation keeps.
type Replicate struct {
	Input Node
	Width int
	Count Expr
}

var (
	_ Node = (*Union)(nil)
	_ Node = (*Replicate)(nil)
)

func (n *Union) Columns() []catalog.Column { return n.Ins[0].Columns() }
func (n *Union) Inputs() []Node            { return n.Ins }
func (n *Union) EventTime() int {
	t := n.Ins[0].EventTime()
	for _, in := range n.Ins[1:] {
		if in.EventTime() != t {
			return -1
		}
	}
	return t
}
func (n *Union) AppendOnly() bool {
	for _, in := range n.Ins {
		if !in.AppendOnly() {
			return false
		}
	}
	return true
}
func (n *Union) String() string { return fmt.Sprintf("Union all of %d", len(n.Ins)) }

func (n *Replicate) Columns() []catalog.Column { return n.Input.Columns()[:n.Width] }
func (n *Replicate) Inputs() []Node            { return []Node{n.Input} }
func (n *Replicate) EventTime() int            { return -1 }
func (n *Replicate) AppendOnly() bool          { return false }
func (n *Replicate) String() string            { return fmt.Sprintf("Replicate %s times", n.Count) }

// setOpr plans UNION [ALL], INTERSECT [ALL] and EXCEPT [ALL]: INTERSECT
// first, then the others left to right, as in PostgreSQL. ORDER BY and
// LIMIT apply to the whole (ad hoc).
func (p *Planner) setOpr(q *parser.Query, st *ast.SetOprStmt, mode Mode, eowc bool) (Node, error) {
	out, err := p.with(q, st.With)
	if err != nil {
		return nil, err
	}
	defer out()
	n, err := p.setList(q, st.SelectList, mode, eowc)
	if err != nil {
		return nil, err
	}
	if st.OrderBy == nil && st.Limit == nil {
		return n, nil
	}
	if mode == Streaming {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(st), "ORDER BY and LIMIT are not supported in views; use them when you SELECT from the view")
	}
	return p.orderLimit(q, &ast.SelectStmt{OrderBy: st.OrderBy, Limit: st.Limit}, identity(n), &binder{q: q, cols: n.Columns(), params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone})
}

// setList plans one list of set operands.
func (p *Planner) setList(q *parser.Query, l *ast.SetOprSelectList, mode Mode, eowc bool) (Node, error) {
	var nodes []Node
	var ops []ast.SetOprType
	for i, s := range l.Selects {
		var n Node
		var err error
		var op *ast.SetOprType
		switch x := s.(type) {
		case *ast.SelectStmt:
			op = x.AfterSetOperator
			n, err = p.selectStmt(q, x, mode, eowc && windowed(q, x))
		case *ast.SetOprSelectList:
			op = x.AfterSetOperator
			n, err = p.setList(q, x, mode, eowc)
		default:
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(l), "this set operation is not supported yet")
		}
		if err != nil {
			return nil, err
		}
		if i > 0 {
			if op == nil {
				return nil, sqlerr.At(sqlerr.Syntax, q.Pos(l), "syntax error in a set operation")
			}
			ops = append(ops, *op)
		}
		nodes = append(nodes, n)
	}
	if l.OrderBy != nil || l.Limit != nil {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(l), "ORDER BY and LIMIT inside a parenthesized set operation are not supported yet")
	}
	// INTERSECT binds tighter.
	for i := 0; i < len(ops); {
		if ops[i] != ast.Intersect && ops[i] != ast.IntersectAll {
			i++
			continue
		}
		n, err := p.combine(q, l, nodes[i], nodes[i+1], ops[i], mode)
		if err != nil {
			return nil, err
		}
		nodes = slices.Replace(nodes, i, i+2, n)
		ops = slices.Delete(ops, i, i+1)
	}
	n := nodes[0]
	for i, op := range ops {
		var err error
		if n, err = p.combine(q, l, n, nodes[i+1], op, mode); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// combine plans a op b.
func (p *Planner) combine(q *parser.Query, at ast.Node, a, b Node, op ast.SetOprType, mode Mode) (Node, error) {
	name := op.String()
	ac, bc := a.Columns(), b.Columns()
	if len(ac) != len(bc) {
		return nil, sqlerr.At(sqlerr.Syntax, q.Pos(at), "each %s query must have the same number of columns", name)
	}
	// Each column's type is the one both sides meet at.
	bind := &binder{q: q, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	target := make([]types.T, len(ac))
	for i := range ac {
		t, err := bind.commonType([]Expr{outputExpr(a, i), outputExpr(b, i)}, []ast.Node{at, at}, at)
		if err != nil {
			return nil, sqlerr.At(sqlerr.DatatypeMismatch, q.Pos(at), "%s types %s and %s cannot be matched", name, ac[i].Type, bc[i].Type)
		}
		target[i] = t
	}
	var err error
	if a, err = castTo(bind, a, target, at, nil); err != nil {
		return nil, err
	}
	if b, err = castTo(bind, b, target, at, ac); err != nil {
		return nil, err
	}
	switch op {
	case ast.UnionAll:
		return &Union{Ins: flatten(a, b)}, nil
	case ast.Union:
		return distinct(identity(&Union{Ins: flatten(a, b)})), nil
	}
	// INTERSECT and EXCEPT count each distinct row on each side: a side
	// column (0 or 1) under a GROUP BY of every column, then as many
	// copies as the operation keeps.
	side := func(n Node, k int64) Node {
		pr := identity(n)
		pr.Exprs = append(pr.Exprs, &Const{T: types.Int, I: k})
		pr.Names = append(pr.Names, "?side?")
		return pr
	}
	u := &Union{Ins: []Node{side(a, 0), side(b, 1)}}
	w := len(ac)
	agg := &Aggregate{Input: u}
	sideRef := &ColRef{Idx: w, Name: "?side?", T: types.Int}
	for i, c := range a.Columns() {
		agg.Keys = append(agg.Keys, &ColRef{Idx: i, Name: c.Name, T: c.Type})
		agg.KeyNames = append(agg.KeyNames, c.Name)
	}
	for k := int64(0); k < 2; k++ {
		arg := &Case{Whens: []When{{Cond: &Call{Fn: FnEq, Args: []Expr{sideRef, &Const{T: types.Int, I: k}}, T: types.Boolean},
			Then: &Const{T: types.Int, I: 1}}}, T: types.Int}
		agg.Aggs = append(agg.Aggs, AggCall{Func: AggCount, Arg: arg, T: types.BigInt})
	}
	l, r := &ColRef{Idx: w, Name: "l", T: types.BigInt}, &ColRef{Idx: w + 1, Name: "r", T: types.BigInt}
	zero, one := &Const{T: types.BigInt, I: 0}, &Const{T: types.BigInt, I: 1}
	gt0 := func(x Expr) Expr { return &Call{Fn: FnGt, Args: []Expr{x, zero}, T: types.Boolean} }
	var count Expr
	switch op {
	case ast.IntersectAll:
		count = &Call{Fn: FnLeast, Args: []Expr{l, r}, T: types.BigInt}
	case ast.ExceptAll:
		count = &Call{Fn: FnGreatest, Args: []Expr{&Call{Fn: FnSub, Args: []Expr{l, r}, T: types.BigInt}, zero}, T: types.BigInt}
	case ast.Intersect:
		count = &Case{Whens: []When{{Cond: and(gt0(l), gt0(r)), Then: one}}, Else: zero, T: types.BigInt}
	default: // EXCEPT
		count = &Case{Whens: []When{{Cond: and(gt0(l), &Call{Fn: FnEq, Args: []Expr{r, zero}, T: types.Boolean}), Then: one}}, Else: zero, T: types.BigInt}
	}
	return &Replicate{Input: agg, Width: w, Count: count}, nil
}

// outputExpr is what output column i of n is, for typing: the expression
// of the projection that makes it (so that an untyped literal takes the
// other side's type), or a reference.
func outputExpr(n Node, i int) Expr {
	if pr, ok := n.(*Project); ok {
		if c, ok := pr.Exprs[i].(*Const); ok {
			return c
		}
	}
	c := n.Columns()[i]
	return &ColRef{Idx: i, Name: c.Name, T: c.Type}
}

// castTo projects n's columns to the types target, named as names (the
// first operand's) when given.
func castTo(b *binder, n Node, target []types.T, at ast.Node, names []catalog.Column) (Node, error) {
	cols := n.Columns()
	same := true
	for i, c := range cols {
		same = same && sameType(c.Type, target[i]) && (names == nil || names[i].Name == c.Name)
	}
	if same {
		return n, nil
	}
	pr := &Project{Input: n, Time: n.EventTime()}
	for i, c := range cols {
		var e Expr = &ColRef{Idx: i, Name: c.Name, T: c.Type}
		if k, ok := outputExpr(n, i).(*Const); ok {
			e = k // a literal takes the type, as NULL or '1' does in PostgreSQL
		}
		if !sameType(c.Type, target[i]) {
			var err error
			if e, err = b.coerce(e, target[i], at); err != nil {
				return nil, err
			}
		}
		name := c.Name
		if names != nil {
			name = names[i].Name
		}
		pr.Exprs = append(pr.Exprs, e)
		pr.Names = append(pr.Names, name)
	}
	return pr, nil
}

// identity projects every column of n.
func identity(n Node) *Project {
	pr := &Project{Input: n, Time: n.EventTime()}
	for i, c := range n.Columns() {
		pr.Exprs = append(pr.Exprs, &ColRef{Idx: i, Name: c.Name, T: c.Type})
		pr.Names = append(pr.Names, c.Name)
	}
	return pr
}

// flatten lists a UNION ALL's inputs, a nested one's among them.
func flatten(ns ...Node) []Node {
	var out []Node
	for _, n := range ns {
		if u, ok := n.(*Union); ok {
			out = append(out, u.Ins...)
		} else {
			out = append(out, n)
		}
	}
	return out
}
