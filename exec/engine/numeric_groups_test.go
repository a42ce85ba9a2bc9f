package engine_test

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestNumericGroupRepresentative: a view grouped by a NUMERIC shows each
// group as the value that formed it (1.00, not the 1.0 or 1 that joined
// it) through a cache of one group, so that groups are written to state
// and read back at every batch, and across a restart, on both backends;
// the group's rows are counted together all along.
func TestNumericGroupRepresentative(t *testing.T) {
	backends := map[string]func(opts engine.Options) (*engine.Engine, func()){
		"memory": memoryEngines(t),
		"pebble": func() func(opts engine.Options) (*engine.Engine, func()) {
			stateDir, logDir := t.TempDir(), t.TempDir()
			return func(opts engine.Options) (*engine.Engine, func()) {
				backend, err := pebble.Open(stateDir, pebble.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return openDurable(t, backend, logDir, opts)
			}
		}(),
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			opts := engine.Options{CacheGroups: 1}
			eng, stop := open(opts)
			conn := connect(t, serveEngine(t, eng))
			mustExec(t, conn, "CREATE TABLE t (id BIGINT PRIMARY KEY, m NUMERIC)")
			mustExec(t, conn, "CREATE MATERIALIZED VIEW v AS SELECT m, COUNT(*) AS n, MIN(id) AS lo FROM t GROUP BY m")
			mustExec(t, conn, "INSERT INTO t VALUES (1, 1.00), (2, 2.0)")
			mustExec(t, conn, "INSERT INTO t VALUES (3, 1.0), (4, 2)")
			mustExec(t, conn, "INSERT INTO t VALUES (5, 1), (6, 3.000)")
			want := "[[1.00 3 1] [2.0 2 2] [3.000 1 6]]"
			if got := fmt.Sprint(queryValues(t, conn, "SELECT * FROM v ORDER BY m")); got != want {
				t.Errorf("before the restart: %s, want %s", got, want)
			}
			stop()
			eng, stop = open(opts)
			defer stop()
			conn = connect(t, serveEngine(t, eng))
			mustExec(t, conn, "INSERT INTO t VALUES (7, 1.0000), (8, 3)")
			want = "[[1.00 4 1] [2.0 2 2] [3.000 2 6]]"
			if got := fmt.Sprint(queryValues(t, conn, "SELECT * FROM v ORDER BY m")); got != want {
				t.Errorf("after the restart: %s, want %s", got, want)
			}
		})
	}
}
