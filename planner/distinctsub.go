package planner

import (
	"fmt"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// distinctOverSubqueries rewrites SELECT DISTINCT f1, ... FROM ... whose
// select list has a subquery into SELECT DISTINCT * FROM (SELECT f1, ...
// FROM ...) AS s: DISTINCT plans as a grouping, over which subqueries are
// not decorrelated yet, while below it they are planned as in any select
// list. It applies only where the two mean the same: no GROUP BY, HAVING
// or aggregate, and an ORDER BY only by position (the outer query has
// the select list's columns, not the FROM's). It returns nil otherwise.
func distinctOverSubqueries(sel *ast.SelectStmt) *ast.SelectStmt {
	if !sel.Distinct || sel.GroupBy != nil || sel.Having != nil || sel.Fields == nil || sel.From == nil {
		return nil
	}
	sub := false
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			return nil
		}
		if hasAggregate(f.Expr) {
			return nil
		}
		sub = sub || hasSubquery(f.Expr)
	}
	if !sub {
		return nil
	}
	if sel.OrderBy != nil {
		for _, item := range sel.OrderBy.Items {
			switch e := item.Expr.(type) {
			case *ast.PositionExpr:
			case *test_driver.ValueExpr:
				if _, ok := e.Datum.GetValue().(int64); !ok {
					return nil
				}
			default:
				return nil
			}
		}
	}
	// The inner columns get names of their own (two may both be
	// ?column?); the outer ones the names the user's list gives them.
	inner := *sel
	inner.Distinct, inner.OrderBy, inner.Limit, inner.With = false, nil, nil, nil
	inner.Fields = &ast.FieldList{}
	outer := &ast.FieldList{}
	for i, f := range sel.Fields.Fields {
		g := *f
		col := fmt.Sprintf("?c%d?", i)
		g.AsName = ast.NewCIStr(col)
		inner.Fields.Fields = append(inner.Fields.Fields, &g)
		name := f.AsName.O
		if name == "" {
			name = exprName(f.Expr)
		}
		outer.Fields = append(outer.Fields, &ast.SelectField{
			Expr:   &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(col)}},
			AsName: ast.NewCIStr(name)})
	}
	return &ast.SelectStmt{
		Kind:     ast.SelectStmtKindSelect,
		Distinct: true,
		Fields:   outer,
		From:     &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: &inner, AsName: ast.NewCIStr("?distinct?")}}},
		OrderBy:  sel.OrderBy,
		Limit:    sel.Limit,
		With:     sel.With,
	}
}

// hasSubquery reports whether n contains a subquery.
func hasSubquery(n ast.Node) bool {
	v := &subFinder{}
	n.Accept(v)
	return v.found
}

type subFinder struct{ found bool }

func (v *subFinder) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok {
		v.found = true
	}
	return n, v.found
}

func (v *subFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }
