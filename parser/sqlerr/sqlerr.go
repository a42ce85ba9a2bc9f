// Package sqlerr declares the kinds of errors a user's SQL can cause. Every
// stage (parser, planner, executor) returns *Error for user mistakes; the
// wire maps a Kind to a SQLSTATE in exactly one place. Anything that is not
// an *Error is an internal error.
package sqlerr

import (
	"errors"
	"fmt"
	"syscall"
)

// Kind classifies a user-facing error.
type Kind uint8

const (
	Internal Kind = iota
	Syntax
	UndefinedTable
	UndefinedColumn
	UndefinedFunction
	// UndefinedObject is an unknown type or other non-relation object.
	UndefinedObject
	DuplicateObject
	AmbiguousColumn
	Grouping
	DatatypeMismatch
	WrongObjectType
	FeatureNotSupported
	InvalidParameter
	InvalidText
	DivisionByZero
	NumericOutOfRange
	DependentObjects
	NotNullViolation
	QueryCanceled
	ProtocolViolation
	// ExternalSystem is a failure of a system outside streamsql, such as
	// Kafka brokers that cannot be reached.
	ExternalSystem
	// UndefinedParameter is a $n the statement has no value for.
	UndefinedParameter
	// UndefinedCursor is an unknown cursor, portal or prepared statement.
	UndefinedCursor
	// DuplicateCursor is a cursor name already in use.
	DuplicateCursor
	// InsufficientResources is a limit reached, such as a subscriber that
	// fell too far behind.
	InsufficientResources
	// InvalidBinary is a parameter whose binary encoding is malformed.
	InvalidBinary
	// DiskFull is a write refused because the data directory's disk is
	// full (ENOSPC, EDQUOT).
	DiskFull
	// IOError is any other failure to read or write the data directory.
	IOError
	// InvalidLimit is a negative LIMIT (2201W).
	InvalidLimit
	// InvalidOffset is a negative OFFSET (2201X).
	InvalidOffset
	// NoActiveTransaction is a statement that needs a transaction block
	// run outside one (25P01).
	NoActiveTransaction
	// ReadOnlySetting is a SET or RESET of a setting fixed at start
	// (55P02).
	ReadOnlySetting
	// CharNotInRepertoire is text that is not UTF-8, or holds a NUL,
	// which PostgreSQL's text cannot.
	CharNotInRepertoire
	// InvalidEscape is a bad escape in an E'...' string or a LIKE
	// pattern (22025).
	InvalidEscape
	// DuplicateAlias is one name given to two FROM items (42712).
	DuplicateAlias
	// Windowing is a bad window clause or frame (42P20).
	Windowing
	// CardinalityViolation is a subquery used as a value that returned
	// more than one row (21000).
	CardinalityViolation
	// BadCopyFormat is a COPY FROM line that does not fit the table
	// (22P04).
	BadCopyFormat
	// UndefinedPreparedStatement is DEALLOCATE of a statement the
	// connection has not prepared (26000).
	UndefinedPreparedStatement
	// DuplicateFunction is a function that exists with the same argument
	// types (42723).
	DuplicateFunction
	// AmbiguousFunction is a call that more than one function's
	// parameters fit equally well (42725).
	AmbiguousFunction
	// InvalidFunctionDefinition is a CREATE FUNCTION whose body does not
	// fit its declaration (42P13).
	InvalidFunctionDefinition
	// InvalidLogArgument is the logarithm of zero or a negative (2201E).
	InvalidLogArgument
	// InvalidPowerArgument is a power or root without a real result, such
	// as the square root of a negative (2201F).
	InvalidPowerArgument
	// InvalidWidthBucket is a bad width_bucket count or bounds
	// (2201G).
	InvalidWidthBucket
	// NullValueNotAllowed is a NULL where a value must be, such as
	// format('%I', NULL) (22004).
	NullValueNotAllowed
	// ProgramLimitExceeded is a value too large to build, such as a string
	// over 1 GB (54000).
	ProgramLimitExceeded
	// InvalidRegex is a regular expression that does not compile, or
	// that uses what RE2 cannot do (2201B).
	InvalidRegex
	// InvalidDatetime is text that is not a date or time (22007).
	InvalidDatetime
	// DatetimeOverflow is a date or time field, or value, out of its
	// range (22008).
	DatetimeOverflow
	// SubstringError is a substring of negative length (22011).
	SubstringError
	// UntranslatableCharacter is a \u0000 escape in jsonb text, which
	// text cannot hold (22P05).
	UntranslatableCharacter
	// InvalidColumnReference is a FROM item's column aliases past its
	// columns, a LATERAL reference a join kind cannot take, or an
	// aggregate's DISTINCT with an ORDER BY key outside its arguments
	// (42P10).
	InvalidColumnReference
	// IntervalFieldOverflow is interval text with a field out of range
	// (22015).
	IntervalFieldOverflow
	// TimezoneDisplacement is a UTC offset beyond ±15 hours in date or
	// time text (22009).
	TimezoneDisplacement
)

// Error is a user-facing error. Pos, when non-zero, is the 1-based byte
// offset in the statement text that the error points at.
type Error struct {
	Kind Kind
	Msg  string
	Pos  int
	// Err is an underlying cause, if any.
	Err error
	// Detail, Hint and Where, when set, are the ErrorResponse's DETAIL,
	// HINT and CONTEXT lines (PostgreSQL's `SQL function "f"`, `COPY t,
	// line 3`).
	Detail, Hint, Where string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k without a position.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// At returns an error of kind k pointing at the 1-based byte offset pos.
func At(k Kind, pos int, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Pos: pos}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Shift moves err's position by off bytes, for statements that are part of
// a longer query string. Errors without a position are returned unchanged.
func Shift(err error, off int) error {
	e, ok := As(err)
	if !ok || e.Pos == 0 || off == 0 {
		return err
	}
	c := *e
	c.Pos += off
	return &c
}

// WithPos gives a position to an *Error that has none; other errors are
// returned unchanged.
func WithPos(err error, pos int) error {
	e, ok := As(err)
	if !ok || e.Pos != 0 {
		return err
	}
	c := *e
	c.Pos = pos
	return &c
}

// Storage classifies err, a failure of the data directory's file system
// during what, as DiskFull when the disk is full and IOError otherwise, so
// the client is told 53100 or 58030 instead of an internal error. nil stays
// nil, and an err that already has a kind keeps it.
func Storage(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := As(err); ok {
		return err
	}
	k := IOError
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		k = DiskFull
	}
	return &Error{Kind: k, Msg: fmt.Sprintf("%s: %v", what, err), Err: err}
}
