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
	"testing"

	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/memory"
)

// TestFaultInjection fails each file-system operation of a workload in
// turn (k = 1, 2, ... until the workload has no k-th one): the writes,
// fsyncs, renames, truncations and directory syncs of the insert log and
// the memory backend's checkpoint. Each run then crashes (the engine is
// dropped without its final checkpoint, and in the power-loss variant what
// was never fsynced is dropped too) and restarts on the real file system,
// which must succeed (no torn state is loaded, none refused) with every
// acknowledged row present once and no row never inserted.
//
// It fails before the insert log cuts off a failed write (a later INSERT
// is acknowledged after the torn record, and replay stops there) and before
// a failed checkpoint stops the log (a directory sync failing after the
// checkpoint's rename leaves it committed on disk while the INSERTs after it
// go to the old log, which the restart does not replay). A fault is
// either one failure (the disk frees up) or every operation from k on.
func TestFaultInjection(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) // a line per replay
	root := t.TempDir()
	runs := 0
	for _, sticky := range []bool{false, true} {
		for _, powerLoss := range []bool{false, true} {
			for k := 1; ; k++ {
				dir := filepath.Join(root, fmt.Sprintf("run%d", runs))
				runs++
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				count := 1
				if sticky {
					count = -1
				}
				name := fmt.Sprintf("k=%d sticky=%v power-loss=%v", k, sticky, powerLoss)
				injected := faultRun(t, name, dir, k, count, powerLoss)
				if !injected {
					break
				}
			}
		}
	}
	t.Logf("%d runs", runs)
	if runs < 40 {
		t.Fatalf("only %d runs: the workload does fewer file operations than expected", runs)
	}
}

// inserts is how many INSERTs the workload runs, with a checkpoint after
// every third.
const inserts = 8

// faultRun runs the workload once over dir with operations k.. failing,
// crashes, restarts and checks; it reports whether a fault was injected.
func faultRun(t *testing.T, name, dir string, k, count int, powerLoss bool) bool {
	t.Helper()
	fsys := faultfs.New(durable.OS)
	fsys.Fail(k, count)
	acked := map[int]bool{} // rows whose INSERT succeeded
	createAcked := false
	backend, err := memory.OpenFS(filepath.Join(dir, "state"), fsys)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if e, err := Open(backend, Options{Dir: dir, FS: fsys}); err == nil {
		s, _ := e.NewSession("test", "test")
		createAcked = runSQL(s, "CREATE TABLE t (k INT)") == ""
		for i := 1; i <= inserts; i++ {
			// Two rows per INSERT: one record, both or neither.
			if runSQL(s, fmt.Sprintf("INSERT INTO t VALUES (%d), (%d)", i, -i)) == "" {
				acked[i] = true
			}
			if i%3 == 0 && i < inserts {
				// It may fail; the next one retries, and the crash comes
				// after inserts that follow the last one.
				e.Checkpoint()
			}
		}
		crashEngine(e)
	}
	backend.Close()
	if powerLoss {
		if err := fsys.LoseUnsynced(); err != nil {
			t.Fatal(err)
		}
	}
	failed := fsys.Failed()
	if len(failed) == 0 {
		return false
	}
	// Restart from the files, on a file system that fails nothing (and,
	// like the one above, skips fsync: it is what keeps the test fast).
	clean := faultfs.New(durable.OS)
	backend, err = memory.OpenFS(filepath.Join(dir, "state"), clean)
	if err != nil {
		t.Fatalf("%s (failed %v): restart: %v", name, failed, err)
	}
	defer backend.Close()
	e, err := Open(backend, Options{Dir: dir, FS: clean})
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
