package engine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPsqlDescribe runs psql's \d, \dt, \dv and \dm (with and without a
// pattern) against the engine: psql's own catalog queries, answered from
// our catalog.
func TestPsqlDescribe(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql not found: apt-get install postgresql-client")
	}
	addr := startServer(t)
	host, port, _ := strings.Cut(addr, ":")
	args := []string{"-h", host, "-p", port, "-U", "streamsql", "-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "|",
		"-c", "CREATE TABLE t1 (a INT)",
		"-c", "CREATE TABLE t2 (a INT)",
		"-c", "CREATE MATERIALIZED VIEW mv AS SELECT a, COUNT(*) AS n FROM t1 GROUP BY a",
		"-c", "CREATE VIEW v AS SELECT a FROM t2",
		"-c", "CREATE SOURCE g (a INT) WITH (connector = 'datagen')"}
	for _, c := range []string{`\d`, `\dt`, `\dv`, `\dm`, `\dt t2*`, `\dm m*`} {
		args = append(args, "-c", `\echo `+c[1:], "-c", c)
	}
	out, err := exec.Command(psql, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	want := `CREATE TABLE
CREATE TABLE
CREATE MATERIALIZED VIEW
CREATE VIEW
CREATE SOURCE
d
public|g|source|streamsql
public|mv|materialized view|streamsql
public|t1|table|streamsql
public|t2|table|streamsql
public|v|view|streamsql
dt
public|t1|table|streamsql
public|t2|table|streamsql
dv
public|v|view|streamsql
dm
public|mv|materialized view|streamsql
dt t2*
public|t2|table|streamsql
dm m*
public|mv|materialized view|streamsql
`
	if string(out) != want {
		t.Errorf("psql printed:\n%s\nwant:\n%s", out, want)
	}
}
