package wire

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// runPsql runs the real psql against s and returns its stdout, stderr
// and exit code. The test is skipped when psql is not installed.
func runPsql(t *testing.T, s *Server, sql string) (stdout, stderr string, code int) {
	t.Helper()
	const psql = "/usr/bin/psql"
	if _, err := os.Stat(psql); err != nil {
		t.Skipf("psql not installed: %v", err)
	}
	host, port, err := net.SplitHostPort(s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "-h", host, "-p", port, "-U", "streamsql", "-X", "-A", "-t", "-c", sql)
	// A clean environment: no PG* variables of the machine running the
	// test, a UTF-8 client so psql measures the caret in characters.
	cmd.Env = []string{"PGCLIENTENCODING=UTF8", "PGCONNECT_TIMEOUT=5", "HOME=" + t.TempDir(), "LC_ALL=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("psql: %v", err)
	}
	return out.String(), errb.String(), code
}

func TestPsql(t *testing.T) {
	s, _ := startServer(t, Config{})

	out, errs, code := runPsql(t, s, "types")
	want := "t|42|-9000000000|1.5|123.45|héllo||2024-01-02 03:04:05.123|00:01:30|\n|||||||||\n"
	if code != 0 || out != want || errs != "" {
		t.Errorf("types: exit %d\nstdout %q\nwant   %q\nstderr %q", code, out, want, errs)
	}

	out, errs, code = runPsql(t, s, "create; notice; count 3")
	if code != 0 || out != "CREATE TABLE\nNOTICE\n0\n1\n2\n" || !strings.Contains(errs, "NOTICE:  hello from the engine") {
		t.Errorf("multi-statement: exit %d\nstdout %q\nstderr %q", code, out, errs)
	}

	out, errs, code = runPsql(t, s, "whoami")
	if code != 0 || out != "streamsql|streamsql\n" {
		t.Errorf("whoami: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestPsqlErrorCaret(t *testing.T) {
	s, _ := startServer(t, Config{})
	sql := "SELECT 'héllo wörld ✓', bogus"
	_, errs, code := runPsql(t, s, sql)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	lines := strings.Split(strings.TrimRight(errs, "\n"), "\n")
	// psql puts the caret under the character the position names,
	// counting characters, not bytes.
	const prefix = "LINE 1: "
	caret := strings.Repeat(" ", len(prefix)+utf8.RuneCountInString(sql[:strings.Index(sql, "bogus")])) + "^"
	want := []string{
		`ERROR:  column "bogus" does not exist`,
		prefix + sql,
		caret,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", errs, strings.Join(want, "\n"))
	}
}
