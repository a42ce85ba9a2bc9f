package planner

import (
	"errors"

	"github.com/cockroachdb/apd/v3"

	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// positioner maps a TiDB node to its position in the query string.
type positioner interface{ Pos(ast.Node) int }

// binder resolves names and types of expressions over one input scope.
type binder struct {
	q     positioner
	cols  []catalog.Column
	table string // the input's name or alias, for qualified names
	// scope, for a join's columns, names each (nil: all are table's).
	scope []scopeCol
	// agg, when set, rewrites aggregates and grouped expressions into
	// references to an Aggregate node's output.
	agg *aggScope
	// noAggs names the clause where an aggregate is an error ("" = allowed).
	noAggs string
	// params are the statement's parameters; nil outside a prepared
	// statement.
	params *Params
	// sub, when set, plans subqueries as joins onto the input (subquery.go).
	sub *subCtx
	// grouped and lhs are set for a subquery over a grouped query's
	// groups (see groupsBinder): grouped is its aggregation, to tell an
	// ungrouped column, lhs binds the left operand of IN, ANY and ALL.
	grouped *aggScope
	lhs     *binder
	// clock says what NOW() is (temporal.go); nil where it is not allowed.
	clock *clock
	// nowOK allows NOW() in a view: set only for a WHERE's conjuncts,
	// where it can be a temporal filter.
	nowOK bool
	// fns finds the SQL functions a call may name (udf.go); udf is the
	// one whose body is being bound.
	fns *fnScope
	udf *catalog.Function
	// zone is the session's time zone, which conversions between
	// TIMESTAMPTZ and the types without a zone use (nil: UTC).
	zone *time.Location
	// overRefs are the output columns of the window functions written
	// inside select-list expressions (x - LAG(x) OVER w), set by
	// overFields for the projection above its Over nodes.
	overRefs map[*ast.WindowFuncExpr]Expr
	// srfRefs are the output columns of the select list's set-returning
	// calls (selectSRFs), planned below the projection.
	srfRefs map[*ast.FuncCallExpr]Expr
}

func (b *binder) errAt(k sqlerr.Kind, n ast.Node, format string, args ...any) error {
	return sqlerr.At(k, b.q.Pos(n), format, args...)
}

// expr binds one expression.
func (b *binder) expr(n ast.ExprNode) (Expr, error) {
	if c, ok := n.(*ast.FuncCallExpr); ok && b.srfRefs != nil {
		if ref, ok := b.srfRefs[c]; ok {
			return ref, nil
		}
	}
	if b.agg != nil {
		if e, ok, err := b.agg.intercept(b, n); ok || err != nil {
			return e, err
		}
	}
	switch n := n.(type) {
	case *ast.ParenthesesExpr:
		return b.expr(n.Expr)
	case *ast.ColumnNameExpr:
		return b.column(n)
	case *test_driver.ValueExpr:
		return b.literal(n)
	case *ast.BinaryOperationExpr:
		return b.binary(n)
	case *ast.UnaryOperationExpr:
		if v, ok := n.V.(*test_driver.ValueExpr); ok && n.Op == opcode.Minus &&
			v.Datum.Kind() == test_driver.KindUint64 && v.Datum.GetUint64() == 1<<63 {
			// -9223372036854775808 is BIGINT's least value, though its
			// digits alone are out of range.
			return &Const{T: types.BigInt, I: math.MinInt64}, nil
		}
		x, err := b.expr(n.V)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case opcode.Minus:
			if !x.Type().Numeric() && x.Type().Kind != types.Interval {
				return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: - %s", x.Type())
			}
			if c, ok := x.(*Const); ok && !c.Null && c.T.Kind == types.Interval {
				neg, ok := vec.NegInterval(c.Interval())
				if !ok {
					return nil, b.errAt(sqlerr.DatetimeOverflow, n, "interval out of range")
				}
				return IntervalConst(neg), nil
			}
			if c, ok := x.(*Const); ok && !c.Null {
				if c.T.InI64() && (c.I == math.MinInt64 || !vec.InRange(-c.I, c.T)) {
					return nil, b.errAt(sqlerr.NumericOutOfRange, n, "%s", OutOfRange(c.T))
				}
				c.I, c.F = -c.I, -c.F
				if c.T.Kind == types.Numeric {
					c.S = negateNumeric(c.S)
				}
				if c.T.Kind == types.Int64 && vec.InRange(c.I, types.Int) {
					c.T = types.Int // -2147483648 is an INT, as in PostgreSQL
				}
				return c, nil
			}
			return &Call{Fn: FnNeg, Args: []Expr{x}, T: x.Type()}, nil
		case opcode.Plus:
			return x, nil
		case opcode.Not, opcode.Not2:
			x, err = b.coerce(x, types.Boolean, n.V)
			if err != nil {
				return nil, err
			}
			return &Call{Fn: FnNot, Args: []Expr{x}, T: types.Boolean}, nil
		}
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "operator %s is not supported", opText(n.Op))
	case *ast.IsNullExpr:
		x, err := b.expr(n.Expr)
		if err != nil {
			return nil, err
		}
		fn := FnIsNull
		if n.Not {
			fn = FnIsNotNull
		}
		return &Call{Fn: fn, Args: []Expr{x}, T: types.Boolean}, nil
	case *ast.IsTruthExpr:
		x, err := b.expr(n.Expr)
		if err != nil {
			return nil, err
		}
		if x, err = b.coerce(x, types.Boolean, n.Expr); err != nil {
			return nil, err
		}
		// x IS TRUE is COALESCE(x = TRUE, FALSE); IS FALSE likewise.
		want := &Const{T: types.Boolean, B: n.True != 0}
		e := Expr(&Call{Fn: FnCoalesce, Args: []Expr{&Call{Fn: FnEq, Args: []Expr{x, want}, T: types.Boolean}, &Const{T: types.Boolean}}, T: types.Boolean})
		if n.Not {
			e = &Call{Fn: FnNot, Args: []Expr{e}, T: types.Boolean}
		}
		return e, nil
	case *ast.PatternLikeOrIlikeExpr:
		return b.like(n)
	case *ast.PatternInExpr:
		if n.Sel != nil {
			return b.subquery(n)
		}
		return b.in(n)
	case *ast.BetweenExpr:
		x, err := b.expr(n.Expr)
		if err != nil {
			return nil, err
		}
		lo, err := b.compare(FnGe, x, n.Left, n.Expr, n)
		if err != nil {
			return nil, err
		}
		hi, err := b.compare(FnLe, x, n.Right, n.Expr, n)
		if err != nil {
			return nil, err
		}
		e := Expr(&Call{Fn: FnAnd, Args: []Expr{lo, hi}, T: types.Boolean})
		if n.Not {
			e = &Call{Fn: FnNot, Args: []Expr{e}, T: types.Boolean}
		}
		return e, nil
	case *ast.CaseExpr:
		return b.caseExpr(n)
	case *ast.FuncCallExpr:
		return b.call(n)
	case *ast.FuncCastExpr:
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "this CAST form is not supported; use CAST(x AS type)")
	case *ast.AggregateFuncExpr:
		if b.noAggs != "" {
			return nil, b.errAt(sqlerr.Grouping, n, "aggregate functions are not allowed in %s", b.noAggs)
		}
		return nil, b.errAt(sqlerr.Grouping, n, "aggregate function %s is not allowed here", strings.ToUpper(n.F))
	case *ast.WindowFuncExpr:
		if ref, ok := b.overRefs[n]; ok {
			return ref, nil
		}
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "window functions are allowed only in the select list; rank in a subquery and filter the rank outside it")
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return b.subquery(n)
	case *ast.DefaultExpr, *ast.VariableExpr:
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "this expression is not supported")
	}
	return nil, b.errAt(sqlerr.FeatureNotSupported, n, "expression %s is not supported", parser.Restore(n))
}

