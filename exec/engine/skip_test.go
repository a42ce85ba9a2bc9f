package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/memory"
)

// TestRestoreSkips boots a data directory whose checkpoint holds a CREATE
// TABLE this version refuses, with logged INSERTs into it: refused without
// --skip-unrestorable; with it, the table and the view reading it are
// skipped, saved in skipped.sql, and their logged rows
// kept aside, while everything else comes back, and a second restart is
// clean.
func TestRestoreSkips(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	live, image := filepath.Join(root, "live"), filepath.Join(root, "image")
	open := func(dir string, opts ...engine.Options) (*engine.Engine, func()) {
		t.Helper()
		backend, err := memory.Open(filepath.Join(dir, "state"))
		if err != nil {
			t.Fatal(err)
		}
		var o engine.Options
		if len(opts) > 0 {
			o = opts[0]
		}
		return openDurable(t, backend, dir, o)
	}
	exec := func(eng *engine.Engine, sqls ...string) {
		t.Helper()
		conn := connect(t, serveEngine(t, eng))
		for _, sql := range sqls {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
	}
	eng, stop := open(live)
	exec(eng, "CREATE TABLE t (k INT)", "CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t", "CREATE TABLE u (k INT)",
		"INSERT INTO t VALUES (1)", "INSERT INTO u VALUES (1), (2)")
	// A crash image: both INSERTs are in the insert log only.
	copyDir(t, live, image)
	stop()

	// Make t's stored CREATE one this version refuses, as an older
	// version's statement might be.
	backend, err := memory.Open(filepath.Join(image, "state"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := backend.Restore()
	if err != nil {
		t.Fatal(err)
	}
	meta := backend.Namespace(0)
	it := meta.NewIter(nil, nil)
	var key []byte
	for ok := it.First(); ok; ok = it.Next() {
		if strings.HasPrefix(string(it.Value()), "CREATE TABLE t ") {
			key = append([]byte(nil), it.Key()...)
		}
	}
	it.Close()
	if key == nil {
		t.Fatal("no stored CREATE TABLE t")
	}
	if err := meta.Put(key, []byte("CREATE TABLE t (k NOSUCHTYPE)")); err != nil {
		t.Fatal(err)
	}
	if err := backend.Checkpoint(id + 1); err != nil {
		t.Fatal(err)
	}
	backend.Close()
	logOf := func(epoch uint64) string { return filepath.Join(image, fmt.Sprintf("ins-%d.log", epoch)) }
	if err := os.Rename(logOf(id), logOf(id+1)); err != nil {
		t.Fatal(err)
	}

	// A table's rows would be lost for good: not without the flag.
	refused, err := memory.Open(filepath.Join(image, "state"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.Open(refused, engine.Options{Dir: image})
	refused.Close()
	if err == nil || !strings.Contains(err.Error(), `table "t"`) || !strings.Contains(err.Error(), "--skip-unrestorable") {
		t.Fatalf("start without --skip-unrestorable: %v, want it refused naming table t", err)
	}
	// What the start saves goes through the data directory's file
	// system, as the insert log does: one that refuses it fails the start.
	failing := faultfs.New(durable.OS)
	failing.Fail(1, -1)
	refused, err = memory.Open(filepath.Join(image, "state"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.Open(refused, engine.Options{Dir: image, SkipUnrestorable: true, FS: failing})
	refused.Close()
	if err == nil || !strings.Contains(err.Error(), "saving skipped statements") {
		t.Fatalf("start with --skip-unrestorable on a disk that fails: %v, want saving the skipped statements to fail", err)
	}
	eng, stop = open(image, engine.Options{SkipUnrestorable: true})
	conn := connect(t, serveEngine(t, eng))
	if got := queryValues(t, conn, "SELECT k FROM u ORDER BY k"); len(got) != 2 {
		t.Errorf("u = %v, want its 2 logged rows", got)
	}
	for _, name := range []string{"t", "v"} {
		_, err := conn.Exec(ctx, "SELECT * FROM "+name)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P01" {
			t.Errorf("SELECT * FROM %s after it was skipped: %v, want 42P01", name, err)
		}
	}
	saved, err := os.ReadFile(filepath.Join(image, engine.SkippedFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE TABLE t (k NOSUCHTYPE);", "CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t;"} {
		if !strings.Contains(string(saved), want) {
			t.Errorf("%s lacks %q:\n%s", engine.SkippedFile, want, saved)
		}
	}
	if _, err := os.Stat(filepath.Join(image, fmt.Sprintf("skipped-ins-%d.log", id+1))); err != nil {
		t.Errorf("the log of the skipped INSERT was not kept: %v", err)
	}
	exec(eng, "CREATE TABLE t (k INT)", "INSERT INTO t VALUES (3)")
	stop()

	eng, stop = open(image)
	defer stop()
	conn = connect(t, serveEngine(t, eng))
	if got := queryValues(t, conn, "SELECT k FROM t"); len(got) != 1 || got[0][0] != int32(3) {
		t.Errorf("t after the restart = %v", got)
	}
	again, err := os.ReadFile(filepath.Join(image, engine.SkippedFile))
	if err != nil || string(again) != string(saved) {
		t.Errorf("a clean restart changed %s: %v\n%s", engine.SkippedFile, err, again)
	}
}

// copyDir copies the files under src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
