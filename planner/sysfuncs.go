package planner

import (
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

func init() {
	// pg_size_pretty(bigint): a byte count for people, as psql's \d+
	// and \l+ show sizes.
	RegisterBuiltin(&Builtin{Name: "pg_size_pretty", Sigs: []Sig{{Args: []types.T{types.BigInt}, Ret: types.Varchar}}})
}

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
	case "pg_get_viewdef":
		// A view's query as pg_views.definition gives it, of an OID or
		// a name.
		var xs []Expr
		if xs, err = args(1, 2); err == nil {
			if xs[0].Type().Kind == types.String {
				xs[0], _, err = b.regCast(xs[0], "regclass", n.Args[0])
			} else {
				xs[0], err = oidArg(xs, 0)
			}
			if err == nil {
				c := &Case{T: types.Varchar, Else: &Const{T: types.Varchar, Null: true}}
				rels := slices.Clone(systemCatalog)
				if b.sub != nil {
					if r, ok := b.sub.p.Cat.(Relations); ok {
						rels = append(rels, r.AllRelations()...)
					}
				}
				for _, r := range rels {
					if d, ok := definition(r).(string); ok && (r.Kind == parser.KindView || r.Kind == parser.KindMaterializedView) {
						c.Whens = append(c.Whens, When{Cond: eqInt(xs[0], RelOID(r)), Then: &Const{T: types.Varchar, S: d}})
					}
				}
				x = c
			}
		}
	case "pg_relation_is_publishable":
		// A user's table, as PostgreSQL's ordinary tables outside its
		// catalogs.
		var xs []Expr
		if xs, err = args(1, 1); err == nil {
			if xs[0], err = oidArg(xs, 0); err == nil {
				c := &Case{T: types.Boolean, Else: &Const{T: types.Boolean}}
				if b.sub != nil {
					if r, ok := b.sub.p.Cat.(Relations); ok {
						for _, rel := range r.AllRelations() {
							if rel.Kind == parser.KindTable {
								c.Whens = append(c.Whens, When{Cond: eqInt(xs[0], RelOID(rel)), Then: &Const{T: types.Boolean, B: true}})
							}
						}
					}
				}
				x = c
			}
		}
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
	case "pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size", "pg_database_size":
		x, err = b.relationSize(n, args)
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

// Sizes is what the catalog given to the planner may also answer, for
// pg_table_size() and its kin: each relation's bytes, by OID.
type Sizes interface {
	RelationBytes() map[int64]RelationSize
}

// RelationSize is what a relation stores: its rows (pg_table_size, as
// pg_relation_size) and its operator state (the rest of
// pg_total_relation_size, where PostgreSQL counts indexes).
type RelationSize struct{ Rows, State int64 }

// relationSize binds pg_table_size(regclass), pg_relation_size,
// pg_indexes_size, pg_total_relation_size and pg_database_size(name), of
// the relations as the statement is planned. An OID of no relation is
// NULL, as in PostgreSQL.
func (b *binder) relationSize(n *ast.FuncCallExpr, args func(lo, hi int) ([]Expr, error)) (Expr, error) {
	name := n.FnName.L
	hi := 1
	if name == "pg_relation_size" {
		hi = 2 // a fork name: the main fork is the one there is
	}
	xs, err := args(1, hi)
	if err != nil {
		return nil, err
	}
	var sizes map[int64]RelationSize
	if b.sub != nil {
		if s, ok := b.sub.p.Cat.(Sizes); ok {
			sizes = s.RelationBytes()
		}
	}
	if name == "pg_database_size" {
		var sum int64
		for _, s := range sizes {
			sum += s.Rows + s.State
		}
		db := &Const{T: types.BigInt, I: sum}
		if c, ok := xs[0].(*Const); ok && c.T.Kind == types.String && !c.Null && c.Param == 0 && c.S != Database {
			return nil, b.errAt(sqlerr.UndefinedObject, n.Args[0], "database %q does not exist", c.S)
		}
		return db, nil
	}
	oid, err := b.coerce(xs[0], types.Int, n.Args[0])
	if err != nil {
		return nil, err
	}
	c := &Case{T: types.BigInt, Else: &Const{T: types.BigInt, Null: true}}
	oids := slices.Sorted(maps.Keys(sizes))
	for _, o := range oids {
		s := sizes[o]
		v := s.Rows
		switch name {
		case "pg_indexes_size":
			v = s.State
		case "pg_total_relation_size":
			v += s.State
		}
		c.Whens = append(c.Whens, When{Cond: eqInt(oid, o), Then: &Const{T: types.BigInt, I: v}})
	}
	// The system catalogs are computed when read: they store nothing.
	for _, r := range systemCatalog {
		c.Whens = append(c.Whens, When{Cond: eqInt(oid, RelOID(r)), Then: &Const{T: types.BigInt, I: 0}})
	}
	return c, nil
}

// eqIntOp is x op v, a comparison with an integer constant.
func eqIntOp(op Func, x Expr, v int64) Expr {
	return &Call{Fn: op, Args: []Expr{x, &Const{T: x.Type(), I: v}}, T: types.Boolean}
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
	// A timestamp's typmod is its precision; 6, the most, is a plain
	// TIMESTAMP's, which PostgreSQL writes without one.
	for _, ts := range []struct {
		oid  int64
		zone string
	}{{1114, " without time zone"}, {1184, " with time zone"}} {
		below6 := &Call{Fn: FnAnd, Args: []Expr{eqIntOp(FnGe, mod, 0), eqIntOp(FnLt, mod, 6)}, T: types.Boolean}
		c.Whens = append(c.Whens, When{Cond: &Call{Fn: FnAnd, Args: []Expr{eqInt(oid, ts.oid), below6}, T: types.Boolean},
			Then: text(lit("timestamp("), str(mod), lit(")"+ts.zone))})
	}
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
	name := strings.ToLower(c.S)
	if b.sub != nil {
		if v, ok := b.sub.p.Session[name]; ok {
			return &Const{T: types.Varchar, S: v}, nil
		}
		if s, ok := b.sub.p.Cat.(Settings); ok {
			all = s.Settings()
		}
	}
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

// Relations is what the catalog given to the planner may also answer, for
// a reg type's names: every relation but the sinks, by id.
type Relations interface {
	AllRelations() []*catalog.Relation
}

// regText binds x::regclass::text (and regtype, regnamespace, regproc,
// regrole): the name of the object whose OID x is, as PostgreSQL's output
// function of the reg type writes it, or the number when there is none.
// ok is false for any other cast.
func (b *binder) regText(n *ast.FuncCallExpr) (Expr, bool, error) {
	inner, ok := n.Args[0].(*ast.FuncCallExpr)
	to, ok2 := n.Args[1].(*test_driver.ValueExpr)
	if ok2 {
		if t, err := parser.ParseType(to.Datum.GetString()); err == nil && t.Kind == types.Array && t.ElemType().Kind == types.String && isRegtypeArray(n.Args[0]) {
			// regtype[]::text[]: each OID's name.
			x, err := b.expr(n.Args[0])
			if err != nil {
				return nil, true, err
			}
			return &Call{Fn: FnBuiltin, B: regtypeNames, Args: []Expr{x}, T: types.ArrayOf(types.Varchar)}, true, nil
		}
	}
	if !ok || !ok2 || inner.FnName.L != parser.CastFunc || len(inner.Args) != 2 {
		return nil, false, nil
	}
	from, ok := inner.Args[1].(*test_driver.ValueExpr)
	if !ok {
		return nil, false, nil
	}
	reg := strings.ToLower(from.Datum.GetString())
	if !strings.HasPrefix(reg, "reg") {
		return nil, false, nil
	}
	if t, err := parser.ParseType(to.Datum.GetString()); err != nil || t.Kind != types.String {
		return nil, false, nil
	}
	x, err := b.expr(inner)
	if err != nil {
		return nil, true, err
	}
	x, err = b.coerce(x, types.Int, inner)
	if err != nil {
		return nil, true, err
	}
	c := &Case{T: types.Varchar, Else: &Cast{X: x, T: types.Varchar}}
	name := func(oid int64, s string) {
		c.Whens = append(c.Whens, When{Cond: eqInt(x, oid), Then: &Const{T: types.Varchar, S: s}})
	}
	switch reg {
	case "regtype":
		return formatType(x, &Const{T: types.Int, I: -1}), true, nil
	case "regnamespace":
		for _, ns := range namespaces {
			name(ns.oid, ns.name)
		}
	case "regrole":
		name(oidOwner, Owner)
	case "regproc", "regprocedure":
		for i, f := range procs {
			name(int64(procOIDBase+i), f)
		}
		if b.fns != nil && b.fns.cat != nil {
			for _, f := range b.fns.cat.AllFunctions() {
				name(FunctionOID(f), quoteIdent(f.Name))
			}
		}
	case "regclass":
		rels := slices.Clone(systemCatalog)
		if b.sub != nil {
			if r, ok := b.sub.p.Cat.(Relations); ok {
				rels = append(rels, r.AllRelations()...)
			}
		}
		for _, r := range rels {
			s := quoteIdent(r.Name)
			if r.Schema != "" && r.Schema != PgCatalog {
				s = quoteIdent(r.Schema) + "." + s // not on the search path
			}
			name(RelOID(r), s)
		}
	default:
		return nil, false, nil
	}
	return c, true, nil
}

// regtypeNames is regtype[]::text[]: the names of an array's type OIDs,
// as RegtypeName gives them (exec registers its kernel).
var regtypeNames = &Builtin{Name: "?regtype_names?"}

// isRegtypeArray reports x::regtype[], or a COALESCE of such arrays
// (pgcli's COALESCE(proallargtypes::regtype[], proargtypes::regtype[])).
func isRegtypeArray(n ast.ExprNode) bool {
	switch x := n.(type) {
	case *ast.ParenthesesExpr:
		return isRegtypeArray(x.Expr)
	case *ast.FuncCallExpr:
		switch {
		case x.FnName.L == parser.CastFunc && len(x.Args) == 2:
			v, ok := x.Args[1].(*test_driver.ValueExpr)
			return ok && strings.EqualFold(v.Datum.GetString(), "regtype[]")
		case x.FnName.L == "coalesce" && len(x.Args) > 0:
			for _, a := range x.Args {
				if !isRegtypeArray(a) {
					if v, ok := a.(*test_driver.ValueExpr); !ok || v.Datum.Kind() != test_driver.KindNull {
						return false
					}
				}
			}
			return true
		}
	}
	return false
}

// RegtypeName is the regtype output of a type's OID: format_type's name
// of it, or the number for an OID that names no type.
func RegtypeName(oid int64) string {
	for _, t := range pgTypes {
		switch oid {
		case t.oid:
			return t.sqlName
		case t.array:
			return t.sqlName + "[]"
		}
	}
	for name, o := range pseudoTypes {
		if o == oid {
			return name
		}
	}
	return strconv.FormatInt(oid, 10)
}

// pseudoTypes are PostgreSQL's pseudo-types by OID, which a ::regtype
// of a constant name resolves (pgcli compares return types with
// 'trigger'::regtype); no column has them.
var pseudoTypes = map[string]int64{"trigger": 2279, "void": 2278, "record": 2249, "cstring": 2275, "any": 2276,
	"anyarray": 2277, "anyelement": 2283, "internal": 2281, "event_trigger": 3838}

// quoteIdent is name as an identifier in SQL: quoted unless it is lower
// case letters, digits and underscores, not starting with a digit.
func quoteIdent(name string) string {
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		}
	}
	if name == "" {
		return `""`
	}
	return name
}

