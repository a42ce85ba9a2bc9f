package planner

import (
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Builtin is a scalar function typed by a list of signatures, whose body
// is a kernel exec registers under the same Name. Function families
// (strings, math, regexes, ...) each declare theirs in their own file, so
// adding one touches neither the binder's switch nor the evaluator's.
type Builtin struct {
	// Name is the canonical (PostgreSQL) name: how the call prints and
	// which kernel runs it.
	Name string
	// Sigs are tried in order; the first whose parameters every argument
	// coerces to is chosen.
	Sigs []Sig
	// NonStrict functions see NULL arguments; the others are NULL when any
	// argument is, without running the kernel for the row.
	NonStrict bool
	// MayFail is set when the kernel can report a row error (a bad value),
	// so the evaluator computes it only for the rows that use it.
	MayFail bool
	// Volatile functions are not folded when their arguments are constant.
	Volatile bool
	// Check, if set, vets the bound arguments when the call is planned (a
	// constant pattern that does not compile), returning the index of the
	// argument at fault.
	Check func(fn *Builtin, args []Expr) (int, error)
}

// Sig is one signature of a Builtin.
type Sig struct {
	Args []types.T
	// Variadic repeats the last parameter type for any further arguments.
	Variadic bool
	// Ret is the result type; RetOf, if set, computes it from the bound
	// arguments instead (a scale that depends on them, say).
	Ret   types.T
	RetOf func(args []Expr) types.T
}

// AnyDecimal as a parameter type takes a DECIMAL argument of any
// precision and scale as it is, and an integer as DECIMAL(18,0), as
// PostgreSQL's numeric parameters do; the kernel reads the argument's
// scale, RetOf gives the result's.
var AnyDecimal = types.T{Kind: types.Decimal}

// AnyExact as a parameter type takes a DECIMAL or NUMERIC argument as it
// is, and nothing else: sqrt(2.0) is numeric where sqrt(2) is double
// precision, as PostgreSQL prefers float8 for an integer.
var AnyExact = types.T{Kind: types.Numeric, Prec: -1}

// builtins maps every name a builtin answers to (PostgreSQL's and, where
// they differ, Flink's) to it.
var builtins = map[string]*Builtin{}

// RegisterBuiltin declares fn under its Name and the other names given.
// Families call it from init.
func RegisterBuiltin(fn *Builtin, aliases ...string) {
	for _, name := range append([]string{fn.Name}, aliases...) {
		if _, dup := builtins[name]; dup {
			panic("planner: builtin " + name + " declared twice")
		}
		builtins[name] = fn
	}
}

// Builtins lists the declared builtins by canonical name, for exec to
// check that each has a kernel.
func Builtins() []*Builtin {
	seen := map[*Builtin]bool{}
	var out []*Builtin
	for _, fn := range builtins {
		if !seen[fn] {
			seen[fn] = true
			out = append(out, fn)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// callBuiltin binds a call of a declared builtin; ok is false for any
// other name.
func (b *binder) callBuiltin(n *ast.FuncCallExpr, name string) (Expr, bool, error) {
	fn := builtins[name]
	if fn == nil {
		return nil, false, nil
	}
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, true, err
	}
	e, err := b.bindBuiltin(fn, xs, n)
	return e, true, err
}

// bindBuiltin picks fn's first signature that the arguments coerce to. A
// literal that fits no signature because it does not parse as the
// parameter's type (sqrt('x')) reports that, as PostgreSQL does; any
// other mismatch is 42883, naming the argument types.
func (b *binder) bindBuiltin(fn *Builtin, xs []Expr, n *ast.FuncCallExpr) (Expr, error) {
	var valueErr error
	// An AnyDecimal parameter takes an integer when another argument is a
	// DECIMAL, else only if no signature takes the call otherwise: sign(2)
	// is sign(double precision), sign(2.5) and trunc(2, 1) are numeric.
	decimals := false
	for _, x := range xs {
		decimals = decimals || x.Type().Kind == types.Decimal
	}
	for pass := 0; pass < 2; pass++ {
		for _, sig := range fn.Sigs {
			if len(xs) != len(sig.Args) && !(sig.Variadic && len(xs) >= len(sig.Args)-1) {
				continue
			}
			out := make([]Expr, len(xs))
			ok := true
			for i, x := range xs {
				t := sig.Args[min(i, len(sig.Args)-1)]
				if t == AnyType {
					out[i] = x
					continue
				}
				if t == AnyExact {
					if k := x.Type().Kind; k == types.Decimal || k == types.Numeric {
						out[i] = x
						continue
					}
					ok = false
					break
				}
				if t == AnyDecimal {
					xt := x.Type()
					if xt.Kind == types.Decimal {
						out[i] = x
						continue
					}
					if !(xt.Integer() || xt.Kind == types.Null) || !decimals && pass == 0 {
						ok = false
						break
					}
					t = types.DecimalOf(types.MaxDecimalPrec, 0)
				}
				y, err := b.coerce(x, t, n.Args[i])
				if err != nil {
					if e, isSQL := sqlerr.As(err); isSQL && e.Kind != sqlerr.DatatypeMismatch && valueErr == nil {
						valueErr = err
					}
					ok = false
					break
				}
				out[i] = y
			}
			if !ok {
				continue
			}
			if fn.Check != nil {
				if k, err := fn.Check(fn, out); err != nil {
					return nil, sqlerr.WithPos(err, b.q.Pos(n.Args[k]))
				}
			}
			t := sig.Ret
			if sig.RetOf != nil {
				t = sig.RetOf(out)
			}
			return &Call{Fn: FnBuiltin, B: fn, Args: out, T: t}, nil
		}
	}
	if valueErr != nil {
		return nil, valueErr
	}
	ts := make([]string, len(xs))
	for i, x := range xs {
		ts[i] = pgTypeName(x.Type())
	}
	if op := parser.JSONOperator(fn.Name); op != "" && len(ts) == 2 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s %s %s", ts[0], op, ts[1])
	}
	return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s(%s) does not exist", b.written(n, n.FnName.L), strings.Join(ts, ", "))
}

// pgTypeName is how PostgreSQL names t in a message.
func pgTypeName(t types.T) string {
	switch t.Kind {
	case types.Null:
		return "unknown"
	case types.String:
		return "text"
	case types.Array:
		return pgTypeName(t.ElemType()) + "[]"
	}
	oid := TypeOID(t)
	for _, p := range pgTypes {
		if p.oid == oid {
			return p.sqlName
		}
	}
	return strings.ToLower(t.String())
}
