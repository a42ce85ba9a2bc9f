package engine_test

import (
	"context"
	"testing"
)

// TestPsqlDescribeFunctions: psql's \df lists the SQL functions, with
// their arguments and result as PostgreSQL's pg_get_function_* give them.
func TestPsqlDescribeFunctions(t *testing.T) {
	addr := startServer(t)
	conn := connectMode(t, addr, false)
	mustExec(t, conn, "CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL AS $$ SELECT (length(s) - length(replace(s, c, ''))) / length(c) $$")
	mustExec(t, conn, "CREATE FUNCTION inc(bigint) RETURNS bigint LANGUAGE SQL RETURN $1 + 1")
	out, err := psqlCmd(t, addr, "-A", "-c", `\df`, "-c", `\df count*`).CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	want := `List of functions
Schema|Name|Result data type|Argument data types|Type
public|count_char|integer|s character varying, c character varying|func
public|inc|bigint|bigint|func
(2 rows)
List of functions
Schema|Name|Result data type|Argument data types|Type
public|count_char|integer|s character varying, c character varying|func
(1 row)
`
	if string(out) != want {
		t.Errorf("psql \\df:\n%s\nwant:\n%s", out, want)
	}
}

// TestPreparedSQLFunctionCall: a SQL function's arguments may be a
// prepared statement's parameters, whose types the parameters' give.
func TestPreparedSQLFunctionCall(t *testing.T) {
	conn := connectMode(t, startServer(t), false)
	mustExec(t, conn, "CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL STRICT RETURN (length(s) - length(replace(s, c, ''))) / length(c)")
	for _, c := range []struct {
		s    *string
		want *int32
	}{{ptr("banana"), ptr(int32(3))}, {nil, nil}} {
		var got *int32
		if err := conn.QueryRow(context.Background(), "SELECT count_char($1, $2)", c.s, "a").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("count_char(%v, 'a') = %v, want %v", c.s, got, c.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
