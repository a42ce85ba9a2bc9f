package planner

import (
	"math"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// rankFuncs are the ranking functions a TopN computes.
var rankFuncs = map[string]RankFunc{"row_number": RowNumber, "rank": Rank, "dense_rank": DenseRank}

// overFields plans the ranking functions of a select list that does not
// group: ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) AS rn. It
// returns a TopN over input that ranks every row (Limit unbounded: a
// filter on rn in the query that reads this one bounds it, see
// rankFilter) and sets the field's ref to the rank column; input is
// returned unchanged when no field has one.
func overFields(q *parser.Query, b *binder, input Node, fields []field) (Node, error) {
	var top *TopN
	for i, f := range fields {
		if f.expr == nil {
			continue
		}
		wf, ok := f.expr.(*ast.WindowFuncExpr)
		if !ok {
			if hasOver(f.expr) {
				return nil, b.errAt(sqlerr.FeatureNotSupported, f.expr, "a window function must be a whole select-list entry here, such as ROW_NUMBER() OVER (...) AS rn")
			}
			continue
		}
		name := strings.ToLower(wf.Name)
		fn, ok := rankFuncs[name]
		if !ok {
			return nil, b.errAt(sqlerr.FeatureNotSupported, wf, "%s OVER (...) is not supported yet; ROW_NUMBER, RANK and DENSE_RANK are", name)
		}
		if top != nil {
			return nil, b.errAt(sqlerr.FeatureNotSupported, wf, "only one ranking function per SELECT is supported; rank again in an outer query")
		}
		spec := wf.Spec
		switch {
		case len(wf.Args) > 0:
			return nil, b.errAt(sqlerr.UndefinedFunction, wf, "function %s takes no arguments", name)
		case spec.Name.L != "" || spec.Ref.L != "":
			return nil, b.errAt(sqlerr.FeatureNotSupported, wf, "named windows are not supported yet; write the window in OVER (...)")
		case spec.Frame != nil:
			return nil, b.errAt(sqlerr.FeatureNotSupported, wf, "%s takes no frame", name)
		case spec.OrderBy == nil && fn != RowNumber:
			return nil, b.errAt(sqlerr.FeatureNotSupported, wf, "%s OVER (...) needs an ORDER BY: without one every row ranks 1", strings.ToUpper(name))
		}
		top = &TopN{Input: input, Func: fn, MinRank: 1, Limit: math.MaxInt64, RankOut: true, RankName: f.name, WindowEnd: -1, Pos: q.Pos(wf)}
		col := func(e ast.ExprNode) (int, error) {
			x, err := b.expr(e)
			if err != nil {
				return 0, err
			}
			c, ok := x.(*ColRef)
			if !ok {
				return 0, b.errAt(sqlerr.FeatureNotSupported, e, "PARTITION BY and ORDER BY of %s take columns; compute %s in a subquery", name, x)
			}
			return c.Idx, nil
		}
		if spec.PartitionBy != nil {
			for _, item := range spec.PartitionBy.Items {
				c, err := col(item.Expr)
				if err != nil {
					return nil, err
				}
				top.Partition = append(top.Partition, c)
			}
		}
		if spec.OrderBy != nil {
			for _, item := range spec.OrderBy.Items {
				c, err := col(item.Expr)
				if err != nil {
					return nil, err
				}
				top.Order = append(top.Order, SortKey{Col: c, Desc: item.Desc})
			}
		}
		fields[i].ref = &ColRef{Idx: len(input.Columns()), Name: f.name, T: types.BigInt}
	}
	if top == nil {
		return input, nil
	}
	return top, nil
}

// hasOver reports whether an expression holds a window function.
func hasOver(n ast.ExprNode) bool {
	v := &overFinder{}
	n.Accept(v)
	return v.found
}

type overFinder struct{ found bool }

func (v *overFinder) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.WindowFuncExpr); ok {
		v.found = true
	}
	return n, v.found
}

