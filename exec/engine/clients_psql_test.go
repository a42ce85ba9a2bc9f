package engine_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// psqlCmd builds a psql command against addr with a clean environment.
func psqlCmd(t *testing.T, addr string, args ...string) *exec.Cmd {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql not found: apt-get install postgresql-client")
	}
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(psql, append([]string{"-h", host, "-p", port, "-U", "streamsql", "-X", "-q"}, args...)...)
	cmd.Env = []string{"PGCLIENTENCODING=UTF8", "PGCONNECT_TIMEOUT=5", "HOME=" + t.TempDir(), "LC_ALL=C.UTF-8"}
	return cmd
}

// TestPsqlScript runs a psql script with \timing, a psql variable as the
// query's parameter, and ON_ERROR_STOP: psql exits with 3 at the first
// error, after printing it with its caret, and runs nothing after it.
func TestPsqlScript(t *testing.T) {
	addr := startServer(t)
	script := filepath.Join(t.TempDir(), "script.sql")
	os.WriteFile(script, []byte(`\timing on
CREATE TABLE bids (auction BIGINT, price INT, ts TIMESTAMP, WATERMARK FOR ts AS ts);
INSERT INTO bids VALUES (1001, 5, '2026-11-25 12:00:00'), (1002, 7, '2026-11-25 12:00:01'), (1001, 9, '2026-11-25 12:00:02');
\set auction 1001
SELECT auction, SUM(price) AS total FROM bids WHERE auction = :auction GROUP BY auction;
\timing off
SELECT auction, price FROM bids WHERE price >
  8 ORDER BY auction FRM bids;
SELECT 'not reached';
`), 0o644)
	cmd := psqlCmd(t, addr, "-v", "ON_ERROR_STOP=1", "-A", "-f", script)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 3 {
		t.Fatalf("psql exit: %v\n%s\n%s", err, out.String(), errb.String())
	}
	timing := regexp.MustCompile(`(?m)^Time: \d+\.\d{3} ms$`)
	if n := len(timing.FindAllString(out.String(), -1)); n != 3 {
		t.Errorf("%d timing lines, want 3 (CREATE, INSERT, SELECT):\n%s", n, out.String())
	}
	got := timing.ReplaceAllString(out.String(), "Time: X ms")
	want := "Time: X ms\nTime: X ms\nauction|total\n1001|14\n(1 row)\nTime: X ms\n"
	if got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	// The error names the script's line and puts the caret under FRM on
	// the statement's second line.
	wantErr := `psql:` + script + `:8: ERROR:  syntax error at or near "FRM"
LINE 2:   8 ORDER BY auction FRM bids;
                             ^
`
	if errb.String() != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errb.String(), wantErr)
	}
}

// TestPsqlCopyQuery copies a query of several columns out with psql, as
// the README shows.
func TestPsqlCopyQuery(t *testing.T) {
	addr := startServer(t)
	conn := connectMode(t, addr, false)
	mustExec(t, conn, "CREATE TABLE t (a INT, b VARCHAR)")
	mustExec(t, conn, "INSERT INTO t VALUES (2, 'y'), (1, NULL), (3, 'z')")
	out, err := psqlCmd(t, addr, "-c", "COPY (SELECT a, b, a * 10 AS c FROM t WHERE a < 3 ORDER BY a) TO STDOUT").CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if want := "1\t\\N\t10\n2\ty\t20\n"; string(out) != want {
		t.Errorf("COPY wrote %q, want %q", out, want)
	}
}

// TestPsqlCopyFile loads a CSV file with psql's \copy and writes the
// table back to a file, as the README shows; a bad line is reported with
// its number and loads nothing.
func TestPsqlCopyFile(t *testing.T) {
	addr := startServer(t)
	conn := connectMode(t, addr, false)
	mustExec(t, conn, "CREATE TABLE p (id INT, name VARCHAR, price DECIMAL(10,2))")
	dir := t.TempDir()
	in, out, bad := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv"), filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(in, []byte("id,name,price\n1,apple,1.50\n2,\"b, \"\"x\"\"\",2\n3,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("4,d,1\n5,e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := psqlCmd(t, addr, "-c", `\copy p FROM '`+in+`' CSV HEADER`, "-c", `\copy (SELECT * FROM p ORDER BY id) TO '`+out+`' CSV HEADER`).CombinedOutput()
	if err != nil || len(got) > 0 { // -q: no tags
		t.Fatalf("psql: %v\n%q", err, got)
	}
	if b, _ := os.ReadFile(out); string(b) != "id,name,price\n1,apple,1.50\n2,\"b, \"\"x\"\"\",2.00\n3,,\n" {
		t.Errorf("out.csv = %q", b)
	}
	got, _ = psqlCmd(t, addr, "-c", `\copy p FROM '`+bad+`' CSV`).CombinedOutput()
	if want := "ERROR:  missing data for column \"price\"\nCONTEXT:  COPY p, line 2\n"; string(got) != want {
		t.Errorf("bad line: %q, want %q", got, want)
	}
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM p").Scan(&n); err != nil || n != 3 {
		t.Errorf("%d rows after the failed copy (%v), want 3", n, err)
	}
}

