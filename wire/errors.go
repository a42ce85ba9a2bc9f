package wire

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// SQLSTATE codes the server sends itself, besides those Code returns.
const (
	codeInternal           = "XX000"
	codeQueryCanceled      = "57014"
	codeProtocolViolation  = "08P01"
	codeFeature            = "0A000"
	codeInvalidAuthSpec    = "28000"
	codeInvalidPassword    = "28P01"
	codeTooManyConnections = "53300"
	codeConnectionFailure  = "08006"
)

// kindCodes maps each sqlerr.Kind to its SQLSTATE. A kind missing here is
// reported as XX000; TestCode checks that none is missing.
var kindCodes = [...]string{
	sqlerr.Internal:                   codeInternal,
	sqlerr.Syntax:                     "42601",
	sqlerr.UndefinedTable:             "42P01",
	sqlerr.UndefinedColumn:            "42703",
	sqlerr.UndefinedFunction:          "42883",
	sqlerr.UndefinedObject:            "42704",
	sqlerr.DuplicateObject:            "42P07",
	sqlerr.AmbiguousColumn:            "42702",
	sqlerr.DuplicateAlias:             "42712",
	sqlerr.Windowing:                  "42P20",
	sqlerr.CardinalityViolation:       "21000",
	sqlerr.BadCopyFormat:              "22P04",
	sqlerr.InvalidDatetime:            "22007",
	sqlerr.DatetimeOverflow:           "22008",
	sqlerr.UntranslatableCharacter:    "22P05",
	sqlerr.IntervalFieldOverflow:      "22015",
	sqlerr.TimezoneDisplacement:       "22009",
	sqlerr.UndefinedPreparedStatement: codeUndefinedStatement,
	sqlerr.Grouping:                   "42803",
	sqlerr.DatatypeMismatch:           "42804",
	sqlerr.WrongObjectType:            "42809",
	sqlerr.FeatureNotSupported:        codeFeature,
	sqlerr.InvalidParameter:           "22023",
	sqlerr.InvalidText:                "22P02",
	sqlerr.DivisionByZero:             "22012",
	sqlerr.NumericOutOfRange:          "22003",
	sqlerr.DependentObjects:           "2BP01",
	sqlerr.NotNullViolation:           "23502",
	sqlerr.QueryCanceled:              codeQueryCanceled,
	sqlerr.ProtocolViolation:          codeProtocolViolation,
	sqlerr.ExternalSystem:             "58000",
	sqlerr.UndefinedParameter:         "42P02",
	sqlerr.UndefinedCursor:            "34000",
	sqlerr.DuplicateCursor:            "42P03",
	sqlerr.InsufficientResources:      "53000",
	sqlerr.InvalidBinary:              "22P03",
	sqlerr.DiskFull:                   "53100",
	sqlerr.IOError:                    "58030",
	sqlerr.InvalidLimit:               "2201W",
	sqlerr.InvalidOffset:              "2201X",
	sqlerr.NoActiveTransaction:        "25P01",
	sqlerr.ReadOnlySetting:            "55P02",
	sqlerr.CharNotInRepertoire:        "22021",
	sqlerr.InvalidEscape:              "22025",

	// CREATE FUNCTION's.
	sqlerr.DuplicateFunction:         "42723",
	sqlerr.AmbiguousFunction:         "42725",
	sqlerr.InvalidFunctionDefinition: "42P13",
	sqlerr.InvalidLogArgument:        "2201E",
	sqlerr.InvalidPowerArgument:      "2201F",
	sqlerr.InvalidWidthBucket:        "2201G",
	sqlerr.NullValueNotAllowed:       "22004",
	sqlerr.ProgramLimitExceeded:      "54000",
	sqlerr.InvalidRegex:              "2201B",
	sqlerr.SubstringError:            "22011",
	sqlerr.InvalidColumnReference:    "42P10",
}

// Code returns the SQLSTATE for err. It is the one place where internal
// errors become wire codes: a *sqlerr.Error anywhere in err's chain gives
// its kind's code; otherwise a cancelled (or timed-out) context gives
// 57014 query_canceled; anything else is an internal error, XX000.
func Code(err error) string {
	if e, ok := sqlerr.As(err); ok && e.Kind != sqlerr.Internal {
		if int(e.Kind) < len(kindCodes) && kindCodes[e.Kind] != "" {
			return kindCodes[e.Kind]
		}
		return codeInternal
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return codeQueryCanceled
	}
	return codeInternal
}

// errorMessage returns the text a client sees for err. A bare context
// error gets PostgreSQL's wording, which users and tools recognise.
func errorMessage(err error) string {
	if e, ok := sqlerr.As(err); ok {
		return e.Msg
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "canceling statement due to user request"
	case errors.Is(err, context.DeadlineExceeded):
		return "canceling statement due to statement timeout"
	}
	return err.Error()
}

// errorResponse builds the ErrorResponse for err raised by query sql.
// severity is "ERROR" or "FATAL".
func errorResponse(severity string, err error, sql string) *pgproto3.ErrorResponse {
	r := &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                Code(err),
		Message:             errorMessage(err),
	}
	if e, ok := sqlerr.As(err); ok {
		if e.Pos > 0 {
			r.Position = int32(charPos(sql, e.Pos))
		}
		r.Detail, r.Hint, r.Where = e.Detail, e.Hint, e.Where
	}
	return r
}

// protocolError is a FATAL 08P01 response for a client that broke the
// protocol.
func protocolError(format string, args ...any) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{
		Severity:            "FATAL",
		SeverityUnlocalized: "FATAL",
		Code:                codeProtocolViolation,
		Message:             fmt.Sprintf(format, args...),
	}
}

// charPos converts a 1-based byte offset into s to the 1-based character
// offset PostgreSQL's Position field carries (clients such as psql draw
// the error caret from it). An offset inside a multi-byte character points
// at that character; one past the end points just after the last one.
func charPos(s string, bytePos int) int {
	b := bytePos - 1
	if b <= 0 {
		return 1
	}
	if b > len(s) {
		b = len(s)
	}
	for b > 0 && b < len(s) && !utf8.RuneStart(s[b]) {
		b--
	}
	return utf8.RuneCountInString(s[:b]) + 1
}