func (v *overFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// rankFilter takes a condition on a rank (rn <= N, rn < N, rn = N, rn >=
// N, rn > N) into the TopN that computes it, through the projection of
// the subquery that names it (and the filters over that): the TopN then
// outputs only those ranks. It reports whether it did.
func rankFilter(input Node, pred Expr) bool {
	c, ok := pred.(*Call)
	if !ok || len(c.Args) != 2 {
		return false
	}
	ref, ok1 := c.Args[0].(*ColRef)
	k, ok2 := rankConst(c.Args[1])
	fn := c.Fn
	if !ok1 || !ok2 {
		ref, ok1 = c.Args[1].(*ColRef)
		k, ok2 = rankConst(c.Args[0])
		fn = map[Func]Func{FnLt: FnGt, FnLe: FnGe, FnGt: FnLt, FnGe: FnLe, FnEq: FnEq}[c.Fn]
	}
	if !ok1 || !ok2 {
		return false
	}
	for {
		f, ok := input.(*Filter)
		if !ok {
			break
		}
		input = f.Input
	}
	proj, ok := input.(*Project)
	if !ok {
		return false
	}
	top, ok := proj.Input.(*TopN)
	if !ok || !top.RankOut {
		return false
	}
	r, ok := proj.Exprs[ref.Idx].(*ColRef)
	if !ok || r.Idx != len(top.Input.Columns()) {
		return false
	}
	switch fn {
	case FnLe:
		top.Limit = min(top.Limit, k)
	case FnLt:
		top.Limit = min(top.Limit, k-1)
	case FnEq:
		top.MinRank, top.Limit = max(top.MinRank, k), min(top.Limit, k)
	case FnGe:
		top.MinRank = max(top.MinRank, k)
	case FnGt:
		top.MinRank = max(top.MinRank, k+1)
	default:
		return false
	}
	top.MinRank = max(top.MinRank, 1)
	windowTopN(top, proj)
	return true
}

// rankConst reads an integer constant (perhaps cast).
func rankConst(e Expr) (int64, bool) {
	if c, ok := e.(*Cast); ok {
		e = c.X
	}
	k, ok := e.(*Const)
	if !ok || k.Null || !k.T.Integer() {
		return 0, false
	}
	return k.I, true
}

// windowTopN makes a bounded TopN partitioned by a window's bounds over
// an append-only input with a watermark a window top-N: each window's
// ranks are output once, when it closes. proj is the projection over it,
// whose event time follows.
func windowTopN(top *TopN, proj *Project) {
	if top.Limit == math.MaxInt64 || !top.Input.AppendOnly() || top.Input.EventTime() < 0 {
		return
	}
	cols := top.Input.Columns()
	start, end := -1, -1
	for _, c := range top.Partition {
		switch cols[c].Name {
		case WindowStart:
			start = c
		case WindowEnd:
			end = c
		}
	}
	if start < 0 || end < 0 {
		return
	}
	top.WindowEnd = end
	for i, e := range proj.Exprs {
		if c, ok := e.(*ColRef); ok && c.Idx == end {
			proj.Time = i
			break
		}
	}
}

// checkRanks refuses a streaming plan whose ranking no filter bounds: a
// stream cannot be ranked whole.
func checkRanks(n Node) error {
	if t, ok := n.(*TopN); ok && t.Limit == math.MaxInt64 {
		return sqlerr.At(sqlerr.FeatureNotSupported, t.Pos,
			"a view cannot rank a whole stream: filter the rank in an outer query, as in SELECT * FROM (SELECT *, %s() OVER (...) AS rn FROM t) WHERE rn <= 10 (top-N) or rn = 1 (dedup)",
			strings.ToUpper(t.Func.String()))
	}
	for _, in := range n.Inputs() {
		if err := checkRanks(in); err != nil {
			return err
		}
	}
	return nil
}

// pruneRanks drops the rank column of a TopN nothing above reads (need
// says which of n's columns are read): without it, the TopN emits only
// the rows entering and leaving its ranks, not every rank that moves.
func pruneRanks(n Node, need []bool) {
	switch x := n.(type) {
	case *Project:
		in := make([]bool, len(x.Input.Columns()))
		for i, e := range x.Exprs {
			if i >= len(need) || need[i] || i == x.Time {
				walkExpr(e, func(c *ColRef) { in[c.Idx] = true })
			}
		}
		if t, ok := x.Input.(*TopN); ok && t.RankOut && !in[len(in)-1] {
			t.RankOut = false
			for i, e := range x.Exprs {
				refers := false
				walkExpr(e, func(c *ColRef) { refers = refers || c.Idx == len(in)-1 })
				if refers {
					x.Exprs[i] = &Const{T: e.Type(), Null: true}
				}
			}
		}
		pruneRanks(x.Input, in)
	case *Filter:
		in := append([]bool(nil), need...)
		walkExpr(x.Pred, func(c *ColRef) { in[c.Idx] = true })
		pruneRanks(x.Input, in)
	}
}
