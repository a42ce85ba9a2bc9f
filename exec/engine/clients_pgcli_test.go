package engine_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPgcliClient runs Debian's pgcli under tmux: \d and \d name print
// what the catalog holds, nothing pgcli runs is logged as an error
// (pgcli logs every failed statement), and its completion refresher,
// which reads the catalogs in a thread of its own at connect, completes
// table names. The refresher swaps its new completions in only after all
// its queries succeeded, and a query that fails ends the thread with a
// traceback on stderr.
func TestPgcliClient(t *testing.T) {
	pgcli := needTool(t, "pgcli", "apt-get install pgcli")
	addr := startServer(t)
	if out, err := psqlCmd(t, addr, "-v", "ON_ERROR_STOP=1",
		"-c", "CREATE TABLE clicks (a INT NOT NULL, url VARCHAR(20))",
		"-c", "CREATE VIEW clicks_v AS SELECT a FROM clicks",
		"-c", "CREATE MATERIALIZED VIEW clicks_n AS SELECT a, COUNT(*) AS n FROM clicks GROUP BY a",
		"-c", "CREATE FUNCTION clicks_fn(x int, y text) RETURNS int LANGUAGE sql RETURN x + 1").CombinedOutput(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	dir := t.TempDir()
	logFile, stderr := filepath.Join(dir, "log"), filepath.Join(dir, "stderr")
	rc := filepath.Join(dir, "pgclirc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("[main]\nlog_file = %s\nlog_level = INFO\nhistory_file = %s\n", logFile, filepath.Join(dir, "history"))), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(pgcli, "--pgclirc", rc, "--less-chatty", "-h", host, "-p", port, "-U", "streamsql", "-w", "streamsql")
	cmd.Env = []string{"HOME=" + dir, "LC_ALL=C.UTF-8", "TERM=screen", "PGCONNECT_TIMEOUT=5"}
	tm := startTmux(t, cmd, stderr)
	tm.waitFor(t, "streamsql@")

	tm.send(t, `\d`, "Enter")
	tm.waitFor(t, "SELECT 3")
	tm.send(t, `\d clicks`, "Enter")
	screen := tm.waitFor(t, "| url ")
	got := screen[strings.Index(screen, `> \d`):]
	for _, want := range []string{
		"| public | clicks   | table             | streamsql |",
		"| public | clicks_n | materialized view | streamsql |",
		"| public | clicks_v | view              | streamsql |",
		"| a      | integer               |  not null |",
		"| url    | character varying(20) |           |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("pgcli does not show %q:\n%s", want, got)
		}
	}
	if log, err := os.ReadFile(logFile); err != nil {
		t.Error(err)
	} else if errs := regexp.MustCompile(`(?m)^.* ERROR - .*$`).FindAllString(string(log), -1); len(errs) > 0 {
		t.Errorf("pgcli logged errors:\n%s", strings.Join(errs, "\n"))
	}

	// Completion: the refresher's completions, or its traceback.
	tm.send(t, "SELECT * FROM clicks_", "Tab")
	var trace []byte
	tm.waitUntil(t, "completions of clicks_ (or a traceback on pgcli's stderr)", func(screen string) bool {
		trace, _ = os.ReadFile(stderr)
		return exceptionLine.Match(trace) || strings.Contains(screen, "clicks_n") && strings.Contains(screen, "clicks_v")
	})
	if len(trace) > 0 {
		t.Fatalf("pgcli's completion refresh failed:\n%s", trace)
	}
	// Functions: pgcli's query casts their argument types to regtype[],
	// whose names the completion shows.
	// (The prompt may be redrawn over: wait for the text alone.)
	tm.send(t, "C-u", "SELECT clicks_f")
	tm.waitFor(t, "SELECT clicks_f")
	tm.send(t, "Tab")
	tm.waitFor(t, "clicks_fn")
}

// exceptionLine is a traceback's last line, the exception's, once Python
// has written it.
var exceptionLine = regexp.MustCompile(`(?m)^[A-Za-z_][\w.]*: `)
