package planner

import (
	"math"
	"strconv"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// castNumeric converts to and from NUMERIC (text is handled by the
// caller): integers and DECIMALs exactly, DOUBLE through its shortest
// text (as PostgreSQL's float8_numeric), NUMERIC to integers rounding
// half away from zero, to DECIMAL(p,s) and NUMERIC(p,s) by the typmod.
func castNumeric(src *vec.Vec, i int, out *vec.Vec) CastResult {
	from, to := src.Type, out.Type
	var d apd.Decimal
	switch from.Kind {
	case types.Numeric:
		if r := src.NumericAt(i, &d); r != vec.NumOK {
			return numCastResult(r)
		}
	case types.Int32, types.Int64:
		d.SetInt64(src.I64[i])
	case types.Decimal:
		d.SetFinite(src.I64[i], int32(-from.Scale))
	case types.Float64:
		f := src.F64[i]
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return CastNaN
		}
		if r := vec.ParseNumeric(strconv.FormatFloat(f, 'g', -1, 64), &d); r != vec.NumOK {
			return numCastResult(r)
		}
	case types.String:
		if r := vec.ParseNumeric(src.Str[i], &d); r != vec.NumOK {
			return numCastResult(r)
		}
	case types.Bool:
		return CastInvalid
	default:
		return CastInvalid
	}
	switch to.Kind {
	case types.Numeric:
		if r := vec.NumericFit(&d, to.Prec, to.Scale); r != vec.NumOK {
			return numCastResult(r)
		}
		out.AppendNumericDecimal(&d)
	case types.Decimal:
		if vec.NumericFit(&d, to.Prec, to.Scale) != vec.NumOK {
			return CastOverflow
		}
		if !d.Coeff.IsInt64() {
			return CastOverflow
		}
		x := d.Coeff.Int64()
		if d.Negative {
			x = -x
		}
		for e := int(d.Exponent); e > -to.Scale; e-- {
			x *= 10 // the fit above bounds the digits: no overflow
		}
		out.AppendI64(x)
	case types.Int32, types.Int64:
		if vec.NumericRound(&d, &d, 0, false) != vec.NumOK {
			return CastOverflow
		}
		x, err := d.Int64()
		if err != nil || !vec.InRange(x, to) {
			return CastOverflow
		}
		out.AppendI64(x)
	case types.Float64:
		f, err := d.Float64()
		if err != nil || math.IsInf(f, 0) {
			return CastOverflow
		}
		out.AppendF64(f)
	default:
		return CastInvalid
	}
	return CastOK
}

func numCastResult(r vec.NumResult) CastResult {
	switch r {
	case vec.NumNaN:
		return CastNaN
	case vec.NumOverflow:
		return CastOverflow
	}
	return CastInvalid
}

// negateNumeric is -x for canonical NUMERIC text x.
func negateNumeric(s string) string {
	var d apd.Decimal
	if vec.ParseNumeric(s, &d) != vec.NumOK {
		return s
	}
	d.Neg(&d)
	vec.NumericFit(&d, 0, 0)
	return vec.NumericText(&d)
}
