package pebble

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
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

// TestWritesDoNotBlockOnFullDisk: once the memtables cannot be flushed,
// writes fail with the disk's error instead of blocking (under the engine's
// locks) until the disk can be written again.
func TestWritesDoNotBlockOnFullDisk(t *testing.T) {
	fs := &testFS{FS: vfs.Default, noSync: true}
	b := open(t, t.TempDir(), Options{FS: fs, MemTableSize: tinyMemTable})
	defer b.Close()
	statetest.MustPut(t, b.Namespace(1), "first", "v") // creates the live DB
	fs.setHook(func(op, path string) error {
		if op == "create" && strings.Contains(path, liveDir) {
			return &os.PathError{Op: "create", Path: path, Err: syscall.ENOSPC}
		}
		return nil
	})
	// Writes before Pebble reports the failure fill the spare memtables
	// (see memtableStopWrites); the test writes at that pace.
	reported := make(chan struct{})
	var once sync.Once
	b.OnBackgroundError(func(error) { once.Do(func() { close(reported) }) })
	done := make(chan error, 1)
	go func() {
		ns := b.Namespace(1)
		for i := range 100 * tinyMemTable / 16 {
			if i == tinyMemTable/16 {
				<-reported
			}
			if err := ns.Put(fmt.Appendf(nil, "k%08d", i), []byte("v")); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("writes on a full disk: %v, want ENOSPC once the memtables are full", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write blocks on a full disk")
	}
	fs.setHook(nil)
	mustCheckpoint(t, b, 1)
	if err := b.Namespace(1).Put([]byte("after"), []byte("v")); err != nil {
		t.Fatalf("a write once the disk is back: %v", err)
	}
}

// TestManifestFailure: Pebble treats a failed MANIFEST write as fatal and
// would end the process; the backend instead refuses writes and
// checkpoints, keeps answering reads, and closes.
func TestManifestFailure(t *testing.T) {
	fs := &testFS{FS: vfs.Default, noSync: true}
	b := open(t, t.TempDir(), Options{FS: fs, MemTableSize: tinyMemTable})
	ns := b.Namespace(1)
	statetest.MustPut(t, ns, "a", "1")
	mustCheckpoint(t, b, 1)
	statetest.MustPut(t, ns, "b", "2")
	fs.setHook(func(op, path string) error {
		if op == "sync" && strings.Contains(path, liveDir) && strings.Contains(path, "MANIFEST") {
			return &os.PathError{Op: "sync", Path: path, Err: syscall.ENOSPC}
		}
		return nil
	})
	err := b.Checkpoint(2)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("Checkpoint after a failed MANIFEST write = %v", err)
	}
	if err := ns.Put([]byte("c"), []byte("3")); err == nil {
		t.Error("a write succeeded after a failed MANIFEST write")
	}
	if got := statetest.MustGet(t, ns, "b"); got != "2" {
		t.Errorf("read after a failed MANIFEST write = %q", got)
	}
	fs.setHook(nil)
	if err := b.Checkpoint(2); err == nil {
		t.Error("Checkpoint succeeded on a live DB Pebble stopped")
	}
	if err := b.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
}
