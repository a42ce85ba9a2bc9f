package engine_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pgJDBCJar is where Debian's libpostgresql-jdbc-java puts the driver.
const pgJDBCJar = "/usr/share/java/postgresql.jar"

// needTool returns the path of an outside client a test runs. CI installs
// every one (.ci/run), so there a missing tool fails the test; elsewhere
// the test is skipped.
func needTool(t *testing.T, path, install string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI installs it (%s): %v", path, install, err)
		}
		t.Skipf("%s is missing (%s)", path, install)
	}
	return p
}

// runClient runs a client program with a deadline and returns what it
// printed on stdout; it fails the test when the program fails.
func runClient(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("%s stderr:\n%s", filepath.Base(name), stderr.String())
	}
	return stdout.String()
}

// diffLines fails the test when got is not want, showing both and the
// first line where they part.
func diffLines(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	first := func(l []string) string {
		if i < len(l) {
			return l[i]
		}
		return "(end)"
	}
	t.Errorf("output differs at line %d:\n got: %s\nwant: %s\n\nfull output:\n%s\nwant:\n%s", i+1, first(g), first(w), got, want)
}

// wantJdbc is what StreamsqlJdbc prints.
const wantJdbc = `create table: result set false, update count 0
create view: result set false, update count 0
inserted 21
query with parameters:
  1001 7 17.07 false bid 'quoted' 7 1.75 2026-11-25 12:00:07.0
  1001 13 23.13 false bid 'quoted' 13 3.25 2026-11-25 12:00:13.0
  1001 19 29.19 false bid 'quoted' 19 4.75 2026-11-25 12:00:19.0
server prepared: before false, after true
nulls: 0 true null null null null
view: n=4 top=19.09
fetch size 3: 8 rows
  1000 0 10.00 true bid 'quoted' 0 0.0 2026-11-25 12:00:00.0
  1001 1 11.01 false bid 'quoted' 1 0.25 2026-11-25 12:00:01.0
  1002 2 12.02 true bid 'quoted' 2 0.5 2026-11-25 12:00:02.0
  1000 3 13.03 false bid 'quoted' 3 0.75 2026-11-25 12:00:03.0
  1001 4 14.04 true bid 'quoted' 4 1.0 2026-11-25 12:00:04.0
  1002 5 15.05 false bid 'quoted' 5 1.25 2026-11-25 12:00:05.0
  1000 6 16.06 true bid 'quoted' 6 1.5 2026-11-25 12:00:06.0
  1001 7 17.07 false bid 'quoted' 7 1.75 2026-11-25 12:00:07.0
columns: mz_timestamp int8 mz_diff int8 auction int8 w timestamp n int8 top numeric
snapshot: 7 rows
  +1 1000 2026-11-25 12:00:00.0 n=4 top=19.09
  +1 1000 2026-11-25 12:00:10.0 n=3 top=28.18
  +1 1001 2026-11-25 12:00:00.0 n=3 top=17.07
  +1 1001 2026-11-25 12:00:10.0 n=4 top=29.19
  +1 1002 2026-11-25 12:00:00.0 n=3 top=18.08
  +1 1002 2026-11-25 12:00:10.0 n=3 top=27.17
  +1 1003 2026-11-25 12:00:10.0 n=1 top=null
insert on other connection: 1
changes: 2 rows
  -1 1000 2026-11-25 12:00:10.0 n=3 top=28.18
  +1 1000 2026-11-25 12:00:10.0 n=4 top=99.50
after timeout: 0 rows
mz_timestamp non-decreasing: true
SELEC 1: SQLSTATE 42601
SELECT * FROM nope: SQLSTATE 42P01
after errors: count 8
done
`

// TestJdbcClient runs StreamsqlJdbc, a Java program on Debian's PostgreSQL
// JDBC driver, against a server: DDL, INSERTs of every type and a query
// with parameters through PreparedStatement (past prepareThreshold, so on
// a named server-side statement with binary results), a read with a fetch
// size (row limits, PortalSuspended), a continuous query through DECLARE
// ... CURSOR FOR SUBSCRIBE and FETCH in a transaction, and errors.
func TestJdbcClient(t *testing.T) {
	javac := needTool(t, "javac", "apt-get install default-jdk-headless")
	java := needTool(t, "java", "apt-get install default-jdk-headless")
	if _, err := os.Stat(pgJDBCJar); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the PostgreSQL JDBC driver is missing; CI installs it (apt-get install libpostgresql-jdbc-java): %v", err)
		}
		t.Skipf("the PostgreSQL JDBC driver is missing (apt-get install libpostgresql-jdbc-java): %v", err)
	}
	dir := t.TempDir()
	runClient(t, 60*time.Second, javac, "-nowarn", "-d", dir, "-cp", pgJDBCJar, filepath.Join("testdata", "clients", "StreamsqlJdbc.java"))

	addr := startServer(t)
	url := "jdbc:postgresql://" + addr + "/streamsql?user=streamsql&sslmode=disable"
	got := runClient(t, 60*time.Second, java, "-Duser.timezone=UTC", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
		"-cp", dir+string(os.PathListSeparator)+pgJDBCJar, "StreamsqlJdbc", url)
	diffLines(t, got, wantJdbc)
}
