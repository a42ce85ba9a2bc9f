package planner

import (
	"os"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// sysCall binds the functions clients call on PostgreSQL's catalogs
// (current_schema(), format_type(), ...); ok is false for any other name.
func (b *binder) sysCall(n *ast.FuncCallExpr, args func(lo, hi int) ([]Expr, error)) (Expr, bool, error) {
	str := func(s string) *Const { return &Const{T: types.Varchar, S: s} }
	// oidArg binds argument i as an INT (an OID).
	oidArg := func(xs []Expr, i int) (Expr, error) { return b.coerce(xs[i], types.Int, n.Args[i]) }
	var x Expr
	var err error
	switch n.FnName.L {
	case "current_schema":
		_, err = args(0, 0)
		x = str(Public)
	case "current_database":
		_, err = args(0, 0)
		x = str(Database)
	case "current_user", "session_user", "user", "current_role":
		_, err = args(0, 0)
		x = str(Owner)
	case "pg_backend_pid":
		_, err = args(0, 0)
		x = &Const{T: types.Int, I: int64(os.Getpid())}
	case "pg_is_in_recovery":
		_, err = args(0, 0)
		x = &Const{T: types.Boolean}
	case "obj_description", "col_description", "shobj_description", "pg_get_expr", "pg_get_serial_sequence",
		"pg_get_indexdef", "pg_get_constraintdef", "pg_get_triggerdef", "pg_get_ruledef", "pg_get_statisticsobjdef_columns":
		// Nothing has a comment, a default, a sequence, an index, a
		// constraint (as pg_constraint rows), a trigger or a rule.
		_, err = args(1, 3)
		x = &Const{T: types.Varchar, Null: true}
	case "pg_type_is_visible":
		_, err = args(1, 1)
		x = &Const{T: types.Boolean, B: true}
	case "pg_encoding_to_char":
		var xs []Expr
		if xs, err = args(1, 1); err == nil {
			if xs[0], err = oidArg(xs, 0); err == nil {
				x = &Case{Whens: []When{{Cond: eqInt(xs[0], 6), Then: str("UTF8")}}, Else: str(""), T: types.Varchar}
			}
		}
	case "has_table_privilege", "has_schema_privilege", "has_database_privilege", "has_column_privilege":
		_, err = args(2, 4)
		x = &Const{T: types.Boolean, B: true}
	case "pg_get_function_result", "pg_get_function_arguments", "pg_function_is_visible":
		x, err = b.procInfo(n, args)
	case "current_setting":
		x, err = b.currentSetting(n, args)
	case "pg_table_is_visible":
		// Every relation but information_schema's is on the search path.
		var xs []Expr
		if xs, err = args(1, 1); err == nil {
			if xs[0], err = oidArg(xs, 0); err == nil {
				lo, hi := &Const{T: types.Int, I: oidInfoSchema}, &Const{T: types.Int, I: oidInfoSchema + 1000}
				in := &Call{Fn: FnAnd, Args: []Expr{&Call{Fn: FnGt, Args: []Expr{xs[0], lo}, T: types.Boolean}, &Call{Fn: FnLt, Args: []Expr{xs[0], hi}, T: types.Boolean}}, T: types.Boolean}
				x = &Call{Fn: FnNot, Args: []Expr{in}, T: types.Boolean}
			}
		}
	case "pg_get_userbyid":
		var xs []Expr
		if xs, err = args(1, 1); err == nil {
			if xs[0], err = oidArg(xs, 0); err == nil {
				x = &Case{Whens: []When{{Cond: eqInt(xs[0], oidOwner), Then: str(Owner)}}, Else: str("unknown"), T: types.Varchar}
			}
		}
	case "format_type":
		var xs []Expr
		if xs, err = args(2, 2); err == nil {
			if xs[0], err = oidArg(xs, 0); err == nil {
				if xs[1], err = oidArg(xs, 1); err == nil {
					x = formatType(xs[0], xs[1])
				}
			}
		}
	default:
		return nil, false, nil
	}
	return x, true, err
}

func eqInt(x Expr, v int64) Expr {
	return &Call{Fn: FnEq, Args: []Expr{x, &Const{T: x.Type(), I: v}}, T: types.Boolean}
}

// formatType is format_type(oid, typmod): the SQL name of each type in
// pg_type, a VARCHAR's with its length and a NUMERIC's with its precision
// and scale.
func formatType(oid, mod Expr) Expr {
	text := func(parts ...Expr) Expr {
		x := parts[0]
		for _, p := range parts[1:] {
			x = &Call{Fn: FnConcat, Args: []Expr{x, p}, T: types.Varchar}
		}
		return x
	}
	lit := func(s string) Expr { return &Const{T: types.Varchar, S: s} }
	num := func(fn Func, x Expr, v int64) Expr {
		return &Call{Fn: fn, Args: []Expr{x, &Const{T: types.Int, I: v}}, T: types.Int}
	}
	str := func(x Expr) Expr { return &Cast{X: x, T: types.Varchar} }
	// A typmod is 4 more than VARCHAR's length, and than NUMERIC's
	// precision << 16 | scale.
	m := num(FnSub, mod, 4)
	withMod := func(t int64) Expr {
		return &Call{Fn: FnAnd, Args: []Expr{eqInt(oid, t), &Call{Fn: FnGe, Args: []Expr{mod, &Const{T: types.Int, I: 4}}, T: types.Boolean}}, T: types.Boolean}
	}
	c := &Case{T: types.Varchar, Else: lit("???")}
	c.Whens = append(c.Whens,
		When{Cond: withMod(1043), Then: text(lit("character varying("), str(m), lit(")"))},
		When{Cond: withMod(1700), Then: text(lit("numeric("), str(num(FnDiv, m, 65536)), lit(","), str(num(FnMod, m, 65536)), lit(")"))})
	for _, t := range pgTypes {
		c.Whens = append(c.Whens, When{Cond: eqInt(oid, t.oid), Then: &Const{T: types.Varchar, S: t.sqlName}},
			When{Cond: eqInt(oid, t.array), Then: &Const{T: types.Varchar, S: t.sqlName + "[]"}})
	}
	// NULL for a NULL OID, as PostgreSQL's strict function.
	return &Case{Whens: []When{{Cond: &Call{Fn: FnIsNull, Args: []Expr{oid}, T: types.Boolean}, Then: &Const{T: types.Varchar, Null: true}}}, Else: c, T: types.Varchar}
}

// currentSetting is current_setting(name [, missing_ok]) of a constant
// name, from the server's settings (the catalog's Settings).
func (b *binder) currentSetting(n *ast.FuncCallExpr, args func(lo, hi int) ([]Expr, error)) (Expr, error) {
	xs, err := args(1, 2)
	if err != nil {
		return nil, err
	}
	c, ok := xs[0].(*Const)
	if !ok || c.T.Kind != types.String || c.Null || c.Param != 0 {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n.Args[0], "current_setting's name must be a constant string")
	}
	missingOK := false
	if len(xs) == 2 {
		if m, ok := xs[1].(*Const); ok && m.T.Kind == types.Bool {
			missingOK = m.B
		}
	}
	var all [][2]string
	if b.sub != nil {
		if s, ok := b.sub.p.Cat.(Settings); ok {
			all = s.Settings()
		}
	}
	name := strings.ToLower(c.S)
	for _, s := range all {
		if s[0] == name {
			return &Const{T: types.Varchar, S: s[1]}, nil
		}
	}
	if missingOK {
		return &Const{T: types.Varchar, Null: true}, nil
	}
	return nil, b.errAt(sqlerr.UndefinedObject, n.Args[0], "unrecognized configuration parameter %q", c.S)
}

