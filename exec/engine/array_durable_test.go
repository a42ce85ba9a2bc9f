package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
)

// TestArraysDurable keeps array columns, array group keys and array_agg
// state across a restart on both state backends.
func TestArraysDurable(t *testing.T) {
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
					if sql[:6] != "SELECT" {
						if _, err := conn.Exec(ctx, sql); err != nil {
							t.Fatalf("%s: %v", sql, err)
						}
						return nil
					}
					return queryValues(t, conn, sql)
				}, stop
			}
			q, stop := open()
			q(`CREATE TABLE t (id INT PRIMARY KEY, tags TEXT[], ns BIGINT[])`)
			q(`INSERT INTO t VALUES (1, '{a,"b c"}', '{1,NULL}'), (2, '{}', NULL), (3, '{a,"b c"}', '{9223372036854775807}')`)
			q(`CREATE MATERIALIZED VIEW v AS SELECT tags, count(*) AS n, array_agg(id) AS ids FROM t GROUP BY tags`)
			stop()

			q, stop = open()
			defer stop()
			q(`INSERT INTO t VALUES (1, '{}', '{-1}')`)
			got := fmt.Sprint(q(`SELECT tags::text AS s, n, ids::text FROM v ORDER BY v.tags`))
			want := `[[{} 2 {1,2}] [{a,"b c"} 1 {3}]]`
			if got != want {
				t.Errorf("view after restart:\n got %s\nwant %s", got, want)
			}
			got = fmt.Sprint(q(`SELECT id, ns::text, ns[1] FROM t ORDER BY id`))
			want = `[[1 {-1} -1] [2 <nil> <nil>] [3 {9223372036854775807} 9223372036854775807]]`
			if got != want {
				t.Errorf("table after restart:\n got %s\nwant %s", got, want)
			}
		})
	}
}
