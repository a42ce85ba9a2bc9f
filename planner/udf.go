package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// SQL functions (CREATE FUNCTION ... LANGUAGE SQL) are inlined: the body
// is bound once, when the function is created, over its parameters as
// columns; a call binds its arguments, picks the overload they fit,
// coerces them to its parameters' types and substitutes them into the
// bound body. A plan therefore holds no call of a SQL function, and
// exec knows nothing of them; the catalog records which functions each
// view and function inlined, so none is dropped or replaced under them.

// fnScope is what a statement's binders share about SQL functions: where
// to find them and which ones the statement inlined.
type fnScope struct {
	cat  catalog.Functions // nil: the catalog has none
	used []uint64
	// probe, when set, makes a call that would look for a SQL function
	// set reached instead: CREATE FUNCTION asks so whether a name is
	// free of built-ins.
	probe, reached bool
}

// errProbe ends a probing bind once it reached the SQL functions.
var errProbe = errors.New("probe reached the SQL functions")

// funcs is the statement's fnScope, made on first use.
func (p *Planner) funcs() *fnScope {
	if p.fnScope == nil {
		cat, _ := p.Cat.(catalog.Functions)
		p.fnScope = &fnScope{cat: cat}
	}
	return p.fnScope
}

// usedFuncs lists the SQL functions the statement inlined.
func (p *Planner) usedFuncs() []uint64 { return slices.Clone(p.funcs().used) }

// use records that the statement inlined the functions ids.
func (s *fnScope) use(ids ...uint64) {
	for _, id := range ids {
		if !slices.Contains(s.used, id) {
			s.used = append(s.used, id)
		}
	}
}

func (s *fnScope) lookup(name string) []*catalog.Function {
	if s == nil || s.cat == nil {
		return nil
	}
	return s.cat.Functions(name)
}

// Function plans CREATE FUNCTION: it binds and checks the body against
// the parameters and the return type, and refuses a name a built-in
// function answers to or a signature that exists (without OR REPLACE).
// The caller allots the ID.
func (p *Planner) Function(st *parser.CreateFunction) (*catalog.Function, error) {
	f := &catalog.Function{Name: st.Name, Ret: st.Returns, Volatility: st.Volatility, Strict: st.Strict, SQL: st.SQL}
	for i, a := range st.Args {
		if a.Name != "" && slices.ContainsFunc(f.Params, func(c catalog.Column) bool { return c.Name == a.Name }) {
			return nil, sqlerr.At(sqlerr.InvalidFunctionDefinition, a.Pos, "parameter name %q used more than once", a.Name)
		}
		name := a.Name
		if name == "" {
			name = fmt.Sprintf("$%d", i+1)
		}
		f.Params = append(f.Params, catalog.Column{Name: name, Type: a.Type})
	}
	if err := p.checkFree(st, f); err != nil {
		return nil, err
	}
	if old := SameSignature(p.funcs().lookup(f.Name), f.ParamTypes()); old != nil {
		if !st.OrReplace {
			return nil, sqlerr.At(sqlerr.DuplicateFunction, st.Pos, "function %q already exists with same argument types", f.Name)
		}
		if !sameType(old.Ret, f.Ret) {
			return nil, &sqlerr.Error{Kind: sqlerr.InvalidFunctionDefinition, Pos: st.Pos, Msg: "cannot change return type of existing function",
				Detail: fmt.Sprintf("Use DROP FUNCTION %s first.", Signature(old))}
		}
	}
	scope := p.funcs()
	before := len(scope.used)
	b := &binder{q: st.Body, cols: f.Params, table: f.Name, noAggs: "a SQL function's body", fns: scope, udf: f}
	body, err := b.expr(st.Body.Node)
	if err != nil {
		return nil, err
	}
	if f.Body, err = b.returnValue(body, f); err != nil {
		return nil, err
	}
	f.Uses = slices.Clone(scope.used[before:])
	return f, nil
}

