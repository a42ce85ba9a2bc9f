package statetest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/state"
)

// dump returns every listed namespace's contents and Stats, for comparing a
// restored backend with what was checkpointed.
func dump(t *testing.T, h *harness, ids ...uint64) string {
	t.Helper()
	var out string
	for _, id := range ids {
		s := h.ns(id)
		out += fmt.Sprintf("ns %d %+v %q\n", id, s.Stats(), scan(t, s, nil, nil))
	}
	return out
}

func checkpoint(t *testing.T, h *harness, id uint64) {
	t.Helper()
	if err := h.b.Checkpoint(id); err != nil {
		t.Fatalf("Checkpoint(%d): %v", id, err)
	}
}

func testCheckpointRestore(t *testing.T, h *harness) {
	MustPut(t, h.ns(1), "a", "1")
	MustPut(t, h.ns(1), "b", "2")
	MustPut(t, h.ns(1), "", "empty key")
	MustPut(t, h.ns(2), "a", "")
	MustPut(t, h.ns(1<<40), "\x00\xff", "binary")
	checkpoint(t, h, 5)
	want := dump(t, h, 1, 2, 3, 1<<40)

	// Writes after the checkpoint, in old and new namespaces, must not survive.
	MustPut(t, h.ns(1), "a", "changed")
	del(t, h.ns(1), "b")
	MustPut(t, h.ns(1), "c", "new")
	MustPut(t, h.ns(3), "x", "new namespace")
	if err := h.b.DropNamespace(2); err != nil {
		t.Fatal(err)
	}

	if id := h.reopen(); id != 5 {
		t.Fatalf("Restore after reopen = %d, want 5", id)
	}
	if got := dump(t, h, 1, 2, 3, 1<<40); got != want {
		t.Errorf("restored after reopen:\n%s\nwant:\n%s", got, want)
	}

	// Restore on a live backend also discards later writes, and a restored
	// backend keeps checkpointing.
	MustPut(t, h.ns(3), "x", "y")
	MustPut(t, h.ns(1), "a", "z")
	if id, err := h.b.Restore(); err != nil || id != 5 {
		t.Fatalf("Restore = %d, %v, want 5", id, err)
	}
	if got := dump(t, h, 1, 2, 3, 1<<40); got != want {
		t.Errorf("restored in place:\n%s\nwant:\n%s", got, want)
	}
	MustPut(t, h.ns(3), "after", "restore")
	checkpoint(t, h, 6)
	if id := h.reopen(); id != 6 || MustGet(t, h.ns(3), "after") != "restore" {
		t.Errorf("checkpoint after restore: id %d, ns 3 %q", id, scan(t, h.ns(3), nil, nil))
	}
}

func testRestoreWithoutCheckpoint(t *testing.T, h *harness) {
	if id, err := h.b.Restore(); err != nil || id != 0 {
		t.Fatalf("Restore on a fresh dir = %d, %v, want 0, nil", id, err)
	}
	MustPut(t, h.ns(1), "k", "v")
	if id := h.reopen(); id != 0 {
		t.Fatalf("Restore without checkpoint = %d", id)
	}
	expectScan(t, h.ns(1), nil, nil)
	// Checkpoint 0 is the empty state: Restore empties a live backend too.
	MustPut(t, h.ns(1), "k", "v")
	if id, err := h.b.Restore(); err != nil || id != 0 {
		t.Fatalf("Restore = %d, %v", id, err)
	}
	expectScan(t, h.ns(1), nil, nil)
}

func testLatestCheckpointWins(t *testing.T, h *harness) {
	MustPut(t, h.ns(1), "k", "first")
	MustPut(t, h.ns(1), "gone", "x")
	checkpoint(t, h, 1)
	MustPut(t, h.ns(1), "k", "second")
	del(t, h.ns(1), "gone")
	MustPut(t, h.ns(2), "k", "v")
	checkpoint(t, h, 2)
	want := dump(t, h, 1, 2)
	MustPut(t, h.ns(1), "k", "third")
	if id := h.reopen(); id != 2 {
		t.Fatalf("Restore = %d, want 2", id)
	}
	if got := dump(t, h, 1, 2); got != want {
		t.Errorf("restored:\n%s\nwant:\n%s", got, want)
	}
}

