package planner

import (
	"github.com/cockroachdb/apd/v3"

	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// sameType reports whether a and b have one physical meaning.
func sameType(a, b types.T) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == types.Array {
		return a.Elem == b.Elem && sameType(a.ElemType(), b.ElemType())
	}
	switch a.Kind {
	case types.Decimal:
		return a.Scale == b.Scale
	case types.Numeric:
		return a.Prec == b.Prec && a.Scale == b.Scale
	}
	return true
}

// coerce converts x to t where SQL allows it implicitly: numeric widening,
// NULL to anything, and literals of unknown intent (strings, 0/1) parsed
// into the context's type at plan time, as PostgreSQL types an untyped
// literal by its context.
func (b *binder) coerce(x Expr, t types.T, at ast.Node) (Expr, error) {
	xt := x.Type()
	if c, ok := x.(*Const); ok && c.Param != 0 {
		b.params.infer(c.Param, t)
	}
	if sameType(xt, t) && (t.Kind != types.Decimal || t.Prec >= xt.Prec) {
		return x, nil
	}
	if c, ok := x.(*Const); ok {
		if c.Null {
			return &Const{T: t, Null: true, Param: c.Param}, nil
		}
		// A parameter converts like a literal, whatever type the client
		// sent it as.
		if c.T.Kind == types.String || c.T.Kind == types.Int32 && t.Kind == types.Bool || c.Param != 0 {
			return b.castConst(c, t, at)
		}
	}
	if widens(xt, t) || sameType(xt, t) {
		if c, ok := x.(*Const); ok {
			return b.castConst(c, t, at)
		}
		return &Cast{X: x, T: t, Zone: b.zone}, nil
	}
	return nil, b.errAt(sqlerr.DatatypeMismatch, at, "expression has type %s, but %s is expected here", xt, t)
}

// widens reports an implicit, lossless-enough numeric conversion.
func widens(from, to types.T) bool {
	switch from.Kind {
	case types.Null:
		return true
	case types.Int32:
		return to.Kind == types.Int64 || to.Kind == types.Float64 || to.Kind == types.Decimal || to.Kind == types.Numeric
	case types.Int64:
		return to.Kind == types.Float64 || to.Kind == types.Decimal || to.Kind == types.Numeric
	case types.Decimal:
		return to.Kind == types.Float64 || to.Kind == types.Decimal && to.Scale >= from.Scale ||
			to.Kind == types.Numeric && (to.Prec == 0 || to.Scale >= from.Scale && to.Prec-to.Scale >= from.Prec-from.Scale)
	case types.Numeric:
		// PostgreSQL casts numeric to float8 implicitly; to a NUMERIC
		// without a typmod always.
		return to.Kind == types.Float64 || to.Kind == types.Numeric && to.Prec == 0
	case types.Date:
		return to.Kind == types.Timestamp || to.Kind == types.TimestampTZ
	case types.Timestamp:
		return to.Kind == types.TimestampTZ
	case types.Array:
		return to.Kind == types.Array && (from.Elem == types.Null || widens(from.ElemType(), to.ElemType()) || sameType(from.ElemType(), to.ElemType()))
	}
	return false
}

// castConst converts a constant at plan time; a literal that does not
// parse is the user's error (22P02), reported where it stands.
func (b *binder) castConst(c *Const, t types.T, at ast.Node) (Expr, error) {
	if c.Param != 0 {
		b.params.infer(c.Param, t)
	}
	if c.Null {
		return &Const{T: t, Null: true, Param: c.Param}, nil
	}
	v := vec.New(c.T, 1)
	appendConst(&v, c)
	out := vec.New(t, 1)
	if r := CastValueIn(&v, 0, &out, b.zone); r != CastOK {
		err := CastError(r, c.T, t, v.Text(0))
		err.Pos = b.q.Pos(at)
		return nil, err
	}
	r := ConstAt(&out, 0)
	r.Param = c.Param
	return r, nil
}

// ConstAt is row i of v as a constant of v's type, the inverse of
// appendConst.
func ConstAt(v *vec.Vec, i int) *Const {
	c := &Const{T: v.Type, Null: v.IsNull(i)}
	if c.Null {
		return c
	}
	switch v.Type.Phys() {
	case types.Bool:
		c.B = v.Bool[i]
	case types.Float64:
		c.F = v.F64[i]
	case types.Numeric:
		c.S = v.NumericString(i)
	case types.Interval:
		c.I, c.S = v.I64[i], v.Str[i]
	case types.String:
		c.S = v.Str[i]
	default:
		c.I = v.I64[i]
	}
	return c
}

