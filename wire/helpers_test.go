package wire

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait in these tests, so a bug fails a test
// instead of hanging it.
const testTimeout = 10 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts a server on a free port with a fake engine; it is
// closed when the test ends.
func startServer(t *testing.T, cfg Config) (*Server, *fakeEngine) {
	t.Helper()
	e := newFakeEngine()
	cfg.Addr = "127.0.0.1:0"
	s := NewServer(e, cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, e
}

// connect opens a pgx connection, in the simple protocol when simple is
// set and in pgx's default (extended) mode otherwise.
func connect(t *testing.T, s *Server, simple bool) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://streamsql@%s/streamsql?sslmode=disable&application_name=wiretest", s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if simple {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// rawClient speaks the protocol message by message, for what pgx hides.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// send sends msgs and flushes.
func (r *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	r.t.Helper()
	for _, m := range msgs {
		r.fe.Send(m)
	}
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
}

// startup sends a StartupMessage for user streamsql and returns the
// server's answer up to ReadyForQuery.
func (r *rawClient) startup() []string {
	r.t.Helper()
	r.send(&pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters:      map[string]string{"user": "streamsql", "application_name": "raw"},
	})
	return r.untilReady()
}

// untilReady returns the messages up to and including ReadyForQuery, or
// up to the connection's end.
func (r *rawClient) untilReady() []string {
	r.t.Helper()
	var out []string
	for {
		m, err := r.fe.Receive()
		if err != nil {
			return append(out, "EOF")
		}
		out = append(out, describe(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

// query sends a simple Query and returns the answer.
func (r *rawClient) query(sql string) []string {
	r.t.Helper()
	r.send(&pgproto3.Query{String: sql})
	return r.untilReady()
}

// describe prints a backend message compactly for comparisons.
func describe(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.ReadyForQuery:
		return "Z " + string(m.TxStatus)
	case *pgproto3.RowDescription:
		var b strings.Builder
		b.WriteString("T")
		for _, f := range m.Fields {
			fmt.Fprintf(&b, " %s:%d/%d/%d", f.Name, f.DataTypeOID, f.DataTypeSize, f.TypeModifier)
			if f.Format != 0 {
				fmt.Fprintf(&b, " fmt %d", f.Format)
			}
		}
		return b.String()
	case *pgproto3.DataRow:
		var b strings.Builder
		b.WriteString("D")
		for _, v := range m.Values {
			if v == nil {
				b.WriteString(" NULL")
			} else {
				fmt.Fprintf(&b, " %q", v)
			}
		}
		return b.String()
	case *pgproto3.CommandComplete:
		return "C " + string(m.CommandTag)
	case *pgproto3.EmptyQueryResponse:
		return "I"
	case *pgproto3.ErrorResponse:
		s := fmt.Sprintf("E %s %s %s", m.Severity, m.Code, m.Message)
		if m.Position != 0 {
			s += fmt.Sprintf(" @%d", m.Position)
		}
		return s
	case *pgproto3.NoticeResponse:
		return fmt.Sprintf("N %s %s %s", m.Severity, m.Code, m.Message)
	case *pgproto3.ParameterStatus:
		return fmt.Sprintf("S %s=%s", m.Name, m.Value)
	case *pgproto3.BackendKeyData:
		return fmt.Sprintf("K %d bytes", len(m.SecretKey))
	case *pgproto3.AuthenticationOk:
		return "R ok"
	case *pgproto3.CloseComplete:
		return "3"
	case *pgproto3.ParseComplete:
		return "1"
	case *pgproto3.BindComplete:
		return "2"
	case *pgproto3.NoData:
		return "n"
	case *pgproto3.PortalSuspended:
		return "s"
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("t %v", m.ParameterOIDs)
	case *pgproto3.CopyOutResponse:
		return fmt.Sprintf("H %d cols", len(m.ColumnFormatCodes))
	case *pgproto3.CopyData:
		return fmt.Sprintf("d %q", m.Data)
	case *pgproto3.CopyDone:
		return "c"
	case *pgproto3.NegotiateProtocolVersion:
		return fmt.Sprintf("v %d %v", m.NewestMinorProtocol, m.UnrecognizedOptions)
	}
	return fmt.Sprintf("%T", m)
}

// waitFor waits on ch or fails the test.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// eventually polls cond until it holds or the test times out.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
