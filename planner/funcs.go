package planner

import (
	"strconv"

	"fmt"
	"github.com/streamsql/streamsql/exec/vec"
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
		return b.bindArgs(n)
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
	if _, ok := isSRFCall(n); ok {
		where := b.noAggs
		if where == "" {
			where = "this context"
		}
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "set-returning functions are not allowed in %s", where)
	}
	if x, ok, err := b.arrayCall(n, name); ok {
		return x, err
	}
	switch name {
	case parser.ParamFunc:
		return b.param(n)
	case "tumble", "hop", parser.SessionFunc, "cumulate":
		return nil, b.errAt(sqlerr.Grouping, n, "window function %s belongs in GROUP BY", strings.ToUpper(b.written(n, name)))
	case "tumble_start", "tumble_end", "hop_start", "hop_end", "session_start", "session_end":
		return nil, b.errAt(sqlerr.Grouping, n, "%s requires a GROUP BY with a window", strings.ToUpper(name))
	case parser.CastFunc:
		if len(n.Args) != 2 {
			break
		}
		if y, ok, err := b.regText(n); ok {
			return y, err
		}
		x, err := b.expr(n.Args[0])
		if err != nil {
			return nil, err
		}
		ts, _ := n.Args[1].(*test_driver.ValueExpr)
		if ts == nil {
			break
		}
		if y, ok, err := b.regCast(x, ts.Datum.GetString(), n); ok {
			return y, err
		}
		t, err := parser.ParseType(ts.Datum.GetString())
		if err != nil {
			return nil, err
		}
		y, err := b.cast(x, t, n)
		if c, ok := x.(*Const); ok && err != nil && c.Param == 0 && c.T.Kind == types.String && (t.Temporal() || t.Kind == types.Interval) {
			if _, literal := n.Args[0].(*test_driver.ValueExpr); !literal {
				// PostgreSQL's date and time input functions are stable, so
				// a cast of text that is not a literal is not folded: it
				// fails where it is evaluated, not in an arm never taken.
				return &Cast{X: x, T: t, Zone: b.zone}, nil
			}
		}
		return y, err
	case parser.RegexFunc:
		return b.regex(n)
	case "date_add", "date_sub", "adddate", "subdate":
		return b.dateArith(n)
	case "timestampadd", "timestampdiff":
		return b.timestampAddDiff(n, name)
	case "to_timestamp", "to_date":
		if len(n.Args) == 2 {
			return b.parseDate(n, name)
		}
	case "age":
		return b.age(n)
	case ast.TimestampLiteral:
		// TIMESTAMP '...' is a typed literal, as in PostgreSQL.
		if len(n.Args) == 1 {
			if v, ok := n.Args[0].(*test_driver.ValueExpr); ok {
				return b.castConst(&Const{T: types.Varchar, S: v.Datum.GetString()}, types.Ts, n)
			}
		}
	case ast.DateLiteral, ast.TimeLiteral:
		typ := map[string]string{ast.DateLiteral: "DATE", ast.TimeLiteral: "TIME"}[name]
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "type %s is not supported yet; use TIMESTAMP '...'", typ)
	case parser.ExtractFunc:
		return b.extract(n)
	case "date_trunc":
		return b.dateTrunc(n)
	case "to_char", "date_format":
		return b.formatDate(n, name)
	case "concat":
		// TiDB gives a || b as concat(a, b); the function concat is
		// parser.ConcatFunc.
		xs, err := args(1, 64)
		if err != nil {
			return nil, err
		}
		if len(xs) == 2 {
			if e, ok, err := b.jsonbOperator(JSONBConcat, xs[0], xs[1], n); ok {
				return e, err
			}
		}
		if hasArray(xs) {
			return b.arrayConcat(xs, n)
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
	case parser.ConcatFunc, "concat_ws", "format":
		return b.anyText(n, name)
	case "lower", "lcase":
		return str(1, 1, FnLower, types.Varchar)
	case "upper", "ucase":
		return str(1, 1, FnUpper, types.Varchar)
	case "length", "char_length", "character_length":
		return str(1, 1, FnLength, types.Int)
	case "substring", "substr":
		return str(2, 3, FnSubstr, types.Varchar)
	case "trim":
		return b.trim(n)
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
		a := xs[0].Type()
		e, err := b.uniform(FnNullIf, xs, n)
		if err != nil || !a.Numeric() || sameType(a, e.Type()) && a.Prec == e.Type().Prec {
			return e, err
		}
		// nullif(a, b) has a's type, as in PostgreSQL, though a and b
		// compare in their common type: the value is a's, so the cast
		// back cannot fail, and i * nullif(11, k) is INT arithmetic.
		return &Cast{X: e, T: a}, nil
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
		return b.procTime(n)
	case "now", "current_timestamp", "localtimestamp", "transaction_timestamp", "statement_timestamp", "current_date":
		return b.now(n)
	case "sysdate", "utc_timestamp", "curdate",
		"current_time", "curtime", "localtime", "utc_date", "utc_time":
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s is not supported (there is no TIME type yet): NOW() and CURRENT_TIMESTAMP give the time, CURRENT_DATE the day", strings.ToUpper(b.written(n, name)))
	}
	if zonedArgs[name] {
		return b.callZoned(n, name)
	}
	if x, ok, err := b.callBuiltin(n, name); ok {
		return x, err
	}
	if x, ok, err := b.sysCall(n, args); ok {
		return x, err
	}
	if x, ok, err := b.callSQL(n); ok {
		return x, err
	}
	return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s does not exist", b.written(n, name))
}

