package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// The date and time builtins of PostgreSQL, and Flink's names for them.
func init() {
	ival, dbl := types.Ival, types.Double
	// interval * n and interval / n, in double precision rounded to µs, as
	// PostgreSQL computes them.
	RegisterBuiltin(&Builtin{Name: "interval_mul", MayFail: true, Sigs: []Sig{{Args: []types.T{ival, dbl}, Ret: ival}}})
	RegisterBuiltin(&Builtin{Name: "interval_div", MayFail: true, Sigs: []Sig{{Args: []types.T{ival, dbl}, Ret: ival}}})
	// timezone(zone, x) is x AT TIME ZONE zone: a TIMESTAMP read as the
	// wall-clock time in zone is a TIMESTAMPTZ, and a TIMESTAMPTZ's
	// wall-clock time in zone is a TIMESTAMP.
	text := types.Varchar
	RegisterBuiltin(&Builtin{Name: "timezone", MayFail: true, Sigs: []Sig{
		{Args: []types.T{text, types.Ts}, Ret: types.TsTZ},
		{Args: []types.T{text, types.TsTZ}, Ret: types.Ts},
	}})
}

// timeArith types +, - and * over dates, timestamps and intervals, as
// PostgreSQL's operators do: date ± integer is a date, date - date an
// integer, date ± interval a timestamp, timestamp - timestamp an interval,
// timestamp ± interval a timestamp, interval ± interval an interval and
// interval * or / a number an interval. ok is false when neither operand
// is one of these types.
func (b *binder) timeArith(fn Func, x, y Expr, n ast.Node) (Expr, bool, error) {
	xt, yt := x.Type(), y.Type()
	timeish := func(t types.T) bool { return t.Temporal() || t.Kind == types.Interval }
	if !timeish(xt) && !timeish(yt) {
		return nil, false, nil
	}
	// An untyped literal takes the type the other operand's operator
	// needs: an interval beside a timestamp, a number beside a date.
	lit := func(e Expr) bool {
		c, ok := e.(*Const)
		return ok && (c.T.Kind == types.String || c.T.Kind == types.Null) && c.Param == 0
	}
	var err error
	coerce := func(e *Expr, t types.T) {
		if err == nil {
			*e, err = b.coerce(*e, t, n)
		}
	}
	switch {
	case lit(y) && xt.Kind == types.Date && (fn == FnAdd || fn == FnSub):
		coerce(&y, types.Int)
	case lit(y) && (xt.Kind == types.Timestamp || xt.Kind == types.TimestampTZ) && fn == FnSub:
		coerce(&y, xt) // ts - 'text' is a difference of timestamps in PostgreSQL
	case lit(y) && timeish(xt) && (fn == FnAdd || fn == FnSub):
		coerce(&y, types.Ival)
	case lit(x) && timeish(yt) && fn == FnAdd:
		coerce(&x, types.Ival)
	case lit(x) && yt.Temporal() && fn == FnSub:
		coerce(&x, yt)
	}
	if err != nil {
		return nil, true, err
	}
	xt, yt = x.Type(), y.Type()
	call := func(fn Func, t types.T, args ...Expr) (Expr, bool, error) {
		return &Call{Fn: fn, Args: args, T: t}, true, nil
	}
	toTs := func(e Expr) Expr {
		if e.Type().Kind == types.Date {
			return &Cast{X: e, T: types.Ts, Zone: b.zone}
		}
		return e
	}
	k1, k2 := xt.Kind, yt.Kind
	switch fn {
	case FnAdd, FnSub:
		switch {
		case k1 == types.Date && yt.Integer():
			coerce(&y, types.Int)
			return call(fn, types.Dt, x, y)
		case k2 == types.Date && xt.Integer() && fn == FnAdd:
			coerce(&x, types.Int)
			return call(fn, types.Dt, y, x)
		case k1 == types.Date && k2 == types.Date && fn == FnSub:
			return call(fn, types.Int, x, y)
		case xt.Temporal() && k2 == types.Interval:
			x = toTs(x)
			return call(fn, x.Type(), x, y)
		case k1 == types.Interval && yt.Temporal() && fn == FnAdd:
			y = toTs(y)
			return call(fn, y.Type(), y, x)
		case k1 == types.Interval && k2 == types.Interval:
			return call(fn, types.Ival, x, y)
		case xt.Temporal() && yt.Temporal() && fn == FnSub:
			t, terr := b.commonType([]Expr{x, y}, []ast.Node{n, n}, n)
			if terr != nil {
				break
			}
			coerce(&x, t)
			coerce(&y, t)
			if err != nil {
				return nil, true, err
			}
			return call(fn, types.Ival, x, y)
		}
	case FnMul, FnDiv:
		iv, num := x, y
		if k2 == types.Interval && fn == FnMul {
			iv, num = y, x
		}
		if iv.Type().Kind != types.Interval || !num.Type().Numeric() && !lit(num) {
			break
		}
		name := "interval_mul"
		if fn == FnDiv {
			name = "interval_div"
		}
		coerce(&num, types.Double)
		if err != nil {
			return nil, true, err
		}
		return &Call{Fn: FnBuiltin, B: builtins[name], Args: []Expr{iv, num}, T: types.Ival}, true, nil
	}
	if err != nil {
		return nil, true, err
	}
	return nil, true, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s %s %s", pgTypeName(xt), funcInfo[fn].infix, pgTypeName(yt))
}
