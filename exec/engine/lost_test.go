package engine

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
)

// These tests look for an acknowledged INSERT that a restart loses.

func openMemory(t *testing.T, dir string, crash func(string)) (*Engine, *memory.Backend) {
	t.Helper()
	return openMemoryWith(t, dir, Options{Crash: crash})
}

// memorySession opens a memory-backend engine on dir and runs setup in a
// session of it, which it returns.
func memorySession(t *testing.T, dir, setup string) (*Engine, *memory.Backend, wire.Session) {
	t.Helper()
	e, b := openMemory(t, dir, nil)
	s, _ := e.NewSession("test", "test")
	if out := runSQL(s, setup); out != "" {
		t.Fatal(out)
	}
	return e, b, s
}

// openMemoryWith is openMemory with the options opts (Dir is dir).
func openMemoryWith(t *testing.T, dir string, opts Options) (*Engine, *memory.Backend) {
	t.Helper()
	b, err := memory.Open(filepath.Join(dir, "mem"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Dir = dir
	e, err := Open(b, opts)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	return e, b
}

// restartSelect crashes e, restarts on dir and returns SELECT k FROM t.
func restartSelect(t *testing.T, e *Engine, b *memory.Backend, dir string) string {
	t.Helper()
	if e != nil {
		crashEngine(e)
		b.Close()
	}
	e2, b2 := openMemory(t, dir, nil)
	defer b2.Close()
	defer crashEngine(e2)
	s, _ := e2.NewSession("test", "test")
	return runSQL(s, "SELECT k FROM t ORDER BY k")
}

// A panic in a DDL's checkpoint (Pebble's, when an fsync fails) ends only
// its connection: until a checkpoint succeeds, no INSERT may be
// acknowledged, since it would go to a log no restart replays or name a
// table the last checkpoint lacks.
func TestLostPanicInDDLCheckpoint(t *testing.T) {
	for _, point := range []string{"checkpoint-before-commit", "checkpoint-after-commit"} {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			var arm atomic.Bool
			e, b := openMemory(t, dir, func(p string) {
				if p == point && arm.CompareAndSwap(true, false) {
					panic("simulated fsync panic")
				}
			})
			s1, _ := e.NewSession("test", "test")
			arm.Store(true)
			func() {
				defer func() {
					if recover() == nil {
						t.Error("the checkpoint's panic was not passed on to the wire")
					}
				}()
				runSQL(s1, "CREATE TABLE t (k INT)")
			}()
			s2, _ := e.NewSession("test", "test")
			if out := runSQL(s2, "INSERT INTO t VALUES (1)"); !strings.Contains(out, "refused") {
				t.Fatalf("INSERT after the checkpoint panicked: %q, want it refused", out)
			}
			if err := e.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if out := runSQL(s2, "INSERT INTO t VALUES (2)"); out != "" {
				t.Fatalf("INSERT after a checkpoint succeeded: %q", out)
			}
			if got := restartSelect(t, e, b, dir); got != "2\n" {
				t.Errorf("after restart: %q, want the acknowledged row 2", got)
			}
		})
	}
}

// failingRetry is the memory backend with Pebble's RetryWrites, failing
// while fail is set, as Pebble's does while its flushes fail.
type failingRetry struct {
	*memory.Backend
	fail atomic.Bool
}

func (b *failingRetry) RetryWrites() error {
	if b.fail.Load() {
		return sqlerr.New(sqlerr.DiskFull, "simulated: no space left on device")
	}
	return nil
}

