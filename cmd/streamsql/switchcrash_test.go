package main

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/wire"
)

// rowCount counts the rows of a result.
type rowCount struct{ n int }

func (r *rowCount) Columns([]wire.Column) error                    { return nil }
func (r *rowCount) Complete(string) error                          { return nil }
func (r *rowCount) CopyOut([]wire.Column, parser.CopyFormat) error { return nil }
func (r *rowCount) Flush() error                                   { return nil }
func (r *rowCount) Notice(string) error                            { return nil }
func (r *rowCount) Rows(b *vec.Batch) error                        { r.n += b.N; return nil }

func countRows(t *testing.T, e *engine.Engine, sql string) int {
	t.Helper()
	s, _ := e.NewSession("t", "t")
	var w rowCount
	if err := s.Query(context.Background(), sql, &w); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return w.n
}

// After a crash (no final checkpoint), the rows logged since the last
// checkpoint are replayed on the other backend too: the converted
// checkpoint keeps its id, so its insert log is the one replayed. The rows
// of earlier checkpoints come through whatever files hold them.
func TestSwitchBackendsAfterCrash(t *testing.T) {
	for _, c := range [][2]string{{"memory", "pebble"}, {"pebble", "memory"}} {
		t.Run(c[0]+"-"+c[1], func(t *testing.T) {
			dir := t.TempDir()
			b, err := openBackend(c[0], dir)
			if err != nil {
				t.Fatal(err)
			}
			e, err := engine.Open(b, engine.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			countRows(t, e, "CREATE TABLE t (k INT)")
			countRows(t, e, "INSERT INTO t VALUES (1)")
			// Checkpoints after the first: on memory, deltas on its base,
			// which the conversion must fold in.
			for range 2 {
				if err := e.Checkpoint(); err != nil {
					t.Fatal(err)
				}
			}
			countRows(t, e, "INSERT INTO t VALUES (2)")
			// A crash: e is never closed, so no final checkpoint.
			b.Close()
			b2, err := openBackend(c[1], dir)
			if err != nil {
				t.Fatal(err)
			}
			defer b2.Close()
			e2, err := engine.Open(b2, engine.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, e2, "SELECT k FROM t"); n != 2 {
				t.Errorf("after switching to %s: %d rows, want the 2 acknowledged", c[1], n)
			}
		})
	}
}
