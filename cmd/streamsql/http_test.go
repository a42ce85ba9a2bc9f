package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestServeHTTP: `serve --http` serves /healthz, /readyz and /metrics
// beside the wire, whose statements the metrics count; an empty --http serves
// none, and a non-loopback --http without passwords is refused at once.
func TestServeHTTP(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	out, err := exec.Command(bin, "serve", "--state", "memory", "--data-dir", filepath.Join(dir, "a"), "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "--http: wire: refusing to serve") {
		t.Errorf("--http 0.0.0.0:0 without passwords: %v\n%s", err, out)
	}

	for _, httpAddr := range []string{"127.0.0.1:0", ""} {
		cmd := exec.Command(bin, "serve", "--state", "memory", "--data-dir", filepath.Join(dir, "b"), "--listen", "127.0.0.1:0", "--http", httpAddr)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The HTTP line comes before the wire's, which ends the wait.
		sc := bufio.NewScanner(stderr)
		web, addr := "", ""
		for addr == "" && sc.Scan() {
			if m := regexp.MustCompile(`http endpoints http=(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				web = "http://" + m[1]
			}
			if m := regexp.MustCompile(`listening addr=(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				addr = m[1]
			}
		}
		go io.Copy(io.Discard, stderr)
		if addr == "" {
			t.Fatalf("--http %q: the server did not start", httpAddr)
		}
		// Once a statement ran, the server handles SIGTERM.
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"CREATE TABLE IF NOT EXISTS t (a INT)", "INSERT INTO t VALUES (1), (2), (3)"} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		conn.Close(ctx)
		if httpAddr == "" {
			if web != "" {
				t.Errorf("--http '': serves %s", web)
			}
		} else {
			for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready",
				"/metrics": `streamsql_source_rows_total{source="t"} 3`} {
				resp, err := http.Get(web + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
					t.Errorf("%s: %d, want 200 and %q in:\n%s", path, resp.StatusCode, want, body)
				}
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("--http %q: exit: %v", httpAddr, err)
		}
	}
}
