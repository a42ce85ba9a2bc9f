package planner

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/exec/jsonb"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Results of the JSON casts, which CastError words from the value's text.
const (
	// CastJSONText is text that is not JSON (the parser's error).
	CastJSONText CastResult = 100 + iota
	// CastJSONKind is a jsonb value of a kind the target cannot take,
	// such as a string cast to integer (22023).
	CastJSONKind
	// CastJSONFloat is a jsonb number beyond a double's range.
	CastJSONFloat
)

func isJSON(t types.T) bool { return t.Kind == types.JSONB || t.Kind == types.JSON }

// jsonCastable reports whether PostgreSQL has the cast from to to, when
// either is json or jsonb.
func jsonCastable(from, to types.T) bool {
	switch {
	case from.Kind == types.Null || from.Kind == types.String || to.Kind == types.String:
		return true
	case isJSON(from) && isJSON(to):
		return true
	case from.Kind == types.JSONB:
		return to.Numeric() || to.Kind == types.Bool
	}
	return false
}

// castJSON converts to and from json and jsonb as PostgreSQL 15 does: text
// reads as JSON, jsonb prints canonically, and a jsonb number or boolean
// converts to a number or boolean.
func castJSON(src *vec.Vec, i int, out *vec.Vec) CastResult {
	from, to := src.Type, out.Type
	if !from.InStr() {
		return CastInvalid
	}
	s := src.Str[i]
	if from.Kind == types.Numeric {
		s = src.NumericString(i)
	}
	switch {
	case to.Kind == types.String:
		if to.Width > 0 {
			if r := []rune(s); len(r) > to.Width {
				s = string(r[:to.Width])
			}
		}
		out.AppendStr(s)
	case to.Kind == types.JSON:
		if from.Kind == types.String && jsonb.Validate(s) != nil {
			return CastJSONText
		}
		out.AppendStr(s)
	case to.Kind == types.JSONB:
		if from.Kind == types.JSONB {
			out.AppendStr(s)
			break
		}
		v, err := jsonb.Parse(s)
		if err != nil {
			return CastJSONText
		}
		out.AppendStr(v.String())
	case from.Kind == types.JSONB:
		k := jsonb.TypeOf(s)
		switch {
		case to.Kind == types.Bool && k == jsonb.Bool:
			out.AppendBool(s == "true")
		case to.Numeric() && k == jsonb.Number:
			return castJSONNumber(s, out)
		default:
			return CastJSONKind
		}
	default:
		return CastInvalid
	}
	return CastOK
}

// castJSONNumber converts a jsonb number (numeric's text) as numeric's
// casts do: to an integer rounding half away from zero.
func castJSONNumber(s string, out *vec.Vec) CastResult {
	t := out.Type
	switch {
	case t.Kind == types.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return CastJSONFloat
		}
		out.AppendF64(f)
	case t.Integer():
		ip, fp, _ := strings.Cut(s, ".")
		x, err := strconv.ParseInt(ip, 10, 64)
		if err != nil {
			return CastOverflow
		}
		if fp != "" && fp[0] >= '5' {
			if x < 0 || ip == "-0" {
				x--
			} else {
				x++
			}
		}
		if !vec.InRange(x, t) {
			return CastOverflow
		}
		out.AppendI64(x)
	case t.Kind == types.Decimal:
		x, _, ok := vec.ParseDecimal(s, t.Scale)
		if !ok || !vec.FitsPrecision(x, t.Prec) {
			return CastOverflow
		}
		out.AppendI64(x)
	default:
		return CastInvalid
	}
	return CastOK
}

// jsonCastError is the error of a failed JSON cast of text.
func jsonCastError(r CastResult, t types.T, text string) *sqlerr.Error {
	if r == CastJSONText {
		if err := jsonb.Validate(text); err != nil {
			e, _ := sqlerr.As(err)
			return e
		}
		_, err := jsonb.Parse(text)
		if e, ok := sqlerr.As(err); ok {
			return e
		}
		return sqlerr.New(sqlerr.InvalidText, "invalid input syntax for type json")
	}
	if r == CastJSONFloat {
		return sqlerr.New(sqlerr.NumericOutOfRange, "%q is out of range for type double precision", text)
	}
	return sqlerr.New(sqlerr.InvalidParameter, "cannot cast jsonb %s to type %s", jsonb.TypeOf(text).CastName(), pgTypeName(t))
}
