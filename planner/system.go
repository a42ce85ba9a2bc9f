package planner

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// The system schemas. Clients (psql, SQLAlchemy, BI tools) learn what a
// server holds by querying PostgreSQL's catalogs, so the engine answers
// pg_catalog and information_schema as read-only relations whose rows it
// computes from its own catalog when a query scans them (SystemRows).
const (
	PgCatalog  = "pg_catalog"
	InfoSchema = "information_schema"
	Public     = "public"
	// Database and Owner are the one database and the owner role the
	// catalogs report.
	Database = "streamsql"
	Owner    = "streamsql"
)

// Namespace OIDs as PostgreSQL's (information_schema's varies by build).
const (
	oidPgCatalog  = 11
	oidPublic     = 2200
	oidInfoSchema = 13000
	oidOwner      = 10
	oidDatabase   = 16384
	// procOIDBase is the OID of procs[0] in pg_proc.
	procOIDBase = 14000
	// UserOIDBase is added to a relation's id to make its OID, above
	// every OID PostgreSQL reserves for built-in objects.
	UserOIDBase = 16384
)

// The foreign data wrapper of sources, and its servers: one per
// connector, pg_foreign_server's OIDs from oidConnectorBase in the
// order of connectors.
const (
	oidStreamsqlFDW  = 13100
	oidConnectorBase = 13101
)

var connectors = []string{"datagen", "file", "kafka", "nexmark"}

