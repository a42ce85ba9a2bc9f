package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestStateTenTimesTheCache runs a view whose state is ten times the
// operators' cache, on Pebble with checkpoints: the answers stay exact and
// the cache stays within its bound.
func TestStateTenTimesTheCache(t *testing.T) {
	backend, err := pebble.Open(t.TempDir(), pebble.Options{MemTableSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(backend, engine.Options{Dir: t.TempDir(), CacheGroups: 2000})
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, serve(t, backend, eng))
	ctx := context.Background()
	for _, q := range []string{
		// 60,000 rows through a 2,000-group cache on Pebble take longer
		// than FLUSH's default 30 s under the race detector.
		`SET flush_timeout = '10 minutes'`,
		`CREATE SOURCE gen (id BIGINT, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
		   WITH (connector = 'datagen', rows_per_second = 0, max_rows = 60000, seed = 5,
		         fields.id.kind = 'sequence', fields.v.min = 0, fields.v.max = 9)`,
		// 20,000 groups, each seen three times, against a 2,000-group cache.
		`CREATE MATERIALIZED VIEW per_key AS SELECT id % 20000 AS k, COUNT(*) AS n, SUM(id) AS s, MAX(v) AS mx FROM gen GROUP BY id % 20000`,
		`FLUSH`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := eng.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	var groups, n, badN, badS int64
	err = conn.QueryRow(ctx, `SELECT COUNT(*), SUM(n),
		SUM(CASE WHEN n = 3 THEN 0 ELSE 1 END),
		SUM(CASE WHEN s = 3 * k + 60000 THEN 0 ELSE 1 END) FROM per_key`).Scan(&groups, &n, &badN, &badS)
	if err != nil {
		t.Fatal(err)
	}
	// Key k holds ids k, k+20000, k+40000: n = 3 and s = 3k + 60000.
	if groups != 20000 || n != 60000 || badN != 0 || badS != 0 {
		t.Errorf("groups=%d rows=%d groups with a wrong count=%d, with a wrong sum=%d", groups, n, badN, badS)
	}
	var cached, stateKeys int64
	for _, vals := range queryValues(t, conn, "SHOW MATERIALIZED VIEWS") {
		stateKeys, cached = vals[3].(int64), vals[5].(int64)
	}
	if stateKeys < 20000 || cached > 2000+1024 {
		t.Errorf("state keys %d (want ≥ 20000), cached groups %d (want ≤ cache 2000 + one batch)", stateKeys, cached)
	}
}

// TestMemoryStaysNearCache grows a table and a view (200,000 groups, against
// a cache of 2,000) and measures the live heap after each insert: on Pebble
// it grows by little more than the caches. The same run on the memory
// backend is the control: there the heap grows by over twice the bound
// (about 54 MiB), which shows the measurement would catch state held in memory.
func TestMemoryStaysNearCache(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("inserts 200,000 rows and measures the heap, which the race detector inflates")
	}
	const (
		batches   = 40
		perBatch  = 5000
		cache     = 2000
		heapBound = 16 << 20
	)
	run := func(t *testing.T, backend state.Backend) (growth, stateBytes int64) {
		eng, err := engine.Open(backend, engine.Options{Dir: t.TempDir(), CacheGroups: cache})
		if err != nil {
			t.Fatal(err)
		}
		conn := connect(t, serve(t, backend, eng))
		ctx := context.Background()
		for _, q := range []string{
			`CREATE TABLE ev (id BIGINT, v BIGINT)`,
			`CREATE MATERIALIZED VIEW per_id AS SELECT id, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY id`,
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		base := liveHeap()
		var sql strings.Builder
		for b := range batches {
			sql.Reset()
			sql.WriteString("INSERT INTO ev VALUES ")
			for i := range perBatch {
				if i > 0 {
					sql.WriteByte(',')
				}
				fmt.Fprintf(&sql, "(%d,%d)", b*perBatch+i, i)
			}
			if _, err := conn.Exec(ctx, sql.String()); err != nil {
				t.Fatal(err)
			}
			if b%4 == 3 { // as the 1 s checkpoint loop would
				if err := eng.Checkpoint(); err != nil {
					t.Fatal(err)
				}
			}
			growth = max(growth, liveHeap()-base)
		}
		var n int64
		if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM per_id WHERE n = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != batches*perBatch {
			t.Fatalf("%d groups with n = 1, want %d", n, batches*perBatch)
		}
		for _, vals := range queryValues(t, conn, "SHOW MATERIALIZED VIEWS") {
			stateBytes = vals[4].(int64)
		}
		return growth, stateBytes
	}
	t.Run("pebble", func(t *testing.T) {
		backend, err := pebble.Open(t.TempDir(), pebble.Options{MemTableSize: 2 << 20, CacheSize: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		growth, stateBytes := run(t, backend)
		t.Logf("live heap grew %d KiB for %d KiB of aggregate state", growth>>10, stateBytes>>10)
		if growth > heapBound {
			t.Errorf("live heap grew %d KiB, want ≤ %d KiB", growth>>10, heapBound>>10)
		}
	})
	t.Run("memory control", func(t *testing.T) {
		backend, err := memory.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		growth, stateBytes := run(t, backend)
		t.Logf("live heap grew %d KiB for %d KiB of aggregate state", growth>>10, stateBytes>>10)
		if growth < 2*heapBound {
			t.Errorf("memory backend: live heap grew only %d KiB, want ≥ %d KiB: the measurement misses state held in memory", growth>>10, 2*heapBound>>10)
		}
	})
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
