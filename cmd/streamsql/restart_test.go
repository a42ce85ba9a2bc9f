package main

import (
	"context"
	"os"
	"path/filepath"
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
}

// stop reads the view, then sends SIGTERM and waits for a clean exit.
func stop(t *testing.T, s *server) string {
	t.Helper()
	res, err := results(context.Background(), s, "SELECT * FROM v ORDER BY window_start, k", "SELECT COUNT(*) FROM t")
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
	return res[0] + res[1]
}
