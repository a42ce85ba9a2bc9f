package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopAndSwitchBackends stops the server with SIGTERM (a final
// checkpoint: nothing left to replay), then restarts it on the other state
// backend and back, and requires the same view contents every time.
func TestStopAndSwitchBackends(t *testing.T) {
	bin := buildBinary(t)
	ctx := context.Background()
	dir := t.TempDir()
	s := start(t, bin, "memory", dir, "")
	conn, err := s.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE t (k INT, ts TIMESTAMP, WATERMARK FOR ts AS ts)",
		"CREATE MATERIALIZED VIEW v AS SELECT window_start, k, COUNT(*) AS n FROM t GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), k",
		"INSERT INTO t VALUES (1, '2024-01-01 00:00:01'), (2, '2024-01-01 00:00:02'), (1, '2024-01-01 00:01:03')",
		"INSERT INTO t VALUES (1, '2024-01-01 00:01:04')",
		// A join view: both sides' rows by key, restored on either backend.
		"CREATE TABLE u (k INT PRIMARY KEY, name VARCHAR)",
		"INSERT INTO u VALUES (1, 'one'), (3, 'three')",
		"CREATE MATERIALIZED VIEW j AS SELECT t.k, u.name, COUNT(*) AS n FROM t LEFT JOIN u ON t.k = u.k GROUP BY t.k, u.name",
		// A top-N over the upserts and an OVER over event time.
		"CREATE MATERIALIZED VIEW r AS SELECT * FROM (SELECT k, name, ROW_NUMBER() OVER (ORDER BY k DESC) AS rn FROM u) x WHERE rn <= 2",
		"CREATE MATERIALIZED VIEW o AS SELECT k, ts, COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS n FROM t",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)
	want := stop(t, s)
	for _, backend := range []string{"pebble", "memory", "pebble"} {
		// A graceful stop leaves nothing in the insert log to replay.
		logs, _ := filepath.Glob(filepath.Join(dir, "ins-*.log"))
		for _, l := range logs {
			if fi, err := os.Stat(l); err != nil || fi.Size() != 0 {
				t.Errorf("%s after SIGTERM: %v bytes, want an empty log", l, fi.Size())
			}
		}
		s := start(t, bin, backend, dir, "")
		if got := stop(t, s); got != want {
			t.Errorf("after restarting on %s:\n%s\nwant:\n%s", backend, got, want)
		}
	}
	// The restored join state retracts what it joined before: k = 1's
	// rows move from 'one' to 'uno', k = 2's padded rows get a name.
	s = start(t, bin, "memory", dir, "")
	conn, err = s.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO u VALUES (1, 'uno'), (2, 'two')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	res, err := results(ctx, s, "SELECT * FROM j ORDER BY k", "SELECT * FROM r ORDER BY rn")
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 uno 3\n2 two 1\n"; res[0] != want {
		t.Errorf("join view after an upsert on the restored state:\n%s\nwant:\n%s", res[0], want)
	}
	if want := "3 three 1\n2 two 2\n"; res[1] != want {
		t.Errorf("top-N view after an upsert on the restored state:\n%s\nwant:\n%s", res[1], want)
	}
	// Stopped before the test's directory is removed, which its
	// checkpoints would otherwise still be writing into.
	stop(t, s)
}

// stop reads the view, then sends SIGTERM and waits for a clean exit.
func stop(t *testing.T, s *server) string {
	t.Helper()
	res, err := results(context.Background(), s, "SELECT * FROM v ORDER BY window_start, k", "SELECT COUNT(*) FROM t", "SELECT * FROM j ORDER BY k, name",
		"SELECT * FROM r ORDER BY rn", "SELECT * FROM o ORDER BY k, ts")
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop after SIGTERM")
	}
	return strings.Join(res, "")
}
