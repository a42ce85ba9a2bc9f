package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamsql/streamsql/exec/engine"
)

// fileRows writes rows k = from..to-1 (v = 10k) to dir/name in format,
// with a bad row and a blank line among them when bad.
func fileRows(t *testing.T, dir, name, format string, from, to int, bad bool, appendTo bool) {
	t.Helper()
	var b strings.Builder
	for k := from; k < to; k++ {
		if format == "json" {
			fmt.Fprintf(&b, "{\"k\": %d, \"v\": %d}\n", k, 10*k)
		} else {
			fmt.Fprintf(&b, "%d,%d\n", k, 10*k)
		}
		if bad && k == from {
			if format == "json" {
				b.WriteString("{\"k\": \"nope\"}\n\n")
			} else {
				b.WriteString("nope,1\n\n")
			}
		}
	}
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(filepath.Join(dir, name), flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFileSource reads files of JSON and CSV lines: those present at
// CREATE, lines appended and files that appear later, across restarts on
// both backends, every row exactly once and bad rows counted.
func TestFileSource(t *testing.T) {
	for _, backend := range []string{"memory", "pebble"} {
		for _, format := range []string{"json", "csv"} {
			t.Run(backend+"/"+format, func(t *testing.T) {
				t.Parallel()
				testFileSource(t, backend, format)
			})
		}
	}
}

func testFileSource(t *testing.T, backend, format string) {
	stateDir, dataDir := t.TempDir(), t.TempDir()
	in := filepath.Join(dataDir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	ext := "." + format + "l"
	if format == "csv" {
		ext = ".csv"
	}
	fileRows(t, in, "a"+ext, format, 0, 50, true, false)
	fileRows(t, in, "b"+ext, format, 50, 80, false, false)
	fileRows(t, in, "other.txt", format, 1000, 1010, false, false) // not matched
	open := func() (*engine.Engine, func()) {
		return openDurable(t, openBackend(t, backend, stateDir), dataDir, engine.Options{})
	}
	// check expects keys 0..n-1 each once and bad rows counted.
	check := func(conn interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}, q func(string) [][]string, n, bad int) {
		t.Helper()
		if _, err := conn.Exec(context.Background(), "FLUSH"); err != nil {
			t.Fatal(err)
		}
		got := q("SELECT COUNT(*), COUNT(DISTINCT k), SUM(v), MIN(k), MAX(k) FROM s_all")
		want := fmt.Sprintf("[[%d %d %d 0 %d]]", n, n, 10*n*(n-1)/2, n-1)
		if fmt.Sprint(got) != want {
			t.Fatalf("rows (count, distinct, sum, min, max): got %v, want %v", got, want)
		}
		for _, r := range q("SHOW SOURCES") {
			if r[0] == "s" && (r[2] != fmt.Sprint(n) || r[8] != fmt.Sprint(bad) || !strings.HasPrefix(r[10], "running")) {
				t.Fatalf("SHOW SOURCES (rows, bad_rows, status): %v %v %v, want %d %d running", r[2], r[8], r[10], n, bad)
			}
		}
	}
	eng, stop := open()
	conn := connect(t, serveEngine(t, eng))
	q := func(sql string) [][]string { return oracleQuery(t, conn, sql) }
	oracleExec(t, conn, fmt.Sprintf("CREATE SOURCE s (k BIGINT, v BIGINT) WITH (connector = 'file', path = 'in/*%s', format = '%s', poll_interval = '1h')", ext, format))
	oracleExec(t, conn, "CREATE MATERIALIZED VIEW s_all AS SELECT k, v FROM s")
	check(conn, q, 80, 1)
	// A line appended, a partial line, a new file.
	fileRows(t, in, "b"+ext, format, 80, 90, false, true)
	fileRows(t, in, "c"+ext, format, 90, 100, true, false)
	check(conn, q, 100, 2)
	if err := os.WriteFile(filepath.Join(in, "d"+ext), []byte(rowLine(format, 100)+rowLine(format, 101)[:3]), 0o644); err != nil {
		t.Fatal(err)
	}
	check(conn, q, 101, 2)
	stop()

	// Written while the server is down: the rest of d's line, a new file.
	f, err := os.OpenFile(filepath.Join(in, "d"+ext), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(rowLine(format, 101)[3:] + rowLine(format, 102))
	f.Close()
	fileRows(t, in, "e"+ext, format, 103, 120, false, false)
	eng, stop = open()
	defer stop()
	conn = connect(t, serveEngine(t, eng))
	q = func(sql string) [][]string { return oracleQuery(t, conn, sql) }
	check(conn, q, 120, 2)
	// A file sorting before the one read is skipped, and said so.
	fileRows(t, in, "0early"+ext, format, 500, 510, false, false)
	fileRows(t, in, "f"+ext, format, 120, 130, false, false)
	check(conn, q, 130, 2)
	for _, r := range q("SHOW SOURCES") {
		if r[0] == "s" && !strings.Contains(r[10], "skipped 1 file") {
			t.Errorf("SHOW SOURCES status %q does not name the skipped file", r[10])
		}
	}
}

func rowLine(format string, k int) string {
	if format == "json" {
		return fmt.Sprintf("{\"k\": %d, \"v\": %d}\n", k, 10*k)
	}
	return fmt.Sprintf("%d,%d\n", k, 10*k)
}

// TestFileSourcePaths refuses paths outside the data directory and the
// --file-dir ones, naming the flag.
func TestFileSourcePaths(t *testing.T) {
	dataDir, extra, outside := t.TempDir(), t.TempDir(), t.TempDir()
	eng, stop := openDurable(t, openBackend(t, "memory", t.TempDir()), dataDir, engine.Options{FileDirs: []string{extra}})
	defer stop()
	conn := connect(t, serveEngine(t, eng))
	for _, p := range []string{"../*.json", "in/../../x/*.json", filepath.Join(outside, "*.json"), "/etc/*.json"} {
		_, err := conn.Exec(context.Background(), fmt.Sprintf("CREATE SOURCE bad (k BIGINT) WITH (connector = 'file', path = '%s', format = 'json')", p))
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22023" || !strings.Contains(pe.Message, "--file-dir") {
			t.Errorf("path %q: got %v, want a 22023 error naming --file-dir", p, err)
		}
	}
	oracleExec(t, conn, fmt.Sprintf("CREATE SOURCE ok1 (k BIGINT) WITH (connector = 'file', path = '%s', format = 'json')", filepath.Join(extra, "*.json")))
	oracleExec(t, conn, fmt.Sprintf("CREATE SOURCE ok2 (k BIGINT) WITH (connector = 'file', path = '%s', format = 'csv')", filepath.Join(dataDir, "*.csv")))
	for sql, want := range map[string]string{
		"CREATE SOURCE e1 (k BIGINT) WITH (connector = 'file', path = 'x/*.json')":                         "format",
		"CREATE SOURCE e2 (k BIGINT) WITH (connector = 'file', path = '*/x.json', format = 'json')":        "pattern",
		"CREATE SOURCE e3 (k BIGINT) WITH (connector = 'file', path = 'x.json', format = 'json', a = 'b')": "unknown file source option",
		"CREATE SOURCE e4 (k BIGINT) WITH (connector = 'file', path = 'nodir/x.json', format = 'json')":    "nodir",
	} {
		_, err := conn.Exec(context.Background(), sql)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", sql, err, want)
		}
	}
}
