package wire

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/streamsql/streamsql/internal/slogtest"
)

// smallBuffers is a listener whose connections have a small kernel send
// buffer; with a client's small receive buffer (dialSmall), a client that
// reads little holds the server's writes up after a few hundred kB, not
// after megabytes. (Much smaller, and loopback's 64 kB segments leave the
// window shut until TCP's zero-window probe, 200 ms or more later, even
// for a client that reads.)
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

// startSmall serves a fake engine over smallBuffers; it returns the
// address to dial.
func startSmall(t *testing.T, cfg Config) (string, *fakeEngine) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := newFakeEngine()
	s := NewServer(e, cfg)
	done := make(chan error, 1)
	go func() { done <- s.Serve(smallBuffers{ln}) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), e
}

// dialSmall connects a raw client with a small receive buffer.
func dialSmall(t *testing.T, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.(*net.TCPConn).SetReadBuffer(256 << 10)
	nc.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// TestClientStopsReading: a client that stops reading in the middle of an
// endless result is cut off once a write has made no progress for
// ClientWriteTimeout: its session is closed and the cut logged once, and,
// as it reads again while the server says goodbye, it gets the rest of
// the messages already buffered, whole, then the statement's own error
// (53000, as for a SUBSCRIBE ended for holding too much), then FATAL
// 08006, then the end of the connection.
func TestClientStopsReading(t *testing.T) {
	const timeout = 100 * time.Millisecond
	logs := make(slogtest.Warnings, 4)
	addr, e := startSmall(t, Config{ClientWriteTimeout: timeout, Logger: slog.New(logs)})
	r := dialSmall(t, addr)
	r.startup()
	start := time.Now()
	r.send(&pgproto3.Query{String: "overflow"})
	msg := waitFor(t, logs, "the server to cut the client off")
	if elapsed := time.Since(start); !strings.Contains(msg, "stopped reading") || elapsed < timeout {
		t.Errorf("logged %q after %v, want the cut after at least %v", msg, elapsed, timeout)
	}
	if opened, closed := e.counts(); opened != 1 || closed != 1 {
		t.Errorf("sessions opened %d, closed %d, want the session closed before the goodbye", opened, closed)
	}
	var got []string
	rows := 0
	for {
		m, err := r.fe.Receive()
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				t.Errorf("reading: %v, want the end of the connection", err)
			}
			got = append(got, "EOF")
			break
		}
		if _, ok := m.(*pgproto3.DataRow); ok {
			rows++
			continue
		}
		got = append(got, describe(m))
	}
	expect(t, "after the rows", got,
		"T x:20/8/-1",
		"E ERROR 53000 subscription was ended: it held too much",
		"E FATAL 08006 terminating connection because the client read nothing for 100ms (--client-write-timeout)",
		"EOF")
	if rows == 0 {
		t.Error("no rows before the cut")
	}
	select {
	case m := <-logs:
		t.Errorf("logged again: %q", m)
	default:
	}
}

// pacedReader reads at most chunk bytes at a time, pausing before each
// read: a client that reads slowly, but reads.
type pacedReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (p *pacedReader) Read(b []byte) (int, error) {
	time.Sleep(p.pause)
	return p.r.Read(b[:min(len(b), p.chunk)])
}

// TestSlowReaderNotCut: ClientWriteTimeout bounds a write that makes no
// progress, not a result or a write: a client that reads slowly gets in
// full a result that takes several timeouts to send, including a row
// larger than the output buffer, which goes out in one write.
func TestSlowReaderNotCut(t *testing.T) {
	const timeout = 100 * time.Millisecond
	logs := make(slogtest.Warnings, 4)
	addr, _ := startSmall(t, Config{ClientWriteTimeout: timeout, Logger: slog.New(logs)})
	r := dialSmall(t, addr)
	r.startup()
	const width, count = 8 << 20, 20000
	start := time.Now()
	r.send(&pgproto3.Query{String: fmt.Sprintf("wide %d; count %d", width, count)})
	fe := pgproto3.NewFrontend(&pacedReader{r: r.nc, chunk: 32 << 10, pause: time.Millisecond}, r.nc)
	var got []string
	rows := 0
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("after %v and %d messages: %v", time.Since(start), len(got), err)
		}
		if d, ok := m.(*pgproto3.DataRow); ok {
			if rows++; rows == 1 && len(d.Values[0]) != width {
				t.Errorf("the wide row has %d bytes, want %d", len(d.Values[0]), width)
			}
			continue
		}
		got = append(got, describe(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	elapsed := time.Since(start)
	expect(t, "slow read", got, "T w:1043/-1/-1", "C SELECT 1", "T x:20/8/-1", "C SELECT 20000", "Z I")
	if rows != 1+count {
		t.Errorf("%d rows, want %d", rows, 1+count)
	}
	if elapsed < 2*timeout {
		t.Errorf("the result took only %v to read: too fast to show that a slow reader outlasts the timeout", elapsed)
	}
	select {
	case m := <-logs:
		t.Errorf("logged %q for a client that reads", m)
	default:
	}
}

// TestClientStopsReadingTLS: over TLS the cut comes the same way, and the
// session is closed; nothing more is said, since the timed-out write broke
// TLS's state, so the client only sees the connection end.
func TestClientStopsReadingTLS(t *testing.T) {
	const timeout = 100 * time.Millisecond
	logs := make(slogtest.Warnings, 4)
	addr, e := startSmall(t, Config{ClientWriteTimeout: timeout, Logger: slog.New(logs),
		TLS: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}})
	r := dialSmall(t, addr)
	r.send(&pgproto3.SSLRequest{})
	var b [1]byte
	if _, err := io.ReadFull(r.nc, b[:]); err != nil || b[0] != 'S' {
		t.Fatalf("SSLRequest answered %q, %v", b, err)
	}
	tc := tls.Client(r.nc, &tls.Config{InsecureSkipVerify: true})
	r.fe = pgproto3.NewFrontend(tc, tc)
	r.startup()
	r.send(&pgproto3.Query{String: "overflow"})
	waitFor(t, logs, "the server to cut the client off")
	if opened, closed := e.counts(); opened != 1 || closed != 1 {
		t.Errorf("sessions opened %d, closed %d", opened, closed)
	}
	for {
		m, err := r.fe.Receive()
		if err != nil {
			break // the end, or a TLS record cut short
		}
		if er, ok := m.(*pgproto3.ErrorResponse); ok {
			t.Errorf("got %s after the cut", describe(er))
		}
	}
}
