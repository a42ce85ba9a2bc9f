package engine_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// psqlCatalogSetup is what TestPsqlCatalog describes: a relation of each
// kind and a SQL function.
var psqlCatalogSetup = []string{
	"CREATE TABLE t (a INT NOT NULL, b VARCHAR(20), ts TIMESTAMP(3))",
	"CREATE TABLE u (a INT)",
	"INSERT INTO t VALUES (1, 'x', '2026-01-01 00:00:00'), (2, 'y', '2026-01-01 00:00:01')",
	"CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1",
	"CREATE MATERIALIZED VIEW mv AS SELECT a, COUNT(*) AS n FROM t GROUP BY a",
	"CREATE SOURCE s (x BIGINT) WITH (connector = 'datagen', rows_per_second = '1')",
	"CREATE FUNCTION inc(a int) RETURNS int LANGUAGE sql RETURN a + 1",
}

// TestPsqlCatalog runs psql 15's describe commands against one server:
// their catalog queries, as psql sends them, over pg_catalog relations
// and functions computed from the engine's catalog. Each subtest's output
// is a golden file in testdata/psql (-update rewrites them).
func TestPsqlCatalog(t *testing.T) {
	addr := startServer(t)
	args := []string{"-v", "ON_ERROR_STOP=1"}
	for _, s := range psqlCatalogSetup {
		args = append(args, "-c", s)
	}
	if out, err := psqlCmd(t, addr, args...).CombinedOutput(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	// psql's lists: each command's output after a line naming it.
	t.Run("lists", func(t *testing.T) {
		var args []string
		for _, c := range []string{`\d`, `\d+`, `\dt`, `\dv`, `\dm`, `\dE`, `\det`, `\des`, `\di`, `\dt u*`, `\df`, `\dT`, `\l`, `\l+`, `\dn`, `\dn+`, `\du`, `\du+`, `\d v`} {
			args = append(args, "-c", `\echo == `+c[1:], "-c", c)
		}
		out, err := psqlCmd(t, addr, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("psql: %v\n%s", err, out)
		}
		golden(t, "lists.out", string(out))
	})
	// \d name and \d+ name of a table, a view, a materialized view and a
	// source, which print as PostgreSQL's would (testdata/psql/describe.out
	// is PostgreSQL 15's, without its "Access method: heap", with the
	// views' definitions as they were written, and the source as a foreign
	// table of server datagen). Their queries read set-returning
	// functions in FROM over the outer row: generate_series over a
	// publication's columns in a correlated subquery's FROM,
	// pg_options_to_table of a column's FDW options in an ARRAY(...).
	t.Run("describe", func(t *testing.T) {
		var out strings.Builder
		for _, c := range []string{`\d v`, `\d t`, `\d mv`, `\d+ t`, `\d+ v`, `\d+ mv`, `\d s`, `\d+ s`} {
			o, err := psqlCmd(t, addr, "-v", "ON_ERROR_STOP=1", "-c", c).CombinedOutput()
			if err != nil {
				t.Errorf("%s: %v\n%s", c, err, o)
			}
			fmt.Fprintf(&out, "%s\n%s", c, o)
		}
		golden(t, "describe.out", out.String())
	})
	// Settings of the startup message (libpq sends PGAPPNAME's, and
	// PGOPTIONS' -c, custom ones included) are what current_setting(),
	// SHOW and pg_settings see, as a SET's are.
	t.Run("startup settings", func(t *testing.T) {
		cmd := psqlCmd(t, addr, "-v", "ON_ERROR_STOP=1", "-A", "-t",
			"-c", "SELECT current_setting('application_name'), current_setting('TimeZone'), current_setting('my.opt'), current_setting('my.none', true) IS NULL",
			"-c", "SHOW my.opt", "-c", "SHOW timezone",
			"-c", "SELECT name, setting FROM pg_settings WHERE name IN ('application_name', 'my.opt', 'timezone') ORDER BY name",
			"-c", "SET my.opt = 'later'", "-c", "SELECT current_setting('my.opt')",
			"-c", "SELECT current_setting('my.none')")
		cmd.Env = append(cmd.Env, "PGAPPNAME=catalog test", `PGOPTIONS=-c TimeZone=Europe/Paris -c my.opt=a\ b`)
		out, _ := cmd.CombinedOutput()
		diffLines(t, string(out), `catalog test|Europe/Paris|a b|t
a b
Europe/Paris
application_name|catalog test
my.opt|a b
timezone|Europe/Paris
later
ERROR:  unrecognized configuration parameter "my.none"
LINE 1: SELECT current_setting('my.none')
                               ^
`)
	})
	// Table-name completion: psql's tab completion queries pg_class as
	// the user types, under a terminal.
	t.Run("completion", func(t *testing.T) {
		tm := startTmux(t, psqlCmd(t, addr))
		tm.waitFor(t, "streamsql=#")
		tm.send(t, "SELECT * FROM ", "Tab", "Tab")
		screen := tm.waitFor(t, "mv")
		for _, name := range []string{"t", "u", "v", "mv", "s"} {
			if !regexp.MustCompile(`(?m)(^|\s)` + name + `(\s|$)`).MatchString(screen[strings.Index(screen, "SELECT * FROM"):]) {
				t.Errorf("completion does not offer %s:\n%s", name, screen)
			}
		}
		tm.send(t, "C-u", "SELECT * FROM m", "Tab")
		tm.waitFor(t, "SELECT * FROM mv")
	})
}

var update = os.Getenv("UPDATE_GOLDEN") != ""

// golden compares got with testdata/psql/name, or writes it there when
// UPDATE_GOLDEN is set.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "psql", name)
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	diffLines(t, got, string(want))
}