// column resolves a column name against the input.
func (b *binder) column(n *ast.ColumnNameExpr) (Expr, error) {
	name := n.Name.Name.O
	if b.scope != nil {
		return b.scopedColumn(n)
	}
	if t := n.Name.Table.O; t != "" && t != b.table {
		return nil, b.errAt(sqlerr.UndefinedTable, n, "missing FROM-clause entry for table %q", n.Name.Table.O)
	}
	for i, c := range b.cols {
		if c.Name == name {
			return &ColRef{Idx: i, Name: c.Name, T: c.Type}, nil
		}
	}
	return nil, b.errAt(sqlerr.UndefinedColumn, n, "column %q does not exist", n.Name.Name.O)
}

// scopedColumn resolves a column of a join: by qualifier and name, or by
// a name only one visible column has.
func (b *binder) scopedColumn(n *ast.ColumnNameExpr) (Expr, error) {
	name, t := n.Name.Name.O, n.Name.Table.O
	found, foundOuter, qualKnown := -1, -1, false
	for i, c := range b.cols {
		s := b.scope[i]
		if t != "" {
			if s.qual != t {
				continue
			}
			qualKnown = true
		} else if s.hidden {
			continue
		}
		if c.Name != name {
			continue
		}
		if s.outer {
			// The query's own columns hide the outer query's.
			if foundOuter < 0 {
				foundOuter = i
			}
			continue
		}
		if found >= 0 {
			return nil, b.errAt(sqlerr.AmbiguousColumn, n, "column reference %q is ambiguous", name)
		}
		found = i
	}
	if found < 0 {
		found = foundOuter
	}
	switch {
	case found >= 0:
		return &ColRef{Idx: found, Name: b.refName(found), T: b.cols[found].Type}, nil
	case t != "" && !qualKnown:
		return nil, b.errAt(sqlerr.UndefinedTable, n, "missing FROM-clause entry for table %q", t)
	case t != "":
		return nil, b.errAt(sqlerr.UndefinedColumn, n, "column %s.%s does not exist", t, name)
	}
	return nil, b.errAt(sqlerr.UndefinedColumn, n, "column %q does not exist", name)
}