// written is the name the user wrote for node n, which TiDB may have
// renamed, or name when the text says nothing better.
func (b *binder) written(n ast.Node, name string) string {
	if f, ok := n.(*ast.FuncCallExpr); ok && f.Schema.L != "" {
		return name // the text starts with the schema
	}
	if w, ok := b.q.(interface{ Word(ast.Node) string }); ok {
		if s := w.Word(n); s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z' || s[0] == '_') {
			return strings.ToLower(s)
		}
	}
	return name
}

// extract binds EXTRACT(field FROM x), which the parser gives as
// parser.ExtractFunc('field', x): PostgreSQL 15's NUMERIC of the field,
// exact. The canonical field (or the text of one x's type has not)
// travels as a constant first argument; a
// TIMESTAMPTZ's fields are those of its wall-clock time in the session's
// zone, and its instant, for epoch and the zone's offset, is a third.
func (b *binder) extract(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 2 {
		return nil, b.errAt(sqlerr.Syntax, n, "EXTRACT takes (field FROM timestamp)")
	}
	f, err := b.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	x, err := b.expr(n.Args[1])
	if err != nil {
		return nil, err
	}
	t := x.Type()
	switch t.Kind {
	case types.Timestamp, types.TimestampTZ, types.Date, types.Interval:
	default:
		if x, err = b.timestampArg(x, n.Args[1], "extract"); err != nil {
			return nil, err
		}
		t = x.Type()
	}
	fc, ok := f.(*Const)
	if !ok || fc.T.Kind != types.String {
		return nil, b.errAt(sqlerr.Syntax, n.Args[0], "EXTRACT takes (field FROM timestamp)")
	}
	field, ferr := DateField(fc.S, t)
	if ferr != nil {
		// As PostgreSQL's, the field is checked in each row that has a
		// value: the executor fails those (and a NULL is NULL).
		field = fc.S
	}
	scale := map[string]int{"milliseconds": 3, "second": 6, "epoch": 6}[field]
	if t.Kind == types.Date {
		scale = 0
	}
	rt := types.DecimalOf(types.MaxDecimalPrec, scale)
	if field == "julian" && t.Kind != types.Date || field == "epoch" && t.Kind == types.Interval {
		// A fraction of a day at PostgreSQL's division scale, and an
		// interval's 19 digits of µs.
		rt = types.Unconstrained
	}
	args := []Expr{&Const{T: types.Varchar, S: field}, x}
	switch t.Kind {
	case types.TimestampTZ:
		args = append(args, x)
		args[1] = &Cast{X: x, T: types.Ts, Zone: b.zone}
	}
	return &Call{Fn: FnExtract, Args: args, T: rt}, nil
}

// truncUnits are date_trunc's units.
var truncUnits = map[string]bool{
	"microseconds": true, "milliseconds": true, "second": true, "minute": true, "hour": true, "day": true,
	"week": true, "month": true, "quarter": true, "year": true, "decade": true, "century": true, "millennium": true,
}

