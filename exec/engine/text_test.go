package engine_test

import (
	"context"
	"slices"
	"testing"
)

// TestTextNotUTF8: a statement, a parameter or an inserted value that is
// not UTF-8 or holds a NUL is refused with 22021, as PostgreSQL refuses
// it, over the simple and the extended protocol; nothing reaches the
// table that a client could not read back.
func TestTextNotUTF8(t *testing.T) {
	addr := startServer(t)
	ctx := context.Background()
	for _, simple := range []bool{true, false} {
		conn := connectMode(t, addr, simple)
		table := "s_ext"
		if simple {
			table = "s_simple"
		}
		oracleExec(t, conn, "CREATE TABLE "+table+" (v VARCHAR)")
		for _, q := range []string{
			"INSERT INTO " + table + " VALUES ('caf\xe9')",
			"INSERT INTO " + table + " VALUES (E'a\\0b')", // an escape the parser reads as NUL
			"INSERT INTO " + table + " VALUES (E'\\xff')",
			"SELECT 'x\xff'",
		} {
			if _, err := conn.Exec(ctx, q); !hasCode(err, "22021") {
				t.Errorf("simple=%v %q: %v, want 22021", simple, q, err)
			}
		}
		if !simple {
			for _, p := range []string{"a\x00b", "caf\xe9", "\xff"} {
				if _, err := conn.Exec(ctx, "INSERT INTO "+table+" VALUES ($1)", p); !hasCode(err, "22021") {
					t.Errorf("parameter %q: %v, want 22021", p, err)
				}
			}
		}
		oracleExec(t, conn, "INSERT INTO "+table+" VALUES ('café')")
		if got := textRows(t, conn, "SELECT v FROM "+table); !slices.Equal(got, []string{"café"}) {
			t.Errorf("simple=%v: %s holds %q, want only café", simple, table, got)
		}
	}
}
