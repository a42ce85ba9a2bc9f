package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLateRowsSurviveRestart: the late-rows table of late_rows = 'keep'
// comes back with its table after a restart, rows and views included, and
// keeps filling.
func TestLateRowsSurviveRestart(t *testing.T) {
	run := restartable(t)
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

// TestMaxFuture: rows more than max_future ahead of the (injected) clock
// are counted in future_rows, then dropped or clamped, so they cannot drag
// the watermark past every row still to come.
func TestMaxFuture(t *testing.T) {
	var now atomic.Int64 // the clock, in Unix microseconds
	now.Store(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	conn := connect(t, startClocked(t, &now))
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE d (k INT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (max_future = '1 hour')`,
		`CREATE TABLE c (k INT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (max_future = '1 hour', future_rows = 'clamp')`,
		`INSERT INTO d VALUES (1, '2024-01-01 00:30:00'), (2, '2031-01-01 00:00:00'), (3, '2024-01-01 00:59:00')`,
		`INSERT INTO c VALUES (1, '2024-01-01 00:30:00'), (2, '2031-01-01 00:00:00'), (3, '2024-01-01 00:59:00')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	show := oracleQuery(t, conn, "SHOW TABLES")
	want := [][]string{
		{"c", "3", "0", "2024-01-01 01:00:00", "1"}, // clamped to now + 1 hour
		{"d", "2", "0", "2024-01-01 00:59:00", "1"}, // dropped
	}
	if fmt.Sprint(show) != fmt.Sprint(want) {
		t.Errorf("SHOW TABLES = %v, want %v", show, want)
	}
	if got := oracleQuery(t, conn, "SELECT k, ts FROM c WHERE k = 2"); fmt.Sprint(got) != "[[2 2024-01-01 01:00:00]]" {
		t.Errorf("clamped row = %v", got)
	}
	// Time passes: the same row is no longer too far ahead.
	now.Add(int64(24 * 365 * 8 * time.Hour / time.Microsecond))
	if _, err := conn.Exec(ctx, `INSERT INTO d VALUES (4, '2031-01-01 00:00:00')`); err != nil {
		t.Fatal(err)
	}
	if got := oracleQuery(t, conn, "SELECT COUNT(*) FROM d"); fmt.Sprint(got) != "[[3]]" {
		t.Errorf("rows of d = %v, want 3", got)
	}
	_, err := conn.Exec(ctx, `CREATE TABLE bad (ts TIMESTAMP) WITH (future_rows = 'wrap')`)
	if err == nil || !strings.Contains(err.Error(), "want 'drop' or 'clamp'") {
		t.Errorf("future_rows = 'wrap': %v", err)
	}
}