// appendConst appends a constant's value to v.
func appendConst(v *vec.Vec, c *Const) {
	switch {
	case c.Null:
		v.AppendNull()
	case c.T.Kind == types.Bool:
		v.AppendBool(c.B)
	case c.T.Kind == types.Float64:
		v.AppendF64(c.F)
	case c.T.Kind == types.Interval:
		v.AppendInterval(c.Interval())
	case c.T.InStr():
		v.AppendStr(c.S)
	default:
		v.AppendI64(c.I)
	}
}

// CastResult says how a conversion went.
type CastResult uint8

const (
	CastOK CastResult = iota
	// CastInvalid is a value the target type has no meaning for (text
	// that does not parse).
	CastInvalid
	// CastOverflow is a value outside the target type's range.
	CastOverflow
	// CastField is date or time text with a field out of its range.
	CastField
	// CastIntervalRange is interval text whose value is out of range
	// (22008), not one of its fields (CastOverflow, 22015).
	CastIntervalRange
	// CastZone is a TIMESTAMPTZ's text naming an unknown time zone.
	CastZone
	// CastNaN is a NaN or Infinity, which NUMERIC does not hold here.
	CastNaN
	// CastZoneDisp is date or time text with a UTC offset beyond ±15
	// hours.
	CastZoneDisp
)

// CastValue converts row i of src to out's type and appends it, or on
// failure appends nothing and says why. It is the one definition of
// conversions, used for constants here and for columns by exec.
// Conversions between TIMESTAMPTZ and the types without a zone happen in
// UTC; CastValueIn gives the zone.
func CastValue(src *vec.Vec, i int, out *vec.Vec) CastResult {
	return CastValueIn(src, i, out, nil)
}

// CastValueIn is CastValue in time zone loc (nil: UTC).
func CastValueIn(src *vec.Vec, i int, out *vec.Vec, loc *time.Location) CastResult {
	if src.IsNull(i) {
		out.AppendNull()
		return CastOK
	}
	if loc == nil {
		loc = time.UTC
	}
	from, to := src.Type, out.Type
	if isJSON(from) || isJSON(to) {
		return castJSON(src, i, out)
	}
	if from.Kind == types.Array || to.Kind == types.Array {
		return castArray(src, i, out, loc)
	}
	if from.Temporal() || to.Temporal() || from.Kind == types.Interval || to.Kind == types.Interval {
		if to.Kind != types.String {
			return castTime(src, i, out, loc)
		}
	}
	if from.Kind == types.Numeric || to.Kind == types.Numeric {
		if to.Kind != types.String {
			return castNumeric(src, i, out)
		}
	}
	switch {
	case to.Kind == types.String:
		var s string
		switch from.Kind {
		case types.TimestampTZ:
			s = string(vec.AppendTimestampTZ(nil, src.I64[i], loc))
		case types.Bool:
			s = strconv.FormatBool(src.Bool[i]) // PostgreSQL's bool to text: true, not t
		default:
			s = src.Text(i)
		}
		if to.Width > 0 {
			if r := []rune(s); len(r) > to.Width {
				s = string(r[:to.Width])
			}
		}
		out.AppendStr(s)
	case from.Kind == types.String:
		if !out.AppendParsed(src.Str[i]) {
			// A number that does not fit is out of range, not bad text;
			// an integer's must be digits ('1.5' and '1e3' are bad text).
			if to.Integer() && allDigits(src.Str[i]) || to.Kind == types.Decimal {
				if _, err := strconv.ParseFloat(strings.TrimSpace(src.Str[i]), 64); err == nil {
					return CastOverflow
				}
			}
			return CastInvalid
		}
	case to.Kind == types.Bool:
		switch {
		case from.Integer():
			out.AppendBool(src.I64[i] != 0)
		default:
			return CastInvalid
		}
	case from.Kind == types.Bool:
		if !to.Integer() {
			return CastInvalid
		}
		x := int64(0)
		if src.Bool[i] {
			x = 1
		}
		out.AppendI64(x)
	case to.Kind == types.Float64:
		out.AppendF64(toFloat(src, i))
	case to.Kind == types.Decimal:
		var x int64
		ok := true
		switch from.Kind {
		case types.Int32, types.Int64:
			x, ok = vec.MulInt64(src.I64[i], types.Pow10[to.Scale])
		case types.Decimal:
			x, ok = vec.Rescale(src.I64[i], from.Scale, to.Scale)
		case types.Float64:
			f := src.F64[i] * float64(types.Pow10[to.Scale])
			if math.IsNaN(f) || !fitsScaled(src.F64[i], to.Scale) {
				return CastOverflow
			}
			x = int64(math.Round(f))
		}
		if !ok || !vec.FitsPrecision(x, to.Prec) {
			return CastOverflow
		}
		out.AppendI64(x)
	case to.Integer():
		var x int64
		switch from.Kind {
		case types.Int32, types.Int64:
			x = src.I64[i]
		case types.Decimal:
			x, _ = vec.Rescale(src.I64[i], from.Scale, 0)
		case types.Float64:
			// float8 to an integer is rint in PostgreSQL: half to even.
			f := math.RoundToEven(src.F64[i])
			if math.IsNaN(f) || f >= 1<<63 || f < -1<<63 {
				return CastOverflow
			}
			x = int64(f)
		}
		if !vec.InRange(x, to) {
			return CastOverflow
		}
		out.AppendI64(x)
	default:
		return CastInvalid
	}
	return CastOK
}