// dateTrunc binds date_trunc('unit', ts), the unit a constant.
func (b *binder) dateTrunc(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 2 && len(n.Args) != 3 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function date_trunc with %d arguments does not exist", len(n.Args))
	}
	u, err := b.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	c, ok := u.(*Const)
	if !ok || c.T.Kind != types.String || c.Null {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n.Args[0], "date_trunc's unit must be a constant string")
	}
	unit := strings.ToLower(strings.TrimSpace(c.S))
	if !truncUnits[unit] {
		return nil, b.errAt(sqlerr.InvalidParameter, n.Args[0], "unit %q not recognized for type TIMESTAMP", c.S)
	}
	x, err := b.expr(n.Args[1])
	if err != nil {
		return nil, err
	}
	// A TIMESTAMPTZ (or a DATE, which PostgreSQL reads as one) truncates
	// in the session's zone, or the third argument's, and stays one.
	if k := x.Type().Kind; k == types.TimestampTZ || k == types.Date || len(n.Args) == 3 {
		if x, err = b.coerce(x, types.TsTZ, n.Args[1]); err != nil {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "function date_trunc(unknown, %s) does not exist", pgTypeName(x.Type()))
		}
		zone := Expr(&Const{T: types.Varchar, S: "UTC"})
		if b.zone != nil {
			zone = &Const{T: types.Varchar, S: b.zone.String()}
		}
		if len(n.Args) == 3 {
			if zone, err = b.expr(n.Args[2]); err != nil {
				return nil, err
			}
			if zone, err = b.coerce(zone, types.Varchar, n.Args[2]); err != nil {
				return nil, err
			}
		}
		return &Call{Fn: FnDateTrunc, Args: []Expr{&Const{T: types.Varchar, S: unit}, x, zone}, T: types.TsTZ}, nil
	}
	if x, err = b.timestampArg(x, n.Args[1], "date_trunc"); err != nil {
		return nil, err
	}
	return &Call{Fn: FnDateTrunc, Args: []Expr{&Const{T: types.Varchar, S: unit}, x}, T: x.Type()}, nil
}

// CheckDatePattern reports what is wrong with a to_char or DATE_FORMAT
// pattern; exec, whose formatter compiles patterns, sets it, so that a
// constant pattern is checked once, when the statement is planned.
var CheckDatePattern func(fn Func, pattern string) error

// formatDate binds PostgreSQL's to_char(timestamp, pattern) and Flink's
// DATE_FORMAT(timestamp, pattern), whose first argument may also be a
// string read as a timestamp (NULL when it is not one, as in Flink).
func (b *binder) formatDate(n *ast.FuncCallExpr, name string) (Expr, error) {
	fn, shown := FnToChar, "to_char"
	if name == "date_format" {
		fn, shown = FnDateFormat, "DATE_FORMAT"
	}
	if len(n.Args) != 2 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s with %d arguments does not exist; it takes (timestamp, pattern)", shown, len(n.Args))
	}
	x, err := b.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	var zone Expr // a TIMESTAMPTZ prints in the session's zone, named by a third argument
	switch k := x.Type().Kind; {
	case k == types.Timestamp, k == types.Interval && fn == FnToChar:
	case k == types.Date || k == types.TimestampTZ:
		if k == types.Date {
			x = &Cast{X: x, T: types.TsTZ, Zone: b.zone} // PostgreSQL's to_char(timestamptz)
		}
		zone = &Const{T: types.Varchar, S: b.zone.String()}
	case k == types.String && fn == FnDateFormat:
		if c, ok := x.(*Const); ok && !c.Null {
			if x, err = b.coerce(x, types.Ts, n.Args[0]); err != nil {
				return nil, err
			}
		}
	case k == types.String || k == types.Null:
		if x, err = b.timestampArg(x, n.Args[0], name); err != nil {
			return nil, err
		}
	default:
		return nil, b.errAt(sqlerr.UndefinedFunction, n.Args[0], "function %s(%s, text) does not exist; it formats a TIMESTAMP", shown, x.Type())
	}
	p, err := b.expr(n.Args[1])
	if err != nil {
		return nil, err
	}
	if p, err = b.coerce(p, types.Varchar, n.Args[1]); err != nil {
		return nil, err
	}
	if c, ok := p.(*Const); ok && !c.Null && c.Param == 0 && CheckDatePattern != nil {
		if err := CheckDatePattern(fn, c.S); err != nil {
			if e, ok := sqlerr.As(err); ok {
				return nil, b.errAt(e.Kind, n.Args[1], "%s", e.Msg)
			}
			return nil, fmt.Errorf("%s pattern: %w", shown, err)
		}
	}
	if zone != nil {
		return &Call{Fn: fn, Args: []Expr{x, p, zone}, T: types.Varchar}, nil
	}
	return &Call{Fn: fn, Args: []Expr{x, p}, T: types.Varchar}, nil
}

