package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// cte is a common table expression in scope: WITH name [(cols)] AS (...).
// Each reference plans its query again, as a view's is inlined; it sees
// the expressions defined before it (scope of them are ctes[:scope]).
type cte struct {
	def   *ast.CommonTableExpression
	scope int
}

// with brings a WITH clause's expressions into scope and returns how to
// take them out again.
func (p *Planner) with(q *parser.Query, w *ast.WithClause) (func(), error) {
	if w == nil {
		return func() {}, nil
	}
	if w.IsRecursive {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(w), "WITH RECURSIVE is not supported")
	}
	n := len(p.ctes)
	for _, c := range w.CTEs {
		for _, d := range p.ctes[n:] {
			if d.def.Name.L == c.Name.L {
				return nil, sqlerr.At(sqlerr.DuplicateAlias, q.Pos(w), "WITH query name %q specified more than once", c.Name.O)
			}
		}
		p.ctes = append(p.ctes, cte{def: c, scope: len(p.ctes)})
	}
	return func() { p.ctes = p.ctes[:n] }, nil
}

// cteNamed plans a reference to a common table expression, or returns
// nil when name is none in scope.
func (p *Planner) cteNamed(q *parser.Query, name string, mode Mode, eowc bool) (Node, error) {
	for i := len(p.ctes) - 1; i >= 0; i-- {
		c := p.ctes[i]
		if c.def.Name.L != name {
			continue
		}
		saved := p.ctes
		p.ctes = p.ctes[:c.scope]
		n, err := p.resultSet(q, c.def.Query.Query, mode, eowc)
		p.ctes = saved
		if err != nil {
			return nil, err
		}
		if cols := c.def.ColNameList; len(cols) > 0 {
			if len(cols) > len(n.Columns()) {
				return nil, sqlerr.At(sqlerr.Syntax, q.Pos(c.def.Query), "WITH query %q has %d columns available but %d columns specified", c.def.Name.O, len(n.Columns()), len(cols))
			}
			pr := identity(n)
			for k, col := range cols {
				pr.Names[k] = col.O
			}
			n = pr
		}
		return n, nil
	}
	return nil, nil
}

// resultSet plans a query in FROM or WITH.
func (p *Planner) resultSet(q *parser.Query, rs ast.ResultSetNode, mode Mode, eowc bool) (Node, error) {
	switch s := rs.(type) {
	case *ast.SelectStmt:
		return p.selectStmt(q, s, mode, eowc && windowed(q, s))
	case *ast.SetOprStmt:
		return p.setOpr(q, s, mode, eowc)
	}
	return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(rs), "this query is not supported yet")
}
