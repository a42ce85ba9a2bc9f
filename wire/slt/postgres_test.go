//go:build unix

package slt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// TestPostgres runs the runner against a real PostgreSQL server, which stands in for streamsql's own
// server: testdata/postgres/pass.slt must pass, and fail.slt must fail at exactly its "# FAIL" records.
func TestPostgres(t *testing.T) {
	pg := pgtest.Start(t)

	t.Run("pass", func(t *testing.T) {
		r := &Runner{Connect: connector(t, pg, "pass"), Log: testLog{t}}
		if err := r.RunFile(t.Context(), "testdata/postgres/pass.slt"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("fail", func(t *testing.T) {
		const path = "testdata/postgres/fail.slt"
		err := RunFile(t.Context(), path, connector(t, pg, "fail"))
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
		r := &Runner{Connect: connector(t, pg, "timeout"), Timeout: 300 * time.Millisecond}
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
		run(&Runner{Connect: connector(t, pg, "rewrite1"), Rewrite: true, Log: testLog{t}})
		rewritten, _ := os.ReadFile(path)
		t.Logf("the rewritten file:\n%s", rewritten)
		run(&Runner{Connect: connector(t, pg, "rewrite2")})
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

// connector creates the database db and returns a Connector to it.
func connector(t *testing.T, pg *pgtest.Server, db string) Connector {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, pg.URL(db)) }
}
