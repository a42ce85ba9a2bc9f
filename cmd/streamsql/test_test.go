package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
)

// sltScratch is a file that creates one of each kind of relation, with
// the same names in every copy, so a second run collides unless the
// first one's were dropped.
const sltScratch = `statement ok
CREATE TABLE t (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (late_rows = 'keep')

statement ok
CREATE SOURCE gen (id BIGINT) WITH (connector = 'datagen', rows_per_second = 0, max_rows = 10, fields.id.kind = 'sequence')

statement ok
CREATE MATERIALIZED VIEW mv AS SELECT k, COUNT(*) AS n FROM t GROUP BY k

statement ok
CREATE MATERIALIZED VIEW mv2 AS SELECT SUM(n) AS n FROM mv

statement ok
CREATE VIEW v AS SELECT * FROM mv2

statement ok
CREATE MATERIALIZED VIEW g AS SELECT COUNT(*) AS n FROM gen

statement ok
INSERT INTO t VALUES (1, '2024-01-01 00:00:00')

query I
SELECT n FROM v
----
1
`

// TestTestAddr: `streamsql test --addr` refuses a server that already
// holds relations unless --allow-nonempty, and drops what each file
// created when it ends, leaving the user's own relations alone.
func TestTestAddr(t *testing.T) {
	backend, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	eng := engine.New(backend)
	defer eng.Close()
	srv := wire.NewServer(eng, wire.Config{Addr: "127.0.0.1:0", Logger: discard})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	ctx := context.Background()

	dir := t.TempDir()
	for _, name := range []string{"a.slt", "b.slt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(sltScratch), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := test(append(args, dir), &out)
		return out.String(), err
	}
	names := func() []string {
		t.Helper()
		objs, err := serverObjects(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, o := range objs {
			n = append(n, o.name)
		}
		return n
	}

	// On an empty server both files pass: the second does not collide
	// with the first's relations, which are gone at the end.
	if out, err := run("--addr", addr); err != nil {
		t.Fatalf("empty server: %v\n%s", err, out)
	}
	if n := names(); len(n) != 0 {
		t.Errorf("left behind on an empty server: %v", n)
	}

	conn, err := pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE mine (x INT)"); err != nil {
		t.Fatal(err)
	}
	out, err := run("--addr", addr)
	if err == nil || !strings.Contains(err.Error(), "already holds 1 relation (table mine)") || !strings.Contains(err.Error(), "--allow-nonempty") || out != "" {
		t.Errorf("non-empty server: %v\n%s", err, out)
	}
	if out, err := run("--addr", addr, "--allow-nonempty"); err != nil {
		t.Fatalf("--allow-nonempty: %v\n%s", err, out)
	}
	if n := names(); strings.Join(n, ",") != "mine" {
		t.Errorf("after --allow-nonempty the server holds %v, want only mine", n)
	}
}
