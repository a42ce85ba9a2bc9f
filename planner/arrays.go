package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Arrays are polymorphic (anyarray, anyelement), which Builtin's fixed
// signatures cannot say, so their calls are bound here and run as the
// kernels exec registers under these builtins' names.
var (
	arrayCtor      = &Builtin{Name: "array", NonStrict: true}
	arraySubscript = &Builtin{Name: "array_subscript"}
	arraySlice     = &Builtin{Name: "array_slice", NonStrict: true}
	// arrayCompare is x op ANY/ALL (arr): its third argument is the
	// operator and the fourth 'any' or 'all', both constants.
	arrayCompare   = &Builtin{Name: "array_compare", NonStrict: true}
	arrayCat       = &Builtin{Name: "array_cat", NonStrict: true}
	arrayAppend    = &Builtin{Name: "array_append", NonStrict: true}
	arrayPrepend   = &Builtin{Name: "array_prepend", NonStrict: true}
	arrayRemove    = &Builtin{Name: "array_remove", NonStrict: true}
	arrayReplace   = &Builtin{Name: "array_replace", NonStrict: true}
	arrayPosition  = &Builtin{Name: "array_position", NonStrict: true}
	arrayPositions = &Builtin{Name: "array_positions", NonStrict: true}
	arrayLength    = &Builtin{Name: "array_length"}
	arrayUpper     = &Builtin{Name: "array_upper"}
	arrayLower     = &Builtin{Name: "array_lower"}
	arrayNdims     = &Builtin{Name: "array_ndims"}
	cardinality    = &Builtin{Name: "cardinality"}
	arrayToString  = &Builtin{Name: "array_to_string", NonStrict: true}
	stringToArray  = &Builtin{Name: "string_to_array", NonStrict: true}
	arrayContains  = &Builtin{Name: "array_contains"}
	arrayContained = &Builtin{Name: "array_contained"}
	arrayOverlap   = &Builtin{Name: "array_overlap"}
)

func init() {
	for _, fn := range []*Builtin{arrayCtor, arraySubscript, arraySlice, arrayCompare, arrayCat, arrayAppend, arrayPrepend,
		arrayRemove, arrayReplace, arrayPosition, arrayPositions, arrayLength, arrayUpper, arrayLower, arrayNdims,
		cardinality, arrayToString, stringToArray, arrayContains, arrayContained, arrayOverlap} {
		RegisterBuiltin(fn)
	}
}

// arrayOID is the OID of an array of t: its element type's typarray.
func arrayOID(elem types.T) int64 {
	oid := TypeOID(elem)
	for _, p := range pgTypes {
		if p.oid == oid && p.array != 0 {
			return p.array
		}
	}
	return 1009 // text[]
}

// isArray reports whether x is of an array type.
func isArray(x Expr) bool { return x.Type().Kind == types.Array }

// untyped reports whether x is a literal (or parameter) of no type yet,
// which an array context reads as an array's text.
func untyped(x Expr) bool {
	c, ok := x.(*Const)
	return ok && (c.T.Kind == types.String || c.T.Kind == types.Null)
}

// arrayCall binds a call of an array function; ok is false for any other
// name.
func (b *binder) arrayCall(n *ast.FuncCallExpr, name string) (Expr, bool, error) {
	var fn *Builtin
	switch name {
	case parser.ArrayFunc:
		e, err := b.arrayLiteral(n)
		return e, true, err
	case parser.ArraySubFunc:
		e, err := b.arraySubquery(n)
		return e, true, err
	case parser.SubscriptFunc, parser.SliceFunc:
		e, err := b.subscript(n, name == parser.SliceFunc)
		return e, true, err
	case parser.ContainsFunc, parser.ContainedFunc, parser.OverlapFunc:
		fn = map[string]*Builtin{parser.ContainsFunc: arrayContains, parser.ContainedFunc: arrayContained, parser.OverlapFunc: arrayOverlap}[name]
	case "array_cat", "array_append", "array_prepend", "array_remove", "array_replace", "array_position", "array_positions",
		"array_length", "array_upper", "array_lower", "array_ndims", "cardinality", "array_to_string", "string_to_array":
		fn = builtins[name]
	case "current_schemas":
		e, err := b.currentSchemas(n)
		return e, true, err
	default:
		return nil, false, nil
	}
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, true, err
	}
	if (fn == arrayContains || fn == arrayContained) && len(xs) == 2 && (isJSON(xs[0].Type()) || isJSON(xs[1].Type())) {
		// @> and <@ of jsonb: the JSON operators'.
		e, err := b.bindBuiltin(builtins[map[*Builtin]string{arrayContains: "streamsql_json_contains", arrayContained: "streamsql_json_contained"}[fn]], xs, n)
		return e, true, err
	}
	if fn == arrayToString && len(xs) > 0 && !isArray(xs[0]) && !untyped(xs[0]) {
		// A catalog column that stands for an array (an ACL, options),
		// NULL or already text.
		e, err := b.coerce(xs[0], types.Varchar, n.Args[0])
		return e, true, err
	}
	e, err := b.arrayFunc(fn, xs, n)
	return e, true, err
}

