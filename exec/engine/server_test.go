package engine_test

import (
	"github.com/jackc/pgx/v5/pgtype"

	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
	"github.com/streamsql/streamsql/wire"
)

// startServer runs a fresh engine behind a real wire server on loopback
// and returns its address; everything stops when the test ends.
func startServer(t testing.TB) string {
	t.Helper()
	addr, _ := startEngine(t)
	return addr
}

// startEngine is startServer that also returns the engine.
func startEngine(t testing.TB) (string, *engine.Engine) {
	t.Helper()
	return startEngineWith(t, engine.Options{})
}

// startClocked is startServer with processing time read from now (Unix
// microseconds), which the test moves.
func startClocked(t testing.TB, now *atomic.Int64) string {
	t.Helper()
	addr, _ := startEngineWith(t, clockAt(now))
	return addr
}

// clockAt is engine options whose processing time is now (Unix µs).
func clockAt(now *atomic.Int64) engine.Options {
	return engine.Options{Clock: func() time.Time { return time.UnixMicro(now.Load()) }}
}

// startEngineWith opens an engine with opts on a fresh memory backend and
// serves it like startServer.
func startEngineWith(t testing.TB, opts engine.Options) (string, *engine.Engine) {
	t.Helper()
	backend, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(backend, opts)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, backend, eng), eng
}

// serve puts eng behind a wire server on loopback; the server, the engine
// and its backend stop when the test ends.
func serve(t testing.TB, backend state.Backend, eng *engine.Engine) string {
	t.Helper()
	t.Cleanup(func() {
		eng.Close()
		backend.Close()
	})
	return serveEngine(t, eng)
}

// serveEngine puts eng behind a wire server that stops when the test ends;
// the engine is the caller's to close.
func serveEngine(t testing.TB, eng *engine.Engine) string {
	t.Helper()
	srv := wire.NewServer(eng, wire.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr().String()
}

// connect opens a pgx connection to addr.
func connect(t testing.TB, addr string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// openDurable opens an engine over state and an insert log kept in the
// given directories, as a restarted server would; stop closes both.
func openDurable(t testing.TB, backend state.Backend, logDir string, opts engine.Options) (eng *engine.Engine, stop func()) {
	t.Helper()
	opts.Dir = logDir
	eng, err := engine.Open(backend, opts)
	if err != nil {
		t.Fatal(err)
	}
	return eng, func() { eng.Close(); backend.Close() }
}

// restartable returns a function that starts a server on one Pebble
// directory and insert log (each call a restart of the last), runs every
// statement but the last over a connection, and returns the last one's
// rows; the server stops before it returns.
func restartable(t testing.TB) func(stmts ...string) [][]any {
	stateDir, logDir := t.TempDir(), t.TempDir()
	return func(stmts ...string) [][]any {
		t.Helper()
		backend, err := pebble.Open(stateDir, pebble.Options{})
		if err != nil {
			t.Fatal(err)
		}
		eng, stop := openDurable(t, backend, logDir, engine.Options{})
		defer stop()
		conn := connect(t, serveEngine(t, eng))
		for _, q := range stmts[:len(stmts)-1] {
			if _, err := conn.Exec(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return queryValues(t, conn, stmts[len(stmts)-1])
	}
}

// memoryEngines returns a function that opens an engine with opts on one
// memory backend directory and insert log (each call a restart of the
// last), and the function that stops it.
func memoryEngines(t testing.TB) func(opts engine.Options) (*engine.Engine, func()) {
	stateDir, logDir := t.TempDir(), t.TempDir()
	return func(opts engine.Options) (*engine.Engine, func()) {
		t.Helper()
		backend, err := memory.Open(stateDir)
		if err != nil {
			t.Fatal(err)
		}
		return openDurable(t, backend, logDir, opts)
	}
}

// memoryReopener is memoryEngines with default options, serving each
// engine and returning a connection to it.
func memoryReopener(t testing.TB) func() (*pgx.Conn, func()) {
	open := memoryEngines(t)
	return func() (*pgx.Conn, func()) {
		t.Helper()
		eng, stop := open(engine.Options{})
		return connect(t, serveEngine(t, eng)), stop
	}
}

// queryValues runs a query and returns its rows as pgx decodes them.
func queryValues(t testing.TB, conn *pgx.Conn, sql string) [][]any {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range v {
			if n, ok := x.(pgtype.Numeric); ok { // SUM is NUMERIC: its digits
				v[i], _ = n.Value()
			}
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}
