package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// The string functions of PostgreSQL, and Flink's names for them.
func init() {
	text, i32 := types.Varchar, types.Int
	sig := func(ret types.T, args ...types.T) Sig { return Sig{Args: args, Ret: ret} }
	fn := func(name string, sigs []Sig, aliases ...string) *Builtin {
		b := &Builtin{Name: name, Sigs: sigs}
		RegisterBuiltin(b, aliases...)
		return b
	}
	fn("replace", []Sig{sig(text, text, text, text)})
	fn("reverse", []Sig{sig(text, text)})
	fn("split_part", []Sig{sig(text, text, text, i32)}).MayFail = true
	// Flink's SPLIT_INDEX counts from 0 and is NULL out of range.
	fn("split_index", []Sig{sig(text, text, text, i32)})
	fn("lpad", []Sig{sig(text, text, i32), sig(text, text, i32, text)}).MayFail = true
	fn("rpad", []Sig{sig(text, text, i32), sig(text, text, i32, text)}).MayFail = true
	fn("left", []Sig{sig(text, text, i32)})
	fn("right", []Sig{sig(text, text, i32)})
	fn("strpos", []Sig{sig(i32, text, text)}, "instr")
	// POSITION(a IN b), which TiDB gives as position(a, b), and Flink's
	// LOCATE(a, b): strpos(b, a).
	fn("position", []Sig{sig(i32, text, text)}, "locate")
	fn("initcap", []Sig{sig(text, text)})
	fn("repeat", []Sig{sig(text, text, i32)}).MayFail = true
	fn("md5", []Sig{sig(text, text)})
	// PostgreSQL's sha256 takes and gives bytea; with no bytea, this is
	// Flink's SHA256: the hex digest of the text's bytes.
	fn("sha256", []Sig{sig(text, text)})
	for _, name := range []string{"btrim", "ltrim", "rtrim"} {
		fn(name, []Sig{sig(text, text), sig(text, text, text)})
	}
	fn("ascii", []Sig{sig(i32, text)})
	fn("chr", []Sig{sig(text, i32)}).MayFail = true
	fn("starts_with", []Sig{sig(types.Boolean, text, text)}, "startswith")
	fn("translate", []Sig{sig(text, text, text, text)})
	fn("quote_ident", []Sig{sig(text, text)})
	fn("quote_literal", []Sig{sig(text, text)})
	// quote_nullable(NULL) is the string NULL.
	fn("quote_nullable", []Sig{sig(text, text)}).NonStrict = true
	// concat, concat_ws and format take arguments of any type as text
	// (see anyText); concat and concat_ws skip NULLs.
	variadic := []Sig{{Args: []types.T{text}, Variadic: true, Ret: text}}
	fn("concat", variadic).NonStrict = true
	fn("concat_ws", variadic).NonStrict = true
	f := fn("format", variadic)
	f.NonStrict, f.MayFail = true, true
}

// trim binds TRIM([LEADING | TRAILING | BOTH] [chars] FROM s), which TiDB
// gives as trim(s), trim(s, chars) or trim(s, chars, direction), as
// btrim, ltrim or rtrim.
func (b *binder) trim(n *ast.FuncCallExpr) (Expr, error) {
	name, args := "btrim", n.Args
	if len(args) == 3 {
		if d, ok := args[2].(*ast.TrimDirectionExpr); ok {
			switch d.Direction {
			case ast.TrimLeading:
				name = "ltrim"
			case ast.TrimTrailing:
				name = "rtrim"
			}
			args = args[:2]
		}
	}
	xs := make([]Expr, len(args))
	for i, a := range args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return b.bindBuiltin(builtins[name], xs, n)
}

// anyText binds concat(any...), concat_ws(text, any...) and
// format(text, any...), whose variadic arguments may have any type: each
// becomes its text, as PostgreSQL's output function writes it (a BOOLEAN
// is t or f, where a cast to text says true or false).
func (b *binder) anyText(n *ast.FuncCallExpr, name string) (Expr, error) {
	if name == parser.ConcatFunc {
		name = "concat"
	}
	if len(n.Args) == 0 || len(n.Args) == 1 && name == "concat_ws" {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s() does not exist", name)
	}
	xs := make([]Expr, len(n.Args))
	for i, a := range n.Args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		switch t := x.Type(); {
		case i == 0 && name != "concat":
			x, err = b.coerce(x, types.Varchar, a)
		case t.Kind == types.Bool:
			x = &Case{Whens: []When{{Cond: x, Then: &Const{T: types.Varchar, S: "t"}},
				{Cond: &Call{Fn: FnNot, Args: []Expr{x}, T: types.Boolean}, Then: &Const{T: types.Varchar, S: "f"}}}, T: types.Varchar}
		case t.Kind == types.String:
		default:
			x, err = b.cast(x, types.Varchar, a)
		}
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return &Call{Fn: FnBuiltin, B: builtins[name], Args: xs, T: types.Varchar}, nil
}