// arrayType is the array type x has, reading an untyped literal as an
// array of elem (text when elem is unknown); at is where x stands.
func (b *binder) arrayArg(x Expr, elem types.T, at ast.Node) (Expr, error) {
	if isArray(x) {
		if elem.Kind != types.Null && !sameType(x.Type().ElemType(), elem) {
			return b.coerce(x, types.ArrayOf(elem), at)
		}
		return x, nil
	}
	if untyped(x) {
		if elem.Kind == types.Null {
			elem = types.Varchar
		}
		return b.coerce(x, types.ArrayOf(elem), at)
	}
	return nil, b.errAt(sqlerr.UndefinedFunction, at, "expression of type %s is not an array", pgTypeName(x.Type()))
}

// arrayFunc binds fn over the bound arguments xs.
func (b *binder) arrayFunc(fn *Builtin, xs []Expr, n *ast.FuncCallExpr) (Expr, error) {
	wrong := func() error {
		ts := make([]string, len(xs))
		for i, x := range xs {
			ts[i] = pgTypeName(x.Type())
		}
		return b.errAt(sqlerr.UndefinedFunction, n, "function %s(%s) does not exist", b.written(n, fn.Name), strings.Join(ts, ", "))
	}
	call := func(t types.T, args ...Expr) (Expr, error) {
		return &Call{Fn: FnBuiltin, B: fn, Args: args, T: t}, nil
	}
	// arr turns argument i into an array whose element type is the common
	// one of it and the elements at the given argument indexes.
	arr := func(i int, elems ...int) (Expr, error) {
		et := types.Unknown
		if isArray(xs[i]) {
			et = xs[i].Type().ElemType()
		}
		if len(elems) > 0 {
			cands := []Expr{&Const{T: et, Null: true}}
			nodes := []ast.Node{n.Args[i]}
			if et.Kind == types.Null {
				cands = nil
				nodes = nil
			}
			for _, k := range elems {
				cands = append(cands, xs[k])
				nodes = append(nodes, n.Args[k])
			}
			t, err := b.commonType(cands, nodes, n)
			if err != nil {
				return nil, wrong()
			}
			if et.Kind != types.Null || !allUntyped(xs, elems) {
				et = t
			}
			for _, k := range elems {
				if xs[k], err = b.coerce(xs[k], et, n.Args[k]); err != nil {
					return nil, err
				}
			}
		}
		return b.arrayArg(xs[i], et, n.Args[i])
	}
	intArg := func(i int) error {
		var err error
		xs[i], err = b.coerce(xs[i], types.Int, n.Args[i])
		return err
	}
	var err error
	switch fn {
	case arrayLength, arrayUpper, arrayLower:
		if len(xs) != 2 {
			return nil, wrong()
		}
		if xs[0], err = arr(0); err != nil {
			return nil, err
		}
		if err := intArg(1); err != nil {
			return nil, err
		}
		return call(types.Int, xs...)
	case arrayNdims, cardinality:
		if len(xs) != 1 {
			return nil, wrong()
		}
		if xs[0], err = arr(0); err != nil {
			return nil, err
		}
		return call(types.Int, xs...)
	case arrayCat, arrayContains, arrayContained, arrayOverlap:
		if len(xs) != 2 {
			return nil, wrong()
		}
		t, err := b.arrayPair(xs, n)
		if err != nil {
			return nil, err
		}
		if fn == arrayCat {
			return call(t, xs...)
		}
		return call(types.Boolean, xs...)
	case arrayAppend, arrayRemove, arrayPosition, arrayPositions:
		if len(xs) != 2 && !(fn == arrayPosition && len(xs) == 3) {
			return nil, wrong()
		}
		if xs[0], err = arr(0, 1); err != nil {
			return nil, err
		}
		if len(xs) == 3 {
			if err := intArg(2); err != nil {
				return nil, err
			}
		}
		switch fn {
		case arrayPosition:
			return call(types.Int, xs...)
		case arrayPositions:
			return call(types.ArrayOf(types.Int), xs...)
		}
		return call(xs[0].Type(), xs...)
	case arrayReplace:
		if len(xs) != 3 {
			return nil, wrong()
		}
		if xs[0], err = arr(0, 1, 2); err != nil {
			return nil, err
		}
		return call(xs[0].Type(), xs...)
	case arrayPrepend:
		if len(xs) != 2 {
			return nil, wrong()
		}
		xs[0], xs[1] = xs[1], xs[0]
		a, err := arr(0, 1)
		if err != nil {
			return nil, err
		}
		return call(a.Type(), xs[1], a)
	case arrayToString:
		if len(xs) != 2 && len(xs) != 3 {
			return nil, wrong()
		}
		if xs[0], err = arr(0); err != nil {
			return nil, err
		}
		for i := 1; i < len(xs); i++ {
			if xs[i], err = b.coerce(xs[i], types.Varchar, n.Args[i]); err != nil {
				return nil, err
			}
		}
		return call(types.Varchar, xs...)
	case stringToArray:
		if len(xs) != 2 && len(xs) != 3 {
			return nil, wrong()
		}
		for i := range xs {
			if xs[i], err = b.coerce(xs[i], types.Varchar, n.Args[i]); err != nil {
				if xs[i], err = b.cast(xs[i], types.Varchar, n.Args[i]); err != nil {
					return nil, err
				}
			}
		}
		return call(types.ArrayOf(types.Varchar), xs...)
	}
	return nil, wrong()
}

