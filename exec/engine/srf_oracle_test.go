package engine_test

import (
	"context"
	"fmt"
	"math/rand"
	randv2 "math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// srfQueries are the set-returning queries compared over srf_t; each
// orders its rows fully (the ordinality numbers a row's own rows).
var srfQueries = []string{
	// unnest in FROM: lateral, with ordinality, outer, zipped, aliases.
	"SELECT id, x, o FROM srf_t, unnest(a) WITH ORDINALITY AS u(x, o) ORDER BY id, o",
	"SELECT id, x, o FROM srf_t CROSS JOIN LATERAL unnest(b) WITH ORDINALITY AS u(x, o) ORDER BY id, o",
	"SELECT id, u.x, o FROM srf_t LEFT JOIN LATERAL unnest(a) WITH ORDINALITY AS u(x, o) ON true ORDER BY id, o",
	"SELECT id, x, y, o FROM srf_t, unnest(a, b) WITH ORDINALITY AS u(x, y, o) ORDER BY id, o",
	"SELECT id, u.* FROM srf_t JOIN LATERAL unnest(b, a) WITH ORDINALITY u ON true ORDER BY id, 4",
	"SELECT id, x FROM srf_t, unnest(a) x WHERE x > 0 ORDER BY id, x",
	"SELECT id, count(*), count(x), sum(x) FROM srf_t, unnest(a) AS u(x) GROUP BY id ORDER BY id",
	"SELECT count(*), min(y), max(y) FROM srf_t LEFT JOIN LATERAL unnest(b) y ON true",
	// In the select list: zipped, NULL-padded, nested, in expressions.
	"SELECT id, unnest(a), unnest(b) FROM srf_t ORDER BY 1, 2, 3",
	"SELECT id, unnest(a) * 2 AS d, cardinality(a) FROM srf_t ORDER BY 1, 2, 3",
	"SELECT id, unnest(a) + 1, unnest(ARRAY[cardinality(a), id]) FROM srf_t ORDER BY 1, 2, 3",
	"SELECT id, unnest(ARRAY[unnest(a), id]) FROM srf_t ORDER BY 1, 2",
	"SELECT id, generate_series(1, n), unnest(b) FROM srf_t ORDER BY 1, 2, 3",
	"SELECT count(*), unnest(ARRAY[1, 2]) FROM srf_t ORDER BY 2",
	"SELECT n, unnest(array_agg(id)) FROM srf_t GROUP BY n ORDER BY 1, 2",
	// generate_series.
	"SELECT id, g FROM srf_t, generate_series(n, 1, -1) g ORDER BY id, g",
	"SELECT id, g, o FROM srf_t, generate_series(1, 10, n) WITH ORDINALITY AS s(g, o) WHERE n <> 0 ORDER BY id, o",
	"SELECT id, g FROM srf_t, generate_series(id, id + n) g ORDER BY id, g",
	// Correlated subqueries over a function of the outer row.
	"SELECT id, cardinality(ARRAY(SELECT x FROM unnest(b) x WHERE x IS NOT NULL)) FROM srf_t ORDER BY id",
	"SELECT id, (SELECT count(*) FROM unnest(a) x WHERE x > 0), (SELECT sum(x) FROM unnest(a) x) FROM srf_t ORDER BY id",
	"SELECT id, cardinality(b || ARRAY(SELECT 'p.' || x FROM pg_catalog.unnest(b) x)) FROM srf_t ORDER BY id",
	// JSON.
	"SELECT id, e.value, o FROM srf_t, jsonb_array_elements(j) WITH ORDINALITY AS e(value, o) WHERE jsonb_typeof(j) = 'array' ORDER BY id, o",
	"SELECT id, e.value, o FROM srf_t, jsonb_array_elements_text(j) WITH ORDINALITY AS e(value, o) WHERE jsonb_typeof(j) = 'array' ORDER BY id, o",
	"SELECT id, e.key, e.value FROM srf_t, jsonb_each(j) AS e WHERE jsonb_typeof(j) = 'object' ORDER BY id, e.key",
	"SELECT id, e.key, e.value FROM srf_t, jsonb_each_text(j) AS e WHERE jsonb_typeof(j) = 'object' ORDER BY id, e.key",
	"SELECT id, k FROM srf_t, jsonb_object_keys(j) AS k WHERE jsonb_typeof(j) = 'object' ORDER BY id, k",
	"SELECT id, jsonb_object_keys(j) FROM srf_t WHERE jsonb_typeof(j) = 'object' ORDER BY 1, 2",
	"SELECT id, jsonb_array_elements(j) -> 'a' FROM srf_t WHERE jsonb_typeof(j) = 'array' ORDER BY 1, 2",
	"SELECT id, e.value, o FROM srf_t, json_array_elements(js) WITH ORDINALITY AS e(value, o) WHERE json_typeof(js) = 'array' ORDER BY id, o",
	"SELECT id, e.value, o FROM srf_t, json_array_elements_text(js) WITH ORDINALITY AS e(value, o) WHERE json_typeof(js) = 'array' ORDER BY id, o",
	"SELECT id, e.key, e.value, o FROM srf_t, json_each(js) WITH ORDINALITY AS e(key, value, o) WHERE json_typeof(js) = 'object' ORDER BY id, o",
	"SELECT id, e.key, e.value, o FROM srf_t, json_each_text(js) WITH ORDINALITY AS e(key, value, o) WHERE json_typeof(js) = 'object' ORDER BY id, o",
	"SELECT id, k, o FROM srf_t, json_object_keys(js) WITH ORDINALITY AS k(k, o) WHERE json_typeof(js) = 'object' ORDER BY id, o",
	"SELECT id, e.value FROM srf_t, jsonb_array_elements(j) e ORDER BY id",
	"SELECT id, jsonb_each.key FROM srf_t, jsonb_each(j) ORDER BY id",
	"SELECT id, k FROM srf_t, json_object_keys(js) k ORDER BY id",
	// Text.
	"SELECT id, m, o FROM srf_t, regexp_matches(s, '([a-c])([0-9])?', 'g') WITH ORDINALITY AS r(m, o) ORDER BY id, o",
	"SELECT id, m FROM srf_t, regexp_matches(s, '[a-c]+') AS m ORDER BY id",
	"SELECT id, regexp_matches(s, '(b)|(c)', 'gi') FROM srf_t ORDER BY 1, 2",
	"SELECT id, p, o FROM srf_t, string_to_table(s, ',') WITH ORDINALITY AS t(p, o) ORDER BY id, o",
	"SELECT id, p, o FROM srf_t, string_to_table(s, ',', 'a') WITH ORDINALITY AS t(p, o) ORDER BY id, o",
	"SELECT id, p, o FROM srf_t, string_to_table(s, NULL) WITH ORDINALITY AS t(p, o) ORDER BY id, o",
	"SELECT id, p, o FROM srf_t, regexp_split_to_table(s, '[0-9]+') WITH ORDINALITY AS t(p, o) ORDER BY id, o",
	"SELECT id, p, o FROM srf_t, regexp_split_to_table(s, ',?') WITH ORDINALITY AS t(p, o) ORDER BY id, o",
}

// srfConstQueries have no table.
var srfConstQueries = []string{
	"SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c'])",
	"SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c']) AS u",
	"SELECT * FROM unnest(ARRAY[1, 2]) WITH ORDINALITY",
	"SELECT * FROM unnest(ARRAY[1, 2]) WITH ORDINALITY AS u(x, n)",
	"SELECT * FROM unnest('{}'::int[]) WITH ORDINALITY",
	"SELECT * FROM unnest(NULL::int[])",
	"SELECT * FROM generate_series(1, 5) g",
	"SELECT * FROM generate_series(5, 1, -2)",
	"SELECT * FROM generate_series(1, 3, 0)",
	"SELECT * FROM generate_series(2147483645, 2147483647)",
	"SELECT * FROM generate_series(9223372036854775805, 9223372036854775807)",
	"SELECT * FROM generate_series(1, 3::bigint)",
	"SELECT * FROM generate_series(1.5, 3.0, 0.5)",
	"SELECT * FROM generate_series(1, 2.5, 0.5)",
	"SELECT * FROM generate_series(0.10, -0.3, -0.15)",
	"SELECT * FROM generate_series('2024-03-09 22:00'::timestamp, '2024-03-11', '7 hours')",
	"SELECT * FROM generate_series('2024-02-28'::timestamp, '2024-03-01 12:00', interval '1 day')",
	"SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-02', '0 hours')",
	"SELECT generate_series(1, 3), generate_series(1, 2)",
	"SELECT generate_series(1, NULL)",
	"SELECT * FROM jsonb_array_elements('[1, \"a\", null, [2], {\"b\": 3}]')",
	"SELECT * FROM jsonb_array_elements_text('[1, \"a\", null, [2], {\"b\": 3}]')",
	"SELECT * FROM jsonb_each('{\"b\": 1, \"a\": [2], \"c\": null}')",
	"SELECT * FROM jsonb_each_text('{\"b\": 1, \"a\": \"x\", \"c\": null}')",
	"SELECT * FROM jsonb_object_keys('{\"b\": 1, \"a\": 2}')",
	"SELECT * FROM json_each('{\"b\": 1, \"a\" : [2, 3], \"b\": 4}')",
	"SELECT * FROM jsonb_array_elements('{\"a\": 1}')",
	"SELECT * FROM jsonb_array_elements('1')",
	"SELECT * FROM jsonb_each('[1]')",
	"SELECT * FROM jsonb_object_keys('[1]')",
	"SELECT * FROM jsonb_object_keys('\"x\"')",
	"SELECT * FROM json_array_elements('{}')",
	"SELECT * FROM json_object_keys('3')",
	"SELECT * FROM regexp_matches('abab', 'a(b)', 'g')",
	"SELECT * FROM regexp_matches('abab', 'a(b)')",
	"SELECT * FROM regexp_matches('xyz', 'a')",
	"SELECT * FROM regexp_matches('aaa', 'a*?', 'g')",
	"SELECT * FROM regexp_matches('abc', '(x)?(b)', 'g')",
	"SELECT * FROM regexp_matches('abc', '(', 'g')",
	"SELECT * FROM regexp_split_to_table('a1b22c', '[0-9]+')",
	"SELECT * FROM regexp_split_to_table('abc', '')",
	"SELECT * FROM regexp_split_to_table('', 'x')",
	"SELECT * FROM regexp_split_to_table('abc', 'b', 'g')",
	"SELECT * FROM string_to_table('a,b,,c', ',')",
	"SELECT * FROM string_to_table('', ',')",
	"SELECT * FROM string_to_table('abc', '')",
	"SELECT * FROM string_to_table('a|N|c', '|', 'N')",
	"SELECT * FROM string_to_table(NULL, ',')",
	"SELECT unnest(ARRAY[1, 2]) + 1, unnest(ARRAY[unnest(ARRAY[3, 4])])",
	"SELECT unnest(ARRAY[1, 2], ARRAY[3])",
	"SELECT CASE WHEN true THEN unnest(ARRAY[1]) END",
	"SELECT coalesce(unnest(ARRAY[1]), 0)",
	"SELECT sum(unnest(ARRAY[1]))",
	"SELECT 1 WHERE unnest(ARRAY[true])",
	"SELECT * FROM unnest(ARRAY[1]) AS u(x, y)",
	"SELECT * FROM (VALUES (ARRAY[1])) v(a) RIGHT JOIN LATERAL unnest(v.a) u ON true",
	"SELECT unnest('{1,2}')",
	"SELECT * FROM unnest(NULL)",
	"SELECT x, n FROM unnest(ARRAY['a', 'b']) WITH ORDINALITY AS u(x, n) WHERE n > 1",
	"SELECT u.x, v.y FROM unnest(ARRAY[1, 2]) AS u(x), LATERAL unnest(ARRAY[u.x, u.x * 10]) AS v(y) ORDER BY 1, 2",
	"SELECT u.x, v.y FROM unnest(ARRAY[1, 2]) AS u(x) LEFT JOIN LATERAL unnest(ARRAY[]::int[]) AS v(y) ON true ORDER BY 1",
}

// TestSetReturningAgainstPostgres compares the set-returning functions,
// in FROM (lateral, WITH ORDINALITY, zipped) and in select lists, with
// PostgreSQL 15 over generated arrays (NULL, empty, NULL elements), JSON
// documents and strings, rows as text or the error's SQLSTATE.
func TestSetReturningAgainstPostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	ctx := context.Background()
	pc, err := pgx.Connect(ctx, pg.URL("postgres")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	ours := connect(t, startServer(t))
	cases := 0
	both := func(sql string) {
		t.Helper()
		got, want := oracleRows(ctx, ours, sql), oracleRows(ctx, pc, sql)
		if got != want {
			t.Errorf("%s\n ours: %q\n   pg: %q", sql, got, want)
		}
		cases += max(1, strings.Count(want, "\n"))
	}
	both("CREATE TABLE srf_t (id INT, a INT[], b TEXT[], j JSONB, js JSON, s TEXT, n INT)")
	r := rand.New(rand.NewSource(19))
	g := &jsonGen{rng: randv2.New(randv2.NewPCG(19, 20))}
	strs := []string{"", "a", "abc", "a1b22c", "b,c", ",,", "a,,b", "c3b", "ABC", "x,a1,b2,c", "é,b"}
	var vals []string
	for i := 0; i < 120; i++ {
		doc := "NULL"
		if r.Intn(8) != 0 {
			doc = sqlString(g.value(2))
		}
		s := "NULL"
		if r.Intn(8) != 0 {
			s = sqlString(strs[r.Intn(len(strs))])
		}
		n := "NULL"
		if r.Intn(8) != 0 {
			n = fmt.Sprint(r.Intn(6) - 1)
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s)", i, genArray(r, arrayElemTypes[0]), genArray(r, arrayElemTypes[2]), doc, doc, s, n))
	}
	both("INSERT INTO srf_t VALUES " + strings.Join(vals, ", "))
	for _, q := range srfQueries {
		both(q)
	}
	for _, q := range srfConstQueries {
		both(q)
	}
	if cases < 3000 {
		t.Errorf("only %d rows compared", cases)
	}
	t.Logf("%d rows compared", cases)
}