// quoteArrayElem is s as an element of array text: double-quoted, with
// its quotes and backslashes escaped.
func quoteArrayElem(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// namespaces are pg_namespace's rows.
var namespaces = []struct {
	oid  int64
	name string
}{{oidPgCatalog, PgCatalog}, {oidPublic, Public}, {oidInfoSchema, InfoSchema}}

// RelOID is the OID pg_class gives a relation.
func RelOID(r *catalog.Relation) int64 {
	if r.Schema != "" {
		return int64(r.ID)
	}
	return UserOIDBase + int64(r.ID)
}

// pgType is a row of pg_type: the types the wire sends, with the OIDs it
// sends them under, and a few more that catalog columns are described by.
type pgType struct {
	oid      int64
	name     string // typname
	sqlName  string // format_type's answer
	len      int64
	category string
	array    int64 // typarray
}

var pgTypes = []pgType{
	{16, "bool", "boolean", 1, "B", 1000},
	{19, "name", "name", 64, "S", 1003},
	{20, "int8", "bigint", 8, "N", 1016},
	{21, "int2", "smallint", 2, "N", 1005},
	{23, "int4", "integer", 4, "N", 1007},
	{25, "text", "text", -1, "S", 1009},
	{26, "oid", "oid", 4, "N", 1028},
	{700, "float4", "real", 4, "N", 1021},
	{701, "float8", "double precision", 8, "N", 1022},
	{1043, "varchar", "character varying", -1, "S", 1015},
	{1082, "date", "date", 4, "D", 1182},
	{1114, "timestamp", "timestamp without time zone", 8, "D", 1115},
	{1184, "timestamptz", "timestamp with time zone", 8, "D", 1185},
	{1186, "interval", "interval", 16, "T", 1187},
	{114, "json", "json", -1, "U", 199},
	{3802, "jsonb", "jsonb", -1, "U", 3807},
	{1700, "numeric", "numeric", -1, "N", 1231},
	{2205, "regclass", "regclass", 4, "N", 2210},
}

// TypeOID is the pg_type OID of t, as the wire describes a column of t
// (wire.typeInfo; TestSystemTypeOIDs holds the two to agreeing).
func TypeOID(t types.T) int64 {
	switch t.Kind {
	case types.Array:
		return arrayOID(t.ElemType())
	case types.Bool:
		return 16
	case types.Int32:
		return 23
	case types.Int64:
		return 20
	case types.Float64:
		return 701
	case types.Decimal, types.Numeric:
		return 1700
	case types.String:
		return 1043
	case types.Timestamp:
		return 1114
	case types.Interval:
		return 1186
	case types.Date:
		return 1082
	case types.TimestampTZ:
		return 1184
	case types.JSONB:
		return 3802
	case types.JSON:
		return 114
	}
	return 25
}

// typmod is pg_attribute.atttypmod of t, as the wire sends it.
func typmod(t types.T) int64 {
	switch {
	case t.Kind == types.String && t.Width > 0:
		return int64(t.Width) + 4
	case t.Exact() && t.Prec > 0:
		return int64(t.Prec<<16|t.Scale) + 4
	case t.Kind == types.Timestamp || t.Kind == types.TimestampTZ:
		return int64(t.Prec)
	}
	return -1
}

// systemRels are the system relations, by schema; the
// column lists follow PostgreSQL 15's order, cut where clients stop
// reading.
var systemRels = []struct {
	schema, name string
	oid          uint64
	kind         string // relkind
	cols         string
}{
	{PgCatalog, "pg_sequence", 2224, "r", "seqrelid i,seqtypid i,seqstart l,seqincrement l,seqmax l,seqmin l,seqcache l,seqcycle b"},
	{PgCatalog, "pg_language", 2612, "r", "oid i,lanname s,lanowner i,lanispl b,lanpltrusted b,lanplcallfoid i,laninline i,lanvalidator i,lanacl s"},
	{PgCatalog, "pg_tablespace", 1213, "r", "oid i,spcname s,spcowner i,spcacl s,spcoptions s"},
	{PgCatalog, "pg_foreign_data_wrapper", 2328, "r", "oid i,fdwname s,fdwowner i,fdwhandler i,fdwvalidator i,fdwacl s,fdwoptions S"},
	{PgCatalog, "pg_foreign_server", 1417, "r", "oid i,srvname s,srvowner i,srvfdw i,srvtype s,srvversion s,srvacl s,srvoptions S"},
	{PgCatalog, "pg_foreign_table", 3118, "r", "ftrelid i,ftserver i,ftoptions S"},
	{PgCatalog, "pg_am", 2601, "r", "oid i,amname s,amhandler s,amtype s"},
	{PgCatalog, "pg_collation", 3456, "r", "oid i,collname s,collnamespace i,collowner i,collprovider s,collisdeterministic b,collencoding i,collcollate s,collctype s"},
	{PgCatalog, "pg_inherits", 2611, "r", "inhrelid i,inhparent i,inhseqno i,inhdetachpending b"},
	{PgCatalog, "pg_trigger", 2620, "r", "oid i,tgrelid i,tgparentid i,tgname s,tgfoid i,tgtype i,tgenabled s,tgisinternal b"},
	{PgCatalog, "pg_policy", 3256, "r", "oid i,polname s,polrelid i,polcmd s,polpermissive b,polroles s,polqual s,polwithcheck s"},
	{PgCatalog, "pg_statistic_ext", 3381, "r", "oid i,stxrelid i,stxname s,stxnamespace i,stxowner i,stxstattarget i,stxkeys s,stxkind s,stxexprs s"},
	{PgCatalog, "pg_publication", 6104, "r", "oid i,pubname s,pubowner i,puballtables b,pubinsert b,pubupdate b,pubdelete b,pubtruncate b,pubviaroot b"},
	{PgCatalog, "pg_publication_rel", 6106, "r", "oid i,prpubid i,prrelid i,prqual s,prattrs I"},
	{PgCatalog, "pg_publication_namespace", 6237, "r", "oid i,pnpubid i,pnnspid i"},
	{PgCatalog, "pg_rewrite", 2618, "r", "oid i,rulename s,ev_class i,ev_type s,ev_enabled s,is_instead b,ev_qual s,ev_action s"},
	{PgCatalog, "pg_attrdef", 2604, "r", "oid i,adrelid i,adnum i,adbin s"},
	{PgCatalog, "pg_enum", 3501, "r", "oid i,enumtypid i,enumsortorder d,enumlabel s"},
	{PgCatalog, "pg_auth_members", 1261, "r", "roleid i,member i,grantor i,admin_option b"},
	{PgCatalog, "pg_type", 1247, "r", "oid i,typname s,typnamespace i,typowner i,typlen i,typbyval b,typtype s,typcategory s,typispreferred b,typisdefined b,typdelim s,typrelid i,typsubscript s,typelem i,typarray i,typinput s,typoutput s,typreceive s,typsend s,typmodin s,typmodout s,typanalyze s,typalign s,typstorage s,typnotnull b,typbasetype i,typtypmod i,typndims i,typcollation i,typdefaultbin s,typdefault s,typacl s"},
	{PgCatalog, "pg_attribute", 1249, "r", "attrelid i,attname s,atttypid i,attstattarget i,attlen i,attnum i,attndims i,attcacheoff i,atttypmod i,attbyval b,attalign s,attstorage s,attcompression s,attnotnull b,atthasdef b,atthasmissing b,attidentity s,attgenerated s,attisdropped b,attislocal b,attinhcount i,attcollation i,attacl s,attoptions S,attfdwoptions S,attmissingval s"},
	{PgCatalog, "pg_proc", 1255, "r", "oid i,proname s,pronamespace i,proowner i,prolang i,procost d,prorows d,provariadic i,prosupport s,prokind s,prosecdef b,proleakproof b,proisstrict b,proretset b,provolatile s,proparallel s,pronargs i,pronargdefaults i,prorettype i,proargtypes I,proallargtypes I,proargmodes S,proargnames S,proargdefaults s"},
	{PgCatalog, "pg_class", 1259, "r", "oid i,relname s,relnamespace i,reltype i,reloftype i,relowner i,relam i,relfilenode i,reltablespace i,relpages i,reltuples d,relallvisible i,reltoastrelid i,relhasindex b,relisshared b,relpersistence s,relkind s,relnatts i,relchecks i,relhasrules b,relhastriggers b,relhassubclass b,relrowsecurity b,relforcerowsecurity b,relispopulated b,relreplident s,relispartition b,relrewrite i,relfrozenxid i,relminmxid i,relacl s,reloptions S,relpartbound s"},
	{PgCatalog, "pg_database", 1262, "r", "oid i,datname s,datdba i,encoding i,datlocprovider s,datistemplate b,datallowconn b,datconnlimit i,datfrozenxid i,datminmxid i,dattablespace i,datcollate s,datctype s,daticulocale s,datcollversion s,datacl s"},
	{PgCatalog, "pg_constraint", 2606, "r", "oid i,conname s,connamespace i,contype s,condeferrable b,condeferred b,convalidated b,conrelid i,contypid i,conindid i,conparentid i,confrelid i,confupdtype s,confdeltype s,confmatchtype s,conislocal b,coninhcount i,connoinherit b,conkey I,confkey I"},
	{PgCatalog, "pg_depend", 2608, "r", "classid i,objid i,objsubid i,refclassid i,refobjid i,refobjsubid i,deptype s"},
	{PgCatalog, "pg_description", 2609, "r", "objoid i,classoid i,objsubid i,description s"},
	{PgCatalog, "pg_index", 2610, "r", "indexrelid i,indrelid i,indnatts i,indnkeyatts i,indisunique b,indnullsnotdistinct b,indisprimary b,indisexclusion b,indimmediate b,indisclustered b,indisvalid b,indcheckxmin b,indisready b,indislive b,indisreplident b,indkey I,indcollation I,indclass I,indoption I,indexprs s,indpred s"},
	{PgCatalog, "pg_namespace", 2615, "r", "oid i,nspname s,nspowner i,nspacl s"},
	{PgCatalog, "pg_roles", 12001, "v", "rolname s,rolsuper b,rolinherit b,rolcreaterole b,rolcreatedb b,rolcanlogin b,rolreplication b,rolconnlimit i,rolpassword s,rolvaliduntil t,rolbypassrls b,rolconfig s,oid i"},
	{PgCatalog, "pg_user", 12002, "v", "usename s,usesysid i,usecreatedb b,usesuper b,userepl b,usebypassrls b,passwd s,valuntil t,useconfig s"},
	{PgCatalog, "pg_settings", 12003, "v", "name s,setting s,unit s,category s,short_desc s,extra_desc s,context s,vartype s,source s,min_val s,max_val s,enumvals s,boot_val s,reset_val s,sourcefile s,sourceline i,pending_restart b"},
	{PgCatalog, "pg_matviews", 12004, "v", "schemaname s,matviewname s,matviewowner s,tablespace s,hasindexes b,ispopulated b,definition s"},
	{PgCatalog, "pg_views", 12005, "v", "schemaname s,viewname s,viewowner s,definition s"},
	{PgCatalog, "pg_cursors", 12007, "v", "name s,statement s,is_holdable b,is_binary b,is_scrollable b,creation_time t"},
	{PgCatalog, "pg_tables", 12006, "v", "schemaname s,tablename s,tableowner s,tablespace s,hasindexes b,hasrules b,hastriggers b,rowsecurity b"},
	{InfoSchema, "tables", 13001, "v", "table_catalog s,table_schema s,table_name s,table_type s,self_referencing_column_name s,reference_generation s,user_defined_type_catalog s,user_defined_type_schema s,user_defined_type_name s,is_insertable_into s,is_typed s,commit_action s"},
	{InfoSchema, "columns", 13002, "v", "table_catalog s,table_schema s,table_name s,column_name s,ordinal_position i,column_default s,is_nullable s,data_type s,character_maximum_length i,character_octet_length i,numeric_precision i,numeric_precision_radix i,numeric_scale i,datetime_precision i,interval_type s,interval_precision i,character_set_catalog s,character_set_schema s,character_set_name s,collation_catalog s,collation_schema s,collation_name s,domain_catalog s,domain_schema s,domain_name s,udt_catalog s,udt_schema s,udt_name s,scope_catalog s,scope_schema s,scope_name s,maximum_cardinality i,dtd_identifier s,is_self_referencing s,is_identity s,identity_generation s,identity_start s,identity_increment s,identity_maximum s,identity_minimum s,identity_cycle s,is_generated s,generation_expression s,is_updatable s"},
	{InfoSchema, "schemata", 13003, "v", "catalog_name s,schema_name s,schema_owner s,default_character_set_catalog s,default_character_set_schema s,default_character_set_name s,sql_path s"},
	{InfoSchema, "views", 13004, "v", "table_catalog s,table_schema s,table_name s,view_definition s,check_option s,is_updatable s,is_insertable_into s,is_trigger_updatable s,is_trigger_deletable s,is_trigger_insertable_into s"},
}

// sysTypes are the system columns' types by code: S is text[], for the
// option lists that psql unnests.
var sysTypes = map[string]types.T{"i": types.Int, "l": types.BigInt, "s": types.Varchar, "S": types.ArrayOf(types.Varchar), "I": types.ArrayOf(types.Int), "b": types.Boolean, "d": types.Double, "t": types.Ts}

// systemCatalog holds the system relations, built once.
var systemCatalog = func() []*catalog.Relation {
	out := make([]*catalog.Relation, len(systemRels))
	for i, s := range systemRels {
		// A table to the planner, whatever pg_class calls it: it scans
		// the rows SystemRows computes.
		r := &catalog.Relation{ID: s.oid, Name: s.name, Schema: s.schema, Kind: parser.KindTable, EventTime: -1, AppendOnly: true}
		for _, c := range strings.Split(s.cols, ",") {
			name, t, _ := strings.Cut(c, " ")
			r.Columns = append(r.Columns, catalog.Column{Name: name, Type: sysTypes[t]})
		}
		out[i] = r
	}
	return out
}()

// SystemRelation resolves a system relation: schema "" searches
// pg_catalog only, as PostgreSQL's implicit search path does.
func SystemRelation(schema, name string) (*catalog.Relation, bool) {
	if schema == "" {
		schema = PgCatalog
	}
	if schema == StreamsqlCatalog {
		return streamsqlRelation(name)
	}
	for _, r := range systemCatalog {
		if r.Schema == schema && r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// Settings is what the catalog given to the planner may also answer, for
// current_setting() and pg_settings: the server's settings, sorted.
type Settings interface {
	Settings() [][2]string
}

// relkind is pg_class.relkind of a relation: sources, which PostgreSQL
// would reach through a foreign data wrapper, are foreign tables.
func relkind(r *catalog.Relation) string {
	if r.Schema != "" {
		for _, s := range systemRels {
			if s.oid == r.ID {
				return s.kind
			}
		}
	}
	switch r.Kind {
	case parser.KindView:
		return "v"
	case parser.KindMaterializedView:
		return "m"
	case parser.KindSource:
		return "f"
	}
	return "r"
}

func nsOID(r *catalog.Relation) int64 {
	switch r.Schema {
	case PgCatalog:
		return oidPgCatalog
	case InfoSchema:
		return oidInfoSchema
	}
	return oidPublic
}

func nsName(r *catalog.Relation) string {
	if r.Schema == "" {
		return Public
	}
	return r.Schema
}

// infoType is information_schema's data_type of t.
func infoType(t types.T) string {
	if t.Kind == types.Array {
		return "ARRAY"
	}
	for _, p := range pgTypes {
		if p.oid == TypeOID(t) {
			return p.sqlName
		}
	}
	return "text"
}

// SystemRows computes the rows of system relation rel from the engine's
// relations (sinks excluded) and settings. A row's values are int64,
// float64, string, bool or nil (NULL), in rel's column order.
func SystemRows(rel *catalog.Relation, user []*catalog.Relation, settings [][2]string) [][]any {
	rels := append(slices.Clone(user), systemCatalog...)
	var rows [][]any
	add := func(vals ...any) { rows = append(rows, vals) }
	switch rel.Schema + "." + rel.Name {
	case "pg_catalog.pg_language":
		// The languages pg_proc's prolang names: the built-ins' and SQL
		// functions'.
		add(int64(12), "internal", int64(oidOwner), false, false, int64(0), int64(0), int64(2246), nil)
		add(int64(oidLangSQL), "sql", int64(oidOwner), false, true, int64(0), int64(0), int64(2248), nil)
	case "pg_catalog.pg_tablespace":
		// pg_database's dattablespace.
		add(int64(1663), "pg_default", int64(oidOwner), nil, nil)
	case "pg_catalog.pg_foreign_data_wrapper":
		add(int64(oidStreamsqlFDW), "streamsql", int64(oidOwner), int64(0), int64(0), nil, nil)
	case "pg_catalog.pg_foreign_server":
		// A server per connector: a source is a foreign table of its
		// connector's server.
		for i, c := range connectors {
			add(int64(oidConnectorBase+i), c, int64(oidOwner), int64(oidStreamsqlFDW), nil, nil, nil, nil)
		}
	case "pg_catalog.pg_foreign_table":
		for _, r := range user {
			if r.Kind != parser.KindSource {
				continue
			}
			srv := slices.Index(connectors, r.Options["connector"])
			if srv < 0 {
				continue
			}
			// Its other WITH options, as PostgreSQL's name=value text[].
			var opts []string
			for _, k := range slices.Sorted(maps.Keys(r.Options)) {
				if k != "connector" {
					opts = append(opts, quoteArrayElem(k+"="+r.Options[k]))
				}
			}
			add(RelOID(r), int64(oidConnectorBase+srv), "{"+strings.Join(opts, ",")+"}")
		}
	case "pg_catalog.pg_am":
		add(int64(2), "heap", "heap_tableam_handler", "t")
	case "pg_catalog.pg_type":
		for _, t := range pgTypes {
			add(t.oid, t.name, int64(oidPgCatalog), int64(oidOwner), t.len, t.len > 0 && t.len <= 8, "b", t.category, false, true, ",", int64(0), "-", int64(0), t.array,
				t.name+"in", t.name+"out", t.name+"recv", t.name+"send", "-", "-", "-", "i", "p", false, int64(0), int64(-1), int64(0), int64(0), nil, nil, nil)
		}
		for _, t := range pgTypes {
			add(t.array, "_"+t.name, int64(oidPgCatalog), int64(oidOwner), int64(-1), false, "b", "A", false, true, ",", int64(0), "array_subscript_handler", t.oid, int64(0),
				"array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", "i", "x", false, int64(0), int64(-1), int64(0), int64(0), nil, nil, nil)
		}
	case "pg_catalog.pg_attribute":
		for _, r := range rels {
			for i, c := range r.Columns {
				l := int64(-1)
				for _, t := range pgTypes {
					if t.oid == TypeOID(c.Type) {
						l = t.len
					}
				}
				// PostgreSQL's storage: plain for fixed-length types,
				// main for NUMERIC, extended for the other varlenas.
				storage := "p"
				switch {
				case c.Type.Exact():
					storage = "m"
				case l == -1:
					storage = "x"
				}
				add(RelOID(r), c.Name, TypeOID(c.Type), int64(-1), l, int64(i+1), int64(0), int64(-1), typmod(c.Type), l > 0 && l <= 8, "i", storage, "", c.NotNull, false, false, "", "", false, true, int64(0), int64(0), nil, nil, nil, nil)
			}
		}
	case "pg_catalog.pg_proc":
		for i, f := range procs {
			add(int64(procOIDBase+i), f, int64(oidPgCatalog), int64(oidOwner), int64(12), 1.0, 0.0, int64(0), "-", "f", false, false, false, false, "s", "s", int64(0), int64(0), int64(25), "{}", nil, nil, nil, nil)
		}
	case "pg_catalog.pg_class":
		for _, r := range rels {
			pk := len(r.PrimaryKey) > 0
			// Replica identity: PostgreSQL's default for user tables and
			// materialized views, nothing for the others.
			replident, kind := "n", relkind(r)
			if r.Schema == "" && (kind == "r" || kind == "m") {
				replident = "d"
			}
			add(RelOID(r), r.Name, nsOID(r), int64(0), int64(0), int64(oidOwner), int64(0), int64(0), int64(0), int64(0), -1.0, int64(0), int64(0),
				pk, false, "p", kind, int64(len(r.Columns)), int64(0), false, false, false, false, false, true, replident, false, int64(0), int64(0), int64(0), nil, nil, nil)
		}
	case "pg_catalog.pg_database":
		add(int64(oidDatabase), Database, int64(oidOwner), int64(6), "c", false, true, int64(-1), int64(0), int64(0), int64(1663), "C.UTF-8", "C.UTF-8", nil, nil, nil)
	case "pg_catalog.pg_constraint":
		for _, r := range user {
			if len(r.PrimaryKey) == 0 {
				continue
			}
			key := make([]string, len(r.PrimaryKey))
			for i, k := range r.PrimaryKey {
				key[i] = strconv.Itoa(k + 1)
			}
			add(RelOID(r)+1<<20, r.Name+"_pkey", int64(oidPublic), "p", false, false, true, RelOID(r), int64(0), int64(0), int64(0), int64(0), " ", " ", " ", true, int64(0), true, "{"+strings.Join(key, ",")+"}", nil)
		}
	case "pg_catalog.pg_depend":
		// A view's (and a materialized view's) dependencies on the
		// relations and SQL functions its query reads, as PostgreSQL's
		// normal ones ('n'), here of the view itself rather than of its
		// rewrite rule.
		for _, r := range user {
			if r.Kind != parser.KindView && r.Kind != parser.KindMaterializedView {
				continue
			}
			for _, in := range viewInputs(r, user) {
				add(int64(oidPgClass), RelOID(r), int64(0), int64(oidPgClass), RelOID(in), int64(0), "n")
			}
			for _, f := range r.Functions {
				add(int64(oidPgClass), RelOID(r), int64(0), int64(oidPgProc), UserOIDBase+int64(f), int64(0), "n")
			}
		}
	case "pg_catalog.pg_namespace":
		for _, ns := range namespaces {
			add(ns.oid, ns.name, int64(oidOwner), nil)
		}
	case "pg_catalog.pg_roles":
		add(Owner, true, true, true, true, true, true, int64(-1), "********", nil, true, nil, int64(oidOwner))
	case "pg_catalog.pg_user":
		add(Owner, int64(oidOwner), true, true, true, true, "********", nil, nil)
	case "pg_catalog.pg_settings":
		for _, s := range settings {
			add(s[0], s[1], nil, "", "", nil, "user", "string", "default", nil, nil, nil, s[1], s[1], nil, nil, false)
		}
	case "pg_catalog.pg_matviews":
		for _, r := range user {
			if r.Kind == parser.KindMaterializedView {
				add(Public, r.Name, Owner, nil, false, true, definition(r))
			}
		}
	case "pg_catalog.pg_views":
		for _, r := range rels {
			if relkind(r) == "v" {
				add(nsName(r), r.Name, Owner, definition(r))
			}
		}
	case "pg_catalog.pg_tables":
		for _, r := range rels {
			if relkind(r) == "r" {
				add(nsName(r), r.Name, Owner, nil, len(r.PrimaryKey) > 0, false, false, false)
			}
		}
	case "information_schema.tables":
		for _, r := range rels {
			typ, ok := map[string]string{"r": "BASE TABLE", "v": "VIEW", "f": "FOREIGN"}[relkind(r)]
			if !ok {
				continue // as PostgreSQL's, it leaves materialized views out
			}
			insertable := "NO"
			if r.Kind == parser.KindTable && r.Schema == "" {
				insertable = "YES"
			}
			add(Database, nsName(r), r.Name, typ, nil, nil, nil, nil, nil, insertable, "NO", nil)
		}
	case "information_schema.columns":
		for _, r := range rels {
			if relkind(r) == "m" {
				continue
			}
			for i, c := range r.Columns {
				nullable := "YES"
				if c.NotNull {
					nullable = "NO"
				}
				var charLen, octets, prec, radix, scale, dtPrec any
				switch c.Type.Kind {
				case types.String:
					if c.Type.Width > 0 {
						charLen, octets = int64(c.Type.Width), int64(4*c.Type.Width)
					} else {
						octets = int64(1073741824)
					}
				case types.Int32:
					prec, radix, scale = int64(32), int64(2), int64(0)
				case types.Int64:
					prec, radix, scale = int64(64), int64(2), int64(0)
				case types.Float64:
					prec, radix = int64(53), int64(2)
				case types.Decimal, types.Numeric:
					radix = int64(10)
					if c.Type.Prec > 0 {
						prec, scale = int64(c.Type.Prec), int64(c.Type.Scale)
					}
				case types.Timestamp, types.TimestampTZ:
					dtPrec = int64(c.Type.Prec)
				case types.Date:
					dtPrec = 0
				}
				udt := "text"
				for _, t := range pgTypes {
					if t.oid == TypeOID(c.Type) {
						udt = t.name
					}
				}
				add(Database, nsName(r), r.Name, c.Name, int64(i+1), nil, nullable, infoType(c.Type), charLen, octets, prec, radix, scale, dtPrec, nil, nil,
					nil, nil, nil, nil, nil, nil, nil, nil, nil, Database, PgCatalog, udt, nil, nil, nil, nil, strconv.Itoa(i+1), "NO", "NO", nil, nil, nil, nil, nil, "NO", "NEVER", nil, "NO")
			}
		}
	case "information_schema.schemata":
		for _, s := range []string{InfoSchema, PgCatalog, Public} {
			add(Database, s, Owner, nil, nil, nil, nil)
		}
	case "information_schema.views":
		for _, r := range rels {
			if relkind(r) == "v" {
				add(Database, nsName(r), r.Name, definition(r), "NONE", "NO", "NO", "NO", "NO", "NO")
			}
		}
	}
	return rows
}

// procs are pg_proc's rows: the scalar functions the planner binds.
var procs = []string{
	"abs", "ceil", "coalesce", "col_description", "concat", "current_database", "current_schema", "current_setting",
	"date_trunc", "floor", "format_type", "greatest", "least", "length", "lower", "nullif", "obj_description",
	"pg_backend_pid", "pg_get_userbyid", "pg_is_in_recovery", "pg_table_is_visible", "round", "substring",
	"to_char", "trim", "upper", "version",
}

// systemScan plans a scan of system relation rel (nil when src names none
// in its system schema). Only ad-hoc queries read them: a view over the
// catalog would need the catalog's changes as a stream.
func (p *Planner) systemScan(q *parser.Query, src *ast.TableName, rel *catalog.Relation, alias string, mode Mode) (Node, string, error) {
	if rel == nil {
		return nil, "", sqlerr.At(sqlerr.UndefinedTable, q.NamePos(src, src.Name.O), "relation \"%s.%s\" does not exist", src.Schema.O, src.Name.O)
	}
	if mode != AdHoc {
		return nil, "", sqlerr.At(sqlerr.FeatureNotSupported, q.Pos(src), "%s.%s is a system catalog: it can be queried, but not read by a view", rel.Schema, rel.Name)
	}
	if alias == "" {
		alias = rel.Name
	}
	return &Scan{Rel: rel}, alias, nil
}

var viewHead = regexp.MustCompile(`(?is)^\s*CREATE\s.*?\bAS\s+`)

// definition is a view's query, as pg_views and pg_get_viewdef give it:
// its CREATE statement after AS.
func definition(r *catalog.Relation) any {
	if r.SQL == "" {
		return nil
	}
	return viewHead.ReplaceAllString(r.SQL, "")
}

// The OIDs of pg_class and pg_proc, pg_depend's classes.
const (
	oidPgClass = 1259
	oidPgProc  = 1255
)

// viewInputs are the relations of user that view r's query names (its
// common table expressions aside), by OID.
func viewInputs(r *catalog.Relation, user []*catalog.Relation) []*catalog.Relation {
	st, err := parser.ParseOne(r.SQL)
	if err != nil {
		return nil
	}
	cv, ok := st.(*parser.CreateView)
	if !ok || cv.Query == nil || cv.Query.Node == nil {
		return nil
	}
	ctes := map[string]bool{}
	names := map[string]bool{}
	cv.Query.Node.Accept(&finder{is: func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CommonTableExpression:
			ctes[x.Name.L] = true
		case *ast.TableName:
			if x.Schema.L == "" || x.Schema.L == Public {
				names[x.Name.L] = true
			}
		}
		return false
	}})
	var out []*catalog.Relation
	for _, u := range user {
		if names[strings.ToLower(u.Name)] && !ctes[strings.ToLower(u.Name)] && u != r {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *catalog.Relation) int { return cmp.Compare(RelOID(a), RelOID(b)) })
	return out
}