// TestPsqlImplicitTransaction declares a cursor in a query of several
// statements (psql's \;), which PostgreSQL runs as one implicit
// transaction: the cursor works within it and is gone after it; outside a
// transaction block DECLARE is 25P01.
func TestPsqlImplicitTransaction(t *testing.T) {
	addr := startServer(t)
	script := filepath.Join(t.TempDir(), "script.sql")
	os.WriteFile(script, []byte(`DECLARE c CURSOR FOR SELECT 1 AS x \; FETCH ALL c;
FETCH ALL c;
DECLARE d CURSOR FOR SELECT 2 AS y;
`), 0o644)
	var out, errb bytes.Buffer
	cmd := psqlCmd(t, addr, "-A", "-f", script)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql: %v\n%s", err, errb.String())
	}
	if want := "x\n1\n(1 row)\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	for _, want := range []string{`2: ERROR:  cursor "c" does not exist`, `3: ERROR:  DECLARE CURSOR can only be used in transaction blocks`} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr %q lacks %q", errb.String(), want)
		}
	}
}

// TestPsqlCopySubscribe watches a view with psql: COPY (SUBSCRIBE ...) TO
// STDOUT prints each change as a line as it happens. Ctrl-C (SIGINT) makes
// psql send a CancelRequest; the subscription ends with 57014 and releases
// everything.
func TestPsqlCopySubscribe(t *testing.T) {
	addr, eng := startEngine(t)
	conn := connectMode(t, addr, false)
	mustExec(t, conn, "CREATE TABLE ev (k VARCHAR, v INT)")
	mustExec(t, conn, "CREATE MATERIALIZED VIEW sums AS SELECT k, SUM(v) AS total FROM ev GROUP BY k")
	mustExec(t, conn, "INSERT INTO ev VALUES ('a', 1), ('b', 2)")
	var err error

	// psql writes COPY data with stdio: on a terminal each line shows as
	// it comes; into a pipe stdio would hold it, so make stdout line
	// buffered as a terminal's is.
	cmd := psqlCmd(t, addr, "-c", "COPY (SUBSCRIBE sums) TO STDOUT")
	cmd.Args = append([]string{"stdbuf", "-oL"}, cmd.Args...)
	if cmd.Path, err = exec.LookPath("stdbuf"); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Lines carry mz_timestamp (wall-clock ms), mz_diff, then the row.
	row := regexp.MustCompile(`^\d{13}\t(.*)$`)
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("psql ended: %s", errb.String())
			}
			m := row.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("line %q", l)
			}
			return m[1]
		case <-time.After(10 * time.Second):
			t.Fatal("no line from psql")
		}
		return ""
	}
	snap := []string{next(), next()}
	if strings.Join(sortedCopy(snap), "|") != "1\ta\t1|1\tb\t2" {
		t.Errorf("snapshot %q", snap)
	}
	mustExec(t, conn, "INSERT INTO ev VALUES ('a', 10), ('c', 3)")
	changes := sortedCopy([]string{next(), next(), next()})
	if strings.Join(changes, "|") != "-1\ta\t1|1\ta\t11|1\tc\t3" {
		t.Errorf("changes %q", changes)
	}
	cmd.Process.Signal(syscall.SIGINT)
	for range lines {
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(errb.String(), "canceling statement due to user request") {
		t.Errorf("after Ctrl-C: %v, stderr %q", err, errb.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for eng.Subscriptions() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := eng.Subscriptions(); n != 0 {
		t.Errorf("%d subscriptions left after psql left", n)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