// A checkpoint whose backend fails before the commit (RetryWrites, or a
// cache's write-back) stops the log before the dataflows it paused go on:
// an INSERT waiting on one is not acknowledged into a table the failed
// CREATE's checkpoint lacks.
func TestLostInsertAfterFailedCreateCheckpoint(t *testing.T) {
	dir := t.TempDir()
	mb, err := memory.Open(filepath.Join(dir, "mem"))
	if err != nil {
		t.Fatal(err)
	}
	b := &failingRetry{Backend: mb}
	e, err := Open(b, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	defer crashEngine(e)
	s, _ := e.NewSession("test", "test")
	b.fail.Store(true)
	if out := runSQL(s, "CREATE TABLE t (k INT)"); !strings.Contains(out, "no space") {
		t.Fatalf("CREATE whose checkpoint fails: %q", out)
	}
	x, _ := e.lookup("t")
	one := vec.NewBatch(catalog.Types(x.rel.Columns), 1)
	one.Cols[0].AppendI64(1)
	one.EndRow(1)
	// What an INSERT that passed writable() before the failure does next.
	if _, _, err := e.log.append(x.rel.ID, one); err == nil {
		t.Fatal("the insert log took an append after a checkpoint failed")
	}
}

// A logged INSERT into a relation id the checkpoint never allotted is not
// a dropped table's: it means the checkpoint lacks a table it should have,
// and the start fails rather than drop acknowledged rows.
func TestLostReplayUnknownTable(t *testing.T) {
	dir := t.TempDir()
	e, b, _ := memorySession(t, dir, "CREATE TABLE t (k INT); CREATE TABLE u (k INT); DROP TABLE u")
	x, _ := e.lookup("t")
	one := vec.NewBatch(catalog.Types(x.rel.Columns), 1)
	one.Cols[0].AppendI64(1)
	one.EndRow(1)
	// u's id: a dropped table's rows are ignored.
	if _, _, err := e.log.append(x.rel.ID+1, one); err != nil {
		t.Fatal(err)
	}
	crashEngine(e)
	b.Close()
	e, b = openMemory(t, dir, nil)
	x, _ = e.lookup("t")
	if _, _, err := e.log.append(x.rel.ID+2, one); err != nil {
		t.Fatal(err)
	}
	crashEngine(e)
	b.Close()
	b, err := memory.Open(filepath.Join(dir, "mem"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e, err = Open(b, Options{Dir: dir})
	if err == nil {
		crashEngine(e)
		t.Fatal("started without the rows of an INSERT into a relation its checkpoint does not know")
	}
	if !strings.Contains(err.Error(), "does not know") {
		t.Fatalf("start: %v", err)
	}
}

// An INSERT that resolved its table before a DROP of it took the
// dataflow's lock is refused, not acknowledged into the dropped table
// (and ignored by the next restart).
func TestLostInsertRacingDrop(t *testing.T) {
	dir := t.TempDir()
	e, b := openMemory(t, dir, nil)
	defer b.Close()
	defer crashEngine(e)
	s, _ := e.NewSession("test", "test")
	if out := runSQL(s, "CREATE TABLE t (k INT)"); out != "" {
		t.Fatal(out)
	}
	ddl, _ := e.NewSession("test", "test")
	var once atomic.Bool
	hook := func(p string) {
		if p == "insert-resolved" && once.CompareAndSwap(false, true) {
			if out := runSQL(ddl, "DROP TABLE t"); out != "" {
				t.Errorf("DROP: %q", out)
			}
		}
	}
	faultHook.Store(&hook)
	defer faultHook.Store(nil)
	out := runSQL(s, "INSERT INTO t VALUES (1)")
	if !once.Load() {
		t.Fatal("the INSERT did not reach insert-resolved")
	}
	if !strings.Contains(out, `relation "t" was dropped`) {
		t.Fatalf("INSERT racing DROP: %q, want it refused", out)
	}
}

// flakyReads is the memory backend whose relation stores fail their next
// read (EIO) while failReads is above zero, once per count.
type flakyReads struct {
	*memory.Backend
	failReads atomic.Int32
}

func (b *flakyReads) Namespace(id uint64) state.Store {
	s := b.Backend.Namespace(id)
	if id == metaNS {
		return s
	}
	return flakyStore{s, b}
}

type flakyStore struct {
	state.Store
	b *flakyReads
}

func (s flakyStore) Get(key []byte) ([]byte, bool, error) {
	if s.b.failReads.Add(-1) >= 0 {
		return nil, false, &fs.PathError{Op: "read", Path: "state", Err: syscall.EIO}
	}
	return s.Store.Get(key)
}

// A logged INSERT whose replay fails on the disk (an I/O error, a full
// disk) fails the start: it would apply at the next, and skipping it
// lets the checkpoint after the replay commit without it.
func TestLostReplayStorageError(t *testing.T) {
	dir := t.TempDir()
	e, b, _ := memorySession(t, dir, "CREATE TABLE t (k INT); INSERT INTO t VALUES (1)")
	crashEngine(e)
	b.Close()
	mb, err := memory.Open(filepath.Join(dir, "mem"))
	if err != nil {
		t.Fatal(err)
	}
	fb := &flakyReads{Backend: mb}
	fb.failReads.Store(1)
	e, err = Open(fb, Options{Dir: dir})
	if err == nil {
		crashEngine(e)
		mb.Close()
		t.Fatal("started though a logged INSERT failed to apply on an I/O error")
	}
	mb.Close()
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("start: %v, want the I/O error", err)
	}
	if got := restartSelect(t, nil, nil, dir); got != "1\n" {
		t.Errorf("after the disk came back: %q, want the acknowledged row", got)
	}
}

// An INSERT whose rows are logged but then fail to apply is reported as
// failed, so a restart must not bring its rows back: a cancel record in
// the log makes the replay skip them. When the cancel cannot be written,
// no INSERT is acknowledged until a checkpoint starts a new log.
func TestLostFailedInsertCancelled(t *testing.T) {
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		e, b, s := memorySession(t, dir, "CREATE TABLE t (k INT); INSERT INTO t VALUES (1)")
		failInsert(t, s, "ingest t", "INSERT INTO t VALUES (2)")
		if out := runSQL(s, "INSERT INTO t VALUES (3)"); out != "" {
			t.Fatalf("INSERT after a cancelled one: %q", out)
		}
		if got := restartSelect(t, e, b, dir); got != "1\n3\n" {
			t.Fatalf("after restart: %q, want 1 and 3 (the failed INSERT cancelled)", got)
		}
	})
	t.Run("cancel fails", func(t *testing.T) {
		dir := t.TempDir()
		fsys := faultfs.New(durable.OS)
		e, mb := openMemoryWith(t, dir, Options{FS: fsys})
		s, _ := e.NewSession("test", "test")
		if out := runSQL(s, "CREATE TABLE t (k INT); INSERT INTO t VALUES (1)"); out != "" {
			t.Fatal(out)
		}
		// The INSERT's write and fsync go through; the cancel's write fails.
		fsys.Fail(fsys.Ops()+3, 1)
		failInsert(t, s, "ingest t", "INSERT INTO t VALUES (2)")
		if f := fsys.Failed(); len(f) != 1 || !strings.Contains(f[0], "write") {
			t.Fatalf("failed operations %v, want the cancel's write", f)
		}
		if out := runSQL(s, "INSERT INTO t VALUES (3)"); !strings.Contains(out, "refused") {
			t.Fatalf("INSERT after a cancel that failed: %q, want it refused", out)
		}
		if err := e.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if out := runSQL(s, "INSERT INTO t VALUES (4)"); out != "" {
			t.Fatalf("INSERT after the checkpoint: %q", out)
		}
		if got := restartSelect(t, e, mb, dir); got != "1\n4\n" {
			t.Fatalf("after restart: %q, want 1 and 4", got)
		}
	})
}

