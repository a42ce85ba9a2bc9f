package engine_test

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestSinkRecordsSurviveRestart: SHOW SINKS records is checkpointed with
// the sink, so a restart goes on counting from it instead of from 0.
func TestSinkRecordsSurviveRestart(t *testing.T) {
	addr, _ := startKafka(t, "out")
	stateDir, logDir := t.TempDir(), t.TempDir()
	run := func(stmts ...string) []string {
		backend, err := pebble.Open(stateDir, pebble.Options{})
		if err != nil {
			t.Fatal(err)
		}
		eng, stop := openDurable(t, backend, logDir, engine.Options{})
		defer stop()
		conn := connect(t, serveEngine(t, eng))
		for _, q := range stmts {
			oracleExec(t, conn, q)
		}
		oracleExec(t, conn, "FLUSH")
		return textRows(t, conn, "SHOW SINKS")
	}
	got := run("CREATE TABLE t (k INT, n INT)",
		"CREATE MATERIALIZED VIEW per_k AS SELECT k, SUM(n) AS s FROM t GROUP BY k",
		fmt.Sprintf("CREATE SINK per_k_out FROM per_k WITH (connector = 'kafka', brokers = '%s', topic = 'out')", addr),
		"INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)")
	if want := "per_k_out per_k out 3 running"; len(got) != 1 || got[0] != want {
		t.Fatalf("SHOW SINKS: %v, want [%s]", got, want)
	}
	if got, want := run(), "per_k_out per_k out 3 running"; len(got) != 1 || got[0] != want {
		t.Errorf("SHOW SINKS after a restart: %v, want [%s]", got, want)
	}
	if got, want := run("INSERT INTO t VALUES (4, 4)"), "per_k_out per_k out 4 running"; len(got) != 1 || got[0] != want {
		t.Errorf("SHOW SINKS after a restart and an insert: %v, want [%s]", got, want)
	}
}
