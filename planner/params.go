package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Params are the parameters $1, $2, ... of a prepared statement. A
// statement is planned twice: once to describe it (Bound false), when an
// unknown parameter takes the type of its first use, as PostgreSQL infers
// it; and for each execution with the values bound.
type Params struct {
	// Types are the parameters' types: what the client declared, or what
	// planning inferred. types.Unknown means neither (reported as text).
	Types []types.T
	// Values are the bound values in text form, nil for NULL; only read
	// when Bound.
	Values []*string
	Bound  bool
}

// infer records that parameter n is used as type t, unless its type is
// already known.
func (p *Params) infer(n int, t types.T) {
	if p == nil || n < 1 || n > len(p.Types) || t.Kind == types.Null {
		return
	}
	if p.Types[n-1].Kind == types.Null {
		p.Types[n-1] = t
	}
}

// param binds streamsql_param(n), the front end's spelling of $n. A value
// of unknown type is a string literal that context converts, as in
// PostgreSQL; a value of known type is converted to it here.
func (b *binder) param(n *ast.FuncCallExpr) (Expr, error) {
	num := 0
	if len(n.Args) == 1 {
		if v, ok := n.Args[0].(*test_driver.ValueExpr); ok {
			if v.Datum.Kind() == test_driver.KindInt64 && v.Datum.GetInt64() <= 1<<16 {
				num = int(v.Datum.GetInt64())
			}
		}
	}
	if num < 1 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s does not exist", n.FnName.O)
	}
	if b.udf != nil {
		return b.udfParam(n, num)
	}
	p := b.params
	if p == nil || p.Bound && num > len(p.Values) {
		return nil, b.errAt(sqlerr.UndefinedParameter, n, "there is no parameter $%d", num)
	}
	for len(p.Types) < num {
		p.Types = append(p.Types, types.Unknown)
	}
	t := p.Types[num-1]
	if !p.Bound || p.Values[num-1] == nil {
		return &Const{T: t, Null: true, Param: num}, nil
	}
	c := &Const{T: types.Varchar, S: *p.Values[num-1], Param: num}
	if t.Kind == types.Null {
		return c, nil
	}
	return b.castConst(c, t, n)
}