// tmux is a terminal program under a tmux server of the test's own.
type tmux struct {
	tmux, sock string
}

// startTmux runs cmd in a detached tmux session, 160 columns wide, which
// the test's cleanup ends; its stderr goes to the file stderr if given.
func startTmux(t *testing.T, cmd *exec.Cmd, stderr ...string) *tmux {
	t.Helper()
	path := needTool(t, "tmux", "apt-get install tmux")
	tm := &tmux{tmux: path, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	var line []string
	for _, e := range cmd.Env {
		line = append(line, shellQuote(e))
	}
	for _, a := range cmd.Args {
		line = append(line, shellQuote(a))
	}
	for _, f := range stderr {
		line = append(line, "2>"+shellQuote(f))
	}
	if out, err := exec.Command(path, "-S", tm.sock, "-f", "/dev/null", "new-session", "-d", "-x", "160", "-y", "50",
		"env -i "+strings.Join(line, " ")).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(path, "-S", tm.sock, "kill-server").Run() })
	return tm
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// send types keys: text literally, and tmux key names (Tab, Enter, C-u).
func (tm *tmux) send(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		args := []string{"-S", tm.sock, "send-keys"}
		if k != "Tab" && k != "Enter" && !strings.HasPrefix(k, "C-") {
			args = append(args, "-l")
		}
		if out, err := exec.Command(tm.tmux, append(args, k)...).CombinedOutput(); err != nil {
			t.Fatalf("tmux send-keys %q: %v\n%s", k, err, out)
		}
	}
}

// screen is the terminal's text now.
func (tm *tmux) screen(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(tm.tmux, "-S", tm.sock, "capture-pane", "-p").CombinedOutput()
	if err != nil {
		t.Fatalf("tmux capture-pane: %v\n%s", err, out)
	}
	return string(out)
}

// waitFor polls the screen until it shows s, for at most 10 s.
func (tm *tmux) waitFor(t *testing.T, s string) string {
	t.Helper()
	return tm.waitUntil(t, s, func(screen string) bool { return strings.Contains(screen, s) })
}

// waitUntil polls the screen until done says so, for at most 10 s; what
// names what it waits for.
func (tm *tmux) waitUntil(t *testing.T, what string, done func(screen string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		screen := tm.screen(t)
		if done(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q:\n%s", what, screen)
		}
		time.Sleep(20 * time.Millisecond) // a poll's interval, not a wait for a result
	}
}
