package planner

import (
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec/vec"

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
	// justify_hours, justify_days and justify_interval carry whole days of
	// the time into days, and whole 30 days into months.
	for _, name := range []string{"justify_hours", "justify_days", "justify_interval"} {
		RegisterBuiltin(&Builtin{Name: name, MayFail: true, Sigs: []Sig{{Args: []types.T{ival}, Ret: ival}}})
	}
	// age(a, b) of two wall-clock times (see binder.age).
	RegisterBuiltin(&Builtin{Name: "age", MayFail: true, Sigs: []Sig{{Args: []types.T{types.Ts, types.Ts}, Ret: ival}}})
	// timestamptz_pl_interval(ts, interval, zone) is ts + interval in a
	// zone with daylight-saving time: the interval's whole days are
	// calendar days there, the rest exact time, as PostgreSQL adds them.
	RegisterBuiltin(&Builtin{Name: "timestamptz_pl_interval", MayFail: true, Sigs: []Sig{{Args: []types.T{types.TsTZ, ival, types.Varchar}, Ret: types.TsTZ}}})
	// timezone(zone, x) is x AT TIME ZONE zone: a TIMESTAMP read as the
	// wall-clock time in zone is a TIMESTAMPTZ, and a TIMESTAMPTZ's
	// wall-clock time in zone is a TIMESTAMP.
	text := types.Varchar
	RegisterBuiltin(&Builtin{Name: "timezone", MayFail: true, Sigs: []Sig{
		{Args: []types.T{text, types.Ts}, Ret: types.TsTZ},
		{Args: []types.T{text, types.TsTZ}, Ret: types.Ts},
	}})
	// date_part(field, x) in double precision; a TIMESTAMPTZ or DATE is
	// read in the session's zone (see zonedArgs).
	RegisterBuiltin(&Builtin{Name: "date_part", MayFail: true, Sigs: []Sig{
		{Args: []types.T{text, types.Ts}, Ret: dbl},
		{Args: []types.T{text, ival}, Ret: dbl},
	}})
	// Flink's (and MySQL's) accessors of a timestamp's fields.
	for _, name := range accessors {
		RegisterBuiltin(&Builtin{Name: name, Sigs: []Sig{{Args: []types.T{types.Ts}, Ret: types.BigInt}}})
	}
	i := types.Int
	RegisterBuiltin(&Builtin{Name: "make_date", MayFail: true, Sigs: []Sig{{Args: []types.T{i, i, i}, Ret: types.Dt}}})
	RegisterBuiltin(&Builtin{Name: "make_timestamp", MayFail: true, Sigs: []Sig{{Args: []types.T{i, i, i, i, i, dbl}, Ret: types.Ts}}})
	// to_timestamp(double) is PostgreSQL's, epoch seconds to TIMESTAMPTZ;
	// to_timestamp(text) is Flink's TO_TIMESTAMP(string), text to TIMESTAMP.
	// to_timestamp(text, template) and to_date(text, template) parse by
	// PostgreSQL's template or Flink's Java pattern (DateTemplateIsJava);
	// their kernels give the wall-clock time, which parseDate casts.
	RegisterBuiltin(&Builtin{Name: "to_timestamp", MayFail: true, Check: checkDateTemplate, Sigs: []Sig{
		{Args: []types.T{dbl}, Ret: types.TsTZ},
		{Args: []types.T{text}, Ret: types.Ts},
		{Args: []types.T{text, text}, Ret: types.Ts},
	}})
	RegisterBuiltin(&Builtin{Name: "to_date", MayFail: true, Check: checkDateTemplate, Sigs: []Sig{
		{Args: []types.T{text, text}, Ret: types.Ts},
	}})
}

// accessors are Flink's field functions, each a date_part field.
var accessors = []string{"year", "quarter", "month", "week", "dayofyear", "dayofmonth", "dayofweek", "hour", "minute", "second"}

// zonedArgs are the builtins whose TIMESTAMPTZ and DATE arguments mean
// their wall-clock time in the session's zone: converted before the
// signatures are matched.
var zonedArgs = map[string]bool{"date_part": true}

