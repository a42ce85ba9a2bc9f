package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// TestSQLFunctionsAgainstPostgres defines the same SQL functions in
// streamsql and PostgreSQL 15 and compares every call's rows, or its
// error's SQLSTATE: overload resolution, argument and result coercion,
// STRICT, functions calling functions, DROP FUNCTION and the definitions
// PostgreSQL refuses too.
func TestSQLFunctionsAgainstPostgres(t *testing.T) {
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
	for _, sql := range []string{
		"CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL AS $$ SELECT (length(s) - length(replace(s, c, ''))) / length(c) $$",
		"SELECT count_char('banana', 'a'), count_char('banana', 'an'), count_char('', 'x'), count_char(NULL, 'x')",
		"SELECT count_char('banana', '')",
		"CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL AS 'SELECT 0'",
		"CREATE FUNCTION inc(a int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + 1",
		"CREATE FUNCTION inc(a bigint) RETURNS bigint LANGUAGE sql RETURN a + 10",
		"CREATE FUNCTION inc(a text) RETURNS text LANGUAGE sql RETURN a || '+1'",
		"CREATE FUNCTION inc(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT $1 + b'",
		"SELECT inc(1), inc(5000000000), inc('x'), inc(1, 2), inc(CAST(1 AS BIGINT)), inc(NULL::int)",
		"SELECT inc(1.5)",
		"SELECT inc(true)",
		"SELECT inc(2147483647)",
		"SELECT inc(inc(inc(1)))",
		"CREATE FUNCTION half(n bigint) RETURNS int LANGUAGE sql RETURN n / 2.0",
		"SELECT half(5), half(4), half(-5), half(NULL)",
		"CREATE FUNCTION tag(n int) RETURNS text LANGUAGE sql RETURN n",
		"SELECT tag(12), tag(-3)",
		"CREATE FUNCTION nz(a int) RETURNS int LANGUAGE sql STRICT RETURN coalesce(a, 0)",
		"CREATE FUNCTION z(a int) RETURNS int LANGUAGE sql CALLED ON NULL INPUT RETURN coalesce(a, 0)",
		"CREATE FUNCTION both_null(a int, b text) RETURNS boolean LANGUAGE sql RETURNS NULL ON NULL INPUT RETURN a IS NULL OR b IS NULL",
		"SELECT nz(NULL), z(NULL), nz(7), z(7), both_null(1, NULL), both_null(1, 'x')",
		"CREATE FUNCTION amb(a int) RETURNS int LANGUAGE sql RETURN 1",
		"CREATE FUNCTION amb(a bigint) RETURNS int LANGUAGE sql RETURN 2",
		"SELECT amb(1), amb(5000000000)",
		"SELECT amb('1')",
		"CREATE FUNCTION twice(x double precision) RETURNS double precision LANGUAGE sql AS $body$ SELECT twice.x * 2 $body$",
		"SELECT twice(1.25), twice(3)",
		"CREATE FUNCTION bad(a int) RETURNS int LANGUAGE sql RETURN a + zz",
		"CREATE FUNCTION bad(a int) RETURNS int LANGUAGE sql RETURN 'abc'",
		"CREATE FUNCTION bad(a int) RETURNS int LANGUAGE sql RETURN $2",
		"CREATE FUNCTION bad(a int, a int) RETURNS int LANGUAGE sql RETURN 1",
		"CREATE OR REPLACE FUNCTION inc(a int) RETURNS bigint LANGUAGE sql RETURN a",
		"CREATE TABLE t (s VARCHAR, n INT)",
		"INSERT INTO t VALUES ('a/b', 1), (NULL, NULL), ('a//', -4), ('', 2147483646)",
		"SELECT s, count_char(s, '/'), inc(n), nz(n), z(n) FROM t ORDER BY n",
		"SELECT count_char(s, '/') AS k, count(*) FROM t GROUP BY count_char(s, '/') ORDER BY k",
		"CREATE VIEW vc AS SELECT inc(n) AS m FROM t",
		"CREATE VIEW vc2 AS SELECT m FROM vc",
		"DROP FUNCTION inc(int)",
		"DROP FUNCTION inc(int) CASCADE",
		"SELECT * FROM vc",
		"SELECT * FROM vc2",
		"SELECT inc(1)",
		"DROP FUNCTION amb",
		"DROP FUNCTION amb(bigint)",
		"SELECT amb('1')",
		"DROP FUNCTION nosuch",
		"DROP FUNCTION nosuch(int)",
		"DROP FUNCTION IF EXISTS nosuch(int)",
		"DROP FUNCTION inc(boolean)",
		"SELECT nosuch(1)",
	} {
		if got, want := run(ours, sql), run(pc, sql); got != want {
			t.Errorf("%s\n ours: %q\n   pg: %q", sql, got, want)
		}
	}
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return err.Error()
}
