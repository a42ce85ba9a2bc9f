package engine_test

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
)

// srfViews are views over set-returning functions, each with the query
// whose ad-hoc answer its rows must equal.
var srfViews = []struct{ name, query string }{
	{"sv_lateral", "SELECT id, x, ord FROM st, unnest(st.a) WITH ORDINALITY AS u(x, ord)"},
	{"sv_outer", "SELECT id, e.value, n FROM st LEFT JOIN LATERAL jsonb_array_elements_text(st.j) AS e ON true"},
	{"sv_select", "SELECT id, unnest(a) AS x, generate_series(1, n) AS g FROM st"},
	{"sv_counts", "SELECT x, count(*) AS c, sum(id) AS s FROM st, unnest(st.a) AS u(x) GROUP BY x"},
	{"sv_over_agg", "SELECT k, unnest(ids) AS id FROM (SELECT n AS k, array_agg(id) AS ids FROM st GROUP BY n) g"},
	{"sv_agg_unnest", "SELECT n, unnest(array_agg(id)) AS id, count(*) AS c FROM st GROUP BY n"},
	{"sv_keys", "SELECT id, k FROM st, jsonb_object_keys(st.o) AS k WHERE k <> 'b'"},
}

// TestSetReturningViews keeps views over set-returning functions of a
// table whose rows are replaced (a retracting input) equal to the
// ad-hoc answer of their queries, across restarts, on both backends.
func TestSetReturningViews(t *testing.T) {
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stateDir, logDir := t.TempDir(), t.TempDir()
			ctx := context.Background()
			open := func() (func(string) [][]any, func()) {
				eng, stop := openDurable(t, openBackend(t, name, stateDir), logDir, engine.Options{})
				conn := connect(t, serveEngine(t, eng))
				return func(sql string) [][]any {
					t.Helper()
					if !strings.HasPrefix(sql, "SELECT") {
						if _, err := conn.Exec(ctx, sql); err != nil {
							t.Fatalf("%s: %v", sql, err)
						}
						return nil
					}
					return queryValues(t, conn, sql)
				}, stop
			}
			q, stop := open()
			q("CREATE TABLE st (id INT PRIMARY KEY, a INT[], j JSONB, o JSONB, n INT)")
			for _, v := range srfViews {
				q("CREATE MATERIALIZED VIEW " + v.name + " AS " + v.query)
			}
			r := rand.New(rand.NewSource(21))
			arr := func() string {
				switch r.Intn(6) {
				case 0:
					return "NULL"
				case 1:
					return "'{}'"
				}
				var xs []string
				for range 1 + r.Intn(4) {
					if r.Intn(5) == 0 {
						xs = append(xs, "NULL")
					} else {
						xs = append(xs, fmt.Sprint(r.Intn(5)))
					}
				}
				return "'{" + strings.Join(xs, ",") + "}'"
			}
			doc := func() string {
				return []string{"NULL", `'[]'`, `'[1, "x", null]'`, `'["a", ["b"]]'`, `'[true]'`}[r.Intn(5)]
			}
			obj := func() string {
				return []string{"NULL", `'{}'`, `'{"a": 1, "b": 2}'`, `'{"c": [1]}'`, `'{"b": 0, "d": null, "e": {}}'`}[r.Intn(5)]
			}
			check := func(when string) {
				t.Helper()
				for _, v := range srfViews {
					got, want := sortedRows(q("SELECT * FROM "+v.name)), sortedRows(q(v.query))
					if got != want {
						t.Errorf("%s %s:\n view: %s\nquery: %s", when, v.name, got, want)
					}
				}
			}
			for round := 0; round < 6; round++ {
				for range 25 {
					id := r.Intn(30)
					n := "NULL"
					if r.Intn(6) != 0 {
						n = fmt.Sprint(r.Intn(4) - 1)
					}
					// An INSERT of a key replaces its row: the old row's
					// output rows are retracted.
					q(fmt.Sprintf("INSERT INTO st VALUES (%d, %s, %s, %s, %s)", id, arr(), doc(), obj(), n))
				}
				check(fmt.Sprintf("round %d", round))
				if round%2 == 1 {
					stop()
					q, stop = open()
					check(fmt.Sprintf("after restart %d", round))
				}
			}
			stop()
		})
	}
}

// sortedRows is rows as text, sorted: a multiset to compare.
func sortedRows(rows [][]any) string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r...)
	}
	sort.Strings(out)
	return fmt.Sprintf("%d rows: %s", len(out), strings.Join(out, "; "))
}
