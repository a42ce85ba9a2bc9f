package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// unnestSelect plans unnest(arr) in FROM, which the front end wrote as
// (SELECT parser.UnnestFunc(arr) AS x): a relation with a row per element
// of arr, which must be constant (a literal, a parameter, current_schemas())
// for now. ok is false for any other SELECT.
func (p *Planner) unnestSelect(q *parser.Query, sel *ast.SelectStmt) (Node, bool, error) {
	if sel.From != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, false, nil
	}
	f := sel.Fields.Fields[0]
	call, ok := f.Expr.(*ast.FuncCallExpr)
	if !ok || call.FnName.L != parser.UnnestFunc {
		return nil, false, nil
	}
	if len(call.Args) != 1 {
		return nil, true, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(call), "unnest of several arrays is not supported yet")
	}
	b := &binder{q: q, params: p.Params, fns: p.funcs(), clock: p.clock, zone: p.Zone}
	x, err := b.expr(call.Args[0])
	if e, ok := sqlerr.As(err); ok && (e.Kind == sqlerr.UndefinedTable || e.Kind == sqlerr.UndefinedColumn) {
		return nil, true, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(call.Args[0]),
			"unnest in FROM takes a constant array for now; over another FROM item's column (LATERAL) it is not supported yet")
	}
	if err != nil {
		return nil, true, err
	}
	if x, err = b.arrayArg(x, types.Unknown, call.Args[0]); err != nil {
		return nil, true, err
	}
	c, ok := x.(*Const)
	if !ok {
		return nil, true, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(call.Args[0]),
			"unnest in FROM takes a constant array for now (a literal, a parameter or current_schemas()), not one computed per row")
	}
	et := c.T.ElemType()
	if et.Kind == types.Null {
		et = types.Varchar
	}
	name := f.AsName.O
	if name == "" {
		name = "unnest"
	}
	// A row per element: a UNION ALL of one-row SELECTs, as VALUES is.
	row := func(x Expr) Node {
		return &Project{Input: &Values{Rows: [][]Expr{{}}}, Exprs: []Expr{x}, Names: []string{name}, Time: -1}
	}
	ev := vec.New(et, 0)
	if !c.Null {
		if err := vec.DecodeArray(c.S, &ev); err != nil {
			return nil, true, sqlerr.New(sqlerr.Internal, "unnest: %v", err)
		}
	}
	u := &Union{}
	for k := 0; k < ev.Len(); k++ {
		u.Ins = append(u.Ins, row(ConstAt(&ev, k)))
	}
	switch len(u.Ins) {
	case 0:
		return &Filter{Input: row(&Const{T: et, Null: true}), Pred: &Const{T: types.Boolean, B: false}}, true, nil
	case 1:
		return u.Ins[0], true, nil
	}
	return u, true, nil
}