func init() {
	for _, a := range accessors {
		zonedArgs[a] = true
	}
}

// callZoned binds a call of a zonedArgs builtin.
func (b *binder) callZoned(n *ast.FuncCallExpr, name string) (Expr, error) {
	xs := make([]Expr, len(n.Args))
	var field *Const // date_part's, when a constant
	for i, a := range n.Args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		if c, ok := x.(*Const); ok && i == 0 && name == "date_part" && c.T.Kind == types.String && !c.Null {
			field = c
		}
		xs[i] = x
	}
	epoch := false
	if name == "date_part" && len(xs) == 2 {
		// date_part(text, date) is its TIMESTAMP's, as in PostgreSQL.
		t := xs[1].Type()
		if t.Kind == types.Date {
			t = types.Ts
		}
		f := ""
		if field != nil && (t.Temporal() || t.Kind == types.Interval) {
			// A field t has not fails each row with a value, in the
			// kernel, as in PostgreSQL.
			if c, ferr := DateField(field.S, t); ferr == nil {
				f = c
				xs[0] = &Const{T: types.Varchar, S: f}
			}
		}
		epoch = f == "epoch"
		if t.Kind == types.TimestampTZ && (f == "" || strings.HasPrefix(f, "timezone")) {
			// The zone's offset needs the instant too, as a third
			// argument (and so does a field known only in the row).
			tz := xs[1]
			xs[1] = &Cast{X: tz, T: types.Ts, Zone: b.zone}
			e, err := b.bindBuiltin(builtins[name], xs, n)
			if c, ok := e.(*Call); ok && err == nil {
				c.Args = append(c.Args, tz)
			}
			return e, err
		}
	}
	for i, x := range xs {
		if k := x.Type().Kind; k == types.TimestampTZ || k == types.Date {
			// A TIMESTAMPTZ's epoch is its instant's, in no zone.
			zone := b.zone
			if epoch {
				zone = nil
			}
			xs[i] = &Cast{X: x, T: types.Ts, Zone: zone}
		}
	}
	return b.bindBuiltin(builtins[name], xs, n)
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
		case k1 == types.TimestampTZ && k2 == types.Interval && b.zone != nil && b.zone != time.UTC:
			return b.zonedAdd(fn, x, y), true, nil
		case k1 == types.Interval && k2 == types.TimestampTZ && fn == FnAdd && b.zone != nil && b.zone != time.UTC:
			return b.zonedAdd(fn, y, x), true, nil
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

// age binds age(a, b) and age(b), which is age(CURRENT_DATE, b): the
// difference of the two times' fields in years, months, days and time,
// as PostgreSQL's. A TIMESTAMPTZ or DATE is read as its wall-clock time
// in the session's zone, as timestamptz_age reads them.
func (b *binder) age(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 1 && len(n.Args) != 2 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function age with %d arguments does not exist", len(n.Args))
	}
	var xs []Expr
	if len(n.Args) == 1 {
		c := b.clock
		if c == nil || c.streaming {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n, "age(x) is age(CURRENT_DATE, x), which is allowed only in a query, not a view: write age(ts1, ts2)")
		}
		zone := b.zone
		if zone == nil {
			zone = time.UTC
		}
		today := vec.DateOfTimestamp(vec.ToLocal(c.now, zone)) * vec.DayMicros
		xs = append(xs, &Const{T: types.Ts, I: today})
	}
	for _, a := range n.Args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		if x, err = b.timestampArg(x, a, "age"); err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	return b.bindBuiltin(builtins["age"], xs, n)
}

// zonedAdd is ts ± iv of a TIMESTAMPTZ in the session's zone.
func (b *binder) zonedAdd(fn Func, ts, iv Expr) Expr {
	if fn == FnSub {
		iv = &Call{Fn: FnNeg, Args: []Expr{iv}, T: types.Ival}
	}
	zone := &Const{T: types.Varchar, S: b.zone.String()}
	return &Call{Fn: FnBuiltin, B: builtins["timestamptz_pl_interval"], Args: []Expr{ts, iv, zone}, T: types.TsTZ}
}

