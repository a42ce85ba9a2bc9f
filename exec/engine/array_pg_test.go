package engine_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// arrayElemType is one element type the array oracle generates arrays of:
// its SQL name, the texts of its values (edge values included) as array
// elements, and whether it orders (every type here does).
type arrayElemType struct {
	name   string
	values []string
}

var arrayElemTypes = []arrayElemType{
	{"int", []string{"0", "1", "-1", "2", "3", "2147483647", "-2147483648"}},
	{"bigint", []string{"0", "1", "-7", "9223372036854775807", "-9223372036854775808", "2"}},
	{"text", []string{`""`, "a", "b", `"NULL"`, `"null"`, `"a b"`, `"x\"y"`, `"q\\z"`, `"{"`, `"}"`, `","`, "é", `" lead"`, "ab"}},
	{"float8", []string{"0", "1.5", "-2.25", "NaN", "Infinity", "-Infinity", "1e+300", "3"}},
	{"boolean", []string{"t", "f"}},
}

// genArray is the text of a random array of et's values: NULL (as SQL),
// empty, or up to five elements, some NULL.
func genArray(r *rand.Rand, et arrayElemType) string {
	switch r.Intn(10) {
	case 0:
		return "NULL"
	case 1:
		return "'{}'"
	}
	n := 1 + r.Intn(5)
	parts := make([]string, n)
	for i := range parts {
		if r.Intn(6) == 0 {
			parts[i] = "NULL"
		} else {
			parts[i] = et.values[r.Intn(len(et.values))]
		}
	}
	return "'{" + strings.ReplaceAll(strings.Join(parts, ","), "'", "''") + "}'"
}