// returnValue coerces a body of type t to f's return type as an
// assignment would (PostgreSQL's rule for a SQL function's result): what
// converts implicitly, any number to any number, anything to text; a
// string literal is text.
func (b *binder) returnValue(body Expr, f *catalog.Function) (Expr, error) {
	t := body.Type()
	if sameType(t, f.Ret) && (t.Kind != types.Decimal || t.Prec <= f.Ret.Prec) {
		return body, nil
	}
	c, literal := body.(*Const)
	literal = literal && c.T.Kind == types.String && !c.Null
	if !literal {
		if x, err := b.coerce(body, f.Ret, b.q.(*parser.Expr).Node); err == nil {
			return x, nil
		}
		if t.Numeric() && f.Ret.Numeric() || f.Ret.Kind == types.String {
			return &Cast{X: body, T: f.Ret}, nil
		}
	} else if f.Ret.Kind == types.String {
		return body, nil
	}
	return nil, &sqlerr.Error{Kind: sqlerr.InvalidFunctionDefinition,
		Msg:    "return type mismatch in function declared to return " + pgTypeName(f.Ret),
		Detail: "Actual return type is " + pgTypeName(t) + ".", Where: fmt.Sprintf("SQL function %q", f.Name)}
}

// checkFree refuses a name that a built-in function (or TiDB's grammar)
// takes: a call of it would never reach the SQL function. It binds
// name(p1, ..., pn) over the parameters and sees whether the binder got
// as far as the SQL functions.
func (p *Planner) checkFree(st *parser.CreateFunction, f *catalog.Function) error {
	name := f.Name
	if strings.ToLower(name) != name || strings.ContainsAny(name, "\" ") {
		name = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	}
	cols := make([]string, len(f.Params))
	probeCols := make([]catalog.Column, len(f.Params))
	for i, c := range f.Params {
		cols[i] = fmt.Sprintf("p%d", i+1)
		probeCols[i] = catalog.Column{Name: cols[i], Type: c.Type}
	}
	taken := sqlerr.At(sqlerr.DuplicateFunction, st.Pos, "function %q is a built-in function: a SQL function needs a name of its own", f.Name)
	stmt, err := parser.ParseOne("SELECT " + name + "(" + strings.Join(cols, ", ") + ")")
	if err != nil {
		return taken
	}
	q := stmt.(*parser.Select).Query
	sel, ok := q.Node.(*ast.SelectStmt)
	if !ok || len(sel.Fields.Fields) != 1 {
		return taken
	}
	call, ok := sel.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
	if !ok || call.FnName.O != f.Name {
		return taken
	}
	scope := &fnScope{probe: true}
	b := &binder{q: q, cols: probeCols, fns: scope}
	if _, err := b.expr(call); !scope.reached || !errors.Is(err, errProbe) {
		return taken
	}
	return nil
}

// callSQL binds a call of a SQL function by inlining its body; ok is
// false when no SQL function has the name.
func (b *binder) callSQL(n *ast.FuncCallExpr) (Expr, bool, error) {
	if b.fns != nil && b.fns.probe {
		b.fns.reached = true
		return nil, true, errProbe
	}
	name := n.FnName.O
	cands := b.fns.lookup(name)
	if b.udf != nil && b.udf.Name == name {
		// The function being created replaces its old version.
		cands = append(slices.DeleteFunc(slices.Clone(cands), func(f *catalog.Function) bool {
			return sameTypes(f.ParamTypes(), b.udf.ParamTypes())
		}), b.udf)
	}
	if len(cands) == 0 {
		return nil, false, nil
	}
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, true, err
	}
	f, err := b.resolve(cands, xs, n)
	if err != nil {
		return nil, true, err
	}
	if f == b.udf {
		return nil, true, b.errAt(sqlerr.InvalidFunctionDefinition, n, "SQL function %q calls itself: recursive SQL functions are not supported (their body is inlined where they are called)", name)
	}
	for i := range xs {
		if xs[i], err = b.coerce(xs[i], f.Params[i].Type, n.Args[i]); err != nil {
			return nil, true, err
		}
	}
	b.fns.use(f.ID)
	return inline(f, xs), true, nil
}

// bindArgs binds a call's arguments.
func (b *binder) bindArgs(n *ast.FuncCallExpr) ([]Expr, error) {
	xs := make([]Expr, len(n.Args))
	for i, a := range n.Args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return xs, nil
}

