package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// Expr is a typed scalar expression over one input row: pure data that
// exec compiles into vectorized evaluators.
type Expr interface {
	Type() types.T
	String() string
}

// ColRef reads input column Idx.
type ColRef struct {
	Idx  int
	Name string
	T    types.T
}

// Const is a literal. The value lives in the field its type's kind uses
// (see types.Kind).
type Const struct {
	T    types.T
	Null bool
	I    int64
	F    float64
	S    string
	B    bool
	// Param is n when the constant stands for parameter $n: coercing it
	// infers the parameter's type.
	Param int
}

// IntervalConst is the INTERVAL constant x: its µs in I, its months and
// days in S (their tag, as a column holds them).
func IntervalConst(x vec.Interval) *Const { return &Const{T: types.Ival, I: x.Micros, S: x.Tag()} }

// Interval is an INTERVAL constant's value.
func (e *Const) Interval() vec.Interval { return vec.IntervalOfTag(e.S, e.I) }

// FixedLength is an INTERVAL constant as a fixed length of time in µs, its
// days 24 hours, for the places that need one (a watermark's delay, a
// temporal filter's or an interval join's bound, a frame's offset); false
// when it has months, which have no fixed length.
func (e *Const) FixedLength() (int64, bool) {
	x := e.Interval()
	if x.Months != 0 {
		return 0, false
	}
	d, ok1 := vec.MulInt64(int64(x.Days), vec.DayMicros)
	us, ok2 := vec.AddInt64(d, x.Micros)
	return us, ok1 && ok2
}

// Call applies a built-in function or operator; Fn is FnBuiltin for a
// declared Builtin, which B then names.
type Call struct {
	Fn   Func
	B    *Builtin
	Args []Expr
	T    types.T
}

// Case is CASE WHEN c1 THEN r1 ... ELSE e END; Else may be nil (NULL).
type Case struct {
	Whens []When
	Else  Expr
	T     types.T
}

// When is one arm of a Case.
type When struct{ Cond, Then Expr }

// Cast converts X to T.
type Cast struct {
	X Expr
	T types.T
	// Zone is the time zone a conversion between TIMESTAMPTZ and a type
	// without a zone happens in: the session's when the statement was
	// planned (nil: UTC).
	Zone *time.Location
}

func (e *ColRef) Type() types.T { return e.T }
func (e *Const) Type() types.T  { return e.T }
func (e *Call) Type() types.T   { return e.T }
func (e *Case) Type() types.T   { return e.T }
func (e *Cast) Type() types.T   { return e.T }

func (e *ColRef) String() string { return e.Name }

func (e *Const) String() string {
	if e.Null {
		return "NULL"
	}
	switch e.T.Kind {
	case types.String:
		return "'" + strings.ReplaceAll(e.S, "'", "''") + "'"
	case types.Array:
		s := string(vec.AppendArrayText(nil, e.S, e.T.ElemType(), nil))
		return "CAST('" + strings.ReplaceAll(s, "'", "''") + "' AS " + e.T.String() + ")"
	case types.Bool:
		return strings.ToUpper(strconv.FormatBool(e.B))
	case types.Float64:
		return string(vec.AppendFloat(nil, e.F))
	case types.Decimal:
		return string(vec.AppendDecimal(nil, e.I, e.T.Scale))
	case types.Numeric:
		return e.S
	case types.Timestamp:
		return "TIMESTAMP '" + string(vec.AppendTimestamp(nil, e.I)) + "'"
	case types.Interval:
		return "INTERVAL '" + string(vec.AppendIntervalText(nil, e.Interval())) + "'"
	case types.Date:
		return "DATE '" + string(vec.AppendDate(nil, e.I)) + "'"
	case types.TimestampTZ:
		return "TIMESTAMPTZ '" + string(vec.AppendTimestampTZ(nil, e.I, time.UTC)) + "'"
	}
	return strconv.FormatInt(e.I, 10)
}

