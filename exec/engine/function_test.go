package engine

import (
	"path/filepath"
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestFunctionsSurviveRestart: SQL functions are in the durable catalog,
// recreated before the views and functions that use them, after a crash
// (no final checkpoint: the DDL's own checkpoint holds them) and after a
// clean stop, on both backends.
func TestFunctionsSurviveRestart(t *testing.T) {
	for _, backend := range []string{"memory", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			open := func() (*Engine, state.Backend) {
				if backend == "memory" {
					return openMemory(t, dir, nil)
				}
				b, err := pebble.Open(filepath.Join(dir, "pebble"), pebble.Options{})
				if err != nil {
					t.Fatal(err)
				}
				e, err := Open(b, Options{Dir: dir})
				if err != nil {
					t.Fatal(err)
				}
				return e, b
			}
			run := func(e *Engine, sql, want string) {
				t.Helper()
				s, _ := e.NewSession("test", "test")
				if got := runSQL(s, sql); got != want {
					t.Errorf("%s:\n%s\nwant:\n%s", sql, got, want)
				}
			}
			e, b := open()
			run(e, `CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL AS $$ SELECT (length(s) - length(replace(s, c, ''))) / length(c) $$;
				CREATE FUNCTION inc(a int) RETURNS int LANGUAGE sql RETURN a + 1;
				CREATE FUNCTION inc(a bigint) RETURNS bigint LANGUAGE sql RETURN a + 10;
				CREATE FUNCTION inc2(a int) RETURNS int LANGUAGE sql STRICT RETURN inc(inc(a));
				CREATE FUNCTION gone(a int) RETURNS int LANGUAGE sql RETURN a;
				CREATE TABLE t (s VARCHAR, n INT);
				CREATE MATERIALIZED VIEW v AS SELECT count_char(s, 'a') AS k, sum(inc2(n)) AS m FROM t GROUP BY count_char(s, 'a');
				CREATE OR REPLACE FUNCTION inc(a bigint) RETURNS bigint LANGUAGE sql RETURN a + 100;
				DROP FUNCTION gone;
				INSERT INTO t VALUES ('banana', 1), ('aa', 2), ('x', NULL)`, "")
			crashEngine(e)
			b.Close()

			e, b = open()
			run(e, "SELECT * FROM v ORDER BY k", "0 NULL\n2 4\n3 3\n")
			run(e, "INSERT INTO t VALUES ('a', 5); SELECT * FROM v ORDER BY k", "0 NULL\n1 7\n2 4\n3 3\n")
			run(e, "SELECT inc(1), inc(CAST(1 AS BIGINT)), inc2(1), count_char('aaa', 'a')", "2 101 3 3\n")
			run(e, "SELECT gone(1)", "error: function gone does not exist\n")
			run(e, "DROP FUNCTION inc(int)", "error: cannot drop function inc(integer) because other objects depend on it\n")
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			b.Close()

			e, b = open()
			defer b.Close()
			defer e.Close()
			run(e, "SELECT proname, pg_get_function_arguments(oid) FROM pg_catalog.pg_proc WHERE pronamespace = 2200 ORDER BY oid",
				"count_char s character varying, c character varying\ninc a integer\ninc2 a integer\ninc a bigint\n")
			run(e, "DROP MATERIALIZED VIEW v; DROP FUNCTION inc2; DROP FUNCTION inc(int); SELECT inc(1)", "101\n")
		})
	}
}