// An INSERT that fails after its table took its rows (here a panic once
// the table has stored them, before the watermark and the views are done)
// is reported as failed, so no read may show its rows and no checkpoint
// may save them: the dataflow is not read or checkpointed until a
// restart, which restores it without them.
func TestLostInsertFailedPartway(t *testing.T) {
	dir := t.TempDir()
	e, b, s := memorySession(t, dir, "CREATE TABLE t (k INT); CREATE MATERIALIZED VIEW n AS SELECT count(*) AS n FROM t; INSERT INTO t VALUES (1)")
	failInsert(t, s, "ingest-pushed t", "INSERT INTO t VALUES (2)")
	for _, q := range []string{"SELECT k FROM t", "SELECT n FROM n"} {
		if out := runSQL(s, q); !strings.Contains(out, "may hold part of a batch into t that failed") {
			t.Fatalf("%s after the failed INSERT: %q, want it refused", q, out)
		}
	}
	if err := e.Checkpoint(); err == nil || !strings.Contains(err.Error(), "may hold part of a batch") {
		t.Fatalf("checkpoint after the failed INSERT: %v, want it refused", err)
	}
	if got := restartSelect(t, e, b, dir); got != "1\n" {
		t.Fatalf("after restart: %q, want only 1 (the failed INSERT's row neither saved nor replayed)", got)
	}
}

// failInsert runs insert with a panic injected at point, which must fail
// it.
func failInsert(t *testing.T, s wire.Session, point, insert string) {
	t.Helper()
	restore := PanicAt(point)
	out := runSQL(s, insert)
	restore()
	if !strings.Contains(out, "injected fault") {
		t.Fatalf("%s with a panic at %s: %q, want the injected fault", insert, point, out)
	}
}
