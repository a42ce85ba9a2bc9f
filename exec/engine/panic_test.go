package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamsql/streamsql/exec/engine"
)

// TestPanicInStatement makes a statement panic at each point where it holds
// an engine lock (or none), and checks that its client gets an ERROR (not
// FATAL) XX000 "internal error: ...", that its session and another go on,
// and that a DDL statement's half-made relation is gone. Every wait is
// bounded: a lock left held fails the test instead of hanging it.
func TestPanicInStatement(t *testing.T) {
	addr := startServer(t)
	a, b := connect(t, addr), connect(t, addr)
	ext, err := pgx.Connect(context.Background(), "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close(context.Background())
	run(t, a, "CREATE TABLE t (k INT)")
	run(t, a, "CREATE MATERIALIZED VIEW w AS SELECT count(*) AS n FROM t")
	run(t, a, "INSERT INTO t VALUES (1), (2)")
	rows := int64(2)
	for _, c := range []struct {
		point, sql string
		conn       *pgx.Conn
		// after runs on the other connection once the panic is over: it
		// must find the statement's relation gone.
		after string
	}{
		{point: "plan", sql: "SELECT k FROM t"},
		{point: "plan", sql: "SELECT k FROM t WHERE k > $1", conn: ext},
		{point: "scan", sql: "SELECT k FROM t WHERE k > 0"},
		{point: "insert", sql: "INSERT INTO t VALUES (3)"},
		{point: "create-view", sql: "CREATE MATERIALIZED VIEW v AS SELECT k, count(*) AS n FROM t GROUP BY k",
			after: "CREATE MATERIALIZED VIEW v AS SELECT k, count(*) AS n FROM t GROUP BY k; DROP MATERIALIZED VIEW v"},
		{point: "create-relation", sql: "CREATE TABLE u (k INT) WITH (late_rows = 'keep')",
			after: "CREATE TABLE u (k INT); DROP TABLE u"},
	} {
		t.Run(c.point, func(t *testing.T) {
			conn := c.conn
			if conn == nil {
				conn = a
			}
			restore := engine.PanicAt(c.point)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var args []any
			if strings.Contains(c.sql, "$1") {
				args = append(args, 0)
			}
			_, err := conn.Exec(ctx, c.sql, args...)
			cancel()
			restore()
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "XX000" || pe.Severity != "ERROR" ||
				!strings.HasPrefix(pe.Message, "internal error: injected fault at "+c.point) {
				t.Errorf("%s with a panic at %s: got %v, want ERROR XX000 internal error: injected fault", c.sql, c.point, err)
			}
			if c.after != "" {
				run(t, b, c.after)
			}
			run(t, b, "INSERT INTO t VALUES (10)")
			rows++
			for _, conn := range []*pgx.Conn{conn, b} {
				if got := count(t, conn, "SELECT count(*) FROM t"); got != rows {
					t.Errorf("count(*) from t = %d, want %d", got, rows)
				}
				if got := count(t, conn, "SELECT n FROM w"); got != rows {
					t.Errorf("view w counts %d rows, want %d", got, rows)
				}
			}
		})
	}
}

// TestPanicInView makes one view's operators panic on a batch: the INSERT
// succeeds, the table and the other view go on, the failed view says why
// (SHOW MATERIALIZED VIEWS, SELECT, SUBSCRIBE) and FLUSH returns; dropping
// and recreating it mends it.
func TestPanicInView(t *testing.T) {
	addr := startServer(t)
	a := connect(t, addr)
	run(t, a, "CREATE TABLE t (k INT)")
	const view = "CREATE MATERIALIZED VIEW v AS SELECT k, count(*) AS n FROM t GROUP BY k"
	run(t, a, view)
	run(t, a, "CREATE MATERIALIZED VIEW w AS SELECT count(*) AS n FROM t")
	run(t, a, "INSERT INTO t VALUES (1), (2)")

	restore := engine.PanicAt("view-batch v")
	run(t, a, "INSERT INTO t VALUES (1), (3)")
	restore()
	run(t, a, "INSERT INTO t VALUES (4)")
	run(t, a, "FLUSH")
	if got := count(t, a, "SELECT n FROM w"); got != 5 {
		t.Errorf("view w counts %d rows, want 5", got)
	}
	status := map[string]string{}
	for _, r := range queryValues(t, a, "SHOW MATERIALIZED VIEWS") {
		status[r[0].(string)] = r[len(r)-1].(string)
	}
	if s := status["v"]; !strings.HasPrefix(s, "failed: internal error processing a batch: injected fault at view-batch v") {
		t.Errorf("SHOW MATERIALIZED VIEWS: v has status %q, want failed: internal error ...", s)
	}
	if s := status["w"]; s != "running" {
		t.Errorf("SHOW MATERIALIZED VIEWS: w has status %q, want running", s)
	}
	for _, q := range []string{"SELECT * FROM v", "SUBSCRIBE v"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := a.Exec(ctx, q)
		cancel()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "XX000" || !strings.Contains(pe.Message, `materialized view "v" stopped after an internal error processing a batch`) {
			t.Errorf("%s from a failed view: got %v, want XX000 ... stopped after an internal error", q, err)
		}
	}
	run(t, a, "DROP MATERIALIZED VIEW v")
	run(t, a, view)
	if got := count(t, a, "SELECT sum(n) FROM v"); got != 5 {
		t.Errorf("recreated view v counts %d rows, want 5", got)
	}

	// A panic while a new view is backfilled fails its CREATE and leaves
	// no view behind.
	restore = engine.PanicAt("view-batch v2")
	err := tryExec(a, "CREATE MATERIALIZED VIEW v2 AS SELECT k FROM t")
	restore()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "XX000" || !strings.Contains(pe.Message, "internal error processing a batch") {
		t.Errorf("CREATE with a panic in its backfill: got %v, want XX000 internal error", err)
	}
	run(t, a, "CREATE MATERIALIZED VIEW v2 AS SELECT k FROM t")
	if got := count(t, a, "SELECT count(*) FROM v2"); got != 5 {
		t.Errorf("view v2 has %d rows, want 5", got)
	}
}

// TestPanicInViewRestart checks that a view a panic stopped is still
// failed after a restart, and the other views and the table are whole.
func TestPanicInViewRestart(t *testing.T) {
	open := memoryReopener(t)
	a, stop := open()
	run(t, a, "CREATE TABLE t (k INT)")
	run(t, a, "CREATE MATERIALIZED VIEW v AS SELECT k, count(*) AS n FROM t GROUP BY k")
	run(t, a, "CREATE MATERIALIZED VIEW w AS SELECT count(*) AS n FROM t")
	restore := engine.PanicAt("view-batch v")
	run(t, a, "INSERT INTO t VALUES (1), (2)")
	restore()
	a.Close(context.Background())
	stop()

	a, stop = open()
	defer stop()
	run(t, a, "INSERT INTO t VALUES (3)")
	if got := count(t, a, "SELECT n FROM w"); got != 3 {
		t.Errorf("after a restart, view w counts %d rows, want 3", got)
	}
	if err := tryExec(a, "SELECT * FROM v"); err == nil || !strings.Contains(err.Error(), `materialized view "v" stopped after an internal error processing a batch: injected fault`) {
		t.Errorf("SELECT from the failed view after a restart: got %v, want it still failed", err)
	}
}

// TestPanicInSourceView makes a view's operators panic on a batch that a
// source's goroutine delivers (before, the panic killed the process): the
// view is marked failed, the source reads on, and FLUSH returns.
func TestPanicInSourceView(t *testing.T) {
	addr := startServer(t)
	a := connect(t, addr)
	run(t, a, `CREATE SOURCE gen (id BIGINT) WITH (connector = 'datagen', rows_per_second = 0, max_rows = 3000, seed = 7)`)
	restore := engine.PanicAt("view-batch v")
	defer restore()
	run(t, a, "CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM gen")
	run(t, a, "FLUSH")
	for _, r := range queryValues(t, a, "SHOW SOURCES") {
		if r[2].(int64) != 3000 || r[len(r)-1] != "done" {
			t.Errorf("SHOW SOURCES: %v, want 3000 rows, done", r)
		}
	}
	for _, r := range queryValues(t, a, "SHOW MATERIALIZED VIEWS") {
		if s := r[len(r)-1].(string); !strings.HasPrefix(s, "failed: internal error processing a batch") {
			t.Errorf("SHOW MATERIALIZED VIEWS: v has status %q, want failed: internal error ...", s)
		}
	}
}

// tryExec runs sql with a bounded wait.
func tryExec(conn *pgx.Conn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := conn.Exec(ctx, sql)
	return err
}

func run(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if err := tryExec(conn, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// count runs a query of one BIGINT, with a bounded wait.
func count(t *testing.T, conn *pgx.Conn, sql string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int64
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", sql, err))
	}
	return n
}