func allUntyped(xs []Expr, idx []int) bool {
	for _, k := range idx {
		if !untyped(xs[k]) {
			return false
		}
	}
	return true
}

// arrayPair makes xs[0] and xs[1] arrays of one type, an untyped literal
// taking the other's, and returns it.
func (b *binder) arrayPair(xs []Expr, n *ast.FuncCallExpr) (types.T, error) {
	switch {
	case isArray(xs[0]) && isArray(xs[1]):
		t, err := b.commonType(xs[:2], []ast.Node{n.Args[0], n.Args[1]}, n)
		if err != nil {
			return types.T{}, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s and %s", pgTypeName(xs[0].Type()), pgTypeName(xs[1].Type()))
		}
		for i := 0; i < 2; i++ {
			var err error
			if xs[i], err = b.coerce(xs[i], t, n.Args[i]); err != nil {
				return types.T{}, err
			}
		}
		return t, nil
	case isArray(xs[0]) || isArray(xs[1]):
		k := 0
		if isArray(xs[0]) {
			k = 1
		}
		var err error
		if xs[k], err = b.arrayArg(xs[k], xs[1-k].Type().ElemType(), n.Args[k]); err != nil {
			return types.T{}, err
		}
		return xs[1-k].Type(), nil
	}
	return types.T{}, b.errAt(sqlerr.UndefinedFunction, n, "could not determine the array type of %s and %s", pgTypeName(xs[0].Type()), pgTypeName(xs[1].Type()))
}

// arrayLiteral binds ARRAY[x, ...]: an array of the elements' common type.
func (b *binder) arrayLiteral(n *ast.FuncCallExpr) (Expr, error) {
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		// ARRAY[] has no type until a cast gives it one.
		return &Const{T: types.ArrayOf(types.Unknown), S: vec.ArrayOf(&vec.Vec{})}, nil
	}
	nodes := make([]ast.Node, len(xs))
	for i := range xs {
		nodes[i] = n.Args[i]
		if isArray(xs[i]) {
			return nil, b.errAt(sqlerr.FeatureNotSupported, n.Args[i], "arrays of more than one dimension are not supported")
		}
	}
	t, err := b.commonType(xs, nodes, n)
	if err != nil {
		return nil, err
	}
	for i := range xs {
		if xs[i], err = b.coerce(xs[i], t, n.Args[i]); err != nil {
			return nil, err
		}
	}
	// Of constants, a constant (which unnest in FROM needs).
	ev := vec.New(t, len(xs))
	for _, x := range xs {
		c, ok := x.(*Const)
		if !ok || c.Param != 0 {
			return &Call{Fn: FnBuiltin, B: arrayCtor, Args: xs, T: types.ArrayOf(t)}, nil
		}
		appendConst(&ev, c)
	}
	return &Const{T: types.ArrayOf(t), S: vec.ArrayOf(&ev)}, nil
}

// subscript binds a[i], and a[lo:hi] when slice is set.
func (b *binder) subscript(n *ast.FuncCallExpr, slice bool) (Expr, error) {
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, err
	}
	if !isArray(xs[0]) {
		return nil, b.errAt(sqlerr.DatatypeMismatch, n.Args[0], "cannot subscript type %s because it does not support subscripting", pgTypeName(xs[0].Type()))
	}
	for i := 1; i < len(xs); i++ {
		if xs[i], err = b.coerce(xs[i], types.Int, n.Args[i]); err != nil {
			return nil, b.errAt(sqlerr.DatatypeMismatch, n.Args[i], "array subscript must have type integer")
		}
	}
	if slice {
		return &Call{Fn: FnBuiltin, B: arraySlice, Args: xs, T: xs[0].Type()}, nil
	}
	return &Call{Fn: FnBuiltin, B: arraySubscript, Args: xs, T: xs[0].Type().ElemType()}, nil
}

