//go:build unix

package durable

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestLock: a second Lock of a data directory fails, naming the directory
// and its lock file, until the first is released.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	first, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	want := "data directory " + dir + " is in use by another streamsql server (lock file " + filepath.Join(dir, LockFile) + ")"
	if !errors.Is(err, ErrInUse) || err.Error() != want {
		t.Fatalf("second lock: %v, want %q", err, want)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Close()
	if _, err := Lock(filepath.Join(dir, "missing")); err == nil || strings.Contains(err.Error(), "in use") {
		t.Errorf("lock of a missing directory: %v", err)
	}
}