// timestampArg coerces a function's TIMESTAMP argument (a string literal
// reads as one).
func (b *binder) timestampArg(x Expr, at ast.Node, fn string) (Expr, error) {
	switch x.Type().Kind {
	case types.Timestamp:
		return x, nil
	case types.Date, types.TimestampTZ:
		// Fields of the wall-clock time in the session's zone.
		return &Cast{X: x, T: types.Ts, Zone: b.zone}, nil
	}
	if c, ok := x.(*Const); ok && (c.T.Kind == types.String || c.T.Kind == types.Null) {
		return b.coerce(x, types.Ts, at)
	}
	return nil, b.errAt(sqlerr.UndefinedFunction, at, "function %s(%s) does not exist", fn, x.Type())
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
		// round(x, s) is numeric's, of scale max(s, 0), as PostgreSQL's:
		// round(5, 2) is 5.00, round(1250, -2) 1300. A DECIMAL rounded to
		// a constant s that keeps it within 18 digits is a cast; any
		// other exact x rounds as a NUMERIC (s may vary by row).
		digits, err := b.coerce(xs[1], types.Int, n.Args[1])
		if err != nil {
			return nil, err
		}
		if c, ok := digits.(*Const); ok && !c.Null && (c.I < -1000 || c.I > 1000) {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n.Args[1], "round's second argument must be between -1000 and 1000")
		}
		if t.Kind == types.Float64 {
			return &Call{Fn: fn, Args: []Expr{x, digits}, T: t}, nil
		}
		if c, ok := digits.(*Const); ok && !c.Null && c.Param == 0 && t.Kind == types.Decimal && c.I >= 0 && t.Prec-t.Scale+int(c.I) <= types.MaxDecimalPrec {
			return &Cast{X: x, T: types.DecimalOf(types.MaxDecimalPrec, int(c.I))}, nil
		}
		if x, err = b.coerce(x, types.Unconstrained, n.Args[0]); err != nil {
			return nil, err
		}
		return &Call{Fn: fn, Args: []Expr{x, digits}, T: types.Unconstrained}, nil
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
	if (isJSON(x.Type()) || isJSON(t)) && !jsonCastable(x.Type(), t) {
		return nil, b.errAt(sqlerr.DatatypeMismatch, at, "cannot cast type %s to %s", pgTypeName(x.Type()), pgTypeName(t))
	}
	if c, ok := x.(*Const); ok {
		return b.castConst(c, t, at)
	}
	from := x.Type()
	if (from.Kind == types.Array) != (t.Kind == types.Array) && from.Kind != types.String && t.Kind != types.String {
		return nil, b.errAt(sqlerr.DatatypeMismatch, at, "cannot cast type %s to %s", pgTypeName(from), pgTypeName(t))
	}
	timeish := func(t types.T) bool { return t.Temporal() || t.Kind == types.Interval }
	if (timeish(from) || timeish(t)) && from.Kind != types.String && t.Kind != types.String &&
		!(from.Temporal() && t.Temporal()) && from.Kind != t.Kind ||
		from.Kind == types.Bool && !t.Integer() && t.Kind != types.String ||
		t.Kind == types.Bool && !from.Integer() && from.Kind != types.String && from.Kind != types.JSONB {
		return nil, b.errAt(sqlerr.DatatypeMismatch, at, "cannot cast type %s to %s", from, t)
	}
	return &Cast{X: x, T: t, Zone: b.zone}, nil
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
	if k := x.Type().Kind; !x.Type().Temporal() && k != types.Interval {
		if c, ok := x.(*Const); !ok || c.T.Kind != types.String && c.T.Kind != types.Null {
			return nil, b.errAt(sqlerr.UndefinedFunction, n.Args[0], "operator does not exist: %s + interval", pgTypeName(x.Type()))
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
	// The front end writes every interval literal in date arithmetic as
	// INTERVAL n MICROSECOND; other units are MySQL's, read as interval
	// text ('5' DAY is '5 DAY').
	iv, err := parser.ParseInterval(text+" "+unit.Unit.String(), 0)
	if unit.Unit == ast.TimeUnitMicrosecond {
		var us int64
		if us, err = strconv.ParseInt(text, 10, 64); err == nil {
			iv = vec.Interval{Micros: us}
		}
	}
	if err != nil {
		return nil, sqlerr.WithPos(err, b.q.Pos(n.Args[1]))
	}
	fn := FnAdd
	if name := n.FnName.L; name == "date_sub" || name == "subdate" {
		fn = FnSub
	}
	e, _, err := b.timeArith(fn, x, IntervalConst(iv), n)
	return e, err
}
