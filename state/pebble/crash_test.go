package pebble

import (
	"errors"
	"fmt"
	"github.com/streamsql/streamsql/state/statetest"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state"
)

// CrashSeedEnv reruns TestCrash with one seed:
// PEBBLE_CRASH_SEED=7 go test -run TestCrash ./state/pebble.
const CrashSeedEnv = "PEBBLE_CRASH_SEED"

// crashImage is the file system as a crash at one moment would leave it,
// with the checkpoint ids a restart may legitimately find there: the last
// committed one, or the one being written if the crash came inside
// Checkpoint after its commit point.
type crashImage struct {
	fs      *vfs.MemFS
	at      string // the file system operation the crash preceded
	allowed []uint64
}

// TestCrash runs a seeded workload of writes, checkpoints, restores and
// restarts on a file system that can produce, before any of its operations,
// the image a machine crash would leave: synced data survives, unsynced data
// and directory entries survive only in part (vfs.MemFS.CrashClone). Every
// image, restarted, must restore exactly a checkpoint it may legitimately
// find, with exactly that checkpoint's contents: never a mix, never an
// error. Crash points inside Checkpoint are where the protocol is tested.
func TestCrash(t *testing.T) {
	seeds := []uint64{1, 2}
	if s := os.Getenv(CrashSeedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", CrashSeedEnv, s, err)
		}
		seeds = []uint64{seed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			runCrash(t, seed)
		})
	}
}

func runCrash(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xc4a5))
	mem := vfs.NewCrashableMem()
	tfs := &testFS{FS: mem}
	opts := Options{FS: tfs, MemTableSize: tinyMemTable}
	const dir = "/db"
	model := map[uint64]map[string]string{}
	committed := map[uint64]string{0: dumpModel(model)}
	var last, inflight uint64
	var images []crashImage
	tfs.setHook(func(op, path string) error {
		// Pebble's background goroutines only touch live/, and crash images
		// are taken on this goroutine only: CrashClone must not run while
		// another goroutine is inside the MemFS.
		if strings.Contains(path, "/"+liveDir) || len(images) >= 80 || r.IntN(15) != 0 {
			return nil
		}
		allowed := []uint64{last}
		if inflight != 0 {
			allowed = append(allowed, inflight)
		}
		clone := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: r.IntN(101), RNG: r})
		images = append(images, crashImage{fs: clone, at: op + " " + path, allowed: allowed})
		return nil
	})

	b, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 600 {
		ns := r.Uint64N(3)
		k := fmt.Sprintf("k%03d", r.IntN(200))
		switch n := r.IntN(100); {
		case n < 60:
			v := strings.Repeat(strconv.Itoa(i), 1+r.IntN(40))
			statetest.MustPut(t, b.Namespace(ns), k, v)
			if model[ns] == nil {
				model[ns] = map[string]string{}
			}
			model[ns][k] = v
		case n < 75:
			if err := b.Namespace(ns).Delete([]byte(k)); err != nil {
				t.Fatal(err)
			}
			delete(model[ns], k)
		case n < 80:
			end := fmt.Sprintf("k%03d", r.IntN(200))
			if err := b.Namespace(ns).DeleteRange([]byte(k), []byte(end)); err != nil {
				t.Fatal(err)
			}
			for mk := range model[ns] {
				if mk >= k && mk < end {
					delete(model[ns], mk)
				}
			}
		case n < 94:
			inflight = last + 1
			mustCheckpoint(t, b, inflight)
			last, inflight = inflight, 0
			committed[last] = dumpModel(model)
		case n < 97:
			if id, err := b.Restore(); err != nil || id != last {
				t.Fatalf("Restore = %d, %v; want %d", id, err, last)
			}
			model = parseDump(committed[last])
		default:
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if b, err = Open(dir, opts); err != nil {
				t.Fatal(err)
			}
			if id, err := b.Restore(); err != nil || id != last {
				t.Fatalf("Restore after restart = %d, %v; want %d", id, err, last)
			}
			model = parseDump(committed[last])
		}
	}
	tfs.setHook(nil)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if len(images) < 30 {
		t.Fatalf("only %d crash images", len(images))
	}
	newer := 0 // images that restored the checkpoint being written
	for i, img := range images {
		b, err := Open(dir, Options{FS: img.fs, MemTableSize: tinyMemTable})
		if err != nil {
			t.Fatalf("seed %d image %d (crash before %s): Open: %v", seed, i, img.at, err)
		}
		id, err := b.Restore()
		if err != nil || !slices.Contains(img.allowed, id) {
			t.Fatalf("seed %d image %d (crash before %s): Restore = %d, %v; want one of %v",
				seed, i, img.at, id, err, img.allowed)
		}
		if got := dumpBackend(t, b); got != committed[id] {
			t.Fatalf("seed %d image %d (crash before %s): checkpoint %d restored as\n%s\nwant\n%s",
				seed, i, img.at, id, got, committed[id])
		}
		if len(img.allowed) > 1 && id == img.allowed[1] {
			newer++
		}
		b.Close()
	}
	t.Logf("%d crash images, %d inside Checkpoint restored the new checkpoint", len(images), newer)
}

