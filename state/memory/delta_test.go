package memory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/statetest"
)

// countingFS counts the bytes written through it.
type countingFS struct {
	durable.FS
	written atomic.Int64
}

func (c *countingFS) Create(name string) (durable.File, error) {
	f, err := c.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return countingFile{File: f, n: &c.written}, nil
}

type countingFile struct {
	durable.File
	n *atomic.Int64
}

func (f countingFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.n.Add(int64(n))
	return n, err
}

// dumpAll returns every namespace's Stats and contents.
func dumpAll(t *testing.T, b *Backend) string {
	t.Helper()
	var out strings.Builder
	b.mu.Lock()
	ids := slices.Sorted(func(yield func(uint64) bool) {
		for id := range b.stores {
			if !yield(id) {
				return
			}
		}
	})
	b.mu.Unlock()
	for _, id := range ids {
		s := b.Namespace(id)
		if s.Stats() == (state.Stats{}) {
			continue
		}
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

func mustCheckpoint(t *testing.T, b state.Backend, id uint64) {
	t.Helper()
	if err := b.Checkpoint(id); err != nil {
		t.Fatalf("Checkpoint(%d): %v", id, err)
	}
}

func reopen(t *testing.T, dir string, b *Backend, want uint64) *Backend {
	t.Helper()
	if b != nil {
		b.Close()
	}
	nb := open(t, dir).(*Backend)
	if id, err := nb.Restore(); err != nil || id != want {
		t.Fatalf("Restore = %d, %v; want %d", id, err, want)
	}
	return nb
}

// TestCheckpointWritesChanges: after the first checkpoint, one holding ten
// namespaces of 1,000 keys, a checkpoint that follows a change to one key
// of one namespace, and one that follows a window put and deleted in
// between, write a small fraction of the state (it wrote the whole state
// file each time before deltas), and the restart sees exactly the state.
func TestCheckpointWritesChanges(t *testing.T) {
	dir := t.TempDir()
	fsys := &countingFS{FS: durable.OS}
	b, err := OpenFS(dir, fsys)
	if err != nil {
		t.Fatal(err)
	}
	for ns := range uint64(10) {
		for i := range 1000 {
			statetest.MustPut(t, b.Namespace(ns), fmt.Sprintf("key%04d", i), "a value of some length")
		}
	}
	mustCheckpoint(t, b, 1)
	full := fsys.written.Swap(0)

	statetest.MustPut(t, b.Namespace(3), "key0500", "changed")
	mustCheckpoint(t, b, 2)
	if n := fsys.written.Swap(0); n > full/100 {
		t.Errorf("checkpoint after changing one key wrote %d bytes; the whole state took %d", n, full)
	}

	// A window opened and closed between checkpoints, and a deleted key.
	for i := range 500 {
		statetest.MustPut(t, b.Namespace(7), fmt.Sprintf("win%04d", i), "transient")
	}
	if err := b.Namespace(7).DeleteRange([]byte("win"), []byte("wio")); err != nil {
		t.Fatal(err)
	}
	if err := b.Namespace(5).Delete([]byte("key0007")); err != nil {
		t.Fatal(err)
	}
	mustCheckpoint(t, b, 3)
	if n := fsys.written.Swap(0); n > full/100 {
		t.Errorf("checkpoint after a closed window and a delete wrote %d bytes; the whole state took %d", n, full)
	}
	want := dumpAll(t, b)
	b = reopen(t, dir, b, 3)
	defer b.Close()
	if got := dumpAll(t, b); got != want {
		t.Errorf("restored:\n%.2000s\nwant:\n%.2000s", got, want)
	}
}

// TestDeltasCompact: the chain of deltas never grows past the base's size
// (or maxDeltas): a new base replaces them, and the files stay bounded.
func TestDeltasCompact(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir).(*Backend)
	s := b.Namespace(1)
	for i := range 2000 {
		statetest.MustPut(t, s, fmt.Sprintf("key%04d", i), "value")
	}
	id := uint64(1)
	mustCheckpoint(t, b, id)
	for round := range 300 {
		for i := range 20 {
			statetest.MustPut(t, s, fmt.Sprintf("key%04d", (round*20+i)%2000), fmt.Sprintf("v%d", round))
		}
		id++
		mustCheckpoint(t, b, id)
		names, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) > maxDeltas+1 {
			t.Fatalf("after checkpoint %d: %d files", id, len(names))
		}
		if c := b.chain; c.deltaBytes > max(c.base.size, minBaseBytes) {
			t.Fatalf("after checkpoint %d: %d bytes of deltas on a %d-byte base", id, c.deltaBytes, c.base.size)
		}
	}
	if b.chain.base.id == 1 {
		t.Error("the base was never rewritten")
	}
	want := dumpAll(t, b)
	b = reopen(t, dir, b, id)
	defer b.Close()
	if got := dumpAll(t, b); got != want {
		t.Error("restored state differs")
	}
}

