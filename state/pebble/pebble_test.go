package pebble

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/goleak"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/statetest"
)

// TestMain fails the package if a test leaves a goroutine behind: every
// Backend owns Pebble's background goroutines and must stop them on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tinyMemTable makes Pebble flush and compact within a test's few writes.
const tinyMemTable = 64 << 10

// fastFS is the real file system without fsync: the conformance suite checks
// behaviour, not durability against power loss (crash_test.go does that on a
// file system that forgets unsynced data), and fsync would triple its time.
var fastFS = &testFS{FS: vfs.Default, noSync: true}

func opener(opts Options) func(t *testing.T, dir string) state.Backend {
	return func(t *testing.T, dir string) state.Backend {
		t.Helper()
		b, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestConformance runs the suite twice, in parallel with each other and
// with TestMetamorphic: the suite is bound by file system calls and Pebble's
// background work, so two cores finish it in about half the time.
func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		statetest.Run(t, opener(Options{FS: fastFS}))
	})
	t.Run("tiny-memtable", func(t *testing.T) {
		t.Parallel()
		statetest.Run(t, opener(Options{FS: fastFS, MemTableSize: tinyMemTable}))
	})
}

func open(t *testing.T, dir string, opts Options) *Backend {
	t.Helper()
	if opts.FS == nil {
		opts.FS = fastFS
	}
	b, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustCheckpoint(t *testing.T, b state.Backend, id uint64) {
	t.Helper()
	if err := b.Checkpoint(id); err != nil {
		t.Fatal(err)
	}
}

// entries lists dir/checkpoints.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(dir, checkpointsDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestLayout pins the directory layout the package doc describes: one
// committed checkpoint, named <seq>-<id>, with our manifest; no live DB once
// closed; an interrupted checkpoint is removed by Open.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, Options{})
	for id := uint64(1); id <= 3; id++ {
		statetest.MustPut(t, b.Namespace(1), fmt.Sprint(id), "v")
		mustCheckpoint(t, b, id*10)
	}
	if got := entries(t, dir); fmt.Sprint(got) != "[000002-30]" {
		t.Errorf("checkpoints/ = %v, want [000002-30]", got)
	}
	if _, err := os.Stat(filepath.Join(dir, checkpointsDir, "000002-30", manifestFile)); err != nil {
		t.Error(err)
	}
	b.Close()
	if _, err := os.Stat(filepath.Join(dir, liveDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("live DB left after Close: %v", err)
	}

	torn := filepath.Join(dir, checkpointsDir, tmpPrefix+"3")
	if err := os.MkdirAll(torn, 0o755); err != nil {
		t.Fatal(err)
	}
	b = open(t, dir, Options{})
	defer b.Close()
	if got := entries(t, dir); fmt.Sprint(got) != "[000002-30]" {
		t.Errorf("after Open, checkpoints/ = %v", got)
	}
	if id, err := b.Restore(); err != nil || id != 30 || statetest.MustGet(t, b.Namespace(1), "3") != "v" {
		t.Fatalf("Restore = %d, %v", id, err)
	}
	mustCheckpoint(t, b, 31)
	if got := entries(t, dir); fmt.Sprint(got) != "[000004-31]" {
		t.Errorf("seq does not continue past the interrupted one: %v", got)
	}
}

// TestFailedCheckpoint fails each file system step of a checkpoint in turn:
// the error is reported, the previous checkpoint stays the one restored, and
// the next checkpoint succeeds.
func TestFailedCheckpoint(t *testing.T) {
	for _, op := range []string{"mkdir", "link", "create", "sync", "rename"} {
		t.Run(op, func(t *testing.T) {
			fs := &testFS{FS: vfs.Default, noSync: true}
			dir := t.TempDir()
			b := open(t, dir, Options{FS: fs, MemTableSize: tinyMemTable})
			defer b.Close()
			for i := range 2000 { // enough for sstables to link
				statetest.MustPut(t, b.Namespace(1), fmt.Sprintf("k%05d", i), "one")
			}
			mustCheckpoint(t, b, 1)
			statetest.MustPut(t, b.Namespace(1), "k00000", "two")
			fs.setHook(func(o, path string) error {
				if o == op && strings.Contains(path, checkpointsDir) {
					return &os.PathError{Op: "injected " + op, Path: path, Err: os.ErrPermission}
				}
				return nil
			})
			if err := b.Checkpoint(2); err == nil {
				t.Fatal("Checkpoint succeeded despite the injected failure")
			}
			fs.setHook(nil)
			if id, err := b.Restore(); err != nil || id != 1 || statetest.MustGet(t, b.Namespace(1), "k00000") != "one" {
				t.Fatalf("Restore = %d, %v", id, err)
			}
			statetest.MustPut(t, b.Namespace(1), "k00000", "three")
			mustCheckpoint(t, b, 2)
			if got := entries(t, dir); len(got) != 1 {
				t.Errorf("checkpoints/ = %v", got)
			}
			if id, err := b.Restore(); err != nil || id != 2 || statetest.MustGet(t, b.Namespace(1), "k00000") != "three" {
				t.Fatalf("Restore = %d, %v", id, err)
			}
		})
	}
}

// TestCorruptRestoreKeepsContents damages one file of the checkpoint at a
// time (every kind Pebble writes, and ours) between restarts, and requires
// ErrCorrupt from Restore with the contents written since Open untouched.
func TestCorruptRestoreKeepsContents(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, Options{MemTableSize: tinyMemTable})
	for i := range 2000 {
		statetest.MustPut(t, b.Namespace(uint64(i%2)), fmt.Sprintf("k%05d", i), "checkpointed")
	}
	mustCheckpoint(t, b, 1)
	b.Close()
	ck := filepath.Join(dir, checkpointsDir, entries(t, dir)[0])
	des, err := os.ReadDir(ck)
	if err != nil {
		t.Fatal(err)
	}
	damages := map[string]func([]byte) ([]byte, bool){
		"flip": func(d []byte) ([]byte, bool) {
			if len(d) == 0 {
				return nil, false
			}
			d[len(d)/2] ^= 1
			return d, true
		},
		"truncate": func(d []byte) ([]byte, bool) { return d[:len(d)/2], len(d) > 0 },
		"remove":   func(d []byte) ([]byte, bool) { return nil, true },
	}
	kinds := map[string]bool{}
	for _, de := range des {
		kind := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, de.Name())
		if kinds[kind] {
			continue // one file of each kind keeps the test fast
		}
		kinds[kind] = true
		for name, damage := range damages {
			path := filepath.Join(ck, de.Name())
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data, ok := damage(slices.Clone(orig))
			if !ok {
				continue
			}
			os.Remove(path)
			if data != nil {
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b := open(t, dir, Options{})
			statetest.MustPut(t, b.Namespace(1), "k00001", "live")
			if _, err := b.Restore(); !errors.Is(err, state.ErrCorrupt) {
				t.Errorf("%s %s: Restore = %v, want ErrCorrupt", name, de.Name(), err)
			}
			if got := statetest.MustGet(t, b.Namespace(1), "k00001"); got != "live" {
				t.Errorf("%s %s: failed Restore changed contents to %q", name, de.Name(), got)
			}
			b.Close()
			os.Remove(path)
			if err := os.WriteFile(path, orig, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("damaged one file of each kind: %v", slices.Sorted(maps.Keys(kinds)))
	if len(kinds) < 6 {
		t.Errorf("checkpoint has only the file kinds %v", kinds)
	}
	b = open(t, dir, Options{})
	defer b.Close()
	if id, err := b.Restore(); err != nil || id != 1 || statetest.MustGet(t, b.Namespace(1), "k00001") != "checkpointed" {
		t.Errorf("Restore of the repaired checkpoint = %d, %v", id, err)
	}
}

func TestCheckpointIDsIncrease(t *testing.T) {
	b := open(t, t.TempDir(), Options{})
	defer b.Close()
	mustCheckpoint(t, b, 3)
	for _, id := range []uint64{3, 2} {
		if err := b.Checkpoint(id); err == nil {
			t.Errorf("Checkpoint(%d) after 3 succeeded", id)
		}
	}
}

// TestLockExcludes checks that two Backends cannot share a directory: the
// second would delete the first one's live DB.
func TestLockExcludes(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, Options{})
	if b2, err := Open(dir, Options{FS: fastFS}); err == nil {
		b2.Close()
		t.Fatal("second Open of a directory in use succeeded")
	}
	b.Close()
	open(t, dir, Options{}).Close()
}

// TestIteratorAcrossRestore checks that an iterator left open over Restore
// fails cleanly instead of reading a closed DB or blocking the switch, both
// when Restore opens the checkpoint from disk and when it rolls back.
func TestIteratorAcrossRestore(t *testing.T) {
	b := open(t, t.TempDir(), Options{})
	defer b.Close()
	s := b.Namespace(1)
	for _, ckpt := range []bool{false, true} {
		statetest.MustPut(t, s, "a", "1")
		statetest.MustPut(t, s, "b", "2")
		if ckpt {
			mustCheckpoint(t, b, 1)
			statetest.MustPut(t, s, "c", "3")
		}
		it := s.NewIter(nil, nil)
		if !it.First() {
			t.Fatal("empty iterator")
		}
		if _, err := b.Restore(); err != nil {
			t.Fatal(err)
		}
		if it.Next() || !errors.Is(it.Close(), errRestored) {
			t.Errorf("checkpoint %v: iterator survived Restore: %v", ckpt, it.Error())
		}
	}
}

// TestGetValuesStable checks the ownership rule of Get: values stay valid
// across further Gets until a mutation.
func TestGetValuesStable(t *testing.T) {
	b := open(t, t.TempDir(), Options{})
	defer b.Close()
	s := b.Namespace(1)
	big := strings.Repeat("x", arenaChunk)
	for _, kv := range [][2]string{{"a", "1"}, {"b", big}, {"c", "3"}} {
		statetest.MustPut(t, s, kv[0], kv[1])
	}
	var got []string
	var vals [][]byte
	for _, k := range []string{"a", "b", "c", "a"} {
		v, _, err := s.Get([]byte(k))
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v)
	}
	for _, v := range vals {
		got = append(got, string(v[:1]))
	}
	if fmt.Sprint(got) != "[1 x 3 1]" {
		t.Errorf("values changed under later Gets: %v", got)
	}
}

// TestLastNamespace covers namespace MaxUint64, whose range has no finite
// end key for a range tombstone.
func TestLastNamespace(t *testing.T) {
	b := open(t, t.TempDir(), Options{})
	defer b.Close()
	last, before := b.Namespace(math.MaxUint64), b.Namespace(math.MaxUint64-1)
	for _, k := range []string{"a", "b", "\xff\xff"} {
		statetest.MustPut(t, last, k, "v")
		statetest.MustPut(t, before, k, "v")
	}
	if err := last.DeleteRange([]byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	if st := last.Stats(); st.Keys != 1 || statetest.MustGet(t, last, "a") != "v" {
		t.Errorf("after DeleteRange(b, nil): %+v", st)
	}
	mustCheckpoint(t, b, 1)
	if err := b.DropNamespace(math.MaxUint64); err != nil {
		t.Fatal(err)
	}
	if statetest.MustGet(t, last, "a") != "<absent>" || before.Stats().Keys != 3 {
		t.Errorf("drop of the last namespace: %q, neighbour %+v", statetest.MustGet(t, last, "a"), before.Stats())
	}
	// Rolling back the drop restores an unbounded range too.
	statetest.MustPut(t, last, "\xff\xff\xff", "after the checkpoint")
	if id, err := b.Restore(); err != nil || id != 1 {
		t.Fatalf("Restore = %d, %v", id, err)
	}
	if got := statetest.MustGet(t, last, "a"); got != "v" || last.Stats().Keys != 1 || statetest.MustGet(t, last, "\xff\xff\xff") != "<absent>" {
		t.Errorf("after Restore: a=%q, %+v", got, last.Stats())
	}
}

// TestDeleteRangeKnownTrusts: DeleteRangeKnown takes the caller's count
// instead of visiting the range (Stats follow even a wrong one, which the
// memory backend's check exists to catch), clamps at zero, and with Keys 0
// counts as DeleteRange does.
func TestDeleteRangeKnownTrusts(t *testing.T) {
	b := open(t, t.TempDir(), Options{FS: fastFS})
	defer b.Close()
	s := b.Namespace(1)
	for _, k := range []string{"a1", "a2", "b1", "b2", "c1"} {
		statetest.MustPut(t, s, k, "v")
	}
	steps := []struct {
		start, end string
		removed    state.Stats
		want       state.Stats
	}{
		{"a", "b", state.Stats{Keys: 1, Bytes: 1}, state.Stats{Keys: 4, Bytes: 14}}, // trusted, not counted
		{"b", "c", state.Stats{}, state.Stats{Keys: 2, Bytes: 8}},                   // counted: 2 keys, 6 bytes
		{"c", "d", state.Stats{Keys: 9, Bytes: 99}, state.Stats{}},                  // clamped
	}
	for _, st := range steps {
		if err := state.DeleteRangeKnown(s, []byte(st.start), []byte(st.end), st.removed); err != nil {
			t.Fatal(err)
		}
		if got := s.Stats(); got != st.want {
			t.Errorf("after DeleteRangeKnown [%s, %s) %+v: Stats %+v, want %+v", st.start, st.end, st.removed, got, st.want)
		}
	}
	if it := s.NewIter(nil, nil); it.First() {
		t.Errorf("key %q left", it.Key())
		it.Close()
	} else if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestManifestBounded: the MANIFEST a checkpoint copies (and checksums) does
// not grow with the number of checkpoints before it: Pebble starts a new one
// past maxManifestSize. With its default of 128 MiB the MANIFEST gained an
// edit per flush and compaction for good, 14.7 KB by the 200th checkpoint
// here and growing.
func TestManifestBounded(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, Options{FS: fastFS})
	defer b.Close()
	s := b.Namespace(1)
	manifestSize := func() int64 {
		t.Helper()
		cks, err := filepath.Glob(filepath.Join(dir, checkpointsDir, "*", "MANIFEST-0*"))
		if err != nil || len(cks) != 1 {
			t.Fatalf("checkpoint MANIFESTs: %v, %v", cks, err)
		}
		fi, err := os.Stat(cks[0])
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	var prev, peak int64
	rotated := false
	for id := uint64(1); id <= 200; id++ {
		statetest.MustPut(t, s, fmt.Sprintf("k%03d", id%50), fmt.Sprint(id))
		if err := b.Checkpoint(id); err != nil {
			t.Fatal(err)
		}
		size := manifestSize()
		rotated = rotated || size < prev
		prev, peak = size, max(peak, size)
	}
	if !rotated || peak > 2*maxManifestSize {
		t.Errorf("checkpoint MANIFEST: rotated %v, %d bytes at most, %d at the end", rotated, peak, prev)
	}
}

// TestSizesOutliveCheckpoint: the value sizes a Store knows survive a
// checkpoint (which changes no value), so the next write-back of the same
// keys reads no prior size from Pebble; a Restore that rolls back in place
// still rolls back only what was touched since that checkpoint.
func TestSizesOutliveCheckpoint(t *testing.T) {
	b := open(t, t.TempDir(), Options{FS: fastFS})
	defer b.Close()
	s := b.Namespace(1).(*store)
	statetest.MustPut(t, s, "old", "before the base")
	statetest.MustPut(t, s, "new", "v1")
	if err := b.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"old", "new"} {
		if _, _, known := s.knownSize([]byte(k)); !known {
			t.Errorf("size of %q unknown after the checkpoint", k)
		}
	}
	statetest.MustPut(t, s, "new", "v2, longer")
	statetest.MustPut(t, s, "added", "x")
	if id, err := b.Restore(); err != nil || id != 1 {
		t.Fatalf("Restore = %d, %v", id, err)
	}
	for k, want := range map[string]string{"old": "before the base", "new": "v1", "added": "<absent>"} {
		if got := statetest.MustGet(t, s, k); got != want {
			t.Errorf("after Restore %q = %q, want %q", k, got, want)
		}
	}
	if st := s.Stats(); st != (state.Stats{Keys: 2, Bytes: 3 + 15 + 3 + 2}) {
		t.Errorf("Stats after Restore = %+v", st)
	}
}
