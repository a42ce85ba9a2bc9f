package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/streamsql/streamsql/exec/engine"
)

// TestSystemSettings: checkpoint_interval and state_cache_size are set for
// the whole server, take effect at once, and survive a restart, overriding
// the options the server was started with.
func TestSystemSettings(t *testing.T) {
	ctx := context.Background()
	open := memoryEngines(t)
	show := func(eng *engine.Engine, name string) string {
		t.Helper()
		conn := connect(t, serveEngine(t, eng))
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Periodic checkpoints start when the interval is set: wait for one.
	committed := make(chan struct{}, 100)
	eng, stop := open(engine.Options{Crash: func(point string) {
		if point == "checkpoint-after-commit" {
			select {
			case committed <- struct{}{}:
			default:
			}
		}
	}})
	conn := connect(t, serveEngine(t, eng))
	if got := show(eng, "checkpoint_interval"); got != "off" {
		t.Errorf("checkpoint_interval = %q before SET, want off", got)
	}
	for _, q := range []string{`SET checkpoint_interval = '20ms'`, `SET state_cache_size = 5000`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for len(committed) > 0 { // the checkpoints the SETs themselves took
		<-committed
	}
	select {
	case <-committed:
	case <-time.After(30 * time.Second):
		t.Fatal("no periodic checkpoint after SET checkpoint_interval = '20ms'")
	}
	for _, bad := range []string{`SET checkpoint_interval = 'soon'`, `SET checkpoint_interval = '1us'`, `SET state_cache_size = 0`} {
		_, err := conn.Exec(ctx, bad)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22023" {
			t.Errorf("%s: got %v, want SQLSTATE 22023", bad, err)
		}
	}
	stop()

	// The stored values win over the options of the restarted server.
	eng, stop = open(engine.Options{CheckpointInterval: time.Hour, CacheGroups: 7})
	if got := show(eng, "checkpoint_interval"); got != "20ms" {
		t.Errorf("checkpoint_interval after restart = %q, want 20ms", got)
	}
	if got := show(eng, "state_cache_size"); got != "5000" {
		t.Errorf("state_cache_size after restart = %q, want 5000", got)
	}

	// RESET goes back to the server's options, and a restart keeps it so.
	conn = connect(t, serveEngine(t, eng))
	if _, err := conn.Exec(ctx, "RESET state_cache_size"); err != nil {
		t.Fatal(err)
	}
	if got := show(eng, "state_cache_size"); got != "7" {
		t.Errorf("state_cache_size after RESET = %q, want 7", got)
	}
	if _, err := conn.Exec(ctx, "RESET ALL"); err != nil {
		t.Fatal(err)
	}
	stop()
	eng, stop = open(engine.Options{CheckpointInterval: time.Hour, CacheGroups: 8})
	defer stop()
	if got := show(eng, "checkpoint_interval"); got != "1h0m0s" {
		t.Errorf("checkpoint_interval after RESET ALL and a restart = %q, want 1h0m0s", got)
	}
	if got := show(eng, "state_cache_size"); got != "8" {
		t.Errorf("state_cache_size after RESET ALL and a restart = %q, want 8", got)
	}
}
