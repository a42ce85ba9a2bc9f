package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
)

// TestSessionsView: streamsql_catalog.sessions lists each open session,
// as pg_stat_activity does: its user and application_name, whether it
// runs a statement now and which (the last one when idle), and its
// subscriptions (TestSubscribeSystemView sees a closed one leave).
func TestSessionsView(t *testing.T) {
	addr := startServer(t)
	ctx := context.Background()
	a := connect(t, addr)
	b, err := pgx.Connect(ctx, "postgres://bob@"+addr+"/streamsql?sslmode=disable&default_query_exec_mode=simple_protocol&application_name=bobapp")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	run(t, a, `CREATE TABLE t (k BIGINT)`)
	run(t, b, `BEGIN`)
	declare := `DECLARE c CURSOR FOR SUBSCRIBE t WITH (snapshot = false)`
	run(t, b, declare)

	const q = `SELECT usename, application_name, state, query, subscriptions, backend_start <= query_start FROM streamsql_catalog.sessions ORDER BY pid`
	got := queryValues(t, a, q)
	want := [][]any{
		{"streamsql", "", "active", q, int64(0), true},
		{"bob", "bobapp", "idle", declare, int64(1), true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sessions:\n got %v\nwant %v", got, want)
	}
	run(t, b, `COMMIT`) // closes the cursor
	got = queryValues(t, a, `SELECT usename, state, query, subscriptions FROM streamsql_catalog.sessions WHERE usename = 'bob'`)
	if fmt.Sprint(got) != fmt.Sprint([][]any{{"bob", "idle", "COMMIT", int64(0)}}) {
		t.Fatalf("after COMMIT: %v", got)
	}
}

// TestSubscribeSystemView: a SUBSCRIBE to a streamsql_catalog relation
// gives its rows, then the differences as they change, recomputed at the
// interval set: a session opening and closing, a table created and its
// row count moving.
func TestSubscribeSystemView(t *testing.T) {
	addr, _ := startEngineWith(t, engine.Options{SystemSubscribeInterval: 20 * time.Millisecond})
	ctx := context.Background()
	a, other := connect(t, addr), connect(t, addr)
	run(t, other, `CREATE TABLE before (k BIGINT)`)
	run(t, a, `BEGIN`)
	run(t, a, `DECLARE s CURSOR FOR SUBSCRIBE streamsql_catalog.tables`)
	run(t, a, `DECLARE p CURSOR FOR SUBSCRIBE streamsql_catalog.sessions WITH (snapshot = false)`)
	// fetchUntil fetches from cursor c until a change of the wanted diff
	// whose column col is want has come; FETCH waits for changes. Changes
	// fetched and not yet wanted are kept for the next call.
	pending := map[string][][]any{}
	fetchUntil := func(c string, col int, want any, diff int64) {
		t.Helper()
		for {
			for i, r := range pending[c] {
				if fmt.Sprint(r[col]) == fmt.Sprint(want) && r[1] == diff {
					pending[c] = pending[c][i+1:]
					return
				}
			}
			rows := queryValues(t, a, fmt.Sprintf(`FETCH ALL %s WITH (timeout = '10 seconds')`, c))
			if len(rows) == 0 {
				t.Fatalf("cursor %s: no change in 10 s; waiting for %v with diff %d", c, want, diff)
			}
			pending[c] = append(pending[c], rows...)
		}
	}
	fetchUntil("s", 2, "before", 1) // the snapshot
	run(t, other, `CREATE TABLE t (k BIGINT)`)
	fetchUntil("s", 2, "t", 1)
	run(t, other, `INSERT INTO t VALUES (1), (2)`)
	// t's row count goes from 0 to 2: its old row retracted, the new one
	// inserted.
	fetchUntil("s", 3, int64(0), -1)
	fetchUntil("s", 3, int64(2), 1)

	c, err := pgx.Connect(ctx, "postgres://carol@"+addr+"/streamsql?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	fetchUntil("p", 3, "carol", 1)
	c.Close(ctx)
	fetchUntil("p", 3, "carol", -1)
	run(t, a, `COMMIT`)
}
