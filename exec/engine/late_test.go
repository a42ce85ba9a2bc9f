package engine_test

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestLateRowsSurviveRestart: the late-rows table of late_rows = 'keep'
// comes back with its table after a restart, rows and views included, and
// keeps filling.
func TestLateRowsSurviveRestart(t *testing.T) {
	stateDir, logDir := t.TempDir(), t.TempDir()
	ctx := context.Background()
	run := func(stmts ...string) [][]any {
		backend, err := pebble.Open(stateDir, pebble.Options{})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.Open(backend, engine.Options{Dir: logDir})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { eng.Close(); backend.Close() }()
		conn := connect(t, serveEngine(t, eng))
		for _, q := range stmts[:len(stmts)-1] {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		rows, err := conn.Query(ctx, stmts[len(stmts)-1])
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out [][]any
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	run(`CREATE TABLE t (k INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (late_rows = 'keep')`,
		`CREATE MATERIALIZED VIEW n_late AS SELECT COUNT(*) AS n FROM t_late`,
		`INSERT INTO t VALUES (1, '2024-01-01 00:00:10')`,
		`INSERT INTO t VALUES (2, '2024-01-01 00:00:01')`,
		`SELECT 1`)
	got := run(`INSERT INTO t VALUES (3, '2024-01-01 00:00:02')`, `SELECT n FROM n_late`)
	if len(got) != 1 || got[0][0] != int64(2) {
		t.Errorf("late rows after a restart: %v, want [[2]]", got)
	}
	got = run(`SELECT k FROM t_late ORDER BY k`)
	if len(got) != 2 || got[0][0] != int32(2) || got[1][0] != int32(3) {
		t.Errorf("t_late after restarts: %v, want [[2] [3]]", got)
	}
}
