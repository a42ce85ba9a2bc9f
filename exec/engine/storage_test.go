package engine_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// storageFault is a backend whose data directory can be made to fail and
// come back.
type storageFault struct {
	name string
	open func(t *testing.T, dir string) state.Backend
	// fail and heal turn the fault on and off; code is the SQLSTATE the
	// fault gives.
	fail, heal func(t *testing.T, dir string)
	code       string
}

func storageFaults() []storageFault {
	var full atomic.Bool
	// Every file or directory Pebble creates fails with ENOSPC while full
	// is set: a full disk, without filling one. Appends to open files still
	// succeed, so Pebble's MANIFEST does (a failed MANIFEST write stops the
	// live DB until a restart: TestManifestFailure in state/pebble).
	fsys := errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		creates := op.Kind == errorfs.OpCreate || op.Kind == errorfs.OpLink || op.Kind == errorfs.OpMkdirAll || op.Kind == errorfs.OpReuseForWrite
		if full.Load() && creates {
			return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
		}
		return nil
	}))
	return []storageFault{{
		name: "pebble",
		open: func(t *testing.T, dir string) state.Backend {
			b, err := pebble.Open(filepath.Join(dir, "pebble"), pebble.Options{FS: fsys, MemTableSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		fail: func(*testing.T, string) { full.Store(true) },
		heal: func(*testing.T, string) { full.Store(false) },
		code: "53100",
	}, {
		name: "memory",
		open: func(t *testing.T, dir string) state.Backend {
			b, err := memory.Open(filepath.Join(dir, "memory"))
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		// A directory where the checkpoint file goes: its rename fails
		// (EISDIR), as on a file system gone bad. The committed file is
		// kept aside and put back by heal.
		fail: func(t *testing.T, dir string) {
			ck := filepath.Join(dir, "memory", memory.CheckpointFile)
			if err := os.Rename(ck, ck+".aside"); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(ck, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
		},
		// The checkpoint loop's retries run meanwhile: once the directory
		// is out of the way one may commit a newer file, which the one
		// put back must not replace (a link never does).
		heal: func(t *testing.T, dir string) {
			ck := filepath.Join(dir, "memory", memory.CheckpointFile)
			if err := os.Rename(ck, ck+".bad"); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(ck+".aside", ck); err != nil && !errors.Is(err, fs.ErrExist) {
				t.Fatal(err)
			}
			if err := errors.Join(os.Remove(ck+".aside"), os.RemoveAll(ck+".bad")); err != nil {
				t.Fatal(err)
			}
		},
		code: "58030",
	}}
}

// TestStorageFailure: while the data directory cannot be written, a
// checkpoint fails fast instead of wedging the engine under its locks,
// writes are refused at once with 53100 (disk full) or 58030, reads go on,
// the engine recovers by itself once the directory can be written again,
// and Close with the fault on returns, saying its checkpoint failed, with
// every acknowledged INSERT back after a restart.
func TestStorageFailure(t *testing.T) {
	for _, f := range storageFaults() {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			backend := f.open(t, dir)
			eng, err := engine.Open(backend, engine.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			conn := connect(t, serveEngine(t, eng))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			mustExec := func(sql string) {
				t.Helper()
				if _, err := conn.Exec(ctx, sql); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			wantCode := func(sql string) {
				t.Helper()
				start := time.Now()
				_, err := conn.Exec(ctx, sql)
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != f.code {
					t.Fatalf("%s with the fault on: %v, want SQLSTATE %s", sql, err, f.code)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s took %s to fail", sql, d)
				}
			}
			wantCount := func(want int64) {
				t.Helper()
				if got := queryValues(t, conn, "SELECT n FROM v"); len(got) != 1 || got[0][0] != want {
					t.Fatalf("SELECT n FROM v = %v, want %d", got, want)
				}
			}
			checkpoint := func() error {
				t.Helper()
				done := make(chan error, 1)
				go func() { done <- eng.Checkpoint() }()
				select {
				case err := <-done:
					return err
				case <-time.After(10 * time.Second):
					t.Fatal("Checkpoint hangs")
					return nil
				}
			}
			mustExec("CREATE TABLE t (k INT)")
			mustExec("CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t")
			mustExec("INSERT INTO t VALUES (1), (2)")

			f.fail(t, dir)
			if err := checkpoint(); err == nil {
				t.Fatal("Checkpoint succeeded with the fault on")
			}
			wantCode("INSERT INTO t VALUES (3)")
			wantCode("CREATE TABLE u (k INT)")
			wantCount(2)
			if got := queryValues(t, conn, "SELECT count(*) FROM t"); got[0][0] != int64(2) {
				t.Errorf("SELECT count(*) FROM t = %v", got)
			}

			// The checkpoint loop's retry, not a Checkpoint call, lets
			// writes in again; refused attempts change nothing.
			f.heal(t, dir)
			for {
				_, err := conn.Exec(ctx, "INSERT INTO t VALUES (3)")
				if err == nil {
					break
				}
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != f.code {
					t.Fatalf("INSERT after the fault healed: %v", err)
				}
				select {
				case <-ctx.Done():
					t.Fatalf("INSERT still refused after the fault healed: %v", err)
				case <-time.After(10 * time.Millisecond):
				}
			}
			wantCount(3)

			f.fail(t, dir)
			done := make(chan error, 1)
			go func() { done <- eng.Close() }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "final checkpoint failed") {
					t.Errorf("Close with the fault on = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close hangs with the fault on")
			}
			backend.Close()
			f.heal(t, dir)

			eng, stop := openDurable(t, f.open(t, dir), dir, engine.Options{})
			defer stop()
			conn = connect(t, serveEngine(t, eng))
			wantCount(3)
		})
	}
}