// resolve picks the overload of cands that the arguments fit, as
// PostgreSQL does: of those whose every parameter the argument converts
// to implicitly, the one with the most arguments of exactly its
// parameters' types; a tie is 42725. A literal that fits no overload
// because it does not parse as the parameter's type reports that.
func (b *binder) resolve(cands []*catalog.Function, xs []Expr, n *ast.FuncCallExpr) (*catalog.Function, error) {
	trial := *b
	trial.params = nil // trying a parameter's coercion must not infer its type
	var best []*catalog.Function
	bestExact := -1
	var valueErr error
	for _, f := range cands {
		if len(f.Params) != len(xs) {
			continue
		}
		exact, ok := 0, true
		for i, x := range xs {
			t := f.Params[i].Type
			if x.Type().Kind == t.Kind {
				exact++
				continue
			}
			if _, err := trial.coerce(x, t, n.Args[i]); err != nil {
				if e, isSQL := sqlerr.As(err); isSQL && e.Kind != sqlerr.DatatypeMismatch && valueErr == nil {
					valueErr = err
				}
				ok = false
				break
			}
		}
		switch {
		case !ok:
		case exact > bestExact:
			best, bestExact = []*catalog.Function{f}, exact
		case exact == bestExact:
			best = append(best, f)
		}
	}
	if len(best) == 1 {
		return best[0], nil
	}
	ts := make([]string, len(xs))
	for i, x := range xs {
		ts[i] = pgTypeName(x.Type())
	}
	call := b.written(n, n.FnName.O) + "(" + strings.Join(ts, ", ") + ")"
	if len(best) > 1 {
		return nil, b.errAt(sqlerr.AmbiguousFunction, n, "function %s is not unique", call)
	}
	if valueErr != nil {
		return nil, valueErr
	}
	return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s does not exist", call)
}

// inline substitutes the arguments xs (of f's parameter types) into f's
// body. A constant at the root is copied: the binder negates a constant
// operand in place (-f(x)), and the stored body must not change. A STRICT
// function is NULL when an argument is.
func inline(f *catalog.Function, xs []Expr) Expr {
	body := substitute(f.Body.(Expr), xs)
	if k, ok := body.(*Const); ok {
		y := *k
		body = &y
	}
	var nulls []Expr
	for _, x := range xs {
		c, isConst := x.(*Const)
		switch {
		case !f.Strict || isConst && !c.Null:
		case isConst:
			return &Const{T: f.Ret, Null: true}
		default:
			nulls = append(nulls, &Call{Fn: FnIsNull, Args: []Expr{x}, T: types.Boolean})
		}
	}
	if len(nulls) == 0 {
		return body
	}
	cond := nulls[0]
	for _, x := range nulls[1:] {
		cond = &Call{Fn: FnOr, Args: []Expr{cond, x}, T: types.Boolean}
	}
	return &Case{Whens: []When{{Cond: cond, Then: &Const{T: f.Ret, Null: true}}}, Else: body, T: f.Ret}
}

// udfParam binds $n in a SQL function's body: its nth parameter.
func (b *binder) udfParam(n *ast.FuncCallExpr, num int) (Expr, error) {
	if num > len(b.udf.Params) {
		return nil, b.errAt(sqlerr.UndefinedParameter, n, "there is no parameter $%d", num)
	}
	c := b.udf.Params[num-1]
	return &ColRef{Idx: num - 1, Name: c.Name, T: c.Type}, nil
}

// sameTypes reports whether two parameter lists are one signature.
func sameTypes(a, b []types.T) bool {
	return slices.EqualFunc(a, b, func(x, y types.T) bool { return x.Kind == y.Kind })
}

// SameSignature is the function of fns whose parameters are ts, or nil.
func SameSignature(fns []*catalog.Function, ts []types.T) *catalog.Function {
	for _, f := range fns {
		if sameTypes(f.ParamTypes(), ts) {
			return f
		}
	}
	return nil
}

// Signature names f as PostgreSQL's messages do: count_char(character
// varying, character varying).
func Signature(f *catalog.Function) string {
	return f.Name + "(" + ArgTypes(f.ParamTypes(), false) + ")"
}

// ArgTypes lists ts by their SQL names, with the parameters' names
// first when named is set (pg_get_function_arguments).
func ArgTypes(ts []types.T, named bool, names ...string) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = sqlTypeName(t)
		if named && i < len(names) && !strings.HasPrefix(names[i], "$") {
			out[i] = names[i] + " " + out[i]
		}
	}
	return strings.Join(out, ", ")
}

