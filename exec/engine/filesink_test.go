package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileSinkCrash: a file sink holds every change exactly once across
// crashes. Lines written after the last checkpoint (here everything since
// CREATE SINK, flushed by FLUSH) are cut off at recovery, and the insert
// log's replay writes them again, once.
func TestFileSinkCrash(t *testing.T) {
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			e, b, s := memorySession(t, dir, "CREATE TABLE t (k INT, name TEXT);"+
				"CREATE MATERIALIZED VIEW v AS SELECT k, name FROM t WHERE k > 0;"+
				"INSERT INTO t VALUES (1, 'a,b');"+
				"CREATE SINK out FROM v WITH (connector = 'file', path = 'out/v."+format+"', format = '"+format+"')")
			if out := runSQL(s, "INSERT INTO t VALUES (2, NULL), (0, 'no'), (3, 'say \"hi\"'); FLUSH"); out != "" {
				t.Fatal(out)
			}
			want := map[string]string{
				"json": `{"k":1,"name":"a,b"}` + "\n" + `{"k":2,"name":null}` + "\n" + `{"k":3,"name":"say \"hi\""}` + "\n",
				"csv":  "1,\"a,b\"\n2,\n3,\"say \"\"hi\"\"\"\n",
			}[format]
			path := filepath.Join(dir, "out", "v."+format)
			read := func() string {
				t.Helper()
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return string(got)
			}
			if got := read(); got != want {
				t.Fatalf("sink file:\n%s\nwant:\n%s", got, want)
			}
			for i := range 2 {
				crashEngine(e)
				b.Close()
				e, b = openMemory(t, dir, nil)
				s, _ = e.NewSession("test", "test")
				if out := runSQL(s, "FLUSH"); out != "" {
					t.Fatal(out)
				}
				if got := read(); got != want {
					t.Fatalf("sink file after crash %d:\n%s\nwant:\n%s", i+1, got, want)
				}
			}
			if out := runSQL(s, "INSERT INTO t VALUES (4, 'd'); FLUSH"); out != "" {
				t.Fatal(out)
			}
			if got := read(); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 4 {
				t.Fatalf("sink file after one more row:\n%s", got)
			}
			if got := runSQL(s, "SHOW SINKS"); !strings.Contains(got, "out/v."+format) || !strings.Contains(got, "4") {
				t.Errorf("SHOW SINKS: %s", got)
			}
			crashEngine(e)
			b.Close()
		})
	}
}

// TestFileSinkRetraction: a view that retracts a row stops a sink of rows
// (its status says to use deletes = 'op'), and deletes = 'op' writes the
// changes.
func TestFileSinkRetraction(t *testing.T) {
	dir := t.TempDir()
	e, b, s := memorySession(t, dir, "CREATE TABLE t (k INT, n INT);"+
		"CREATE MATERIALIZED VIEW v AS SELECT k, SUM(n) AS s FROM t GROUP BY k;"+
		"CREATE SINK rows FROM v WITH (connector = 'file', path = 'rows.jsonl', format = 'json');"+
		"CREATE SINK ops FROM v WITH (connector = 'file', path = 'ops.jsonl', format = 'json', deletes = 'op')")
	defer func() { crashEngine(e); b.Close() }()
	if out := runSQL(s, "INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (1, 2); FLUSH"); out != "" {
		t.Fatal(out)
	}
	ops, err := os.ReadFile(filepath.Join(dir, "ops.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"op":"insert","row":{"k":1,"s":1}}` + "\n" + `{"op":"delete","row":{"k":1,"s":1}}` + "\n" + `{"op":"insert","row":{"k":1,"s":3}}` + "\n"
	if string(ops) != want {
		t.Errorf("ops.jsonl:\n%s\nwant:\n%s", ops, want)
	}
	if got := runSQL(s, "SHOW SINKS"); !strings.Contains(got, "deletes = 'op'") {
		t.Errorf("SHOW SINKS does not say the rows sink failed for a retraction:\n%s", got)
	}
	for sql, want := range map[string]string{
		"CREATE SINK e1 FROM v WITH (connector = 'file', path = '../x.jsonl', format = 'json')":           "--file-dir",
		"CREATE SINK e2 FROM v WITH (connector = 'file', path = 'x.csv', format = 'csv', deletes = 'op')": "needs format = 'json'",
		"CREATE SINK e3 FROM v WITH (connector = 'file', path = 'x.jsonl')":                               "format",
		"CREATE SINK e4 FROM v WITH (connector = 'file', path = 'x.jsonl', format = 'json', topic = 'x')": "unknown file sink option",
	} {
		if got := runSQL(s, sql); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want an error with %q", sql, got, want)
		}
	}
}
