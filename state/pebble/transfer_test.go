package pebble

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/streamsql/streamsql/state/statetest"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
)

// fill writes the same awkward contents into any backend: empty keys and
// values, binary keys, the extreme namespaces, and enough keys to flush.
func fill(t *testing.T, b state.Backend) {
	t.Helper()
	for _, ns := range []uint64{0, 7, math.MaxUint64} {
		s := b.Namespace(ns)
		statetest.MustPut(t, s, "", "empty key")
		statetest.MustPut(t, s, "empty value", "")
		statetest.MustPut(t, s, "\x00\xff", "binary")
		for i := range 500 {
			statetest.MustPut(t, s, fmt.Sprintf("k%04d", i), fmt.Sprintf("value %d of ns %d", i, ns))
		}
	}
}

// contents dumps the listed namespaces with their Stats.
func contents(t *testing.T, b state.Backend, ids ...uint64) string {
	t.Helper()
	var out bytes.Buffer
	for _, id := range ids {
		s := b.Namespace(id)
		fmt.Fprintf(&out, "ns %d %+v\n", id, s.Stats())
		it := s.NewIter(nil, nil)
		for ok := it.First(); ok; ok = it.Next() {
			fmt.Fprintf(&out, "  %q=%q\n", it.Key(), it.Value())
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

var transferIDs = []uint64{0, 7, 8, math.MaxUint64}

// TestMemoryToPebble loads the memory backend's checkpoint file into Pebble,
// checkpoints it there, and restores it after a restart.
func TestMemoryToPebble(t *testing.T) {
	memDir := t.TempDir()
	mem, err := memory.Open(memDir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	fill(t, mem)
	mustCheckpoint(t, mem, 41)
	want := contents(t, mem, transferIDs...)

	dir := t.TempDir()
	b := open(t, dir, Options{MemTableSize: tinyMemTable})
	statetest.MustPut(t, b.Namespace(8), "stale", "dropped by the import")
	f, err := os.Open(filepath.Join(memDir, memory.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.ImportSnapshot(f)
	f.Close()
	if err != nil || id != 41 {
		t.Fatalf("ImportSnapshot = %d, %v", id, err)
	}
	if got := contents(t, b, transferIDs...); got != want {
		t.Errorf("imported:\n%s\nwant:\n%s", got, want)
	}
	if err := b.Checkpoint(40); err == nil {
		t.Error("Checkpoint went back before the imported id")
	}
	// The imported state commits under its own id, once.
	mustCheckpoint(t, b, 41)
	if err := b.Checkpoint(41); err == nil {
		t.Error("Checkpoint reused an id")
	}
	mustCheckpoint(t, b, 42)
	b.Close()
	b = open(t, dir, Options{})
	defer b.Close()
	if id, err := b.Restore(); err != nil || id != 42 {
		t.Fatalf("Restore = %d, %v", id, err)
	}
	if got := contents(t, b, transferIDs...); got != want {
		t.Errorf("restored after import:\n%s\nwant:\n%s", got, want)
	}
}

// TestPebbleToMemory exports a restored Pebble checkpoint as the memory
// backend's checkpoint file and restores the memory backend from it.
func TestPebbleToMemory(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, Options{MemTableSize: tinyMemTable})
	fill(t, b)
	mustCheckpoint(t, b, 9)
	want := contents(t, b, transferIDs...)
	statetest.MustPut(t, b.Namespace(7), "after", "not in the checkpoint")
	b.Close()
	b = open(t, dir, Options{})
	defer b.Close()
	if id, err := b.Restore(); err != nil || id != 9 {
		t.Fatalf("Restore = %d, %v", id, err)
	}

	memDir := t.TempDir()
	f, err := os.Create(filepath.Join(memDir, memory.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.ExportSnapshot(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || id != 9 {
		t.Fatalf("ExportSnapshot = %d, %v", id, err)
	}
	mem, err := memory.Open(memDir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if id, err := mem.Restore(); err != nil || id != 9 {
		t.Fatalf("memory Restore = %d, %v", id, err)
	}
	if got := contents(t, mem, transferIDs...); got != want {
		t.Errorf("memory restored:\n%s\nwant:\n%s", got, want)
	}
}

// TestImportCorrupt requires a damaged snapshot to leave Pebble's contents
// as they were.
func TestImportCorrupt(t *testing.T) {
	src := open(t, t.TempDir(), Options{})
	defer src.Close()
	fill(t, src)
	mustCheckpoint(t, src, 3)
	var snap bytes.Buffer
	if _, err := src.ExportSnapshot(&snap); err != nil {
		t.Fatal(err)
	}

	b := open(t, t.TempDir(), Options{})
	defer b.Close()
	statetest.MustPut(t, b.Namespace(1), "k", "live")
	for name, data := range map[string][]byte{
		"truncated": snap.Bytes()[:snap.Len()/2],
		"flipped":   append(append([]byte{}, snap.Bytes()[:100]...), append([]byte{snap.Bytes()[100] ^ 1}, snap.Bytes()[101:]...)...),
	} {
		if _, err := b.ImportSnapshot(bytes.NewReader(data)); !errors.Is(err, state.ErrCorrupt) {
			t.Errorf("%s: ImportSnapshot = %v, want ErrCorrupt", name, err)
		}
		if got := statetest.MustGet(t, b.Namespace(1), "k"); got != "live" || b.Namespace(7).Stats().Keys != 0 {
			t.Errorf("%s: failed import changed the contents", name)
		}
	}
}
