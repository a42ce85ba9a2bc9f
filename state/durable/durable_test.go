//go:build unix

package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestNextRetry(t *testing.T) {
	var got []time.Duration
	for d := time.Duration(0); len(got) < 9; {
		d = NextRetry(d)
		got = append(got, d)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond,
		RetryMax, RetryMax}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delays %v, want %v", got, want)
	}
}

// TestMkdirAll creates every missing directory of a path and leaves
// existing ones alone.
func TestMkdirAll(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "c")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s not created: %v", dir, err)
	}
	if err := MkdirAll(dir); err != nil {
		t.Fatalf("again: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(filepath.Join(root, "f", "x")); err == nil {
		t.Fatal("a directory under a file was created")
	}
}
