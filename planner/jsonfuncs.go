package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// AnyType as a parameter type takes an argument of any type as it is (to_jsonb,
// jsonb_build_object); the kernel reads the argument's type.
var AnyType = types.T{Kind: types.Null, Width: -1}

// JSONBConcat and JSONBDelete are the builtins jsonb || jsonb and
// jsonb - key (or - index) bind to.
const (
	JSONBConcat = "streamsql_jsonb_concat"
	JSONBDelete = "streamsql_jsonb_delete"
)

// The JSON operators (whose functions the parser rewrites them to) and
// functions of PostgreSQL, and Flink's JSON_VALUE and JSON_EXISTS.
func init() {
	jb, js, text, i32, b := types.Jsonb, types.Json, types.Varchar, types.Int, types.Boolean
	sig := func(ret types.T, args ...types.T) Sig { return Sig{Args: args, Ret: ret} }
	fn := func(name string, sigs []Sig, aliases ...string) *Builtin {
		f := &Builtin{Name: name, Sigs: sigs}
		RegisterBuiltin(f, aliases...)
		return f
	}
	fn("streamsql_json_get", []Sig{sig(jb, jb, text), sig(jb, jb, i32), sig(js, js, text), sig(js, js, i32)}).MayFail = true
	fn("streamsql_json_get_text", []Sig{sig(text, jb, text), sig(text, jb, i32), sig(text, js, text), sig(text, js, i32)}).MayFail = true
	fn("streamsql_json_path", []Sig{sig(jb, jb, text), sig(js, js, text)}).MayFail = true
	fn("streamsql_json_path_text", []Sig{sig(text, jb, text), sig(text, js, text)}).MayFail = true
	fn("streamsql_json_contains", []Sig{sig(b, jb, jb)})
	fn("streamsql_json_contained", []Sig{sig(b, jb, jb)})
	fn("streamsql_json_exists", []Sig{sig(b, jb, text)})
	fn("streamsql_json_exists_any", []Sig{sig(b, jb, text)}).MayFail = true
	fn("streamsql_json_exists_all", []Sig{sig(b, jb, text)}).MayFail = true
	fn(JSONBConcat, []Sig{sig(jb, jb, jb)})
	fn(JSONBDelete, []Sig{sig(jb, jb, text), sig(jb, jb, i32)}).MayFail = true
	fn("jsonb_typeof", []Sig{sig(text, jb)})
	fn("json_typeof", []Sig{sig(text, js)})
	fn("jsonb_array_length", []Sig{sig(i32, jb)}).MayFail = true
	fn("json_array_length", []Sig{sig(i32, js)}).MayFail = true
	variadic := func(ret, first types.T) []Sig {
		return []Sig{{Args: []types.T{first, text}, Variadic: true, Ret: ret}}
	}
	fn("jsonb_extract_path", variadic(jb, jb)).MayFail = true
	fn("jsonb_extract_path_text", variadic(text, jb)).MayFail = true
	fn("json_extract_path", variadic(js, js)).MayFail = true
	fn("json_extract_path_text", variadic(text, js)).MayFail = true
	anyArgs := func(ret types.T) []Sig {
		return []Sig{{Args: []types.T{AnyType}, Variadic: true, Ret: ret}, {Ret: ret}}
	}
	for name, ret := range map[string]types.T{"jsonb_build_object": jb, "json_build_object": js, "jsonb_build_array": jb, "json_build_array": js} {
		f := fn(name, anyArgs(ret))
		f.NonStrict, f.MayFail = true, true
		if name == "jsonb_build_object" || name == "json_build_object" {
			f.Check = evenArgs
		}
	}
	fn("to_jsonb", []Sig{sig(jb, AnyType)}).MayFail = true
	fn("to_json", []Sig{sig(js, AnyType)}).MayFail = true
	fn("jsonb_strip_nulls", []Sig{sig(jb, jb)})
	fn("jsonb_pretty", []Sig{sig(text, jb)})
	// Flink's JSON_VALUE(json_text, '$.path') and JSON_EXISTS: the
	// text of a scalar at a path of keys and [n] indexes, or NULL.
	fn("json_value", []Sig{sig(text, text, text)}).MayFail = true
	fn("json_exists", []Sig{sig(b, text, text)}).MayFail = true
}

// evenArgs refuses jsonb_build_object with an odd number of arguments,
// as PostgreSQL does when planning.
func evenArgs(fn *Builtin, args []Expr) (int, error) {
	if len(args)%2 != 0 {
		e := sqlerr.New(sqlerr.InvalidParameter, "argument list must have even number of elements")
		e.Hint = "The arguments of " + fn.Name + "() must consist of alternating keys and values."
		return len(args) - 1, e
	}
	return 0, nil
}

// jsonbOperator binds a || b and a - b when a is jsonb (ok false otherwise).
func (b *binder) jsonbOperator(name string, x, y Expr, at ast.Node) (Expr, bool, error) {
	if x.Type().Kind != types.JSONB && (name != JSONBConcat || y.Type().Kind != types.JSONB) {
		return nil, false, nil
	}
	fn := builtins[name]
	for _, sig := range fn.Sigs {
		x2, err1 := b.coerce(x, sig.Args[0], at)
		y2, err2 := b.coerce(y, sig.Args[1], at)
		if err1 == nil && err2 == nil {
			return &Call{Fn: FnBuiltin, B: fn, Args: []Expr{x2, y2}, T: sig.Ret}, true, nil
		}
	}
	op := map[string]string{JSONBConcat: "||", JSONBDelete: "-"}[name]
	return nil, true, b.errAt(sqlerr.UndefinedFunction, at, "operator does not exist: %s %s %s", pgTypeName(x.Type()), op, pgTypeName(y.Type()))
}