// anyAll binds x op ANY (arr) and x op ALL (arr), arr being the call the
// front end wrote for it.
func (b *binder) anyAll(fn Func, x Expr, call *ast.FuncCallExpr, xNode, n ast.Node) (Expr, error) {
	if len(call.Args) != 1 {
		return nil, b.errAt(sqlerr.Syntax, call, "ANY and ALL take one array")
	}
	a, err := b.expr(call.Args[0])
	if err != nil {
		return nil, err
	}
	elem := types.Unknown
	if isArray(a) {
		elem = a.Type().ElemType()
	}
	op := funcInfo[fn].infix
	if elem.Kind == types.Null {
		elem = x.Type()
		if elem.Kind == types.Null {
			elem = types.Varchar
		}
	} else {
		t, err := b.commonType([]Expr{x, &Const{T: elem, Null: true}}, []ast.Node{xNode, call.Args[0]}, n)
		if err != nil {
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s %s %s", pgTypeName(x.Type()), op, pgTypeName(elem))
		}
		elem = t
	}
	if x, err = b.coerce(x, elem, xNode); err != nil {
		return nil, err
	}
	if _, isConst := a.(*Const); !isConst && a.Type().Kind == types.String {
		// A catalog column that stands for an array (pg_policy.polroles)
		// holds array text, or NULL.
		a = &Cast{X: a, T: types.ArrayOf(elem), Zone: b.zone}
	}
	if a, err = b.arrayArg(a, elem, call.Args[0]); err != nil {
		return nil, err
	}
	which := "any"
	if call.FnName.L == parser.AllFunc {
		which = "all"
	}
	return &Call{Fn: FnBuiltin, B: arrayCompare, T: types.Boolean,
		Args: []Expr{x, a, &Const{T: types.Varchar, S: op}, &Const{T: types.Varchar, S: which}}}, nil
}

// arrayConcat binds a || b where either is an array: array_cat of two
// arrays, array_append or array_prepend of an element. An untyped
// literal beside an array is an array, as in PostgreSQL.
func (b *binder) arrayConcat(xs []Expr, n *ast.FuncCallExpr) (Expr, error) {
	if len(xs) != 2 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: ||")
	}
	x, y := xs[0], xs[1]
	switch {
	case isArray(x) && isArray(y) || untyped(x) || untyped(y):
		return b.arrayFunc(arrayCat, xs, n)
	case isArray(x):
		return b.arrayFunc(arrayAppend, xs, n)
	}
	return b.arrayFunc(arrayPrepend, xs, n)
}

// hasArray reports whether any of xs is an array.
func hasArray(xs []Expr) bool {
	for _, x := range xs {
		if isArray(x) {
			return true
		}
	}
	return false
}

// currentSchemas is current_schemas(include_implicit): the search path,
// pg_catalog first when asked for.
func (b *binder) currentSchemas(n *ast.FuncCallExpr) (Expr, error) {
	xs, err := b.bindArgs(n)
	if err != nil {
		return nil, err
	}
	if len(xs) != 1 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function current_schemas takes one boolean")
	}
	if xs[0], err = b.coerce(xs[0], types.Boolean, n.Args[0]); err != nil {
		return nil, err
	}
	names := func(ss ...string) Expr {
		v := vec.New(types.Varchar, len(ss))
		for _, s := range ss {
			v.AppendStr(s)
		}
		return &Const{T: types.ArrayOf(types.Varchar), S: vec.ArrayOf(&v)}
	}
	if c, ok := xs[0].(*Const); ok && c.Param == 0 {
		if c.Null {
			return &Const{T: types.ArrayOf(types.Varchar), Null: true}, nil
		}
		if c.B {
			return names("pg_catalog", Public), nil
		}
		return names(Public), nil
	}
	return &Case{Whens: []When{{Cond: xs[0], Then: names("pg_catalog", Public)}}, Else: names(Public), T: types.ArrayOf(types.Varchar)}, nil
}

// arraySubquery binds ARRAY(SELECT ...), which the front end wrote as
// ArraySubFunc((SELECT array_agg(x) ...)): the scalar subquery's array,
// empty when it has no rows.
func (b *binder) arraySubquery(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 1 {
		return nil, b.errAt(sqlerr.Syntax, n, "ARRAY(...) takes one subquery")
	}
	x, err := b.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	t := x.Type()
	if t.Kind != types.Array {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "ARRAY(SELECT ...) of this subquery is not supported")
	}
	empty := vec.New(t.ElemType(), 0)
	return &Call{Fn: FnCoalesce, Args: []Expr{x, &Const{T: t, S: vec.ArrayOf(&empty)}}, T: t}, nil
}
