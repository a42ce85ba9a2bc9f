package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/memory"
)

// within runs f and fails the test if it has not returned in d: what it
// waits on hung.
func within(t *testing.T, d time.Duration, what string, f func() string) string {
	t.Helper()
	done := make(chan string, 1)
	go func() { done <- f() }()
	select {
	case out := <-done:
		return out
	case <-time.After(d):
		t.Fatalf("%s did not return in %v", what, d)
		return ""
	}
}

// An INSERT whose log fsync hangs (a disk that stopped answering, not one
// that fails) fails after the write timeout with 58030 naming the file,
// instead of holding its session and its table's lock forever; the
// INSERTs after it are refused at once while the fsync hangs, reads go
// on, and once the disk answers the log cuts the record off and takes
// INSERTs again, so a restart has the acknowledged rows and not the one
// the client was told did not complete.
func TestInsertLogWriteHangs(t *testing.T) {
	dir := t.TempDir()
	fsys := faultfs.New(durable.OS)
	t.Cleanup(fsys.Release)
	const timeout = 200 * time.Millisecond
	e, mb := openMemoryWith(t, dir, Options{FS: fsys, WriteTimeout: timeout})
	s, _ := e.NewSession("test", "test")
	if out := runSQL(s, "CREATE TABLE t (k INT); INSERT INTO t VALUES (1)"); out != "" {
		t.Fatal(out)
	}
	fsys.Hang(fsys.Ops() + 2) // the next append's write lands, its fsync hangs
	var err2 error
	within(t, 10*time.Second, "an INSERT whose fsync hangs", func() string {
		err2 = s.Query(context.Background(), "INSERT INTO t VALUES (2)", &textResult{})
		return ""
	})
	want := "I/O error: write to " + logName(dir, e.ckptID) + " did not complete in 0.2 s"
	if se, ok := sqlerr.As(err2); !ok || se.Kind != sqlerr.IOError || !strings.Contains(err2.Error(), want) {
		t.Fatalf("INSERT whose fsync hangs: %v, want 58030 %q", err2, want)
	}
	if out := within(t, timeout/2, "an INSERT behind a hung one", func() string {
		return runSQL(s, "INSERT INTO t VALUES (3)")
	}); !strings.Contains(out, "refused") {
		t.Fatalf("INSERT while the fsync hangs: %q, want it refused", out)
	}
	s2, _ := e.NewSession("test", "test")
	if out := within(t, 10*time.Second, "a SELECT while the fsync hangs", func() string {
		return runSQL(s2, "SELECT k FROM t ORDER BY k")
	}); out != "1\n" {
		t.Fatalf("SELECT while the fsync hangs: %q", out)
	}
	fsys.Release()
	// The hung fsync returns and the log cuts its record off on its own
	// goroutine; poll until INSERTs are taken again.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		out := runSQL(s, "INSERT INTO t VALUES (4)")
		if out == "" {
			break
		}
		if !strings.Contains(out, "refused") || ctx.Err() != nil {
			t.Fatalf("INSERT after the disk answers again: %q", out)
		}
		time.Sleep(time.Millisecond)
	}
	if got := restartSelect(t, e, mb, dir); got != "1\n4\n" {
		t.Fatalf("after restart: %q, want 1 and 4 (the INSERT that did not complete cut off)", got)
	}
}

// A checkpoint whose disk phase hangs (the memory backend's checkpoint
// file never gets written) holds no dataflow lock while it waits: a
// SELECT answers, an INSERT fails after CheckpointWait with 58030
// instead of waiting forever, and once the disk answers the checkpoint
// commits and INSERTs go on.
func TestCheckpointDiskPhaseHangs(t *testing.T) {
	dir := t.TempDir()
	stateFS := faultfs.New(durable.OS)
	t.Cleanup(stateFS.Release)
	mb, err := memory.OpenFS(filepath.Join(dir, "mem"), stateFS)
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 200 * time.Millisecond
	e, err := Open(mb, Options{Dir: dir, CheckpointWait: timeout})
	if err != nil {
		mb.Close()
		t.Fatal(err)
	}
	s, _ := e.NewSession("test", "test")
	if out := runSQL(s, "CREATE TABLE t (k INT); INSERT INTO t VALUES (1)"); out != "" {
		t.Fatal(out)
	}
	hung := stateFS.Hang(stateFS.Ops() + 1) // the checkpoint file's create
	done := make(chan error, 1)
	go func() { done <- e.Checkpoint() }()
	within(t, 10*time.Second, "the checkpoint reaching the disk", func() string { <-hung; return "" })
	if out := within(t, 10*time.Second, "a SELECT while the checkpoint's write hangs", func() string {
		return runSQL(s, "SELECT k FROM t ORDER BY k")
	}); out != "1\n" {
		t.Fatalf("SELECT while the checkpoint's write hangs: %q", out)
	}
	var err2 error
	within(t, 10*time.Second, "an INSERT while the checkpoint's write hangs", func() string {
		err2 = s.Query(context.Background(), "INSERT INTO t VALUES (2)", &textResult{})
		return ""
	})
	want := "I/O error: the checkpoint's write to the data directory did not complete in 0.2 s"
	if se, ok := sqlerr.As(err2); !ok || se.Kind != sqlerr.IOError || !strings.Contains(err2.Error(), want) {
		t.Fatalf("INSERT while the checkpoint's write hangs: %v, want 58030 %q", err2, want)
	}
	stateFS.Release()
	if err := within(t, 10*time.Second, "the checkpoint after the disk answers", func() string {
		if err := <-done; err != nil {
			return err.Error()
		}
		return ""
	}); err != "" {
		t.Fatalf("checkpoint: %s", err)
	}
	if out := runSQL(s, "INSERT INTO t VALUES (3)"); out != "" {
		t.Fatalf("INSERT after the checkpoint: %q", out)
	}
	if got := restartSelect(t, e, mb, dir); got != "1\n3\n" {
		t.Fatalf("after restart: %q, want 1 and 3", got)
	}
}