// timestampUnits are TIMESTAMPADD's and TIMESTAMPDIFF's units.
var timestampUnits = map[ast.TimeUnitType]string{
	ast.TimeUnitMicrosecond: "microsecond", ast.TimeUnitSecond: "second", ast.TimeUnitMinute: "minute",
	ast.TimeUnitHour: "hour", ast.TimeUnitDay: "day", ast.TimeUnitWeek: "week", ast.TimeUnitMonth: "month",
	ast.TimeUnitQuarter: "quarter", ast.TimeUnitYear: "year",
}

func init() {
	text, ts := types.Varchar, types.Ts
	RegisterBuiltin(&Builtin{Name: "timestampadd", MayFail: true, Sigs: []Sig{{Args: []types.T{text, types.BigInt, ts}, Ret: ts}}})
	RegisterBuiltin(&Builtin{Name: "timestampdiff", Sigs: []Sig{{Args: []types.T{text, ts, ts}, Ret: types.BigInt}}})
}

// timestampAddDiff binds Flink's TIMESTAMPADD(unit, n, ts) and
// TIMESTAMPDIFF(unit, ts1, ts2), which TiDB gives with the unit first. A
// month is a calendar month here, not an interval: TIMESTAMPADD(MONTH, 1,
// '2024-01-31') is 2024-02-29, as in Flink.
func (b *binder) timestampAddDiff(n *ast.FuncCallExpr, name string) (Expr, error) {
	shown := strings.ToUpper(name)
	if len(n.Args) != 3 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "%s takes (unit, %s)", shown, map[string]string{"timestampadd": "n, timestamp", "timestampdiff": "timestamp, timestamp"}[name])
	}
	u, ok := n.Args[0].(*ast.TimeUnitExpr)
	unit := ""
	if ok {
		unit = timestampUnits[u.Unit]
	}
	if unit == "" {
		return nil, b.errAt(sqlerr.InvalidParameter, n.Args[0], "%s's unit must be one of MICROSECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR", shown)
	}
	xs := []Expr{&Const{T: types.Varchar, S: unit}}
	for i, a := range n.Args[1:] {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		if i == 1 || name == "timestampdiff" {
			if x, err = b.timestampArg(x, a, strings.ToLower(shown)); err != nil {
				return nil, err
			}
		}
		xs = append(xs, x)
	}
	return b.bindBuiltin(builtins[name], xs, n)
}

// DateTemplateIsJava and CheckDateTemplate are exec's: whether a constant
// to_timestamp template is Flink's, and whether it compiles.
var (
	DateTemplateIsJava func(p string) bool
	CheckDateTemplate  func(p string) error
)

// checkDateTemplate fails the statement for a constant template that
// does not compile, rather than each row.
func checkDateTemplate(_ *Builtin, args []Expr) (int, error) {
	if len(args) != 2 {
		return 0, nil
	}
	if c, ok := args[1].(*Const); ok && !c.Null && c.Param == 0 && CheckDateTemplate != nil {
		return 1, CheckDateTemplate(c.S)
	}
	return 0, nil
}

// parseDate binds to_timestamp(text, template) and to_date(text,
// template). PostgreSQL's read the text as the session zone's wall clock:
// to_timestamp is that instant, a TIMESTAMPTZ; to_date its day. Flink's
// TO_TIMESTAMP (a constant Java pattern) is the TIMESTAMP itself.
func (b *binder) parseDate(n *ast.FuncCallExpr, name string) (Expr, error) {
	e, _, err := b.callBuiltin(n, name)
	if err != nil {
		return nil, err
	}
	call, ok := e.(*Call)
	if !ok {
		return e, nil // folded to a constant
	}
	if name == "to_date" {
		return &Cast{X: call, T: types.Dt}, nil
	}
	if c, ok := call.Args[1].(*Const); ok && !c.Null && c.Param == 0 && DateTemplateIsJava != nil && DateTemplateIsJava(c.S) {
		return call, nil
	}
	return &Cast{X: call, T: types.TsTZ, Zone: b.zone}, nil
}
