// Package statetest is the conformance suite of state.Backend: every backend
// runs Run from its own tests, so the memory and pebble backends are held to
// one contract, the one documented in package state.
package statetest

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/state"
)

// Run runs the conformance suite. open returns a Backend over dir, failing t
// if it cannot; it is called again with the same dir to simulate a restart,
// always after the previous Backend was closed. Every subtest uses its own
// t.TempDir().
//
// Two subtests assume things of the backend beyond package state: the
// corruption test damages every regular file under dir, so open must succeed
// over a damaged directory and leave the report to Restore (ErrCorrupt); and
// the randomized test runs fixed seeds, or only the one in $STATETEST_SEED.
func Run(t *testing.T, open func(t *testing.T, dir string) state.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"PutCopies", testPutCopies},
		{"ScanBounds", testScanBounds},
		{"IteratorPositioning", testIteratorPositioning},
		{"IteratorSnapshot", testIteratorSnapshot},
		{"DeleteRange", testDeleteRange},
		{"DeleteRangeKnown", testDeleteRangeKnown},
		{"NamespaceIsolation", testNamespaceIsolation},
		{"DropNamespace", testDropNamespace},
		{"Stats", testStats},
		{"CheckpointRestore", testCheckpointRestore},
		{"RestoreWithoutCheckpoint", testRestoreWithoutCheckpoint},
		{"LatestCheckpointWins", testLatestCheckpointWins},
		{"CorruptCheckpoint", testCorruptCheckpoint},
		{"Closed", testClosed},
		{"ConcurrentNamespaces", testConcurrentNamespaces},
		{"Randomized", testRandomized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t, open))
		})
	}
}

// harness owns the Backend under test so that a subtest can restart it and
// the cleanup closes exactly the live one, exactly once.
type harness struct {
	t      *testing.T
	open   func(t *testing.T, dir string) state.Backend
	dir    string
	b      state.Backend
	closed bool
}

// newHarness opens a Backend over a fresh directory, closed when t ends.
func newHarness(t *testing.T, open func(t *testing.T, dir string) state.Backend) *harness {
	h := &harness{t: t, open: open, dir: t.TempDir()}
	h.b = open(t, h.dir)
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	if !h.closed {
		h.closed = true
		if err := h.b.Close(); err != nil {
			h.t.Errorf("Close: %v", err)
		}
	}
}

// reopen simulates a restart: close, open over the same dir, Restore. It
// returns the restored checkpoint id.
func (h *harness) reopen() uint64 {
	h.t.Helper()
	h.close()
	h.b, h.closed = h.open(h.t, h.dir), false
	id, err := h.b.Restore()
	if err != nil {
		h.t.Fatalf("Restore after reopen: %v", err)
	}
	return id
}

func (h *harness) ns(id uint64) state.Store { return h.b.Namespace(id) }

// MustPut puts k = v or fails the test.
func MustPut(t *testing.T, s state.Store, k, v string) {
	t.Helper()
	if err := s.Put([]byte(k), []byte(v)); err != nil {
		t.Fatalf("Put(%q): %v", k, err)
	}
}

func del(t *testing.T, s state.Store, k string) {
	t.Helper()
	if err := s.Delete([]byte(k)); err != nil {
		t.Fatalf("Delete(%q): %v", k, err)
	}
}

func delRange(t *testing.T, s state.Store, start, end []byte) {
	t.Helper()
	if err := s.DeleteRange(start, end); err != nil {
		t.Fatalf("DeleteRange(%q, %q): %v", start, end, err)
	}
}

// MustGet returns the value of k, or "<absent>", or fails the test.
func MustGet(t *testing.T, s state.Store, k string) string {
	t.Helper()
	v, ok, err := s.Get([]byte(k))
	if err != nil {
		t.Fatalf("Get(%q): %v", k, err)
	}
	if !ok {
		return "<absent>"
	}
	return string(v)
}

// scan returns the range [start, end) as "k=v" pairs, checking the
// iterator's error and Close.
func scan(t *testing.T, s state.Store, start, end []byte) []string {
	t.Helper()
	it := s.NewIter(start, end)
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
	}
	if it.Valid() {
		t.Errorf("iterator valid after the loop")
	}
	if err := it.Close(); err != nil {
		t.Fatalf("scan [%q, %q): %v", start, end, err)
	}
	return out
}

func expectScan(t *testing.T, s state.Store, start, end []byte, want ...string) {
	t.Helper()
	if got := scan(t, s, start, end); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scan [%q, %q) = %q, want %q", start, end, got, want)
	}
}

func b(s string) []byte { return []byte(s) }
