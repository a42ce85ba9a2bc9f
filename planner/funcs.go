package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Version is what SELECT version() answers; psql and drivers parse the
// PostgreSQL version at its start.
const Version = "PostgreSQL 15.0 (streamsql 0.1)"

// call binds a scalar function call by name.
func (b *binder) call(n *ast.FuncCallExpr) (Expr, error) {
	name := n.FnName.L
	args := func(lo, hi int) ([]Expr, error) {
		if len(n.Args) < lo || len(n.Args) > hi {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s with %d arguments does not exist", name, len(n.Args))
		}
		out := make([]Expr, len(n.Args))
		for i, a := range n.Args {
			x, err := b.expr(a)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	str := func(lo, hi int, fn Func, t types.T) (Expr, error) {
		xs, err := args(lo, hi)
		if err != nil {
			return nil, err
		}
		if xs[0], err = b.coerce(xs[0], types.Varchar, n.Args[0]); err != nil {
			return nil, err
		}
		for i := 1; i < len(xs); i++ {
			if xs[i], err = b.coerce(xs[i], types.BigInt, n.Args[i]); err != nil {
				return nil, err
			}
		}
		return &Call{Fn: fn, Args: xs, T: t}, nil
	}
	switch name {
	case parser.ParamFunc:
		return b.param(n)
	case "tumble", "hop", parser.SessionFunc, "cumulate":
		return nil, b.errAt(sqlerr.Grouping, n, "window function %s belongs in GROUP BY", strings.ToUpper(name))
	case "tumble_start", "tumble_end", "hop_start", "hop_end", "session_start", "session_end":
		return nil, b.errAt(sqlerr.Grouping, n, "%s requires a GROUP BY with a window", strings.ToUpper(name))
	case parser.CastFunc:
		if len(n.Args) != 2 {
			break
		}
		x, err := b.expr(n.Args[0])
		if err != nil {
			return nil, err
		}
		ts, _ := n.Args[1].(*test_driver.ValueExpr)
		if ts == nil {
			break
		}
		t, err := parser.ParseType(ts.Datum.GetString())
		if err != nil {
			return nil, err
		}
		return b.cast(x, t, n)
	case "date_add", "date_sub", "adddate", "subdate":
		return b.dateArith(n)
	case "concat":
		xs, err := args(1, 64)
		if err != nil {
			return nil, err
		}
		e := Expr(nil)
		for i, x := range xs {
			if x, err = b.coerce(x, types.Varchar, n.Args[i]); err != nil {
				if x, err = b.cast(xs[i], types.Varchar, n.Args[i]); err != nil {
					return nil, err
				}
			}
			if e == nil {
				e = x
			} else {
				e = &Call{Fn: FnConcat, Args: []Expr{e, x}, T: types.Varchar}
			}
		}
		return e, nil
	case "lower", "lcase":
		return str(1, 1, FnLower, types.Varchar)
	case "upper", "ucase":
		return str(1, 1, FnUpper, types.Varchar)
	case "length", "char_length", "character_length":
		return str(1, 1, FnLength, types.Int)
	case "substring", "substr":
		return str(2, 3, FnSubstr, types.Varchar)
	case "trim":
		return str(1, 1, FnTrim, types.Varchar)
	case "abs", "round", "floor", "ceil", "ceiling":
		return b.numericFunc(name, n, args)
	case "coalesce", "ifnull", "greatest", "least":
		xs, err := args(1, 64)
		if err != nil {
			return nil, err
		}
		if name == "ifnull" && len(xs) != 2 {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function ifnull takes 2 arguments")
		}
		fn := map[string]Func{"coalesce": FnCoalesce, "ifnull": FnCoalesce, "greatest": FnGreatest, "least": FnLeast}[name]
		return b.uniform(fn, xs, n)
	case "nullif":
		xs, err := args(2, 2)
		if err != nil {
			return nil, err
		}
		return b.uniform(FnNullIf, xs, n)
	case "if":
		xs, err := args(3, 3)
		if err != nil {
			return nil, err
		}
		cond, err := b.coerce(xs[0], types.Boolean, n.Args[0])
		if err != nil {
			return nil, err
		}
		t, err := b.commonType(xs[1:], []ast.Node{n.Args[1], n.Args[2]}, n)
		if err != nil {
			return nil, err
		}
		then, err := b.coerce(xs[1], t, n.Args[1])
		if err != nil {
			return nil, err
		}
		els, err := b.coerce(xs[2], t, n.Args[2])
		if err != nil {
			return nil, err
		}
		return &Case{Whens: []When{{Cond: cond, Then: then}}, Else: els, T: t}, nil
	case "version":
		if _, err := args(0, 0); err != nil {
			return nil, err
		}
		return &Const{T: types.Varchar, S: Version}, nil
	case "proctime":
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "PROCTIME() is a column of a source, not an expression: declare p_time AS PROCTIME() in CREATE SOURCE and window over p_time")
	case "now", "current_timestamp", "localtimestamp", "sysdate", "utc_timestamp":
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s() is not supported; for processing time declare p_time AS PROCTIME() in CREATE SOURCE", name)
	}
	return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s does not exist", name)
}

// uniform binds a function whose arguments and result share one type.
func (b *binder) uniform(fn Func, xs []Expr, n *ast.FuncCallExpr) (Expr, error) {
	nodes := make([]ast.Node, len(n.Args))
	for i, a := range n.Args {
		nodes[i] = a
	}
	t, err := b.commonType(xs, nodes, n)
	if err != nil {
		return nil, err
	}
	for i := range xs {
		if xs[i], err = b.coerce(xs[i], t, n.Args[i]); err != nil {
			return nil, err
		}
	}
	return &Call{Fn: fn, Args: xs, T: t}, nil
}

// numericFunc binds abs, round, floor and ceil.
func (b *binder) numericFunc(name string, n *ast.FuncCallExpr, args func(lo, hi int) ([]Expr, error)) (Expr, error) {
	hi := 1
	if name == "round" {
		hi = 2
	}
	xs, err := args(1, hi)
	if err != nil {
		return nil, err
	}
	x := xs[0]
	if c, ok := x.(*Const); ok && c.T.Kind == types.String {
		if x, err = b.coerce(x, types.Double, n.Args[0]); err != nil {
			return nil, err
		}
	}
	t := x.Type()
	if t.Kind == types.Null {
		t = types.Double
		x = &Const{T: t, Null: true}
	}
	if !t.Numeric() {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s(%s) does not exist", name, t)
	}
	fn := map[string]Func{"abs": FnAbs, "round": FnRound, "floor": FnFloor, "ceil": FnCeil, "ceiling": FnCeil}[name]
	switch {
	case fn == FnRound && len(xs) == 2:
		digits, ok := xs[1].(*Const)
		if !ok || !digits.T.Integer() || digits.Null || digits.I < 0 || digits.I > types.MaxDecimalPrec {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n.Args[1], "round's second argument must be a constant between 0 and %d", types.MaxDecimalPrec)
		}
		if t.Kind == types.Decimal {
			out := types.DecimalOf(types.MaxDecimalPrec, min(int(digits.I), t.Scale))
			return &Cast{X: x, T: out}, nil
		}
		return &Call{Fn: fn, Args: []Expr{x, digits}, T: t}, nil
	case fn != FnAbs && t.Kind == types.Decimal:
		return &Call{Fn: fn, Args: []Expr{x}, T: types.DecimalOf(types.MaxDecimalPrec, 0)}, nil
	}
	return &Call{Fn: fn, Args: []Expr{x}, T: t}, nil
}