// deltaDir writes a base (checkpoint 1) and deltas 2 and 3 into a fresh
// directory and returns it with the state as of 3.
func deltaDir(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	b := open(t, dir).(*Backend)
	defer b.Close()
	for i := range 100 {
		statetest.MustPut(t, b.Namespace(uint64(i%3)), fmt.Sprintf("key%03d", i), "value")
	}
	mustCheckpoint(t, b, 1)
	statetest.MustPut(t, b.Namespace(1), "key001", "two")
	mustCheckpoint(t, b, 2)
	if err := b.Namespace(2).Delete([]byte("key002")); err != nil {
		t.Fatal(err)
	}
	if err := b.DropNamespace(0); err != nil {
		t.Fatal(err)
	}
	mustCheckpoint(t, b, 3)
	for _, n := range []string{CheckpointFile, deltaName(2), deltaName(3)} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Fatalf("expected %s: %v", n, err)
		}
	}
	return dir, dumpAll(t, b)
}

// TestDamagedDelta: a delta that is torn, flipped or missing from the
// middle of the chain is ErrCorrupt, and the live contents stay.
func TestDamagedDelta(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func(t *testing.T, dir string)
	}{
		{"flip", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, deltaName(3)), func(d []byte) []byte { d[len(d)/2] ^= 1; return d })
		}},
		{"truncate", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, deltaName(3)), func(d []byte) []byte { return d[:len(d)-1] })
		}},
		{"empty", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, deltaName(2)), func(d []byte) []byte { return nil })
		}},
		{"missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, deltaName(2))); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			dir, _ := deltaDir(t)
			damage.fn(t, dir)
			b := open(t, dir).(*Backend)
			defer b.Close()
			statetest.MustPut(t, b.Namespace(9), "live", "kept")
			if id, err := b.Restore(); !errors.Is(err, state.ErrCorrupt) {
				t.Fatalf("Restore = %d, %v; want ErrCorrupt", id, err)
			}
			if got := statetest.MustGet(t, b.Namespace(9), "live"); got != "kept" {
				t.Errorf("failed Restore changed the contents: %q", got)
			}
		})
	}
}

