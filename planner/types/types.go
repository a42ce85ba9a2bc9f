// Package types is the SQL type system shared by the planner, the executor
// and the wire: a small closed set of scalar types, each with one physical
// representation in a column vector.
package types

import "fmt"

// Kind is a scalar type's family. The physical representation of each kind
// in exec/vec is fixed: Bool in Bool, Float64 in F64, String in Str, every
// other kind in I64.
type Kind uint8

const (
	// Null is the type of the NULL literal before it meets a context.
	Null Kind = iota
	Bool
	Int32
	Int64
	Float64
	// Decimal is fixed point: an int64 scaled by 10^Scale (precision ≤ 18).
	Decimal
	String
	// Timestamp is microseconds since the Unix epoch, without time zone.
	Timestamp
	// Interval is PostgreSQL's months, days and µs: the µs in I64, the
	// months and days in Str (see exec/vec/interval.go).
	Interval
	// Date is days since 1970-01-01.
	Date
	// TimestampTZ is microseconds since the Unix epoch in UTC, shown in
	// the session's time zone.
	TimestampTZ
	// Numeric is PostgreSQL's exact NUMERIC past what an int64 holds: an
	// unconstrained NUMERIC (Prec 0: any digits, each value its own
	// scale) or NUMERIC(p,s) with p > 18. A value lives in Str as its
	// canonical text (PostgreSQL's output form, e.g. "-12.50"), so copies,
	// stored rows and the wire need no conversion; arithmetic parses it.
	Numeric
	// JSONB is a JSON value in PostgreSQL's canonical jsonb text (keys
	// sorted and unique), held in a vector's Str slice.
	JSONB
	// JSON is JSON text as written, checked, held in Str.
	JSON
)

// Array is a one-dimensional array of the scalar kind T.Elem, with T's
// modifiers being the element's. Its values live in a vector's Str slice,
// each in exec/vec's array encoding (vec.EncodeArray). Its number is fixed
// apart from the iota list so that kinds added there do not move it.
const Array Kind = 32

// T is a full type: a kind plus its modifiers.
type T struct {
	Kind Kind
	// Elem is an Array's element kind (Null otherwise).
	Elem Kind
	// Width is VARCHAR's length limit (0 = unlimited).
	Width int
	// Prec and Scale are DECIMAL's precision and scale; Prec is also
	// TIMESTAMP's fractional-second precision.
	Prec, Scale int
}

// Common types.
var (
	Unknown = T{Kind: Null}
	Boolean = T{Kind: Bool}
	Int     = T{Kind: Int32}
	BigInt  = T{Kind: Int64}
	Double  = T{Kind: Float64}
	Varchar = T{Kind: String}
	Ts      = T{Kind: Timestamp, Prec: 6}
	Ival    = T{Kind: Interval}
	Dt      = T{Kind: Date}
	TsTZ    = T{Kind: TimestampTZ, Prec: 6}
	Jsonb   = T{Kind: JSONB}
	Json    = T{Kind: JSON}
)

// DecimalOf returns DECIMAL(prec, scale).
func DecimalOf(prec, scale int) T { return T{Kind: Decimal, Prec: prec, Scale: scale} }

// MaxDecimalPrec is the largest precision an int64 holds exactly.
const MaxDecimalPrec = 18

// String prints the type as it is written in SQL.
func (t T) String() string {
	switch t.Kind {
	case Null:
		return "NULL"
	case Bool:
		return "BOOLEAN"
	case Int32:
		return "INT"
	case Int64:
		return "BIGINT"
	case Float64:
		return "DOUBLE"
	case Decimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Prec, t.Scale)
	case Numeric:
		if t.Prec == 0 {
			return "NUMERIC"
		}
		return fmt.Sprintf("NUMERIC(%d,%d)", t.Prec, t.Scale)
	case String:
		if t.Width > 0 {
			return fmt.Sprintf("VARCHAR(%d)", t.Width)
		}
		return "VARCHAR"
	case Timestamp:
		return fmt.Sprintf("TIMESTAMP(%d)", t.Prec)
	case Interval:
		return "INTERVAL"
	case Date:
		return "DATE"
	case TimestampTZ:
		return fmt.Sprintf("TIMESTAMPTZ(%d)", t.Prec)
	case JSONB:
		return "JSONB"
	case JSON:
		return "JSON"
	case Array:
		return t.ElemType().String() + "[]"
	}
	return fmt.Sprintf("kind(%d)", t.Kind)
}

// Numeric reports whether arithmetic applies to t.
func (t T) Numeric() bool {
	switch t.Kind {
	case Int32, Int64, Float64, Decimal, Numeric:
		return true
	}
	return false
}

// Exact reports whether t is an exact decimal: DECIMAL or NUMERIC.
func (t T) Exact() bool { return t.Kind == Decimal || t.Kind == Numeric }

// NumericOf returns NUMERIC(prec, scale); prec 0 is the unconstrained
// NUMERIC.
func NumericOf(prec, scale int) T { return T{Kind: Numeric, Prec: prec, Scale: scale} }

// Unconstrained is NUMERIC without a precision.
var Unconstrained = T{Kind: Numeric}

// MaxNumericPrec is NUMERIC(p,s)'s largest precision, as PostgreSQL's.
const MaxNumericPrec = 1000

// Integer reports whether t is an integer kind.
func (t T) Integer() bool { return t.Kind == Int32 || t.Kind == Int64 }

// InI64 reports whether values of t live in a vector's I64 slice.
func (t T) InI64() bool {
	switch t.Kind {
	case Int32, Int64, Decimal, Timestamp, Interval, Date, TimestampTZ:
		return true
	}
	return false
}

// InStr reports whether values of t live in a vector's Str slice.
func (t T) InStr() bool {
	return t.Kind == String || t.Kind == Numeric || t.Kind == JSONB || t.Kind == JSON || t.Kind == Array
}

// Phys is the kind that stands for t's representation in a vector: Bool,
// Float64, Numeric (I64 and Str both, see exec/vec/numcompact.go),
// Interval (I64 and Str both, see exec/vec/interval.go), String (every
// other kind in Str) or Int64 (every kind in I64), for code that moves
// values without reading them.
func (t T) Phys() Kind {
	switch {
	case t.Kind == Bool, t.Kind == Float64, t.Kind == Numeric, t.Kind == Interval:
		return t.Kind
	case t.InStr():
		return String
	}
	return Int64
}

// Temporal reports whether t is a point in time: a TIMESTAMP, with or
// without time zone, or a DATE.
func (t T) Temporal() bool {
	return t.Kind == Timestamp || t.Kind == TimestampTZ || t.Kind == Date
}

// Pow10 holds 10^i for i in [0, 18].
var Pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// ArrayOf returns the array type whose elements are e.
func ArrayOf(e T) T {
	e.Elem, e.Kind = e.Kind, Array
	return e
}

// ElemType is an Array's element type.
func (t T) ElemType() T {
	t.Kind, t.Elem = t.Elem, Null
	return t
}