// regCast is x::regclass, x::regtype or x::oid; ok is false for any other
// target type. A name resolves to its OID when the query is planned.
func (b *binder) regCast(x Expr, typ string, n ast.Node) (Expr, bool, error) {
	typ = strings.ToLower(strings.TrimSpace(typ))
	if elem, ok := strings.CutSuffix(typ, "[]"); ok && (elem == "oid" || strings.HasPrefix(elem, "reg")) {
		// An array of OIDs, as PostgreSQL's oid[] and oidvector columns.
		if x.Type().Kind == types.String {
			return nil, true, b.errAt(sqlerr.FeatureNotSupported, n, "a cast to %s is supported of an array of OIDs only", typ)
		}
		y, err := b.cast(x, types.ArrayOf(types.Int), n)
		return y, true, err
	}
	switch typ {
	case "oid", "regclass", "regtype", "regnamespace", "regrole", "regproc", "regprocedure":
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
	switch typ {
	case "regnamespace":
		for _, ns := range namespaces {
			if name == ns.name {
				return &Const{T: types.Int, I: ns.oid}, true, nil
			}
		}
		return nil, true, b.errAt(sqlerr.UndefinedObject, n, "schema %q does not exist", c.S)
	case "regrole":
		if name == Owner {
			return &Const{T: types.Int, I: oidOwner}, true, nil
		}
		return nil, true, b.errAt(sqlerr.UndefinedObject, n, "role %q does not exist", c.S)
	case "regproc", "regprocedure":
		name, _, _ = strings.Cut(strings.TrimPrefix(name, "pg_catalog."), "(")
		for i, f := range procs {
			if f == name {
				return &Const{T: types.Int, I: int64(procOIDBase + i)}, true, nil
			}
		}
		return nil, true, b.errAt(sqlerr.UndefinedFunction, n, "function %q does not exist", c.S)
	}
	if typ == "regtype" {
		for _, t := range pgTypes {
			if name == t.name || name == t.sqlName || name == "pg_catalog."+t.name {
				return &Const{T: types.Int, I: t.oid}, true, nil
			}
		}
		if oid, ok := pseudoTypes[strings.TrimPrefix(name, "pg_catalog.")]; ok {
			return &Const{T: types.Int, I: oid}, true, nil
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