func rewrite(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStaleDeltasIgnored: deltas written on another base (here: a base
// rewritten under a lower id by a start that never restored) do not apply
// to the new one, even where their parent ids would chain.
func TestStaleDeltasIgnored(t *testing.T) {
	dir, _ := deltaDir(t)
	keep := filepath.Join(t.TempDir(), "old")
	if err := os.Rename(filepath.Join(dir, deltaName(2)), keep); err != nil {
		t.Fatal(err)
	}
	b := open(t, dir).(*Backend) // no Restore: the first checkpoint is a base
	statetest.MustPut(t, b.Namespace(1), "fresh", "start")
	mustCheckpoint(t, b, 1)
	want := dumpAll(t, b)
	b.Close()
	// The old delta 2 names parent 1, like a delta of the new base would.
	if err := os.Rename(keep, filepath.Join(dir, deltaName(2))); err != nil {
		t.Fatal(err)
	}
	b = reopen(t, dir, nil, 1)
	defer b.Close()
	if got := dumpAll(t, b); got != want {
		t.Errorf("restored:\n%s\nwant:\n%s", got, want)
	}
}

// TestCompact folds the deltas into state.ckpt, which then restores alone.
func TestCompact(t *testing.T) {
	dir, want := deltaDir(t)
	if err := Compact(dir); err != nil {
		t.Fatal(err)
	}
	names, err := os.ReadDir(dir)
	if err != nil || len(names) != 1 || names[0].Name() != CheckpointFile {
		t.Fatalf("after Compact: %v, %v", names, err)
	}
	b := reopen(t, dir, nil, 3)
	defer b.Close()
	if got := dumpAll(t, b); got != want {
		t.Errorf("restored:\n%s\nwant:\n%s", got, want)
	}
}

// TestCheckpointFaults fails each file operation of a run of checkpoints in
// turn, once or from there on, with or without losing what was never
// fsynced, and requires the restart to restore a complete checkpoint: the
// last that succeeded, or the one that failed (a failure after its rename
// may leave it committed), never anything else, and never an error.
func TestCheckpointFaults(t *testing.T) {
	root := t.TempDir()
	runs := 0
	for _, sticky := range []bool{false, true} {
		for _, powerLoss := range []bool{false, true} {
			for k := 1; ; k++ {
				dir := filepath.Join(root, fmt.Sprint(runs))
				runs++
				fsys := faultfs.New(durable.OS)
				count := 1
				if sticky {
					count = -1
				}
				fsys.Fail(k, count)
				name := fmt.Sprintf("k=%d sticky=%v power-loss=%v", k, sticky, powerLoss)
				states := map[uint64]string{0: ""} // what each checkpoint holds
				last := uint64(0)                  // the last that succeeded
				var failed []uint64
				b, err := OpenFS(dir, fsys)
				if err != nil {
					t.Fatal(err)
				}
				for id := uint64(1); id <= 8; id++ {
					s := b.Namespace(id % 3)
					statetest.MustPut(t, s, fmt.Sprintf("k%d", id), strings.Repeat("v", int(id)))
					if id%4 == 0 {
						if err := s.DeleteRange(nil, []byte("k3")); err != nil {
							t.Fatal(err)
						}
					}
					if id == 6 {
						if err := b.DropNamespace(1); err != nil {
							t.Fatal(err)
						}
					}
					states[id] = dumpAll(t, b)
					if err := b.Checkpoint(id); err != nil {
						failed = append(failed, id)
					} else {
						last, failed = id, nil
					}
				}
				b.Close()
				if powerLoss {
					if err := fsys.LoseUnsynced(); err != nil {
						t.Fatal(err)
					}
				}
				if len(fsys.Failed()) == 0 {
					if k == 1 {
						t.Fatal("no operation failed")
					}
					break
				}
				b, err = OpenFS(dir, durable.OS)
				if err != nil {
					t.Fatalf("%s: Open: %v", name, err)
				}
				id, err := b.Restore()
				if err != nil {
					t.Fatalf("%s: Restore: %v (failed %v)", name, err, fsys.Failed())
				}
				if id != last && !slices.Contains(failed, id) {
					t.Fatalf("%s: restored checkpoint %d; the last to succeed was %d, failed after it %v", name, id, last, failed)
				}
				if got := dumpAll(t, b); got != states[id] {
					t.Fatalf("%s: checkpoint %d restored as:\n%s\nwant:\n%s", name, id, got, states[id])
				}
				b.Close()
			}
		}
	}
	if runs < 40 {
		t.Fatalf("only %d runs", runs)
	}
}

// TestChurnWritesWhole: once half a namespace has changed, the Store stops
// recording keys and the checkpoint writes it whole, which restores the
// same as a recorded delta would.
func TestChurnWritesWhole(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir).(*Backend)
	s := b.Namespace(1)
	for i := range 3000 {
		statetest.MustPut(t, s, fmt.Sprintf("key%04d", i), "old")
	}
	statetest.MustPut(t, b.Namespace(2), "other", "namespace")
	mustCheckpoint(t, b, 1)
	if err := s.Delete([]byte("key0000")); err != nil {
		t.Fatal(err)
	}
	for i := range 4000 {
		statetest.MustPut(t, s, fmt.Sprintf("new%04d", i), "new")
	}
	if !b.stores[1].whole {
		t.Fatal("4,000 new keys on 3,000 did not make the namespace whole")
	}
	mustCheckpoint(t, b, 2)
	statetest.MustPut(t, s, "key0001", "after")
	mustCheckpoint(t, b, 3)
	want := dumpAll(t, b)
	b = reopen(t, dir, b, 3)
	defer b.Close()
	if got := dumpAll(t, b); got != want {
		t.Error("restored state differs")
	}
}
