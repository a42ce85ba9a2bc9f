package pebble

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state/statetest"
)

// TestDiskFull fills the disk under the live DB: a checkpoint must fail at
// once with ENOSPC instead of waiting for Pebble's flush forever, Pebble's
// retries must back off instead of spinning, and once files can be created
// again the next checkpoint succeeds with everything written.
func TestDiskFull(t *testing.T) {
	fs := &testFS{FS: vfs.Default, noSync: true}
	b := open(t, t.TempDir(), Options{FS: fs, MemTableSize: tinyMemTable})
	defer b.Close()
	ns := b.Namespace(1)
	statetest.MustPut(t, ns, "a", "1")
	mustCheckpoint(t, b, 1)
	statetest.MustPut(t, ns, "b", "2")
	var failed atomic.Int64
	fs.setHook(func(op, path string) error {
		if op == "create" && strings.Contains(path, liveDir) {
			failed.Add(1)
			return &os.PathError{Op: "create", Path: path, Err: syscall.ENOSPC}
		}
		return nil
	})
	for i := range 3 {
		start := time.Now()
		err := b.Checkpoint(2)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("attempt %d: Checkpoint on a full disk = %v, want ENOSPC", i, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("attempt %d: Checkpoint took %s to fail", i, d)
		}
	}
	// Without a backoff Pebble retries the flush thousands of times in this
	// window; with it, a few times.
	before := failed.Load()
	time.Sleep(300 * time.Millisecond)
	if n := failed.Load() - before; n > 5 {
		t.Errorf("Pebble retried %d times in 300ms while the disk was full", n)
	}
	if got := statetest.MustGet(t, ns, "b"); got != "2" {
		t.Errorf("read while the disk is full = %q", got)
	}
	fs.setHook(nil)
	mustCheckpoint(t, b, 2)
	statetest.MustPut(t, ns, "b", "3")
	if id, err := b.Restore(); err != nil || id != 2 {
		t.Fatalf("Restore = %d, %v", id, err)
	}
	for k, want := range map[string]string{"a": "1", "b": "2"} {
		if got := statetest.MustGet(t, ns, k); got != want {
			t.Errorf("%s = %q after the recovered checkpoint, want %q", k, got, want)
		}
	}
}

// TestCloseWhileDiskFull: Close returns while a flush keeps failing.
func TestCloseWhileDiskFull(t *testing.T) {
	fs := &testFS{FS: vfs.Default, noSync: true}
	b := open(t, t.TempDir(), Options{FS: fs, MemTableSize: tinyMemTable})
	for i := range 2000 {
		statetest.MustPut(t, b.Namespace(1), fmt.Sprintf("k%05d", i), "v")
	}
	fs.setHook(func(op, path string) error {
		if op == "create" && strings.Contains(path, liveDir) {
			return &os.PathError{Op: "create", Path: path, Err: syscall.ENOSPC}
		}
		return nil
	})
	if err := b.Checkpoint(1); err == nil {
		t.Fatal("Checkpoint succeeded on a full disk")
	}
	done := make(chan error, 1)
	go func() { done <- b.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs while the disk is full")
	}
}