func (e *Call) String() string {
	info := funcInfo[e.Fn]
	if e.B != nil {
		info = funcDesc{name: e.B.Name}
	}
	if e.Fn == FnExtract {
		if f, ok := e.Args[0].(*Const); ok {
			// A TIMESTAMPTZ's instant is its last argument.
			return "EXTRACT(" + strings.ToUpper(f.S) + " FROM " + e.Args[len(e.Args)-1].String() + ")"
		}
	}
	if info.infix != "" && len(e.Args) == 3 { // LIKE ... ESCAPE
		return "(" + e.Args[0].String() + " " + info.infix + " " + e.Args[1].String() + " ESCAPE " + e.Args[2].String() + ")"
	}
	if info.infix != "" && len(e.Args) == 2 {
		return "(" + e.Args[0].String() + " " + info.infix + " " + e.Args[1].String() + ")"
	}
	if info.infix != "" && len(e.Args) == 1 {
		if info.postfix {
			return "(" + e.Args[0].String() + " " + info.infix + ")"
		}
		return "(" + info.infix + " " + e.Args[0].String() + ")"
	}
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return info.name + "(" + strings.Join(args, ", ") + ")"
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", w.Cond, w.Then)
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}

func (e *Cast) String() string { return fmt.Sprintf("CAST(%s AS %s)", e.X, e.T) }

// Func names a built-in scalar function or operator.
type Func uint8

const (
	FnAdd Func = iota
	FnSub
	FnMul
	FnDiv
	FnMod
	FnNeg
	FnEq
	FnNe
	FnLt
	FnLe
	FnGt
	FnGe
	FnAnd
	FnOr
	FnNot
	FnIsNull
	FnIsNotNull
	FnLike
	FnNotLike
	FnConcat
	FnLower
	FnUpper
	FnLength
	FnSubstr
	FnAbs
	FnRound
	FnFloor
	FnCeil
	FnCoalesce
	FnNullIf
	FnGreatest
	FnLeast
	FnIn
	FnNotIn
	FnDateTrunc
	FnExtract
	FnVersion
	FnPow
	FnToChar
	FnDateFormat
	// FnNow is NOW() in a view, which only a temporal filter takes
	// (temporal.go); in a statement NOW() is a constant.
	FnNow
	// FnBuiltin is a Call of a declared Builtin (see Call.B).
	FnBuiltin
	// FnIsDistinct and FnIsNotDistinct are x IS [NOT] DISTINCT FROM y:
	// never NULL, two NULLs not distinct, a NULL and a value distinct.
	FnIsDistinct
	FnIsNotDistinct
	numFuncs
)

// funcDesc says how a Func prints.
type funcDesc struct {
	name    string
	infix   string
	postfix bool
}

var funcInfo = [numFuncs]funcDesc{
	FnAdd: {infix: "+"}, FnSub: {infix: "-"}, FnMul: {infix: "*"}, FnDiv: {infix: "/"},
	FnMod: {infix: "%"}, FnNeg: {infix: "-"},
	FnEq: {infix: "="}, FnNe: {infix: "<>"}, FnLt: {infix: "<"}, FnLe: {infix: "<="},
	FnGt: {infix: ">"}, FnGe: {infix: ">="}, FnAnd: {infix: "AND"}, FnOr: {infix: "OR"},
	FnNot: {infix: "NOT"}, FnIsNull: {infix: "IS NULL", postfix: true},
	FnIsNotNull: {infix: "IS NOT NULL", postfix: true},
	FnLike:      {infix: "LIKE"}, FnNotLike: {infix: "NOT LIKE"}, FnConcat: {infix: "||"},
	FnLower: {name: "lower"}, FnUpper: {name: "upper"}, FnLength: {name: "char_length"},
	FnSubstr: {name: "substring"}, FnAbs: {name: "abs"},
	FnRound: {name: "round"}, FnFloor: {name: "floor"}, FnCeil: {name: "ceil"},
	FnCoalesce: {name: "coalesce"}, FnNullIf: {name: "nullif"}, FnGreatest: {name: "greatest"},
	FnLeast: {name: "least"}, FnIn: {name: "in"}, FnNotIn: {name: "not_in"},
	FnDateTrunc: {name: "date_trunc"}, FnExtract: {name: "extract"}, FnVersion: {name: "version"},
	FnPow: {infix: "^"}, FnToChar: {name: "to_char"}, FnDateFormat: {name: "date_format"},
	FnNow: {name: "now"}, FnIsDistinct: {infix: "IS DISTINCT FROM"}, FnIsNotDistinct: {infix: "IS NOT DISTINCT FROM"},
}