// cast binds an explicit CAST; constants are converted now.
func (b *binder) cast(x Expr, t types.T, at ast.Node) (Expr, error) {
	if sameType(x.Type(), t) && (t.Kind != types.String || t.Width == x.Type().Width) &&
		(t.Kind != types.Decimal || t.Prec >= x.Type().Prec) {
		return x, nil
	}
	if c, ok := x.(*Const); ok {
		return b.castConst(c, t, at)
	}
	from := x.Type()
	if from.Kind == types.Timestamp && t.Kind != types.Timestamp && t.Kind != types.String ||
		t.Kind == types.Timestamp && from.Kind != types.Timestamp && from.Kind != types.String ||
		from.Kind == types.Bool && !t.Integer() && t.Kind != types.String ||
		t.Kind == types.Bool && !from.Integer() && from.Kind != types.String {
		return nil, b.errAt(sqlerr.DatatypeMismatch, at, "cannot cast type %s to %s", from, t)
	}
	return &Cast{X: x, T: t}, nil
}

// dateArith binds DATE_ADD(ts, INTERVAL n unit), the form TiDB gives
// `ts + INTERVAL ...`.
func (b *binder) dateArith(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 3 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s takes (timestamp, INTERVAL n unit)", n.FnName.L)
	}
	x, err := b.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	if x.Type().Kind != types.Timestamp {
		if c, ok := x.(*Const); !ok || c.T.Kind != types.String && c.T.Kind != types.Null {
			return nil, b.errAt(sqlerr.UndefinedFunction, n.Args[0], "operator does not exist: %s + INTERVAL", x.Type())
		}
		if x, err = b.coerce(x, types.Ts, n.Args[0]); err != nil {
			return nil, err
		}
	}
	val, ok := n.Args[1].(*test_driver.ValueExpr)
	unit, ok2 := n.Args[2].(*ast.TimeUnitExpr)
	if !ok || !ok2 {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n.Args[1], "the interval must be a constant")
	}
	text := strings.TrimSpace(val.Datum.GetString())
	if text == "" {
		text = strings.TrimSpace(strings.Trim(parser.Restore(val), "'"))
	}
	us, err := parser.ParseInterval(text + " " + unit.Unit.String())
	if err != nil {
		return nil, sqlerr.At(sqlerr.InvalidText, b.q.Pos(n.Args[1]), "%v", err)
	}
	fn := FnAdd
	if name := n.FnName.L; name == "date_sub" || name == "subdate" {
		fn = FnSub
	}
	return &Call{Fn: fn, Args: []Expr{x, &Const{T: types.Ival, I: us}}, T: x.Type()}, nil
}
