package planner

import (
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner/types"
)

// The mathematical functions of PostgreSQL, and Flink's names for them.
// PostgreSQL's numeric versions of sqrt, ln, log10, log, exp and power
// are numeric's here too (exec/vec/numfuncs.go). The exact ones (sign,
// trunc, div, gcd, lcm, width_bucket) have DECIMAL kernels.
func init() {
	dbl, i32, i64 := types.Double, types.Int, types.BigInt
	dec0 := types.DecimalOf(types.MaxDecimalPrec, 0)
	sig := func(ret types.T, args ...types.T) Sig { return Sig{Args: args, Ret: ret} }
	fn := func(name string, sigs []Sig, aliases ...string) {
		RegisterBuiltin(&Builtin{Name: name, Sigs: sigs, MayFail: true}, aliases...)
	}
	// Over DECIMAL and NUMERIC, sqrt, ln, log10, log, exp and power are
	// numeric's, computed exactly to numeric.c's result scales: power(2,
	// 3) is double precision, power(2, 3.0) numeric.
	num := types.Unconstrained
	fn("power", []Sig{sig(num, AnyExact, num), sig(num, num, AnyExact), sig(dbl, dbl, dbl)}, "pow")
	for _, name := range []string{"sqrt", "ln", "log10", "exp"} {
		fn(name, []Sig{sig(num, AnyExact), sig(dbl, dbl)})
	}
	for _, name := range []string{"cbrt", "degrees", "radians",
		"sin", "cos", "tan", "cot", "asin", "acos", "atan"} {
		fn(name, []Sig{sig(dbl, dbl)})
	}
	// log(x) is the base 10 logarithm (Flink's LOG(x) is ln); log(b, x).
	// log(b, x) exists only over numeric in PostgreSQL: log(2, 8) too.
	fn("log", []Sig{sig(num, AnyExact), sig(dbl, dbl), sig(num, num, num), sig(dbl, dbl, dbl)})
	fn("log2", []Sig{sig(dbl, dbl)})
	fn("atan2", []Sig{sig(dbl, dbl, dbl)})
	fn("pi", []Sig{sig(dbl)})
	fn("sign", []Sig{sig(dec0, AnyDecimal), sig(dbl, dbl)})
	// trunc of a NUMERIC past 18 digits is exact too.
	fn("trunc", []Sig{sig(dec0, AnyDecimal), {Args: []types.T{AnyDecimal, i32}, RetOf: truncType},
		sig(num, AnyExact), sig(num, AnyExact, i32), sig(dbl, dbl)}, "truncate")
	// div of integers is BIGINT here (PostgreSQL's is numeric, of the
	// same value).
	fn("div", []Sig{sig(i64, i64, i64), sig(dec0, AnyDecimal, AnyDecimal)}, parser.DivFunc)
	for _, name := range []string{"gcd", "lcm"} {
		fn(name, []Sig{sig(i32, i32, i32), sig(i64, i64, i64), {Args: []types.T{AnyDecimal, AnyDecimal}, RetOf: widerScale},
			sig(num, AnyExact, num), sig(num, num, AnyExact)})
	}
	fn("width_bucket", []Sig{sig(i32, AnyDecimal, AnyDecimal, AnyDecimal, i32), sig(i32, dbl, dbl, dbl, i32)})
}

// truncType is trunc(x, n)'s type: n decimal places for a constant n (as
// PostgreSQL pads trunc(2.5, 3) to 2.500), else x's.
func truncType(args []Expr) types.T {
	if c, ok := args[1].(*Const); ok && !c.Null && c.Param == 0 {
		return types.DecimalOf(types.MaxDecimalPrec, int(min(max(c.I, 0), types.MaxDecimalPrec)))
	}
	return types.DecimalOf(types.MaxDecimalPrec, args[0].Type().Scale)
}

// widerScale is the DECIMAL of the larger scale of two.
func widerScale(args []Expr) types.T {
	return types.DecimalOf(types.MaxDecimalPrec, max(args[0].Type().Scale, args[1].Type().Scale))
}