// literal converts a TiDB value to a Const. Integer literals are BIGINT
// (INT when they fit, as PostgreSQL types them), decimals DECIMAL, strings
// VARCHAR until context coerces them.
func (b *binder) literal(n *test_driver.ValueExpr) (Expr, error) {
	d := n.Datum
	switch d.Kind() {
	case test_driver.KindNull:
		return &Const{T: types.Unknown, Null: true}, nil
	case test_driver.KindInt64:
		v := d.GetInt64()
		if mysql.HasIsBooleanFlag(n.Type.GetFlag()) {
			// TRUE and FALSE: TiDB gives 1 and 0 marked as boolean.
			return &Const{T: types.Boolean, B: v != 0}, nil
		}
		if v >= -1<<31 && v < 1<<31 {
			return &Const{T: types.Int, I: v}, nil
		}
		return &Const{T: types.BigInt, I: v}, nil
	case test_driver.KindUint64:
		u := d.GetUint64()
		if u > 1<<63-1 {
			// Past BIGINT an integer literal is a NUMERIC, as in PostgreSQL.
			return &Const{T: types.Unconstrained, S: strconv.FormatUint(u, 10)}, nil
		}
		return &Const{T: types.BigInt, I: int64(u)}, nil
	case test_driver.KindFloat64, test_driver.KindFloat32:
		return &Const{T: types.Double, F: d.GetFloat64()}, nil
	case test_driver.KindString, test_driver.KindBytes:
		return &Const{T: types.Varchar, S: d.GetString()}, nil
	case test_driver.KindMysqlDecimal:
		c, err := parseDecimalConst(d.GetMysqlDecimal().String())
		if err != nil {
			return nil, b.errAt(sqlerr.NumericOutOfRange, n, "%v", err)
		}
		return c, nil
	}
	return nil, b.errAt(sqlerr.FeatureNotSupported, n, "literal %s is not supported", parser.Restore(n))
}

// parseDecimalConst reads a decimal literal: up to 18 digits a DECIMAL,
// past them an exact NUMERIC, as PostgreSQL types every such literal.
func parseDecimalConst(s string) (*Const, error) {
	x, scale, ok := vec.ParseDecimal(s, -1)
	if !ok {
		var d apd.Decimal
		switch vec.ParseNumeric(s, &d) {
		case vec.NumOK:
			return &Const{T: types.Unconstrained, S: vec.NumericText(&d)}, nil
		case vec.NumOverflow:
			return nil, errors.New("value overflows numeric format")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, err
		}
		return &Const{T: types.Double, F: f}, nil
	}
	digits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(s), "0"))
	return &Const{T: types.DecimalOf(max(digits, scale, 1), scale), I: x}, nil
}

