package engine

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestFaultInjection fails each file-system operation of a workload in
// turn (k = 1, 2, ... until the workload has no k-th one): the writes,
// fsyncs, renames, truncations and directory syncs of the insert log and
// the memory backend's checkpoint, then those of the Pebble backend's own
// checkpoint steps. A fault is one failure (the disk frees up) or every
// operation from k on. Each run then crashes (the engine is dropped
// without its final checkpoint; in the power-loss variant what was never
// fsynced is lost too, the files created or renamed in a directory not
// fsynced since included) and restarts from the files, which must succeed (no
// torn state loaded, none refused) with every acknowledged row back once
// and no row that was never inserted.
//
// It fails before the insert log cuts off a failed write (a later INSERT
// is acknowledged after the torn record, and replay stops there) and before
// a failed checkpoint stops the log (a directory sync failing after the
// checkpoint's rename leaves it committed on disk while the INSERTs after
// it go to the old log, which the restart does not replay).
func TestFaultInjection(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) // a line per replay
	root := t.TempDir()
	runs := 0
	newDir := func() string {
		dir := filepath.Join(root, fmt.Sprintf("run%d", runs))
		runs++
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, sticky := range []bool{false, true} {
		count := 1
		if sticky {
			count = -1
		}
		for _, powerLoss := range []bool{false, true} {
			for k := 1; ; k++ {
				dir := newDir()
				fsys := faultfs.New(durable.OS)
				fsys.Fail(k, count)
				stateDir := filepath.Join(dir, "state")
				r := faultRig{
					name:  fmt.Sprintf("memory k=%d sticky=%v power-loss=%v", k, sticky, powerLoss),
					logFS: fsys,
					open: func(restart bool) (state.Backend, error) {
						if restart {
							return memory.OpenFS(stateDir, faultfs.New(durable.OS))
						}
						return memory.OpenFS(stateDir, fsys)
					},
					failed: fsys.Failed,
				}
				if powerLoss {
					r.crash = fsys.LoseUnsynced
				}
				if !faultRun(t, dir, r) {
					break
				}
			}
		}
		// The Pebble backend's checkpoint protocol, through Pebble's own
		// error injection: its manifest, syncs, rename and clean-up (the
		// files Pebble's DB.Checkpoint copies are Pebble's to test).
		for k := 1; ; k++ {
			mem := vfs.NewMem()
			var n atomic.Int32
			var failed []string
			inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
				if op.Kind.ReadOrWrite() != errorfs.OpIsWrite || !ownCheckpointOp(op.Path) {
					return nil
				}
				if i := int(n.Add(1)); i == k || sticky && i > k {
					failed = append(failed, fmt.Sprintf("%d:%v %s", i, op.Kind, op.Path))
					return errorfs.ErrInjected
				}
				return nil
			})
			r := faultRig{
				name:  fmt.Sprintf("pebble k=%d sticky=%v", k, sticky),
				logFS: faultfs.New(durable.OS),
				open: func(restart bool) (state.Backend, error) {
					fs := vfs.FS(mem)
					if !restart {
						fs = errorfs.Wrap(mem, inj)
					}
					return pebble.Open("/state", pebble.Options{FS: fs, MemTableSize: 64 << 10, CacheSize: 1 << 20})
				},
				failed: func() []string { return failed },
			}
			if !faultRun(t, newDir(), r) {
				break
			}
		}
	}
	t.Logf("%d runs", runs)
	if runs < 40 {
		t.Fatalf("only %d runs: the workload does fewer file operations than expected", runs)
	}
}

// ownCheckpointOp reports whether path is one the Pebble backend's own
// checkpoint steps write: checkpoints/, an entry of it, or the manifest.
func ownCheckpointOp(path string) bool {
	dir, base := filepath.Split(filepath.Clean(path))
	return base == "checkpoints" || filepath.Base(dir) == "checkpoints" || base == "MANIFEST-STREAMSQL"
}