// testCorruptCheckpoint damages every file under the directory after a
// checkpoint, once by flipping a byte in the middle and once by cutting the
// file in half (a torn write), and requires Restore to report ErrCorrupt
// rather than load anything.
func testCorruptCheckpoint(t *testing.T, h *harness) {
	for _, damage := range []struct {
		name string
		fn   func(data []byte) []byte
	}{
		{"flip", func(d []byte) []byte { d[len(d)/2] ^= 0x40; return d }},
		{"truncate", func(d []byte) []byte { return d[:len(d)/2] }},
	} {
		t.Run(damage.name, func(t *testing.T) {
			h := newHarness(t, h.open)
			for i := range 100 {
				MustPut(t, h.ns(uint64(i%3)), fmt.Sprintf("key%03d", i), "value")
			}
			checkpoint(t, h, 1)
			h.close()
			n := 0
			err := filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				data, err := os.ReadFile(path)
				if err != nil || len(data) == 0 {
					return err
				}
				n++
				return os.WriteFile(path, damage.fn(data), 0o644)
			})
			if err != nil || n == 0 {
				t.Fatalf("damaging %d files: %v", n, err)
			}
			h.b, h.closed = h.open(t, h.dir), false
			if id, err := h.b.Restore(); !errors.Is(err, state.ErrCorrupt) {
				t.Fatalf("Restore of a damaged checkpoint = %d, %v; want an error wrapping ErrCorrupt", id, err)
			}
		})
	}
}

func testClosed(t *testing.T, h *harness) {
	s := h.ns(1)
	MustPut(t, s, "k", "v")
	it := s.NewIter(nil, nil)
	h.close()
	for name, err := range map[string]error{
		"Put":           s.Put(b("k"), b("v")),
		"Delete":        s.Delete(b("k")),
		"DeleteRange":   s.DeleteRange(nil, nil),
		"DropNamespace": h.b.DropNamespace(1),
		"Checkpoint":    h.b.Checkpoint(1),
		"Close":         h.b.Close(),
	} {
		if !errors.Is(err, state.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if _, _, err := s.Get(b("k")); !errors.Is(err, state.ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := h.b.Restore(); !errors.Is(err, state.ErrClosed) {
		t.Errorf("Restore after Close: %v", err)
	}
	for name, it := range map[string]state.Iterator{"open before": it, "opened after": s.NewIter(nil, nil)} {
		if it.First() || !errors.Is(it.Close(), state.ErrClosed) {
			t.Errorf("iterator %s Close: not ErrClosed", name)
		}
	}
}

// testConcurrentNamespaces uses one namespace per goroutine, all at once, and
// relies on -race to catch shared state between Stores; Namespace and
// DropNamespace of unrelated ids run concurrently with them.
func testConcurrentNamespaces(t *testing.T, h *harness) {
	const workers, ops = 8, 2000
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Go(func() {
			s := h.b.Namespace(uint64(w))
			for i := range ops {
				k := []byte(fmt.Sprintf("k%04d", i%500))
				var err error
				switch i % 5 {
				case 0, 1:
					err = s.Put(k, []byte(fmt.Sprintf("w%d-%d", w, i)))
				case 2:
					_, _, err = s.Get(k)
				case 3:
					err = s.Delete(k)
				case 4:
					it := s.NewIter(k, nil)
					for n := 0; n < 10 && it.Next(); n++ {
					}
					err = it.Close()
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
					return
				}
				_ = s.Stats()
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			h.b.Namespace(uint64(1000 + i%7))
			if err := h.b.DropNamespace(uint64(1000 + i%5)); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every worker ran the same deterministic sequence on its own namespace.
	ids := make([]uint64, workers)
	for w := range ids {
		ids[w] = uint64(w)
	}
	checkpoint(t, h, 1)
	want := dump(t, h, ids...)
	if h.reopen() != 1 {
		t.Fatal("checkpoint 1 not restored")
	}
	if got := dump(t, h, ids...); got != want {
		t.Errorf("restored concurrent writes differ:\n%s\nwant:\n%s", got, want)
	}
	if st := h.ns(0).Stats(); st.Keys != 200 {
		t.Errorf("worker 0 has %d keys, want 200", st.Keys)
	}
}