// genElem is a random element value as a SQL literal of et, or NULL.
func genElem(r *rand.Rand, et arrayElemType) string {
	if r.Intn(8) == 0 {
		return "NULL"
	}
	v := et.values[r.Intn(len(et.values))]
	if strings.HasPrefix(v, `"`) {
		v = strings.ReplaceAll(strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`), `\\`, `\`)
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// arrayExprs are the expressions compared, over columns a and b (arrays)
// and x (an element); int marks those only integers take.
var arrayExprs = []string{
	"a", "b", "a = b", "a <> b", "a < b", "a <= b", "a > b", "a >= b", "a IS NULL",
	"a[1]", "a[2]", "a[0]", "a[5]", "a[2:3]", "a[:2]", "a[2:]", "a[3:2]",
	"x = ANY(a)", "x <> ALL(a)", "x < ANY(a)", "x >= ALL(a)", "x = ANY(b)",
	"a || b", "a || x", "x || a", "a @> b", "a <@ b", "a && b", "a @> ARRAY[x]",
	"array_length(a, 1)", "array_length(a, 2)", "cardinality(a)", "array_ndims(a)", "array_upper(a, 1)", "array_lower(a, 1)",
	"array_position(a, x)", "array_position(a, x, 2)", "array_positions(a, x)",
	"array_append(a, x)", "array_prepend(x, a)", "array_cat(a, b)", "array_remove(a, x)", "array_replace(a, x, NULL)",
	"array_to_string(a, ',')", "array_to_string(a, '|', '*')", "string_to_array(array_to_string(a, ','), ',')",
	"string_to_array(array_to_string(a, ',', 'N'), ',', 'N')", "ARRAY[x, x]", "ARRAY[x, NULL]",
	"CAST(a AS TEXT)", "CAST(CAST(a AS TEXT) AS %s[])", "coalesce(a, b)", "CASE WHEN x IS NULL THEN a ELSE b END",
}

// TestArraysAgainstPostgres evaluates every array operator, function and
// cast over generated arrays (NULL, empty, NULL elements, edge values,
// text needing quotes) in streamsql and PostgreSQL 15 and compares the
// rows as text, or the errors' SQLSTATEs.
func TestArraysAgainstPostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	ctx := context.Background()
	pc, err := pgx.Connect(ctx, pg.URL("postgres")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	ours := connect(t, startServer(t))
	run := func(c *pgx.Conn, sql string) string { return oracleRows(ctx, c, sql) }
	both := func(sql string) {
		t.Helper()
		if got, want := run(ours, sql), run(pc, sql); got != want {
			t.Errorf("%s\n ours: %q\n   pg: %q", sql, got, want)
		}
	}
	r := rand.New(rand.NewSource(18))
	const rows = 150
	cases := 0
	for _, et := range arrayElemTypes {
		tbl := "arr_" + strings.ReplaceAll(et.name, " ", "_")
		both(fmt.Sprintf("CREATE TABLE %s (id INT, a %s[], b %s[], x %s)", tbl, et.name, et.name, et.name))
		var vals []string
		for i := 0; i < rows; i++ {
			vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s)", i, genArray(r, et), genArray(r, et), genElem(r, et)))
		}
		both(fmt.Sprintf("INSERT INTO %s VALUES %s", tbl, strings.Join(vals, ", ")))
		for _, e := range arrayExprs {
			if strings.Contains(e, "%s") {
				e = fmt.Sprintf(e, et.name)
			}
			both(fmt.Sprintf("SELECT id, %s FROM %s ORDER BY id", e, tbl))
			cases += rows
		}
		if et.name != "boolean" {
			both(fmt.Sprintf("SELECT a, count(*) FROM %s GROUP BY a ORDER BY a", tbl))
			both(fmt.Sprintf("SELECT id, a FROM %s ORDER BY a, id", tbl))
			cases += 2 * rows
		}
	}
	// Array text as array_in reads it, well-formed or not.
	for _, lit := range []string{
		"{}", " { } ", "{1,2,3}", "{ 1 , 2 }", "{NULL}", "{null, 1}", `{"NULL"}`, `{"1"}`, "{1,,2}", "{1", "1,2}", "{1}x",
		"[1:2]={1,2}", "[1:3]={1,2}", "{a}", "{9999999999}", "{2147483648}", `{"a b", c d }`, `{"a\"b"}`, `{a\,b}`,
		`{"",""}`, "{ NULL , \"\" }", `{\\}`, `{" x "}`, "{x y}", "{ }", "", "{,}", `{"}`,
		"{1.50,-0.0,1e3}", "{0.000001, 2.5}",
	} {
		for _, typ := range []string{"int", "text", "bigint", "float8", "boolean", "numeric"} {
			both(fmt.Sprintf("SELECT CAST('%s' AS %s[])", strings.ReplaceAll(lit, "'", "''"), typ))
			cases++
		}
	}
	for _, sql := range []string{
		"SELECT ARRAY[1, 2] = ARRAY[1, 2], ARRAY[1, 2] < ARRAY[1, 2, 3], ARRAY[NULL::int] = ARRAY[NULL::int], ARRAY[1] < ARRAY[NULL::int]",
		"SELECT ARRAY['a', NULL, 'b c'], ARRAY[1.5::float8, 2], ARRAY[true, NULL]",
		"SELECT (ARRAY[1, 2, 3])[2], (ARRAY[1, 2, 3])[2:3], ARRAY[1, 2] || ARRAY[3] || 4",
		"SELECT 1 = ANY(ARRAY[1, NULL]), 2 = ANY(ARRAY[1, NULL]), NULL = ANY(ARRAY[1]), NULL = ANY('{}'::int[]), 1 = ALL('{}'::int[])",
		"SELECT 1 = ANY('{1,2}'), 'a' = ANY('{a,b}'), 3 = ANY(NULL::int[])",
		"SELECT ARRAY[1] || '{2,3}', '{0}' || ARRAY[1]",
		"SELECT string_to_array('a,b,,c', ','), string_to_array('abc', NULL), string_to_array('abc', ''), string_to_array('', ','), string_to_array(NULL, ',')",
		"SELECT string_to_array('1|N|3', '|', 'N'), array_to_string(ARRAY['a', NULL], ',', NULL)",
		"SELECT array_length('{}'::int[], 1), cardinality('{}'::text[]), array_ndims('{}'::int[]), array_upper('{}'::int[], 1)",
		"SELECT ARRAY[1, 2]::bigint[], ARRAY[1, 2]::text[], '{1,2}'::int[]::float8[], ARRAY['1', '2']::int[]",
		"SELECT ARRAY['x']::int[]",
		"SELECT ARRAY[3000000000]::int[]",
		"SELECT ARRAY[1, 'a']",
		"SELECT 1[1]",
		"SELECT '{1,2}'::int[] @> '{}', '{}'::int[] <@ '{1}', '{NULL}'::int[] @> '{NULL}', '{1,NULL}'::int[] && '{NULL}'",
		"SELECT array_position('{1,2,1}'::int[], 1, 2), array_positions('{1,NULL,1}'::int[], NULL), array_remove('{NULL,1}'::int[], NULL)",
		"SELECT ARRAY(SELECT id FROM arr_int WHERE id < 5), ARRAY(SELECT x FROM arr_text WHERE id < 0), ARRAY(SELECT a[1] FROM arr_int WHERE id < 9)",
		"SELECT id, ARRAY(SELECT u.x FROM arr_int AS u WHERE u.id = arr_int.id + 1) FROM arr_int WHERE id < 40 ORDER BY id",
		"SELECT array_append('{}'::int[], NULL), array_prepend(NULL, '{1}'::int[]), array_cat(NULL::int[], NULL::int[])",
	} {
		both(sql)
		cases++
	}
	t.Logf("%d cases", cases)
}
