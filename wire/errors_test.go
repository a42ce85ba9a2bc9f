package wire

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

func TestCode(t *testing.T) {
	kinds := []struct {
		kind sqlerr.Kind
		code string
	}{
		{sqlerr.Internal, "XX000"},
		{sqlerr.Syntax, "42601"},
		{sqlerr.UndefinedTable, "42P01"},
		{sqlerr.UndefinedColumn, "42703"},
		{sqlerr.UndefinedFunction, "42883"},
		{sqlerr.UndefinedObject, "42704"},
		{sqlerr.DuplicateObject, "42P07"},
		{sqlerr.AmbiguousColumn, "42702"},
		{sqlerr.Grouping, "42803"},
		{sqlerr.DatatypeMismatch, "42804"},
		{sqlerr.WrongObjectType, "42809"},
		{sqlerr.FeatureNotSupported, "0A000"},
		{sqlerr.InvalidParameter, "22023"},
		{sqlerr.InvalidText, "22P02"},
		{sqlerr.DivisionByZero, "22012"},
		{sqlerr.NumericOutOfRange, "22003"},
		{sqlerr.DependentObjects, "2BP01"},
		{sqlerr.NotNullViolation, "23502"},
		{sqlerr.QueryCanceled, "57014"},
		{sqlerr.ProtocolViolation, "08P01"},
		{sqlerr.ExternalSystem, "58000"},
		{sqlerr.UndefinedParameter, "42P02"},
		{sqlerr.UndefinedCursor, "34000"},
		{sqlerr.DuplicateCursor, "42P03"},
		{sqlerr.InsufficientResources, "53000"},
		{sqlerr.InvalidBinary, "22P03"},
		{sqlerr.DiskFull, "53100"},
		{sqlerr.IOError, "58030"},
		{sqlerr.InvalidLimit, "2201W"},
		{sqlerr.InvalidOffset, "2201X"},
		{sqlerr.NoActiveTransaction, "25P01"},
		{sqlerr.ReadOnlySetting, "55P02"},
		{sqlerr.CharNotInRepertoire, "22021"},
		{sqlerr.InvalidEscape, "22025"},
		{sqlerr.DuplicateAlias, "42712"},
		{sqlerr.Windowing, "42P20"},
		{sqlerr.CardinalityViolation, "21000"},
		{sqlerr.BadCopyFormat, "22P04"},
		{sqlerr.UndefinedPreparedStatement, "26000"},
		{sqlerr.DuplicateFunction, "42723"},
		{sqlerr.AmbiguousFunction, "42725"},
		{sqlerr.InvalidFunctionDefinition, "42P13"},
		{sqlerr.InvalidLogArgument, "2201E"},
		{sqlerr.InvalidPowerArgument, "2201F"},
		{sqlerr.InvalidWidthBucket, "2201G"},
		{sqlerr.NullValueNotAllowed, "22004"},
		{sqlerr.ProgramLimitExceeded, "54000"},
		{sqlerr.InvalidRegex, "2201B"},
		{sqlerr.InvalidDatetime, "22007"},
		{sqlerr.DatetimeOverflow, "22008"},
		{sqlerr.SubstringError, "22011"},
		{sqlerr.UntranslatableCharacter, "22P05"},
		{sqlerr.InvalidColumnReference, "42P10"},
		{sqlerr.IntervalFieldOverflow, "22015"},
		{sqlerr.TimezoneDisplacement, "22009"},
	}
	if len(kinds) != len(kindCodes) {
		t.Errorf("test covers %d kinds, kindCodes has %d", len(kinds), len(kindCodes))
	}
	for _, k := range kinds {
		e := sqlerr.New(k.kind, "x")
		if got := Code(e); got != k.code {
			t.Errorf("Code(kind %d) = %s, want %s", k.kind, got, k.code)
		}
		wrapped := fmt.Errorf("planning: %w", sqlerr.At(k.kind, 3, "x"))
		if got := Code(wrapped); got != k.code {
			t.Errorf("Code(wrapped kind %d) = %s, want %s", k.kind, got, k.code)
		}
	}

	others := []struct {
		name string
		err  error
		code string
	}{
		{"plain error", errors.New("boom"), "XX000"},
		{"unknown kind", sqlerr.New(sqlerr.Kind(200), "x"), "XX000"},
		{"context canceled", context.Canceled, "57014"},
		{"wrapped cancel", fmt.Errorf("exec: %w", context.Canceled), "57014"},
		{"deadline", context.DeadlineExceeded, "57014"},
		{"internal wrapping cancel", &sqlerr.Error{Kind: sqlerr.Internal, Msg: "x", Err: context.Canceled}, "57014"},
		{"kind wins over cause", &sqlerr.Error{Kind: sqlerr.Syntax, Msg: "x", Err: context.Canceled}, "42601"},
	}
	for _, o := range others {
		if got := Code(o.err); got != o.code {
			t.Errorf("%s: Code = %s, want %s", o.name, got, o.code)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{context.Canceled, "canceling statement due to user request"},
		{fmt.Errorf("x: %w", context.Canceled), "canceling statement due to user request"},
		{context.DeadlineExceeded, "canceling statement due to statement timeout"},
		{fmt.Errorf("wrap: %w", sqlerr.New(sqlerr.Syntax, "bad")), "bad"},
		{errors.New("plain"), "plain"},
	} {
		if got := errorMessage(c.err); got != c.want {
			t.Errorf("errorMessage(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestCharPos(t *testing.T) {
	//         bytes: S=1 ... ' = 8, h = 9, é = 10-11, l = 12
	const s = "SELECT 'héllo', bogus"
	for _, c := range []struct {
		s    string
		byte int
		want int
	}{
		{s, 1, 1},
		{s, 9, 9},   // h
		{s, 10, 10}, // é, first byte
		{s, 11, 10}, // é, second byte: the same character
		{s, 12, 11}, // l
		{s, len("SELECT 'héllo', ") + 1, 17},
		{s, len(s) + 1, 22},  // just past the end
		{s, len(s) + 50, 22}, // clamped
		{s, 0, 1},            // no position: callers do not send one
		{"日本語 x", 11, 5},     // three 3-byte runes, a space, x
		{"a\xffb", 3, 3},     // invalid UTF-8 counts a byte per character
		{"", 1, 1},
	} {
		if got := charPos(c.s, c.byte); got != c.want {
			t.Errorf("charPos(%q, %d) = %d, want %d", c.s, c.byte, got, c.want)
		}
	}
}

func TestTypeInfo(t *testing.T) {
	for _, c := range []struct {
		t      types.T
		oid    uint32
		size   int16
		typmod int32
	}{
		{types.Unknown, 25, -1, -1},
		{types.Boolean, 16, 1, -1},
		{types.Int, 23, 4, -1},
		{types.BigInt, 20, 8, -1},
		{types.Double, 701, 8, -1},
		{types.DecimalOf(10, 2), 1700, -1, 10<<16 | 2 + 4},
		{types.DecimalOf(18, 0), 1700, -1, 18<<16 + 4},
		{types.T{Kind: types.Decimal}, 1700, -1, -1},
		{types.Varchar, 1043, -1, -1},
		{types.T{Kind: types.String, Width: 20}, 1043, -1, 24},
		{types.T{Kind: types.Timestamp, Prec: 3}, 1114, 8, 3},
		{types.Ts, 1114, 8, 6},
		{types.Ival, 1186, 16, -1},
	} {
		oid, size, mod := typeInfo(c.t)
		if oid != c.oid || size != c.size || mod != c.typmod {
			t.Errorf("typeInfo(%s) = %d/%d/%d, want %d/%d/%d", c.t, oid, size, mod, c.oid, c.size, c.typmod)
		}
	}
}
