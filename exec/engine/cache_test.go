package engine_test

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
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
	rows, err := conn.Query(ctx, "SHOW MATERIALIZED VIEWS")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		stateKeys, cached = vals[3].(int64), vals[5].(int64)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if stateKeys < 20000 || cached > 2000+1024 {
		t.Errorf("state keys %d (want ≥ 20000), cached groups %d (want ≤ cache 2000 + one batch)", stateKeys, cached)
	}
}