// caseExpr binds CASE [value] WHEN ... THEN ... [ELSE ...] END.
func (b *binder) caseExpr(n *ast.CaseExpr) (Expr, error) {
	var value Expr
	if n.Value != nil {
		var err error
		if value, err = b.expr(n.Value); err != nil {
			return nil, err
		}
	}
	c := &Case{}
	var results []Expr
	var nodes []ast.Node
	for _, w := range n.WhenClauses {
		var cond Expr
		var err error
		if value != nil {
			cond, err = b.compare(FnEq, value, w.Expr, n.Value, w)
		} else {
			cond, err = b.expr(w.Expr)
			if err == nil {
				cond, err = b.coerce(cond, types.Boolean, w.Expr)
			}
		}
		if err != nil {
			return nil, err
		}
		then, err := b.expr(w.Result)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
		results = append(results, then)
		nodes = append(nodes, w.Result)
	}
	if n.ElseClause != nil {
		e, err := b.expr(n.ElseClause)
		if err != nil {
			return nil, err
		}
		c.Else = e
		results = append(results, e)
		nodes = append(nodes, n.ElseClause)
	}
	t, err := b.commonType(results, nodes, n)
	if err != nil {
		return nil, err
	}
	for i := range c.Whens {
		if c.Whens[i].Then, err = b.coerce(c.Whens[i].Then, t, nodes[i]); err != nil {
			return nil, err
		}
	}
	if c.Else != nil {
		if c.Else, err = b.coerce(c.Else, t, n.ElseClause); err != nil {
			return nil, err
		}
	}
	c.T = t
	return c, nil
}

// like binds [NOT] LIKE with a constant or computed pattern.
func (b *binder) like(n *ast.PatternLikeOrIlikeExpr) (Expr, error) {
	x, err := b.expr(n.Expr)
	if err != nil {
		return nil, err
	}
	p, err := b.expr(n.Pattern)
	if err != nil {
		return nil, err
	}
	if x, err = b.coerce(x, types.Varchar, n.Expr); err != nil {
		return nil, err
	}
	if p, err = b.coerce(p, types.Varchar, n.Pattern); err != nil {
		return nil, err
	}
	fn := FnLike
	if n.Not {
		fn = FnNotLike
	}
	// The escape character is backslash unless ESCAPE names another (or
	// none, with ESCAPE ''), as in PostgreSQL.
	esc := `\`
	if n.EscapeExplicit {
		esc = ""
		if n.Escape != 0 {
			esc = string(n.Escape)
		}
	}
	if !n.IsLike {
		// ILIKE is LIKE of both sides in lower case (an escape character
		// too), as PostgreSQL does in a multi-byte encoding: lower() of
		// the C locale, ASCII letters only.
		lower := func(e Expr) Expr {
			if c, ok := e.(*Const); ok && c.Param == 0 {
				return &Const{T: types.Varchar, S: vec.ToLower(c.S), Null: c.Null}
			}
			return &Call{Fn: FnLower, Args: []Expr{e}, T: types.Varchar}
		}
		x, p, esc = lower(x), lower(p), vec.ToLower(esc)
	}
	args := []Expr{x, p}
	if esc != `\` {
		args = append(args, &Const{T: types.Varchar, S: esc})
	}
	return &Call{Fn: fn, Args: args, T: types.Boolean}, nil
}

// in binds x [NOT] IN (list) as a call whose first argument is x and the
// rest the list, all of one type.
func (b *binder) in(n *ast.PatternInExpr) (Expr, error) {
	if n.Sel != nil {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "IN (subquery) is not supported yet")
	}
	x, err := b.expr(n.Expr)
	if err != nil {
		return nil, err
	}
	args := []Expr{x}
	nodes := []ast.Node{n.Expr}
	for _, e := range n.List {
		v, err := b.expr(e)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
		nodes = append(nodes, e)
	}
	t, err := b.commonType(args, nodes, n)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], t, nodes[i]); err != nil {
			return nil, err
		}
	}
	fn := FnIn
	if n.Not {
		fn = FnNotIn
	}
	return &Call{Fn: fn, Args: args, T: types.Boolean}, nil
}
