package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/internal/slogtest"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
)

// fixedBuffers is a listener whose connections have a fixed kernel send
// buffer: autotuning would grow it by steps, and a write blocked on a
// client that does not read would make progress again for a while.
type fixedBuffers struct{ net.Listener }

func (l fixedBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

// TestStalledSubscriberCut: a client that subscribes and then never
// reads is cut off by the server once a write to it has made no progress
// for the client write timeout: its subscription is gone, nothing stays
// charged, the cut is logged once, and (reading again while the server
// says goodbye) the client gets what was sent, then FATAL 08006, then the
// end of the connection.
func TestStalledSubscriberCut(t *testing.T) {
	backend, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(backend, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := make(slogtest.Warnings, 4)
	const timeout = 300 * time.Millisecond
	srv := wire.NewServer(eng, wire.Config{ClientWriteTimeout: timeout, Logger: slog.New(logs)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fixedBuffers{ln}) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		eng.Close()
		backend.Close()
	})
	addr := ln.Addr().String()
	admin := connect(t, addr)
	mustExec(t, admin, "CREATE TABLE t (k BIGINT, s VARCHAR)")

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	// A fixed receive buffer too.
	nc.(*net.TCPConn).SetReadBuffer(256 << 10)
	fe := pgproto3.NewFrontend(nc, nc)
	// until reads up to a message of type T, and returns it.
	until := func(what string, ok func(pgproto3.BackendMessage) bool) {
		t.Helper()
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			if e, isErr := m.(*pgproto3.ErrorResponse); isErr {
				t.Fatalf("waiting for %s: %s %s", what, e.Code, e.Message)
			}
			if ok(m) {
				return
			}
		}
	}
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "streamsql"}})
	fe.Send(&pgproto3.Query{String: "SUBSCRIBE t WITH (snapshot = false)"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	until("the subscription to start", func(m pgproto3.BackendMessage) bool {
		_, ok := m.(*pgproto3.RowDescription)
		return ok
	})
	// From here the client reads nothing until the server gives up.

	pad := strings.Repeat("x", 1000)
	var vals []string
	for i := range 100 {
		vals = append(vals, fmt.Sprintf("(%d, '%s')", i, pad))
	}
	insert := "INSERT INTO t VALUES " + strings.Join(vals, ", ")
	// About 100 kB a statement: the kernel's buffers fill after a few
	// and the server's write blocks; changes then queue. Once 2 MB have
	// queued no more come: the blocked write may still trickle out as
	// the kernel makes room, until it makes no progress for the timeout.
	deadline := time.Now().Add(20 * time.Second)
	inserts := 0
	for eng.Subscriptions() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled subscriber is still there after %d inserts (%d bytes charged)", inserts, eng.SubscriptionBytes())
		}
		if eng.SubscriptionBytes() > 2<<20 {
			time.Sleep(time.Millisecond)
			continue
		}
		mustExec(t, admin, insert)
		inserts++
	}
	select {
	case msg := <-logs:
		if !strings.Contains(msg, "stopped reading") {
			t.Errorf("logged %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the cut was not logged after %d inserts", inserts)
	}
	if n := eng.SubscriptionBytes(); n != 0 {
		t.Errorf("%d bytes still charged after the stalled subscriber was cut", n)
	}
	// Reading again now, the client gets what was buffered and the
	// FATAL, then the end.
	var last []string
	for {
		m, err := fe.Receive()
		if err != nil {
			last = append(last, "EOF")
			break
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			last = append(last, e.Severity+" "+e.Code+" "+e.Message)
		}
	}
	if len(last) != 2 || last[0] != "FATAL 08006 terminating connection because the client read nothing for 300ms (--client-write-timeout)" || last[1] != "EOF" {
		t.Errorf("after %d inserts the client read the errors %q, want FATAL 08006, then the end", inserts, last)
	}
	select {
	case msg := <-logs:
		t.Errorf("logged again: %q", msg)
	default:
	}
	// The admin session is unharmed.
	if v := queryValues(t, admin, "SELECT count(*) FROM t"); fmt.Sprint(v) != fmt.Sprintf("[[%d]]", 100*inserts) {
		t.Errorf("count: %v after %d inserts", v, inserts)
	}
}

// stuckWriter is a ResultWriter whose first Rows waits, as a write to a
// client that stopped reading does, until release, then fails.
type stuckWriter struct {
	stuck   chan struct{} // closed when Rows starts waiting
	release chan error
}

func (w *stuckWriter) Columns([]wire.Column) error                    { return nil }
func (w *stuckWriter) CopyOut([]wire.Column, parser.CopyFormat) error { return nil }
func (w *stuckWriter) Complete(string) error                          { return nil }
func (w *stuckWriter) Notice(string) error                            { return nil }
func (w *stuckWriter) Flush() error                                   { return nil }
func (w *stuckWriter) Rows(*vec.Batch) error {
	close(w.stuck)
	return <-w.release
}

// TestStuckSubscriberToldWhy: a SUBSCRIBE whose write is stuck when
// subscription_buffer_bytes ends it returns that 53000, not the write's
// failure, once the write gives up: the wire then still tries to tell the
// client why it lost its subscription.
func TestStuckSubscriberToldWhy(t *testing.T) {
	backend, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(backend, engine.Options{SubscriptionBufferBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Close(); backend.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, _ := eng.NewSession("streamsql", "streamsql")
	defer admin.Close()
	run := func(sql string) {
		t.Helper()
		if err := admin.Query(ctx, sql, &stuckWriter{}); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	run("CREATE TABLE t (k BIGINT, s VARCHAR)")
	sub, _ := eng.NewSession("streamsql", "streamsql")
	defer sub.Close()
	w := &stuckWriter{stuck: make(chan struct{}), release: make(chan error)}
	done := make(chan error, 1)
	go func() { done <- sub.Query(ctx, "SUBSCRIBE t WITH (snapshot = false)", w) }()
	waitCond(t, "the subscription", func() bool { return eng.Subscriptions() == 1 })
	run("INSERT INTO t VALUES (0, 'first')")
	select {
	case <-w.stuck:
	case <-ctx.Done():
		t.Fatal("the first change was not written")
	}
	// The write is stuck; changes queue until the limit ends the
	// subscription, which lets go of them.
	pad := strings.Repeat("x", 1000)
	for i := range 100 {
		run(fmt.Sprintf("INSERT INTO t VALUES (%d, '%s')", i+1, pad))
	}
	waitCond(t, "the subscription to be ended", func() bool { return eng.SubscriptionBytes() == 0 })
	w.release <- errors.New("write tcp: i/o timeout")
	err = <-done
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Kind != sqlerr.InsufficientResources || !strings.Contains(se.Msg, "subscription_buffer_bytes (65536 bytes)") {
		t.Errorf("SUBSCRIBE returned %v, want the 53000 that ended it", err)
	}
	waitCond(t, "the subscription to be detached", func() bool { return eng.Subscriptions() == 0 })
}
