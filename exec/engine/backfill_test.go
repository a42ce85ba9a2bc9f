package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestBackfillSeesLateRowsAsTheyArrived: a view created after rows arrived,
// some of them late, holds the same rows and drops as many as the same view
// created before them: one created first, one mid-stream, one after a
// restart, one after a crash (its rows replayed from the checkpoint and
// from the insert log after it). The stream is the late-rows oracle's, in
// INSERTs of 1 to 60 rows; it runs on both backends.
func TestBackfillSeesLateRowsAsTheyArrived(t *testing.T) {
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testBackfillLate(t, name)
		})
	}
}

// openBackend opens the state backend named "memory" or "pebble" in dir.
func openBackend(t testing.TB, name, dir string) state.Backend {
	t.Helper()
	var b state.Backend
	var err error
	if name == "memory" {
		b, err = memory.Open(dir)
	} else {
		b, err = pebble.Open(dir, pebble.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testBackfillLate(t *testing.T, backendName string) {
	rng := oracleRand(t)
	const n = 2000
	rows := genOracleRows(rng, n, oracleShape{maxGap: 60_000, grain: 1e6, maxLag: 3e6, stragglerLag: 45e6, stragglers: 25})
	ends := oracleBatchEnds(rng, n, 1, 60)
	views := func(prefix string) []oracleView {
		vs := []oracleView{
			oracleWindowView(prefix+"tumble", "TUMBLE(ts, INTERVAL '10' SECOND)", 10, 10, false, 0),
			oracleWindowView(prefix+"eowc_hop", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)", 5, 15, true, 0),
			oracleWindowView(prefix+"grace", "TUMBLE(ts, INTERVAL '10' SECOND, GRACE INTERVAL '8' SECOND)", 10, 10, false, 0),
			panesView(oracleWindowView(prefix+"panes", "HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND, GRACE '12 seconds')", 5, 15, true, 0)),
			oracleCumulateView(prefix+"cumulate", 5, 20, false),
			oracleSessionView(prefix+"session", 4, false),
			// Views over views that hold the watermark back by a grace.
			overView(prefix+"over_grace", "g_update", false),
			overView(prefix+"over_eowc_grace", "g_eowc", true),
		}
		if backendName == "pebble" {
			// Each CREATE is a checkpoint, which costs on Pebble: the
			// stored layouts are the same for every view, so three do.
			vs = []oracleView{vs[0], vs[3], vs[7]}
		}
		return vs
	}
	base := []string{
		"CREATE MATERIALIZED VIEW g_update AS SELECT window_start AS ws, window_end AS we, k, COUNT(*) AS n FROM t GROUP BY TUMBLE(ts, INTERVAL '10' SECOND, GRACE INTERVAL '8' SECOND), k",
		"CREATE MATERIALIZED VIEW g_eowc EMIT ON WINDOW CLOSE AS SELECT window_start AS ws, window_end AS we, k, COUNT(*) AS n FROM t GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND, GRACE '12 seconds'), k",
	}
	stateDir, logDir := t.TempDir(), t.TempDir()
	open := func(stateDir, logDir string) (*engine.Engine, func()) {
		return openDurable(t, openBackend(t, backendName, stateDir), logDir, engine.Options{})
	}
	insert := func(eng *engine.Engine, from, to int) {
		conn := connect(t, serveEngine(t, eng))
		start := 0
		if from > 0 {
			start = ends[from-1]
		}
		for _, end := range ends[from:to] {
			insertOracleRows(t, conn, rows[start:end])
			start = end
		}
	}
	create := func(eng *engine.Engine, prefix string) {
		conn := connect(t, serveEngine(t, eng))
		for _, v := range views(prefix) {
			oracleExec(t, conn, v.create)
		}
	}
	// compare checks the views of each prefix against those of the first.
	compare := func(eng *engine.Engine, when string, prefixes ...string) {
		conn := connect(t, serveEngine(t, eng))
		late := oracleShowLate(t, conn, "MATERIALIZED VIEWS")
		for i, want := range views(prefixes[0]) {
			wantRows := oracleQuery(t, conn, "SELECT * FROM "+want.name)
			if err := oracleCanon(wantRows, want.kinds, true); err != nil {
				t.Fatal(err)
			}
			if late[want.name] == 0 && !strings.Contains(want.name, "over_") {
				t.Errorf("%s: view %s dropped no row, so lateness was not exercised", when, want.name)
			}
			for _, p := range prefixes[1:] {
				v := views(p)[i]
				got := oracleQuery(t, conn, "SELECT * FROM "+v.name)
				if err := oracleCanon(got, v.kinds, true); err != nil {
					t.Fatal(err)
				}
				if d := oracleDiff(v, got, wantRows); d != "" {
					t.Errorf("%s: view %s against %s (created before the rows; \"oracle\" below): %s", when, v.name, want.name, d)
				}
				if late[v.name] != late[want.name] {
					t.Errorf("%s: view %s dropped %d late rows, %s %d", when, v.name, late[v.name], want.name, late[want.name])
				}
			}
		}
	}
	q := len(ends) / 4
	eng, stop := open(stateDir, logDir)
	conn := connect(t, serveEngine(t, eng))
	for _, q := range append([]string{oracleTable}, base...) {
		oracleExec(t, conn, q)
	}
	create(eng, "a_")
	insert(eng, 0, q)
	create(eng, "b_")
	insert(eng, q, 2*q)
	create(eng, "c_")
	compare(eng, "before the restart", "a_", "b_", "c_")
	stop() // a final checkpoint: its segments keep their watermarks

	eng, stop = open(stateDir, logDir)
	insert(eng, 2*q, 3*q)
	create(eng, "d_") // a checkpoint: the rest is in the insert log only
	insert(eng, 3*q, len(ends))
	compare(eng, "after the restart", "a_", "b_", "c_", "d_")
	// What a crash now would leave: recovery replays the logged INSERTs.
	crashState, crashLog := filepath.Join(t.TempDir(), "state"), filepath.Join(t.TempDir(), "log")
	if err := os.CopyFS(crashState, os.DirFS(stateDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(crashLog, os.DirFS(logDir)); err != nil {
		t.Fatal(err)
	}
	stop()

	eng, stop = open(crashState, crashLog)
	defer stop()
	create(eng, "e_")
	compare(eng, "after a crash", "a_", "b_", "c_", "d_", "e_")
}

// overView is a view of windows of 3 seconds over the window ends of view
// from (whose rows are windows of t by k).
func overView(name, from string, eowc bool) oracleView {
	emit := ""
	if eowc {
		emit = " EMIT ON WINDOW CLOSE"
	}
	return oracleView{
		name: name,
		create: fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s AS SELECT window_start, k, COUNT(*) AS c, SUM(n) AS n FROM %s GROUP BY TUMBLE(we, INTERVAL '3' SECOND), k",
			name, emit, from),
		header: "window_start | k | c | n", kinds: "TIII", nkey: 2,
	}
}