// regCast is x::regclass, x::regtype or x::oid; ok is false for any other
// target type. A name resolves to its OID when the query is planned.
func (b *binder) regCast(x Expr, typ string, n ast.Node) (Expr, bool, error) {
	typ = strings.ToLower(strings.TrimSpace(typ))
	switch typ {
	case "oid", "regclass", "regtype":
	default:
		return nil, false, nil
	}
	c, ok := x.(*Const)
	if typ == "oid" || !ok || c.T.Kind != types.String || c.Param != 0 {
		if x.Type().Kind == types.String && typ != "oid" {
			return nil, true, b.errAt(sqlerr.FeatureNotSupported, n, "a cast to %s is supported of a constant name only", typ)
		}
		y, err := b.cast(x, types.Int, n)
		return y, true, err
	}
	if c.Null {
		return &Const{T: types.Int, Null: true}, true, nil
	}
	name := strings.ToLower(strings.TrimSpace(c.S))
	if typ == "regtype" {
		for _, t := range pgTypes {
			if name == t.name || name == t.sqlName || name == "pg_catalog."+t.name {
				return &Const{T: types.Int, I: t.oid}, true, nil
			}
		}
		return nil, true, b.errAt(sqlerr.UndefinedObject, n, "type %q does not exist", c.S)
	}
	schema, rel, found := strings.Cut(name, ".")
	if !found {
		schema, rel = "", name
	}
	if r, ok := SystemRelation(schema, rel); ok {
		return &Const{T: types.Int, I: RelOID(r)}, true, nil
	}
	if b.sub != nil && (schema == "" || schema == Public) {
		if r, ok := b.sub.p.Cat.Relation(rel); ok {
			return &Const{T: types.Int, I: RelOID(r)}, true, nil
		}
	}
	return nil, true, b.errAt(sqlerr.UndefinedTable, n, "relation %q does not exist", c.S)
}