// allDigits says whether s is an optionally signed run of digits,
// spaces around it allowed.
func allDigits(s string) bool {
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// castTime converts to and from the date and time types, whose text is
// read as PostgreSQL reads it: 22007 for text that is no date or time,
// 22008 for a field or value out of range.
func castTime(src *vec.Vec, i int, out *vec.Vec, loc *time.Location) CastResult {
	from, to := src.Type.Kind, out.Type.Kind
	if from == types.String {
		s := src.Str[i]
		var x int64
		switch to {
		case types.Date:
			d, r := vec.ParseDate(vec.RunTogetherDate(s))
			if r == vec.TimeBad {
				r = vec.ClassifyTimeText(s)
			}
			switch r {
			case vec.TimeBad:
				return CastInvalid
			case vec.TimeZoneDisp:
				return CastZoneDisp
			case vec.TimeZoneName:
				return CastZone
			case vec.TimeField:
				return CastField
			case vec.TimeRange:
				return CastOverflow
			}
			x = d
		case types.Timestamp, types.TimestampTZ:
			var ok bool
			if to == types.Timestamp {
				x, ok = vec.ParseTimestamp(vec.RunTogetherDate(s))
			} else {
				x, ok = vec.ParseTimestampTZ(vec.RunTogetherDate(s), loc)
			}
			if !ok {
				return timestampTextError(s, to == types.TimestampTZ)
			}
			x = vec.TruncateMicros(x, out.Type.Prec)
		case types.Interval:
			iv, err := vec.ParseInterval(s)
			switch {
			case errors.Is(err, vec.ErrIntervalRange):
				return CastIntervalRange
			case errors.Is(err, vec.ErrIntervalField):
				return CastOverflow
			case err != nil:
				return CastInvalid
			}
			out.AppendInterval(iv)
			return CastOK
		default:
			return CastInvalid
		}
		out.AppendI64(x)
		return CastOK
	}
	if from == types.Interval && to == types.Interval {
		out.AppendInterval(src.IntervalAt(i))
		return CastOK
	}
	x := src.I64[i]
	ok := true
	switch {
	case from == to:
	case from == types.Date && to == types.Timestamp:
		x, ok = vec.TimestampOfDate(x)
	case from == types.Date && to == types.TimestampTZ:
		if x, ok = vec.TimestampOfDate(x); ok {
			x = vec.FromLocal(x, loc)
		}
	case from == types.Timestamp && to == types.Date:
		x = vec.DateOfTimestamp(x)
	case from == types.TimestampTZ && to == types.Date:
		x = vec.DateOfTimestamp(vec.ToLocal(x, loc))
	case from == types.Timestamp && to == types.TimestampTZ:
		x = vec.FromLocal(x, loc)
	case from == types.TimestampTZ && to == types.Timestamp:
		x = vec.ToLocal(x, loc)
	default:
		return CastInvalid
	}
	if to == types.Timestamp || to == types.TimestampTZ {
		ok = ok && vec.TimestampInRange(x)
		x = vec.TruncateMicros(x, out.Type.Prec)
	}
	if !ok {
		return CastOverflow
	}
	out.AppendI64(x)
	return CastOK
}

// timestampTextError says why timestamp text did not read, as
// PostgreSQL decides (vec.ClassifyTimeText): not a timestamp (22007), a
// field out of range (22008, as February 30th), a UTC offset out of
// range (22009), or, with a zone (tz), an unknown zone name (22023).
func timestampTextError(s string, tz bool) CastResult {
	switch vec.ClassifyTimeText(s) {
	case vec.TimeField:
		return CastField
	case vec.TimeZoneDisp:
		return CastZoneDisp
	case vec.TimeZoneName:
		if tz {
			return CastZone
		}
	}
	return CastInvalid
}

// CastError is the error of a failed conversion of the value text, of
// type from, to t.
func CastError(r CastResult, from, t types.T, text string) *sqlerr.Error {
	if r == CastJSONText || r == CastJSONKind || r == CastJSONFloat {
		return jsonCastError(r, t, text)
	}
	if t.Kind == types.Array {
		return arrayCastError(r, from, t, text)
	}
	if t.Temporal() || t.Kind == types.Interval {
		switch {
		case r == CastField:
			return sqlerr.New(sqlerr.DatetimeOverflow, "date/time field value out of range: %q", text)
		case r == CastZoneDisp:
			return sqlerr.New(sqlerr.TimezoneDisplacement, "time zone displacement out of range: %q", text)
		case r == CastZone:
			name := strings.TrimSpace(text)
			name = strings.ToLower(name[strings.LastIndexByte(name, ' ')+1:])
			return sqlerr.New(sqlerr.InvalidParameter, "time zone %q not recognized", name)
		case r == CastIntervalRange:
			return sqlerr.New(sqlerr.DatetimeOverflow, "interval out of range")
		case r == CastOverflow && from.Kind == types.String && t.Kind == types.Interval:
			return sqlerr.New(sqlerr.IntervalFieldOverflow, "interval field value out of range: %q", text)
		case r == CastOverflow && from.Kind == types.String:
			what := map[types.Kind]string{types.Date: "date", types.Interval: "interval"}[t.Kind]
			if what == "" {
				what = "timestamp"
			}
			return sqlerr.New(sqlerr.DatetimeOverflow, "%s out of range: %q", what, text)
		case r == CastOverflow && from.Kind == types.Date:
			return sqlerr.New(sqlerr.DatetimeOverflow, "date out of range for timestamp")
		case r == CastOverflow:
			return sqlerr.New(sqlerr.DatetimeOverflow, "%s", OutOfRange(t))
		case from.Kind == types.String:
			what := map[types.Kind]string{types.Date: "date", types.Interval: "interval", types.Timestamp: "timestamp"}[t.Kind]
			if what == "" {
				what = "timestamp with time zone"
			}
			return sqlerr.New(sqlerr.InvalidDatetime, "invalid input syntax for type %s: %q", what, text)
		}
	}
	if r == CastNaN {
		return sqlerr.New(sqlerr.FeatureNotSupported, "NUMERIC NaN and Infinity are not supported: %q", text)
	}
	if r == CastOverflow {
		if from.Kind == types.String && t.Integer() {
			name := map[types.Kind]string{types.Int32: "integer", types.Int64: "bigint"}[t.Kind]
			return sqlerr.New(sqlerr.NumericOutOfRange, "value %q is out of range for type %s", text, name)
		}
		return sqlerr.New(sqlerr.NumericOutOfRange, "%s", OutOfRange(t))
	}
	return sqlerr.New(sqlerr.InvalidText, "invalid input syntax for type %s: %q", t, text)
}

// OutOfRange is PostgreSQL's message for a value outside t's range.
func OutOfRange(t types.T) string {
	switch t.Kind {
	case types.Int32:
		return "integer out of range"
	case types.Int64:
		return "bigint out of range"
	case types.Decimal:
		return fmt.Sprintf("numeric field overflow: a field with precision %d, scale %d must round to an absolute value less than 10^%d",
			t.Prec, t.Scale, t.Prec-t.Scale)
	case types.Numeric:
		if t.Prec == 0 {
			return "value overflows numeric format"
		}
		return fmt.Sprintf("numeric field overflow: a field with precision %d, scale %d must round to an absolute value less than 10^%d",
			t.Prec, t.Scale, t.Prec-t.Scale)
	case types.Timestamp, types.TimestampTZ:
		return "timestamp out of range"
	case types.Date:
		return "date out of range"
	case types.Interval:
		return "interval out of range"
	}
	return fmt.Sprintf("value out of range for type %s", t)
}

func fitsScaled(f float64, scale int) bool {
	return math.Abs(f)*float64(types.Pow10[scale]) < 9.2e18
}

func toFloat(v *vec.Vec, i int) float64 {
	switch v.Type.Kind {
	case types.Float64:
		return v.F64[i]
	case types.Decimal:
		return vec.DecimalFloat(v.I64[i], v.Type.Scale)
	case types.Numeric:
		f, _ := strconv.ParseFloat(v.NumericString(i), 64)
		return f
	}
	return float64(v.I64[i])
}

// commonType is the type several expressions meet at (CASE arms, IN lists,
// COALESCE, comparison operands). A DECIMAL one holds every value of each
// (see decimalShape), as PostgreSQL's untyped numeric result does.
func (b *binder) commonType(xs []Expr, nodes []ast.Node, at ast.Node) (types.T, error) {
	t := types.Unknown
	ints, scale := 0, 0
	for i, x := range xs {
		xt := x.Type()
		if _, isConst := x.(*Const); isConst && xt.Kind == types.String && t.Kind != types.Null && t.Kind != types.String {
			continue // an untyped literal takes the others' type
		}
		if xt.Kind == types.Decimal || xt.Integer() {
			xi, xf := decimalShape(x, xt)
			ints, scale = max(ints, xi), max(scale, xf)
		}
		switch {
		case xt.Kind == types.Null:
		case t.Kind == types.Null:
			t = xt
		case t.Kind == types.String && xt.Kind != types.String && isStringConsts(xs[:i]):
			t = xt
		case sameType(t, xt):
			if t.Kind == types.String && (t.Width == 0 || xt.Width == 0 || xt.Width > t.Width) {
				t.Width = max(t.Width, xt.Width)
				if xt.Width == 0 {
					t.Width = 0
				}
			}
		case t.Numeric() && xt.Numeric():
			t = numericJoin(t, xt)
		case t.Kind == types.Array && xt.Kind == types.Array:
			et, err := b.commonType([]Expr{&Const{T: t.ElemType(), Null: true}, &Const{T: xt.ElemType(), Null: true}}, []ast.Node{nodes[i], nodes[i]}, at)
			if err != nil {
				return types.T{}, b.errAt(sqlerr.DatatypeMismatch, nodes[i], "types %s and %s cannot be matched", pgTypeName(t), pgTypeName(xt))
			}
			t = types.ArrayOf(et)
		case t.Temporal() && xt.Temporal():
			// DATE < TIMESTAMP < TIMESTAMPTZ, as PostgreSQL's implicit
			// casts go.
			rank := map[types.Kind]int{types.Date: 0, types.Timestamp: 1, types.TimestampTZ: 2}
			prec := max(t.Prec, xt.Prec)
			if rank[xt.Kind] > rank[t.Kind] {
				t = xt
			}
			t.Prec = prec
		default:
			return types.T{}, b.errAt(sqlerr.DatatypeMismatch, nodes[i], "types %s and %s cannot be matched", t, xt)
		}
	}
	switch t.Kind {
	case types.Null:
		t = types.Varchar
	case types.Decimal:
		t = decimalType(ints, scale)
	}
	return t, nil
}

// numericZero reports whether NUMERIC text s is zero.
func numericZero(s string) bool {
	var d apd.Decimal
	return vec.ParseNumeric(s, &d) == vec.NumOK && d.IsZero()
}

func isStringConsts(xs []Expr) bool {
	for _, x := range xs {
		if c, ok := x.(*Const); !ok || c.T.Kind != types.String && c.T.Kind != types.Null {
			return false
		}
	}
	return true
}

// numericJoin is the kind two numeric operands are computed in; a DECIMAL
// one's precision is decided by its callers, from the operands.
func numericJoin(a, b types.T) types.T {
	switch {
	case a.Kind == types.Float64 || b.Kind == types.Float64:
		return types.Double
	case a.Kind == types.Numeric || b.Kind == types.Numeric:
		return types.Unconstrained
	case a.Kind == types.Decimal || b.Kind == types.Decimal:
		return types.DecimalOf(types.MaxDecimalPrec, max(a.Scale, b.Scale))
	case a.Kind == types.Int64 || b.Kind == types.Int64:
		return types.BigInt
	}
	return types.Int
}

// decimalShape is how many integer and fraction digits a DECIMAL needs to
// hold every value of x, of type t (x's own type, or the one its untyped
// literal takes): a DECIMAL's declared ones, an integer constant's digits,
// 10 for INT and 19 for BIGINT.
func decimalShape(x Expr, t types.T) (ints, scale int) {
	if c, ok := x.(*Const); ok && !c.Null && c.Param == 0 && c.T.Integer() && t.Integer() {
		n := 1
		for v := c.I / 10; v != 0; v /= 10 {
			n++
		}
		return n, 0
	}
	switch t.Kind {
	case types.Decimal:
		return t.Prec - t.Scale, t.Scale
	case types.Int32:
		return 10, 0
	case types.Int64:
		return 19, 0
	}
	return 1, 0
}

// decimalType is the DECIMAL with ints integer and scale fraction digits,
// or the unconstrained NUMERIC if that is more than an int64 holds.
func decimalType(ints, scale int) types.T {
	if ints+scale > types.MaxDecimalPrec {
		return types.Unconstrained
	}
	return types.DecimalOf(max(1, ints+scale), scale)
}

// binary binds arithmetic, comparison and logic operators.
func (b *binder) binary(n *ast.BinaryOperationExpr) (Expr, error) {
	switch n.Op {
	case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		x, err := b.expr(n.L)
		if err != nil {
			return nil, err
		}
		fn := map[opcode.Op]Func{opcode.EQ: FnEq, opcode.NE: FnNe, opcode.LT: FnLt, opcode.LE: FnLe, opcode.GT: FnGt, opcode.GE: FnGe}[n.Op]
		return b.compare(fn, x, n.R, n.L, n)
	case opcode.NullEQ:
		// x IS NOT DISTINCT FROM y, and x IS DISTINCT FROM y as the
		// parser marks it: (x <=> DistinctFunc()) <=> y.
		fn, l := FnIsNotDistinct, n.L
		if in, ok := n.L.(*ast.BinaryOperationExpr); ok && in.Op == opcode.NullEQ {
			if m, ok := in.R.(*ast.FuncCallExpr); ok && m.FnName.L == parser.DistinctFunc {
				fn, l = FnIsDistinct, in.L
			}
		}
		if c, ok := n.R.(*ast.FuncCallExpr); ok && (c.FnName.L == parser.AnyFunc || c.FnName.L == parser.AllFunc) {
			return nil, b.errAt(sqlerr.Syntax, n, "syntax error at or near %q", strings.ToUpper(c.FnName.L))
		}
		x, err := b.expr(l)
		if err != nil {
			return nil, err
		}
		return b.compare(fn, x, n.R, l, n)
	case opcode.LogicAnd, opcode.LogicOr:
		x, err := b.boolOperand(n.L)
		if err != nil {
			return nil, err
		}
		y, err := b.boolOperand(n.R)
		if err != nil {
			return nil, err
		}
		fn := FnAnd
		if n.Op == opcode.LogicOr {
			fn = FnOr
		}
		return &Call{Fn: fn, Args: []Expr{x, y}, T: types.Boolean}, nil
	case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.Mod, opcode.IntDiv:
		x, err := b.expr(n.L)
		if err != nil {
			return nil, err
		}
		y, err := b.expr(n.R)
		if err != nil {
			return nil, err
		}
		return b.arith(n.Op, x, y, n)
	case opcode.Xor:
		// ^ is MySQL's XOR of bits but PostgreSQL's exponentiation, in
		// double precision.
		x, err := b.expr(n.L)
		if err != nil {
			return nil, err
		}
		y, err := b.expr(n.R)
		if err != nil {
			return nil, err
		}
		// numeric ^ numeric is numeric (power(numeric, numeric)) unless
		// a side is a float: 2 ^ 3 and 2.0 ^ 3e0 (3e0 is a DOUBLE here) are
		// double precision.
		exact, float := false, false
		for _, c := range []Expr{x, y} {
			t := c.Type()
			if !t.Numeric() && t.Kind != types.Null && t.Kind != types.String {
				return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s ^ %s", x.Type(), y.Type())
			}
			exact = exact || t.Kind == types.Decimal || t.Kind == types.Numeric
			float = float || t.Kind == types.Float64
		}
		to := types.Double
		if exact && !float {
			to = types.Unconstrained
		}
		for _, c := range []*Expr{&x, &y} {
			if *c, err = b.coerce(*c, to, n); err != nil {
				return nil, err
			}
		}
		if to == types.Unconstrained {
			return &Call{Fn: FnBuiltin, B: builtins["power"], Args: []Expr{x, y}, T: to}, nil
		}
		return &Call{Fn: FnPow, Args: []Expr{x, y}, T: types.Double}, nil
	}
	return nil, b.errAt(sqlerr.FeatureNotSupported, n, "operator %s is not supported", opText(n.Op))
}

// opText is an operator as SQL spells it (TiDB's names are its own).
func opText(op opcode.Op) string {
	var sb strings.Builder
	if err := op.Restore(format.NewRestoreCtx(format.RestoreKeyWordUppercase, &sb)); err != nil || sb.Len() == 0 {
		return op.String()
	}
	return strings.TrimSpace(sb.String())
}

func (b *binder) boolOperand(n ast.ExprNode) (Expr, error) {
	x, err := b.expr(n)
	if err != nil {
		return nil, err
	}
	return b.coerce(x, types.Boolean, n)
}

// arith types an arithmetic operator. Integer division truncates, as in
// PostgreSQL; any DOUBLE operand makes the result DOUBLE; DECIMAL division
// is done in DOUBLE.
func (b *binder) arith(op opcode.Op, x, y Expr, n ast.Node) (Expr, error) {
	fn := map[opcode.Op]Func{opcode.Plus: FnAdd, opcode.Minus: FnSub, opcode.Mul: FnMul, opcode.Div: FnDiv, opcode.Mod: FnMod, opcode.IntDiv: FnDiv}[op]
	xt, yt := x.Type(), y.Type()
	if xt.Kind == types.Null {
		xt = yt
	}
	if yt.Kind == types.Null {
		yt = xt
	}
	if op == opcode.Minus {
		if e, ok, err := b.jsonbOperator(JSONBDelete, x, y, n); ok {
			return e, err
		}
	}
	if e, ok, err := b.timeArith(fn, x, y, n); ok {
		return e, err
	}
	if c, ok := x.(*Const); ok && c.T.Kind == types.String && yt.Numeric() {
		xt = yt
	}
	if c, ok := y.(*Const); ok && c.T.Kind == types.String && xt.Numeric() {
		yt = xt
	}
	if !xt.Numeric() || !yt.Numeric() {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s %s %s", x.Type(), funcInfo[fn].infix, y.Type())
	}
	if c, ok := y.(*Const); ok && !c.Null && c.T.Numeric() && c.I == 0 && c.F == 0 && (c.T.Kind != types.Numeric || numericZero(c.S)) && (fn == FnDiv || fn == FnMod) {
		// A constant divided by a constant zero is an error now, as
		// PostgreSQL's constant folding makes it. Any other dividend is
		// divided in the rows that reach it (none, under a COALESCE or a
		// CASE that decides them first, or a WHERE false), failing each,
		// or NULL in a view, so one event cannot stop a stream.
		if d, ok := x.(*Const); ok && !d.Null && d.Param == 0 {
			return nil, b.errAt(sqlerr.DivisionByZero, n, "division by zero")
		}
	}
	t := numericJoin(xt, yt)
	if op == opcode.IntDiv {
		t = types.BigInt
	}
	if t.Kind == types.Decimal && fn == FnDiv && op != opcode.IntDiv {
		// numeric / numeric is numeric, at PostgreSQL's division scale.
		t = types.Unconstrained
	}
	if t.Kind == types.Decimal && fn != FnDiv && op != opcode.IntDiv {
		return b.decimalArith(fn, x, y, xt, yt, n)
	}
	operand := t
	if op == opcode.IntDiv && (xt.Kind == types.Float64 || yt.Kind == types.Float64 || xt.Exact() || yt.Exact()) {
		operand = types.Double
	}
	var err error
	if x, err = b.coerce(x, operand, n); err != nil {
		return nil, err
	}
	if y, err = b.coerce(y, operand, n); err != nil {
		return nil, err
	}
	e := Expr(&Call{Fn: fn, Args: []Expr{x, y}, T: operand})
	if operand != t {
		e = &Cast{X: e, T: t}
	}
	return e, nil
}

// decimalArith types DECIMAL +, -, * and %, computed on the scaled
// integers. As in PostgreSQL the result is not held to the operands'
// precisions: it has the digits every result of the operands' values
// needs (one more integer digit for + and -, the sum of both for *), up
// to the 18 a DECIMAL holds; past them a value is out of range. Each
// operand is first brought to the result's scale (for *, kept at its own:
// the product's scale is the sum).
func (b *binder) decimalArith(fn Func, x, y Expr, xt, yt types.T, n ast.Node) (Expr, error) {
	// An untyped literal is read as the number it spells, not in the
	// other operand's precision.
	for _, c := range []*Expr{&x, &y} {
		if k, ok := (*c).(*Const); ok && k.T.Kind == types.String && k.Param == 0 {
			if d, err := parseDecimalConst(strings.TrimSpace(k.S)); err == nil && d.T.Kind == types.Decimal {
				*c = d
			}
		}
	}
	if x.Type().Kind != types.String {
		xt = x.Type()
	}
	if y.Type().Kind != types.String {
		yt = y.Type()
	}
	if xt.Kind == types.Null {
		xt = yt
	}
	if yt.Kind == types.Null {
		yt = xt
	}
	xi, xs := decimalShape(x, xt)
	yi, ys := decimalShape(y, yt)
	var t types.T
	switch fn {
	case FnMul:
		t = decimalType(xi+yi, xs+ys)
	case FnMod:
		// |x % y| is below |y| and at most |x|.
		xs, ys = max(xs, ys), max(xs, ys)
		t = decimalType(min(xi, yi), xs)
	default:
		xs, ys = max(xs, ys), max(xs, ys)
		t = decimalType(max(xi, yi)+1, xs)
	}
	xt, yt = decimalType(xi, xs), decimalType(yi, ys)
	if xt.Kind == types.Numeric || yt.Kind == types.Numeric {
		// An operand wider than a DECIMAL (a BIGINT's 19 digits in %)
		// makes the result a NUMERIC too.
		t = types.Unconstrained
	}
	if t.Kind == types.Numeric {
		// Past 18 digits the result is an exact NUMERIC; integer and
		// DECIMAL operands stay in their int64 form, which the executor
		// computes on directly while the result fits (0.908 * price).
		xt, yt = int64Operand(x.Type()), int64Operand(y.Type())
	}
	var err error
	if x, err = b.coerce(x, xt, n); err != nil {
		return nil, err
	}
	if y, err = b.coerce(y, yt, n); err != nil {
		return nil, err
	}
	return &Call{Fn: fn, Args: []Expr{x, y}, T: t}, nil
}

// compare binds a comparison of x with the expression at yNode.
func (b *binder) compare(fn Func, x Expr, yNode ast.ExprNode, xNode ast.Node, n ast.Node) (Expr, error) {
	if c, ok := yNode.(*ast.FuncCallExpr); ok && (c.FnName.L == parser.AnyFunc || c.FnName.L == parser.AllFunc) {
		return b.anyAll(fn, x, c, xNode, n)
	}
	y, err := b.expr(yNode)
	if err != nil {
		return nil, err
	}
	t, err := b.commonType([]Expr{x, y}, []ast.Node{xNode, yNode}, n)
	if err != nil {
		op := funcInfo[fn].infix
		if fn == FnIsDistinct || fn == FnIsNotDistinct {
			op = "=" // PostgreSQL's IS DISTINCT FROM is its = operator
		}
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s %s %s", x.Type(), op, y.Type())
	}
	if x, err = b.coerce(x, t, xNode); err != nil {
		return nil, err
	}
	if y, err = b.coerce(y, t, yNode); err != nil {
		return nil, err
	}
	return &Call{Fn: fn, Args: []Expr{x, y}, T: types.Boolean}, nil
}

// int64Operand is the type a NUMERIC operation's operand of type t is
// given: its own if it is an integer or a DECIMAL, else NUMERIC.
func int64Operand(t types.T) types.T {
	if t.Integer() || t.Kind == types.Decimal {
		return t
	}
	return types.Unconstrained
}
