package engine

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streamsql/streamsql/state/memory"
)

// These tests look for an acknowledged INSERT that a restart loses.

func openMemory(t *testing.T, dir string, crash func(string)) (*Engine, *memory.Backend) {
	t.Helper()
	b, err := memory.Open(filepath.Join(dir, "mem"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(b, Options{Dir: dir, Crash: crash})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	return e, b
}

// restartSelect crashes e, restarts on dir and returns SELECT k FROM t.
func restartSelect(t *testing.T, e *Engine, b *memory.Backend, dir string) string {
	t.Helper()
	crashEngine(e)
	b.Close()
	e2, b2 := openMemory(t, dir, nil)
	defer b2.Close()
	defer crashEngine(e2)
	s, _ := e2.NewSession("test", "test")
	return runSQL(s, "SELECT k FROM t ORDER BY k")
}

// A panic in a DDL's checkpoint (Pebble's, when an fsync fails) ends only
// its connection: until a checkpoint succeeds, no INSERT may be
// acknowledged, since it would go to a log no restart replays or name a
// table the last checkpoint lacks.
func TestLostPanicInDDLCheckpoint(t *testing.T) {
	for _, point := range []string{"checkpoint-before-commit", "checkpoint-after-commit"} {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			var arm atomic.Bool
			e, b := openMemory(t, dir, func(p string) {
				if p == point && arm.CompareAndSwap(true, false) {
					panic("simulated fsync panic")
				}
			})
			s1, _ := e.NewSession("test", "test")
			arm.Store(true)
			func() {
				defer func() {
					if recover() == nil {
						t.Error("the checkpoint's panic was not passed on to the wire")
					}
				}()
				runSQL(s1, "CREATE TABLE t (k INT)")
			}()
			s2, _ := e.NewSession("test", "test")
			if out := runSQL(s2, "INSERT INTO t VALUES (1)"); !strings.Contains(out, "refused") {
				t.Fatalf("INSERT after the checkpoint panicked: %q, want it refused", out)
			}
			if err := e.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if out := runSQL(s2, "INSERT INTO t VALUES (2)"); out != "" {
				t.Fatalf("INSERT after a checkpoint succeeded: %q", out)
			}
			if got := restartSelect(t, e, b, dir); got != "2\n" {
				t.Errorf("after restart: %q, want the acknowledged row 2", got)
			}
		})
	}
}
