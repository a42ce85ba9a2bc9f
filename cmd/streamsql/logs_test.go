package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestServeLogs: `serve --log-format json` writes one JSON object a line:
// what recovery restored and from which checkpoint, one line per DDL
// statement, each connection at debug level, the stop; a bad
// --log-format or --log-level is refused at once.
func TestServeLogs(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, bad := range [][]string{{"--log-format", "xml"}, {"--log-level", "loud"}} {
		args := append([]string{"serve", "--state", "memory", "--data-dir", filepath.Join(dir, "x"), "--listen", "127.0.0.1:0", "--http", ""}, bad...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), bad[0]) {
			t.Errorf("%v: %v\n%s", bad, err, out)
		}
	}
	cmd := exec.Command(bin, "serve", "--state", "memory", "--data-dir", filepath.Join(dir, "d"), "--listen", "127.0.0.1:0",
		"--http", "", "--log-format", "json", "--log-level", "debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"msg": "not JSON: " + sc.Text()}
			}
			lines <- m
		}
	}()
	// next waits for the line with message msg, collecting the others.
	var seen []map[string]any
	next := func(msg string) map[string]any {
		t.Helper()
		for m := range lines {
			seen = append(seen, m)
			if m["msg"] == msg {
				return m
			}
		}
		t.Fatalf("no %q line; the server wrote %v", msg, seen)
		return nil
	}
	rec := next("recovered")
	if _, ok := rec["checkpoint"]; !ok || rec["took"] == nil {
		t.Errorf("recovered line without checkpoint and took: %v", rec)
	}
	addr := next("streamsql listening")["addr"].(string)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE t (a INT)", "CREATE MATERIALIZED VIEW v AS SELECT COUNT(*) AS n FROM t", "DROP MATERIALIZED VIEW v"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	for _, want := range [][2]string{{"CREATE TABLE", "t"}, {"CREATE MATERIALIZED VIEW", "v"}, {"DROP MATERIALIZED VIEW", "v"}} {
		m := next("ddl")
		if m["statement"] != want[0] || m["name"] != want[1] || m["took"] == nil {
			t.Errorf("ddl line %v, want statement %q name %q", m, want[0], want[1])
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	next("streamsql stopped")
	connected := false
	for _, m := range seen {
		connected = connected || m["msg"] == "connection" && m["level"] == "DEBUG"
	}
	if !connected {
		t.Errorf("no debug line for the connection: %v", seen)
	}
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
}