// dumpModel prints the model as dumpBackend prints a backend.
func dumpModel(m map[uint64]map[string]string) string {
	var out strings.Builder
	for ns := range uint64(3) {
		for _, k := range slices.Sorted(maps.Keys(m[ns])) {
			fmt.Fprintf(&out, "%d %s=%s\n", ns, k, m[ns][k])
		}
	}
	return out.String()
}

func parseDump(s string) map[uint64]map[string]string {
	m := map[uint64]map[string]string{}
	for line := range strings.Lines(s) {
		nsStr, kv, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		k, v, _ := strings.Cut(kv, "=")
		ns, _ := strconv.ParseUint(nsStr, 10, 64)
		if m[ns] == nil {
			m[ns] = map[string]string{}
		}
		m[ns][k] = v
	}
	return m
}

// dumpBackend prints namespaces 0-2, checking that Stats agree with them.
func dumpBackend(t *testing.T, b state.Backend) string {
	t.Helper()
	var out strings.Builder
	for ns := range uint64(3) {
		s := b.Namespace(ns)
		var st state.Stats
		it := s.NewIter(nil, nil)
		for ok := it.First(); ok; ok = it.Next() {
			fmt.Fprintf(&out, "%d %s=%s\n", ns, it.Key(), it.Value())
			st.Keys++
			st.Bytes += int64(len(it.Key()) + len(it.Value()))
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if st != s.Stats() {
			t.Errorf("ns %d: Stats %+v, contents %+v", ns, s.Stats(), st)
		}
	}
	return out.String()
}

// TestCrashCopy simulates a kill -9 on the real file system: the directory
// is copied while the Backend is open (the page cache survives a process
// crash, so a copy is what a restart would see), once with writes after the
// last checkpoint and once from inside the next Checkpoint just before its
// commit point. The copy must restore the last committed checkpoint.
func TestCrashCopy(t *testing.T) {
	tfs := &testFS{FS: vfs.Default, noSync: true}
	dir := t.TempDir()
	b := open(t, dir, Options{FS: tfs, MemTableSize: tinyMemTable})
	defer b.Close()
	for i := range 3000 {
		statetest.MustPut(t, b.Namespace(uint64(i%2)), fmt.Sprintf("k%05d", i), "checkpointed")
	}
	mustCheckpoint(t, b, 1)
	for i := range 3000 {
		statetest.MustPut(t, b.Namespace(uint64(i%2)), fmt.Sprintf("k%05d", i), "uncheckpointed")
	}
	killed := t.TempDir()
	copyDir(t, dir, killed)

	midCheckpoint := t.TempDir()
	tfs.setHook(func(op, path string) error {
		if op == "rename" && strings.Contains(path, checkpointsDir) {
			copyDir(t, dir, midCheckpoint)
		}
		return nil
	})
	mustCheckpoint(t, b, 2)
	tfs.setHook(nil)

	for name, d := range map[string]string{"after writes": killed, "mid-checkpoint": midCheckpoint} {
		c := open(t, d, Options{})
		if id, err := c.Restore(); err != nil || id != 1 {
			t.Errorf("%s: Restore = %d, %v; want 1", name, id, err)
		}
		if got := statetest.MustGet(t, c.Namespace(1), "k00001"); got != "checkpointed" {
			t.Errorf("%s: k00001 = %q", name, got)
		}
		if st := c.Namespace(0).Stats(); st.Keys != 1500 {
			t.Errorf("%s: ns 0 has %d keys", name, st.Keys)
		}
		c.Close()
	}
}

// copyDir copies a directory tree, tolerating files Pebble deletes while
// the copy runs (they belong to the live DB, which a restart discards).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}
