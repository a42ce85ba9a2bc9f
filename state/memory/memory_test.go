package memory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/snapshot"
	"github.com/streamsql/streamsql/state/statetest"
)

func open(t *testing.T, dir string) state.Backend {
	t.Helper()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	statetest.Run(t, open)
}

// TestNoDir checks the non-durable mode: checkpoints succeed without writing
// and Restore finds nothing.
func TestNoDir(t *testing.T) {
	b, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	statetest.MustPut(t, b.Namespace(1), "k", "v")
	if err := b.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	if id, err := b.Restore(); err != nil || id != 0 {
		t.Fatalf("Restore = %d, %v; want 0, nil", id, err)
	}
	if got := statetest.MustGet(t, b.Namespace(1), "k"); got != "<absent>" {
		t.Errorf("Restore kept %q", got)
	}
}

// TestInterruptedCheckpoint simulates a crash between writing the temporary
// file and renaming it: the committed checkpoint still wins, and Open removes
// the leftover.
func TestInterruptedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir).(*Backend)
	statetest.MustPut(t, b.Namespace(1), "k", "committed")
	if err := b.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	b.Close()
	torn := filepath.Join(dir, "state-2.tmp")
	if err := os.WriteFile(torn, []byte("SSQLSNAP half a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	b = open(t, dir).(*Backend)
	defer b.Close()
	if _, err := os.Stat(torn); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover %s not removed: %v", torn, err)
	}
	if id, err := b.Restore(); err != nil || id != 1 || statetest.MustGet(t, b.Namespace(1), "k") != "committed" {
		t.Fatalf("Restore = %d, %v", id, err)
	}
}

// TestFailedCheckpoint makes the temporary file impossible to create: the
// error is reported and the previous checkpoint stays the one restored.
func TestFailedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir).(*Backend)
	defer b.Close()
	statetest.MustPut(t, b.Namespace(1), "k", "one")
	if err := b.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	statetest.MustPut(t, b.Namespace(1), "k", "two")
	if err := os.Mkdir(filepath.Join(dir, "state-2.tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := b.Checkpoint(2); err == nil {
		t.Fatal("Checkpoint succeeded over a directory")
	}
	if id, err := b.Restore(); err != nil || id != 1 || statetest.MustGet(t, b.Namespace(1), "k") != "one" {
		t.Fatalf("Restore = %d, %v, k = %q", id, err, statetest.MustGet(t, b.Namespace(1), "k"))
	}
}

// TestCorruptRestoreKeepsContents checks that a failed Restore loads nothing.
func TestCorruptRestoreKeepsContents(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir).(*Backend)
	defer b.Close()
	statetest.MustPut(t, b.Namespace(1), "k", "checkpointed")
	if err := b.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	statetest.MustPut(t, b.Namespace(1), "k", "live")
	path := filepath.Join(dir, CheckpointFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Restore(); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("Restore of a torn file: %v", err)
	}
	if got := statetest.MustGet(t, b.Namespace(1), "k"); got != "live" {
		t.Errorf("failed Restore changed contents to %q", got)
	}
}

func TestCheckpointIDsIncrease(t *testing.T) {
	b := open(t, t.TempDir())
	defer b.Close()
	if err := b.Checkpoint(3); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{3, 2} {
		if err := b.Checkpoint(id); err == nil {
			t.Errorf("Checkpoint(%d) after 3 succeeded", id)
		}
	}
}

// TestFileIsSnapshot pins backend neutrality: the checkpoint file is a plain
// snapshot stream that another backend can read with package snapshot.
func TestFileIsSnapshot(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	defer b.Close()
	statetest.MustPut(t, b.Namespace(2), "b", "2")
	statetest.MustPut(t, b.Namespace(2), "a", "1")
	statetest.MustPut(t, b.Namespace(1), "z", "0")
	if err := b.Checkpoint(9); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	id, err := snapshot.Read(f, func(ns uint64, k, v []byte) error {
		got = append(got, fmt.Sprintf("%d/%s=%s", ns, k, v))
		return nil
	})
	if want := "[1/z=0 2/a=1 2/b=2]"; err != nil || id != 9 || fmt.Sprint(got) != want {
		t.Errorf("snapshot.Read = %d, %v, %v; want 9, %s", id, got, err, want)
	}
}

// TestDeleteRangeKnownChecks: the memory backend checks the caller's count
// (it visits the keys anyway) and reports a wrong one, with the keys
// removed and its own Stats exact.
func TestDeleteRangeKnownChecks(t *testing.T) {
	b := open(t, "")
	defer b.Close()
	s := b.Namespace(1)
	for _, k := range []string{"a1", "a2", "b1"} {
		statetest.MustPut(t, s, k, "v")
	}
	err := state.DeleteRangeKnown(s, []byte("a"), []byte("b"), state.Stats{Keys: 3, Bytes: 9})
	if !errors.Is(err, state.ErrMiscounted) {
		t.Fatalf("DeleteRangeKnown with a wrong count: %v, want ErrMiscounted", err)
	}
	if st := s.Stats(); st != (state.Stats{Keys: 1, Bytes: 3}) {
		t.Errorf("Stats = %+v after a miscounted DeleteRangeKnown, want {1 3}", st)
	}
	if got := statetest.MustGet(t, s, "a1"); got != "<absent>" {
		t.Errorf("a1 = %q after DeleteRangeKnown", got)
	}
}
