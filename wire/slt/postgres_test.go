//go:build unix

package slt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPostgres runs the runner against a real PostgreSQL server, which stands in for streamsql's own
// server: testdata/postgres/pass.slt must pass, and fail.slt must fail at exactly its "# FAIL" records.
func TestPostgres(t *testing.T) {
	pg := startPostgres(t)

	t.Run("pass", func(t *testing.T) {
		r := &Runner{Connect: pg.connector(t, "pass"), Log: testLog{t}}
		if err := r.RunFile(t.Context(), "testdata/postgres/pass.slt"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("fail", func(t *testing.T) {
		const path = "testdata/postgres/fail.slt"
		err := RunFile(t.Context(), path, pg.connector(t, "fail"))
		t.Logf("the report:\n%v", err)
		var fs Failures
		if !errors.As(err, &fs) {
			t.Fatalf("got %v, want Failures", err)
		}
		var got []int
		for _, f := range fs {
			if f.Path != path {
				t.Errorf("failure in %s, want %s", f.Path, path)
			}
			got = append(got, f.Line)
		}
		if want := failLines(t, path); !slices.Equal(got, want) {
			t.Errorf("failed lines %v, want %v", got, want)
		}
		report := err.Error()
		for _, want := range []string{
			fmt.Sprintf("%d records failed:", len(fs)),
			"expected: ok\n  actual:   error: syntax error at or near \"SELEC\" (SQLSTATE 42601)",
			"expected: error matching SQLSTATE 42703",
			"statement affected 2 rows, expected 5",
			"  1 one\n  - 2 deux\n  + 2 two\n    3 NULL",
			"expected 2 rows, got 3 (rowsort; - expected, + actual)",
			`query returned 2 columns, but its types "I" declare 1`,
			"columns: a, b",
			"actual:   error: division by zero (SQLSTATE 22012)",
			"- (empty)\n  + NULL",
			"no file matches testdata/postgres/no-such-dir/*.slt",
		} {
			if !strings.Contains(report, want) {
				t.Errorf("the report does not contain %q", want)
			}
		}
	})

	// A record that runs out of time fails alone: the next record reconnects.
	t.Run("timeout", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "timeout.slt")
		text := "statement ok\nSELECT pg_sleep(30)\n\nquery I\nSELECT 1\n----\n1\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		r := &Runner{Connect: pg.connector(t, "timeout"), Timeout: 300 * time.Millisecond}
		start := time.Now()
		err := r.RunFile(t.Context(), path)
		t.Logf("after %v: %v", time.Since(start), err)
		var fs Failures
		if !errors.As(err, &fs) || len(fs) != 1 || fs[0].Line != 1 || !strings.Contains(fs[0].Detail, "timeout") {
			t.Fatalf("got %v, want a timeout at line 1 only", err)
		}
	})

	// Rewriting a copy of fail.slt makes every record pass on a fresh database, except the include,
	// which no answer of the server can fix.
	t.Run("rewrite", func(t *testing.T) {
		data, err := os.ReadFile("testdata/postgres/fail.slt")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "fail.slt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(r *Runner) {
			t.Helper()
			lines := failLines(t, path) // the include is the last; a rewrite moves it
			includeLine := lines[len(lines)-1]
			err := r.RunFile(t.Context(), path)
			var fs Failures
			if !errors.As(err, &fs) || len(fs) != 1 || fs[0].Line != includeLine {
				t.Fatalf("got %v, want only the include at line %d to fail", err, includeLine)
			}
		}
		run(&Runner{Connect: pg.connector(t, "rewrite1"), Rewrite: true, Log: testLog{t}})
		rewritten, _ := os.ReadFile(path)
		t.Logf("the rewritten file:\n%s", rewritten)
		run(&Runner{Connect: pg.connector(t, "rewrite2")})
		for _, want := range []string{
			"statement error syntax error at or near \"SELEC\"\nSELEC 1\n",
			"statement error SQLSTATE 42P01\nSELECT * FROM missing\n",
			"statement ok\nSELECT 1\n",
			"statement count 2\n",
			"query IT\nSELECT a, b FROM t ORDER BY a\n----\n1 one\n2 two\n3 NULL\n",
			"query IT\nSELECT a, b FROM t WHERE a = 1\n----\n1 one\n",
			"query I valuesort\nSELECT a FROM t\n----\n1\n2\n3\n",
			"statement error\nSELECT * FROM missing\n----\nrelation \"missing\" does not exist (SQLSTATE 42P01)\n",
		} {
			if !strings.Contains(string(rewritten), want) {
				t.Errorf("the rewritten file does not contain %q", want)
			}
		}
	})
}

// failLines returns the lines of the records in path that follow a "# FAIL" comment.
func failLines(t *testing.T, path string) []int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for i, l := range splitLines(string(data)) {
		if strings.HasPrefix(l, "# FAIL") {
			lines = append(lines, i+2)
		}
	}
	return lines
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// postgres is a PostgreSQL server a test started, with trust authentication for the user slt.
type postgres struct {
	port int
}

func (pg *postgres) url(db string) string {
	return fmt.Sprintf("postgres://slt@127.0.0.1:%d/%s?sslmode=disable", pg.port, db)
}

// connector creates the database db and returns a Connector to it.
func (pg *postgres) connector(t *testing.T, db string) Connector {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, pg.url(db)) }
}

// startPostgres initializes a cluster in a temporary directory and starts PostgreSQL on a free port of
// 127.0.0.1, as the postgres user when the test runs as root. It skips the test when PostgreSQL is not
// installed or cannot be run, and stops the server when the test ends.
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	bin := postgresBin()
	if bin == "" {
		t.Skip("PostgreSQL is not installed (apt-get install postgresql)")
	}

	var attr *syscall.SysProcAttr
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}

	// Not t.TempDir: its parent is private to the user running the test, which the server may not be.
	dir, err := os.MkdirTemp("", "slt-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")

	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "slt", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Dir, initdb.SysProcAttr = dir, attr
	if out, err := initdb.CombinedOutput(); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("cannot run initdb as the postgres user: %v", err)
		}
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	server := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-h", "127.0.0.1",
		"-p", strconv.Itoa(port), "-c", "fsync=off", "-c", "full_page_writes=off")
	server.Dir, server.SysProcAttr = dir, attr
	logs, err := server.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	// The server's log is kept to explain its exit; the goroutine ends when the server closes stderr.
	logged := make(chan struct{})
	var logTail []string
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			logTail = append(logTail, sc.Text())
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-logged
		exited <- server.Wait()
	}()
	t.Cleanup(func() {
		_ = server.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("postgres did not stop; killing it")
			_ = server.Process.Kill()
			<-exited
		}
	})

	pg := &postgres{port: port}
	deadline := time.Now().Add(60 * time.Second)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		conn, err := pgx.Connect(ctx, pg.url("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return pg
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not accept connections within a minute: %v", err)
		}
		select {
		case err := <-exited:
			<-logged
			t.Fatalf("postgres exited: %v\n%s", err, strings.Join(logTail, "\n"))
		case <-time.After(min(time.Duration(attempt+1)*10*time.Millisecond, 200*time.Millisecond)):
		}
	}
}

// postgresBin returns the bin directory of the newest PostgreSQL installed the Debian way, or "".
func postgresBin() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVersion := "", -1
	for _, m := range matches {
		bin := filepath.Dir(m)
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
		if err != nil {
			v = 0
		}
		if _, err := os.Stat(filepath.Join(bin, "postgres")); err == nil && v > bestVersion {
			best, bestVersion = bin, v
		}
	}
	return best
}