// faultRig is one run's file systems.
type faultRig struct {
	name  string
	logFS durable.FS // the insert log's, failing
	// open opens the backend, failing, or for the restart not.
	open func(restart bool) (state.Backend, error)
	// failed lists the operations failed.
	failed func() []string
	// crash, if set, is what the crash loses besides the process.
	crash func() error
}

// inserts is how many INSERTs the workload runs, with a checkpoint after
// every third.
const inserts = 8

// faultRun runs the workload once over dir with operations k.. failing,
// crashes, restarts and checks; it reports whether a fault was injected.
func faultRun(t *testing.T, dir string, r faultRig) bool {
	t.Helper()
	name := r.name
	acked := map[int]bool{} // rows whose INSERT succeeded
	createAcked := false
	// A failure may stop the backend or the engine from opening at all.
	if backend, err := r.open(false); err == nil {
		func() {
			var e *Engine
			defer func() {
				// Pebble panics when a directory fsync fails (fsync
				// errors are unrecoverable, as in PostgreSQL): that is
				// the crash.
				recover()
				if e != nil {
					crashEngine(e)
				}
			}()
			if e, err = Open(backend, Options{Dir: dir, FS: r.logFS}); err != nil {
				e = nil
				return
			}
			s, _ := e.NewSession("test", "test")
			createAcked = runSQL(s, "CREATE TABLE t (k INT)") == ""
			for i := 1; i <= inserts; i++ {
				// Two rows per INSERT: one record, both or neither.
				if runSQL(s, fmt.Sprintf("INSERT INTO t VALUES (%d), (%d)", i, -i)) == "" {
					acked[i] = true
				}
				if i%3 == 0 && i < inserts {
					// It may fail; the next one retries, and the crash
					// comes after inserts that follow the last one.
					e.Checkpoint()
				}
			}
		}()
		backend.Close()
	}
	if r.crash != nil {
		if err := r.crash(); err != nil {
			t.Fatal(err)
		}
	}
	failed := r.failed()
	if len(failed) == 0 {
		return false
	}
	// Restart from the files, on a file system that fails nothing (and,
	// like the one above, skips fsync: it is what keeps the test fast).
	backend, err := r.open(true)
	if err != nil {
		t.Fatalf("%s (failed %v): restart: %v", name, failed, err)
	}
	defer backend.Close()
	e, err := Open(backend, Options{Dir: dir, FS: faultfs.New(durable.OS)})
	if err != nil {
		t.Fatalf("%s (failed %v): restart: %v", name, failed, err)
	}
	defer crashEngine(e)
	s, _ := e.NewSession("test", "test")
	out := runSQL(s, "SELECT k FROM t")
	if strings.HasPrefix(out, "error:") {
		if createAcked || len(acked) > 0 {
			t.Fatalf("%s (failed %v): after restart: %s (CREATE acknowledged %v, inserts %v)", name, failed, out, createAcked, acked)
		}
		return true
	}
	seen := map[int]int{}
	for _, f := range strings.Fields(out) {
		v, err := strconv.Atoi(f)
		if err != nil || v == 0 || v < -inserts || v > inserts {
			t.Fatalf("%s (failed %v): a row never inserted: %q", name, failed, f)
		}
		seen[v]++
	}
	for i := 1; i <= inserts; i++ {
		if seen[i] > 1 || seen[-i] > 1 || seen[i] != seen[-i] {
			t.Fatalf("%s (failed %v): INSERT %d came back %d and %d times, want both rows once or neither", name, failed, i, seen[i], seen[-i])
		}
		if acked[i] && seen[i] == 0 {
			t.Fatalf("%s (failed %v): acknowledged INSERT %d lost; rows after restart: %v", name, failed, i, slices.Sorted(maps.Keys(seen)))
		}
	}
	return true
}

// crashEngine stops e as a kill would: its sources and loops end and its
// files close, but no final checkpoint is taken.
func crashEngine(e *Engine) {
	e.cancel()
	e.wg.Wait()
	e.mu.RLock()
	for _, x := range e.rels {
		x.close()
	}
	e.mu.RUnlock()
	e.log.close()
}