// sqlTypeName is format_type's name of t, without a type modifier.
func sqlTypeName(t types.T) string {
	oid := TypeOID(t)
	for _, p := range pgTypes {
		if p.oid == oid {
			return p.sqlName
		}
	}
	return strings.ToLower(t.String())
}

// FindFunction resolves DROP FUNCTION's name and argument types to one
// function, with PostgreSQL's errors; a nil function with a nil error is
// IF EXISTS's "skipping", whose notice is returned.
func FindFunction(fns []*catalog.Function, st *parser.DropFunction) (*catalog.Function, string, error) {
	var missing *sqlerr.Error
	if st.HasArgs {
		ts := make([]types.T, len(st.Args))
		for i, a := range st.Args {
			ts[i] = a.Type
		}
		if f := SameSignature(fns, ts); f != nil {
			return f, "", nil
		}
		missing = sqlerr.At(sqlerr.UndefinedFunction, st.Pos, "function %s(%s) does not exist", st.Name, ArgTypes(ts, false))
	} else {
		switch len(fns) {
		case 1:
			return fns[0], "", nil
		case 0:
			missing = sqlerr.At(sqlerr.UndefinedFunction, st.Pos, "could not find a function named %q", st.Name)
		default:
			return nil, "", sqlerr.At(sqlerr.AmbiguousFunction, st.Pos, "function name %q is not unique: specify the argument list to select the function unambiguously", st.Name)
		}
	}
	if st.IfExists {
		what := st.Name
		if st.HasArgs {
			what = strings.TrimPrefix(strings.TrimSuffix(missing.Msg, " does not exist"), "function ")
		}
		return nil, fmt.Sprintf("function %s does not exist, skipping", what), nil
	}
	return nil, "", missing
}

// FunctionRows are pg_proc's rows of the SQL functions fns, in
// SystemRows' column order.
func FunctionRows(fns []*catalog.Function) [][]any {
	var rows [][]any
	for _, f := range fns {
		args, names := make([]string, len(f.Params)), make([]string, len(f.Params))
		for i, c := range f.Params {
			args[i], names[i] = fmt.Sprint(TypeOID(c.Type)), quoteArrayElem(c.Name)
		}
		var argNames any
		if len(names) > 0 {
			argNames = "{" + strings.Join(names, ",") + "}"
		}
		rows = append(rows, []any{FunctionOID(f), f.Name, int64(oidPublic), int64(oidOwner), int64(oidLangSQL), 100.0, 0.0, int64(0), "-", "f",
			false, false, f.Strict, false, string(f.Volatility), "u", int64(len(f.Params)), int64(0), TypeOID(f.Ret), "{" + strings.Join(args, ",") + "}", nil, nil, argNames, nil})
	}
	return rows
}

// oidLangSQL is pg_language's OID of SQL.
const oidLangSQL = 14

// FunctionOID is the OID pg_proc gives a SQL function.
func FunctionOID(f *catalog.Function) int64 { return UserOIDBase + int64(f.ID) }

// procInfo binds the functions psql's \df calls on pg_proc's OIDs:
// pg_get_function_result, pg_get_function_arguments and
// pg_function_is_visible. They read the SQL functions as the statement is
// planned.
func (b *binder) procInfo(n *ast.FuncCallExpr, args func(lo, hi int) ([]Expr, error)) (Expr, error) {
	xs, err := args(1, 1)
	if err != nil {
		return nil, err
	}
	oid, err := b.coerce(xs[0], types.Int, n.Args[0])
	if err != nil {
		return nil, err
	}
	if n.FnName.L == "pg_function_is_visible" {
		return &Const{T: types.Boolean, B: true}, nil
	}
	var fns []*catalog.Function
	if b.fns != nil && b.fns.cat != nil {
		fns = b.fns.cat.AllFunctions()
	}
	c := &Case{T: types.Varchar}
	for _, f := range fns {
		s := sqlTypeName(f.Ret)
		if n.FnName.L == "pg_get_function_arguments" {
			names := make([]string, len(f.Params))
			for i, p := range f.Params {
				names[i] = p.Name
			}
			s = ArgTypes(f.ParamTypes(), true, names...)
		}
		c.Whens = append(c.Whens, When{Cond: eqInt(oid, FunctionOID(f)), Then: &Const{T: types.Varchar, S: s}})
	}
	if len(c.Whens) == 0 {
		return &Const{T: types.Varchar, Null: true}, nil
	}
	return c, nil
}
