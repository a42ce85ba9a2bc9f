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
)

// TestStatementTimeout: past statement_timeout (SET, or a startup
// parameter) a running ad-hoc query and a FLUSH waiting on a source are
// cancelled with PostgreSQL's 57014 "canceling statement due to statement
// timeout", and the connection goes on.
func TestStatementTimeout(t *testing.T) {
	addr := startServer(t)
	conn := connect(t, addr)
	ctx := context.Background()
	oracleExec(t, conn, "CREATE TABLE big (x BIGINT)")
	var rows []string
	for i := range 4000 {
		rows = append(rows, fmt.Sprintf("(%d)", i))
	}
	oracleExec(t, conn, "INSERT INTO big VALUES "+strings.Join(rows, ", "))
	// A source FLUSH waits for: bounded, unthrottled, and never done.
	oracleExec(t, conn, "CREATE SOURCE endless (id BIGINT) WITH (connector = 'datagen', rows_per_second = 0, max_rows = 1000000000000000, fields.id.kind = 'sequence')")
	oracleExec(t, conn, "CREATE MATERIALIZED VIEW endless_n AS SELECT count(*) AS n FROM endless")
	const slow = "SELECT count(*) FROM big a JOIN big b ON a.x <> b.x"

	want57014 := func(t *testing.T, conn *pgx.Conn, sql string) {
		t.Helper()
		start := time.Now()
		_, err := conn.Exec(ctx, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
			t.Fatalf("%s: got %v, want 57014 canceling statement due to statement timeout", sql, err)
		}
		took := time.Since(start)
		if took > 20*time.Second {
			t.Errorf("%s: cancelled after %v", sql, took)
		}
		t.Logf("%s: cancelled after %v", sql, took.Round(time.Millisecond))
		var one int
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("after the timeout: %v", err)
		}
	}

	oracleExec(t, conn, "SET statement_timeout = '100ms'")
	want57014(t, conn, slow)
	want57014(t, conn, "FLUSH")
	oracleExec(t, conn, "SET statement_timeout = 0")
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM big a JOIN big b ON a.x = b.x").Scan(&n); err != nil || n != 4000 {
		t.Fatalf("without a timeout: %d, %v", n, err)
	}
	if _, err := conn.Exec(ctx, "SET statement_timeout = 'soon'"); err == nil || !strings.Contains(err.Error(), `invalid value for parameter "statement_timeout"`) {
		t.Errorf("SET statement_timeout = 'soon': %v", err)
	}

	// As a startup parameter (pgx's RuntimeParams), over the extended protocol.
	cfg, err := pgx.ParseConfig("postgres://streamsql@" + addr + "/streamsql?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["statement_timeout"] = "150"
	cfg.RuntimeParams["application_name"] = "timeout test"
	c2, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	var timeout, app string
	if err := c2.QueryRow(ctx, "SHOW statement_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if err := c2.QueryRow(ctx, "SHOW application_name").Scan(&app); err != nil {
		t.Fatal(err)
	}
	if timeout != "150" || app != "timeout test" {
		t.Errorf("startup settings: statement_timeout %q, application_name %q", timeout, app)
	}
	want57014(t, c2, slow)
}
