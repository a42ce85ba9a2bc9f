//go:build unix

package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// FuzzMessages feeds arbitrary bytes to a connection after a normal
// startup, as frontend traffic, followed by a valid Sync, Query "create"
// and Terminate. It requires of the server:
//
//   - no panic: no ErrorResponse with XX000 and nothing logged at Error
//     level (a recovered panic is both);
//   - every ErrorResponse has a 5-character SQLSTATE; a FATAL one is
//     08P01, the only FATAL a started connection may get (28000 and 28P01
//     are startup's, and the server never sends 57P01); nothing follows a
//     FATAL but the connection's end;
//   - it never hangs: the connection ends within fuzzDeadline, and
//     Server.Close returns within fuzzCloseTimeout;
//   - its output is well framed and decodable, and it does not lose its
//     place in the input: if the trailer is framed as written, the input
//     holds no Terminate and draws no FATAL, the answer ends with the
//     trailer's CommandComplete CREATE TABLE and ReadyForQuery; a frame
//     the server must reject (length < 4, over MaxMessageSize, unknown
//     type) or cannot decode draws a FATAL.
//
// Each input gets its own server and an in-process socket pair: a single
// connection listener hands the server one end. A Unix socket pair rather
// than net.Pipe, because the client must be able to close only its write
// side: when an input message swallows the trailer (or the input ends
// inside a message), the server rightly waits for more, and the
// half-close (EOF) is what lets it finish at once instead of at a
// deadline, while the client still reads all it answered.
//
// The fake engine's deliberately broken statements (panic, internal, half,
// block) and huge counts are refused by fuzzSession, so that XX000 and
// hangs can only come from the server.
//
// Fuzz with a bound on minimizing new inputs, which otherwise stalls the
// workers for many seconds at a time:
//
//	go test ./wire/ -run XXX -fuzz FuzzMessages -fuzztime 60s -fuzzminimizetime 200x
//
// WIRE_FUZZ_VERBOSE=1 logs each input's answer (with -v).
//
// Seeds are added with f.Add and also kept in testdata/fuzz/FuzzMessages;
// TestFuzzMessagesCorpus keeps the two in step (WIRE_FUZZ_WRITE_CORPUS=1
// rewrites the files). Files there named by a hash are inputs the fuzzer
// found failing.
func FuzzMessages(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.data)
	}
	f.Fuzz(fuzzMessages)
}

const (
	fuzzMaxMessage   = 4096
	fuzzDeadline     = 2 * time.Second
	fuzzCloseTimeout = 5 * time.Second
	// fuzzMaxCount bounds "count N", so an input cannot ask for hours of
	// rows; it is above the fake's batch size of 1000.
	fuzzMaxCount = 3000
)

// fuzzTrailer follows every input: it ends any extended-protocol error,
// runs a statement whose answer shows the server kept its place, and
// leaves.
var fuzzTrailer = fuzzEnc(&pgproto3.Sync{}, &pgproto3.Query{String: "create"}, &pgproto3.Terminate{})

func fuzzMessages(t *testing.T, data []byte) {
	logs := &fuzzLog{}
	srv := NewServer(fuzzEngine{newFakeEngine()}, Config{
		MaxMessageSize: fuzzMaxMessage,
		StartupTimeout: fuzzDeadline,
		Logger:         slog.New(logs),
	})
	cli, sc, err := fuzzSocketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ln := newOneConnListener(sc)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer fuzzCloseServer(t, srv, served, logs)

	// Startup.
	cli.SetDeadline(time.Now().Add(fuzzDeadline))
	var raw bytes.Buffer // everything the server sent after startup
	rec := &fuzzRecorder{r: cli}
	fe := pgproto3.NewFrontend(rec, cli)
	fe.Send(&pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters:      map[string]string{"user": "fuzz"},
	})
	if err := fe.Flush(); err != nil {
		t.Fatalf("startup: %v", err)
	}
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("startup: %v", err)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	rec.buf = &raw

	// The input and trailer, written while the answer is read.
	payload := append(append([]byte(nil), data...), fuzzTrailer...)
	frames := fuzzFrameTypes(payload, len(data), fuzzMaxMessage)
	cli.SetDeadline(time.Now().Add(fuzzDeadline))
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// A write error means the server closed the connection, which
		// the reader sees.
		// Unless the trailer's Terminate is framed as written, the server
		// waits for more input: the half-close (EOF) ends that.
		if _, err := cli.Write(payload); err == nil && !frames.trailer {
			cli.(*net.UnixConn).CloseWrite()
		}
	}()
	defer func() { <-wrote }()

	var got []string
	fatal := false
	fail := func(format string, args ...any) {
		t.Helper()
		tail := got
		if len(tail) > 40 {
			tail = append([]string{fmt.Sprintf("... %d more", len(tail)-40)}, tail[len(tail)-40:]...)
		}
		t.Fatalf("%s\ninput %q\nserver sent:\n  %s", fmt.Sprintf(format, args...), data, strings.Join(tail, "\n  "))
	}
	for {
		m, err := fe.Receive()
		if err != nil {
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				fail("server neither answered nor closed the connection within %v (hang)", fuzzDeadline)
			case !rec.closed:
				fail("client cannot decode the server's output: %v", err)
			case fuzzFrameTypes(raw.Bytes(), 0, math.MaxInt32).incomplete:
				fail("server closed the connection in the middle of a message")
			}
			break
		}
		d := describe(m)
		if fatal {
			fail("server sent %s after a FATAL error instead of closing the connection", d)
		}
		got = append(got, d)
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			switch {
			case len(m.Code) != 5 || strings.Trim(m.Code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "":
				fail("ErrorResponse with malformed SQLSTATE %q", m.Code)
			case m.Code == codeInternal:
				fail("ErrorResponse with XX000 (internal error): %s", m.Message)
			case m.Message == "":
				fail("ErrorResponse without a message")
			case m.Severity != m.SeverityUnlocalized:
				fail("ErrorResponse severity %q, unlocalized %q", m.Severity, m.SeverityUnlocalized)
			case m.Severity == "FATAL":
				if m.Code != codeProtocolViolation {
					fail("FATAL error with code %s, want %s", m.Code, codeProtocolViolation)
				}
				fatal = true
			case m.Severity != "ERROR":
				fail("ErrorResponse with severity %q", m.Severity)
			}
		case *pgproto3.ReadyForQuery:
			if m.TxStatus != 'I' && m.TxStatus != 'T' {
				fail("ReadyForQuery with status %q", m.TxStatus)
			}
		}
	}

	if os.Getenv("WIRE_FUZZ_VERBOSE") != "" {
		t.Logf("%s", strings.Join(got, "\n"))
	}
	// The server kept its place in the input.
	if fatal || frames.incomplete || frames.terminate {
		return
	}
	if n := len(got); frames.eofDecode != 0 && (n < 2 || got[n-2] != "C CREATE TABLE") {
		// pgproto3's Parse and Execute decoders return a bare io.EOF for
		// a string without its NUL terminator; the server once took that
		// for the client going away and closed without FATAL 08P01.
		fail("server closed the connection without a FATAL error on a malformed %q message (decoding error %v, which isDisconnect takes for the client going away); want FATAL 08P01",
			frames.eofDecode, frames.decodeErr)
	}
	if frames.bad {
		fail("server did not answer an invalid message frame with a FATAL error")
	}
	if !frames.trailer {
		return // the trailer is part of an input message
	}
	if n := len(got); n < 2 || got[n-2] != "C CREATE TABLE" || !strings.HasPrefix(got[n-1], "Z ") {
		fail("the trailer's Query was not answered last: the server lost its place in the input, or closed the connection without a FATAL error")
	}
}

// fuzzCloseServer closes srv and checks that it stopped in time and
// logged no errors.
func fuzzCloseServer(t *testing.T, srv *Server, served <-chan error, logs *fuzzLog) {
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Server.Close: %v", err)
		}
	case <-time.After(fuzzCloseTimeout):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("Server.Close did not return within %v (a connection goroutine hangs):\n%s", fuzzCloseTimeout, buf)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	for _, r := range logs.errors() {
		t.Errorf("server logged an error: %s", r)
	}
}

// fuzzSocketPair returns the two ends of a connected Unix stream socket
// pair: an in-process connection with deadlines and half-close.
func fuzzSocketPair() (net.Conn, net.Conn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, nil, err
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "fuzz-socketpair")
		c, err := net.FileConn(f) // dups fd
		f.Close()
		if err != nil {
			if i == 1 {
				conns[0].Close()
			} else {
				syscall.Close(fds[1])
			}
			return nil, nil, err
		}
		conns[i] = c
	}
	return conns[0], conns[1], nil
}

// oneConnListener hands out one connection, then blocks in Accept until
// closed.
type oneConnListener struct {
	conns     chan net.Conn
	addr      net.Addr
	done      chan struct{}
	closeOnce sync.Once
}

func newOneConnListener(c net.Conn) *oneConnListener {
	l := &oneConnListener{conns: make(chan net.Conn, 1), addr: c.LocalAddr(), done: make(chan struct{})}
	l.conns <- c
	return l
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *oneConnListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		select {
		case c := <-l.conns: // never accepted
			c.Close()
		default:
		}
	})
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.addr }

// fuzzRecorder reads the client's end, copying what it reads to buf (when
// set) and noting whether the server closed the connection.
type fuzzRecorder struct {
	r      io.Reader
	buf    *bytes.Buffer
	closed bool
}

func (r *fuzzRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.buf != nil {
		r.buf.Write(p[:n])
	}
	// A connection closed with input unread gives ECONNRESET, after
	// everything it sent.
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		r.closed = true
	}
	return n, err
}

// fuzzFrames is how the server frames a byte stream.
type fuzzFrames struct {
	// bad: a frame the server must reject before reading its body.
	bad bool
	// terminate: a Terminate-typed frame starts before offset end (in
	// the input, not the trailer) and before any bad frame.
	terminate bool
	// incomplete: the stream ends inside a message (before any bad
	// frame), so the server waits for more.
	incomplete bool
	// trailer: a message starts at offset end, so the trailer's messages
	// are framed as written rather than swallowed by an input message.
	trailer bool
	// eofDecode is the first frame of the input whose body pgproto3
	// cannot decode, when the decoding error is io.EOF (see
	// fuzzKnownBugs); 0 if there is none, or an earlier frame's body
	// fails otherwise.
	eofDecode byte
	decodeErr error
}

// fuzzFrameTypes walks b's messages as pgproto3's Backend frames them,
// up to the first one it rejects from its header alone; end is where the
// input ends and the trailer begins. With maxBody math.MaxInt32 it walks
// the server's output, whose type bytes it does not check.
func fuzzFrameTypes(b []byte, end, maxBody int) fuzzFrames {
	var fr fuzzFrames
	for off := 0; off < len(b); {
		rest := b[off:]
		if off == end {
			fr.trailer = true
		}
		if len(rest) < 5 {
			fr.incomplete = true
			return fr
		}
		n := int(int32(binary.BigEndian.Uint32(rest[1:5])))
		if n < 4 || n-4 > maxBody || (maxBody != math.MaxInt32 && !strings.ContainsRune("BCDEFfdcHPpQSX", rune(rest[0]))) {
			fr.bad = true
			return fr
		}
		if len(rest) < 1+n {
			fr.incomplete = true
			return fr
		}
		if rest[0] == 'X' && off < end {
			fr.terminate = true
		}
		if maxBody != math.MaxInt32 && off < end && fr.decodeErr == nil {
			if err := fuzzDecode(rest[0], rest[5:1+n]); err != nil {
				fr.decodeErr = err
				if errors.Is(err, io.EOF) {
					fr.eofDecode = rest[0]
				}
			}
		}
		off += 1 + n
	}
	return fr
}

// fuzzDecode decodes a frontend message body as the server's Backend does.
func fuzzDecode(typ byte, body []byte) error {
	var m pgproto3.FrontendMessage
	switch typ {
	case 'B':
		m = &pgproto3.Bind{}
	case 'C':
		m = &pgproto3.Close{}
	case 'D':
		m = &pgproto3.Describe{}
	case 'E':
		m = &pgproto3.Execute{}
	case 'F':
		m = &pgproto3.FunctionCall{}
	case 'f':
		m = &pgproto3.CopyFail{}
	case 'd':
		m = &pgproto3.CopyData{}
	case 'c':
		m = &pgproto3.CopyDone{}
	case 'H':
		m = &pgproto3.Flush{}
	case 'P':
		m = &pgproto3.Parse{}
	case 'p':
		m = &pgproto3.PasswordMessage{}
	case 'Q':
		m = &pgproto3.Query{}
	case 'S':
		m = &pgproto3.Sync{}
	case 'X':
		m = &pgproto3.Terminate{}
	default:
		return nil
	}
	return m.Decode(body)
}

// fuzzLog records the server's Error-level log records.
type fuzzLog struct {
	mu   sync.Mutex
	recs []string
}

func (h *fuzzLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *fuzzLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, b.String())
	h.mu.Unlock()
	return nil
}

func (h *fuzzLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *fuzzLog) WithGroup(string) slog.Handler      { return h }

func (h *fuzzLog) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.recs
}

// fuzzEngine is the fake engine with its deliberately failing statements
// refused (see fuzzSession).
type fuzzEngine struct{ *fakeEngine }

func (e fuzzEngine) NewSession(user, database string) (Session, error) {
	s, err := e.fakeEngine.NewSession(user, database)
	if err != nil {
		return nil, err
	}
	return fuzzSession{s}, nil
}

// fuzzSession refuses what the fake session does on purpose to test the
// server's handling of engine bugs (panic, internal, half: XX000) or of
// statements that wait (block; and its Prepare blocks for good once the
// engine's blocked channel is full) or write until the client stops
// reading (overflow), and counts and widths above fuzzMaxCount.
type fuzzSession struct{ Session }

func fuzzRefuse(sql string) error {
	for _, stmt := range strings.Split(sql, ";") {
		text := strings.TrimSpace(stmt)
		switch text {
		case "panic", "internal", "half", "block", "overflow":
			return sqlerr.New(sqlerr.FeatureNotSupported, "%q is disabled while fuzzing", text)
		}
		for _, verb := range []string{"count ", "wide "} {
			if n, ok := strings.CutPrefix(text, verb); ok {
				if n, err := strconv.Atoi(n); err == nil && n > fuzzMaxCount {
					return sqlerr.New(sqlerr.FeatureNotSupported, "%sover %d is disabled while fuzzing", verb, fuzzMaxCount)
				}
			}
		}
	}
	return nil
}

func (s fuzzSession) Query(ctx context.Context, sql string, w ResultWriter) error {
	if err := fuzzRefuse(sql); err != nil {
		return err
	}
	return s.Session.Query(ctx, sql, w)
}

func (s fuzzSession) Prepare(ctx context.Context, sql string, params []types.T) (*Statement, error) {
	if err := fuzzRefuse(sql); err != nil {
		return nil, err
	}
	return s.Session.Prepare(ctx, sql, params)
}

// fuzzEnc encodes frontend messages.
func fuzzEnc(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			panic(err)
		}
	}
	return b
}

// fuzzCat concatenates byte slices.
func fuzzCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// fuzzEchoBinary is an extended-protocol round of "echo $1" with one
// parameter of type oid sent in binary format.
func fuzzEchoBinary(oid uint32, val []byte) []byte {
	return fuzzEnc(
		&pgproto3.Parse{Query: "echo $1", ParameterOIDs: []uint32{oid}},
		&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{val}},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
}

// fuzzNumeric is a binary numeric value: header and base-10000 digits.
func fuzzNumeric(weight int16, sign, dscale uint16, digits ...uint16) []byte {
	return numericWire(int16(len(digits)), weight, sign, dscale, digits...)
}

func fuzzU64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// fuzzHeader is a message header: a type byte and a length word.
func fuzzHeader(typ byte, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{typ}, n)
}

type fuzzSeed struct {
	name string
	data []byte
}

// fuzzSeeds are the seed inputs, named as their corpus files.
func fuzzSeeds() []fuzzSeed {
	query := func(sql string) []byte { return fuzzEnc(&pgproto3.Query{String: sql}) }
	sync := fuzzEnc(&pgproto3.Sync{})
	countQuery := query("count 5")
	interval := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(fuzzU64(90e6), 3), 0)
	return []fuzzSeed{
		{"empty", nil},
		{"simple-queries", fuzzCat(query("count 5"), query("types"), query("bogus"),
			query("create; count 3"), query(""), query(" ; "), query("notice"), query("diffs"), query("count x"))},
		{"extended-unnamed", fuzzEnc(
			&pgproto3.Parse{Query: "count 5"},
			&pgproto3.Bind{},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)},
		{"extended-named-row-limit", fuzzEnc(
			&pgproto3.Parse{Name: "s1", Query: "count 5"},
			&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
			&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1"},
			&pgproto3.Execute{Portal: "p1", MaxRows: 2},
			&pgproto3.Execute{Portal: "p1", MaxRows: 2},
			&pgproto3.Execute{Portal: "p1", MaxRows: 2},
			&pgproto3.Execute{Portal: "p1", MaxRows: 2},
			&pgproto3.Close{ObjectType: 'P', Name: "p1"},
			&pgproto3.Close{ObjectType: 'S', Name: "s1"},
			&pgproto3.Close{ObjectType: 'S', Name: "never"},
			&pgproto3.Sync{},
		)},
		{"extended-count-batches", fuzzEnc(
			&pgproto3.Parse{Query: "count 2500"},
			&pgproto3.Bind{ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{MaxRows: 999},
			&pgproto3.Execute{MaxRows: 1000},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)},
		{"extended-echo", fuzzEnc(
			&pgproto3.Parse{Name: "e", Query: "echo $1"},
			&pgproto3.Describe{ObjectType: 'S', Name: "e"},
			&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("hi")}},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
			&pgproto3.Bind{DestinationPortal: "n", PreparedStatement: "e", Parameters: [][]byte{nil}, ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{Portal: "n", MaxRows: 1},
			&pgproto3.Execute{Portal: "n", MaxRows: 1},
			&pgproto3.Sync{},
		)},
		{"extended-echo-multi-params", fuzzEnc(
			&pgproto3.Parse{Query: "echo $1 $2 $3", ParameterOIDs: []uint32{25, 23, 0}},
			&pgproto3.Describe{ObjectType: 'S'},
			&pgproto3.Bind{ParameterFormatCodes: []int16{0, 1, 0}, Parameters: [][]byte{[]byte("a"), {0, 0, 0, 7}, nil}},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)},
		{"extended-types-formats", fuzzEnc(
			&pgproto3.Parse{Name: "t", Query: "types"},
			&pgproto3.Bind{DestinationPortal: "bin", PreparedStatement: "t", ResultFormatCodes: []int16{1}},
			&pgproto3.Describe{ObjectType: 'P', Name: "bin"},
			&pgproto3.Execute{Portal: "bin"},
			&pgproto3.Bind{DestinationPortal: "mixed", PreparedStatement: "t", ResultFormatCodes: []int16{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}},
			&pgproto3.Execute{Portal: "mixed", MaxRows: 1},
			&pgproto3.Execute{Portal: "mixed", MaxRows: 1},
			&pgproto3.Execute{Portal: "mixed", MaxRows: 1},
			&pgproto3.Sync{},
		)},
		{"extended-diffs-limit", fuzzEnc(
			&pgproto3.Parse{Query: "diffs"},
			&pgproto3.Bind{},
			&pgproto3.Execute{MaxRows: 1},
			&pgproto3.Execute{MaxRows: 4},
			&pgproto3.Execute{MaxRows: 1},
			&pgproto3.Execute{MaxRows: 1},
			&pgproto3.Sync{},
		)},
		{"extended-empty-and-notice", fuzzEnc(
			&pgproto3.Parse{Query: ""},
			&pgproto3.Bind{},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
			&pgproto3.Parse{Query: "notice"},
			&pgproto3.Bind{},
			&pgproto3.Execute{MaxRows: 1},
			&pgproto3.Parse{Query: "create"},
			&pgproto3.Bind{},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{MaxRows: 3},
			&pgproto3.Sync{},
		)},
		{"extended-errors-skip-to-sync", fuzzEnc(
			&pgproto3.Parse{Query: "bogus"},
			&pgproto3.Bind{},
			&pgproto3.Execute{},
			&pgproto3.Query{String: "count 1"},
			&pgproto3.FunctionCall{Function: 1},
			&pgproto3.Sync{},
			&pgproto3.Parse{Query: "create; create"},
			&pgproto3.Sync{},
			&pgproto3.Parse{Query: "count nope"},
			&pgproto3.Sync{},
			&pgproto3.Query{String: "count 1"},
		)},
		{"extended-unknown-names", fuzzEnc(
			&pgproto3.Bind{PreparedStatement: "nope"},
			&pgproto3.Sync{},
			&pgproto3.Execute{Portal: "nope"},
			&pgproto3.Sync{},
			&pgproto3.Describe{ObjectType: 'S', Name: "nope"},
			&pgproto3.Sync{},
			&pgproto3.Describe{ObjectType: 'P', Name: "nope"},
			&pgproto3.Sync{},
		)},
		{"extended-duplicates", fuzzEnc(
			&pgproto3.Parse{Name: "d", Query: "create"},
			&pgproto3.Parse{Name: "d", Query: "create"},
			&pgproto3.Sync{},
			&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "d"},
			&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "d"},
			&pgproto3.Sync{},
			&pgproto3.Parse{Query: "count 1"},
			&pgproto3.Parse{Query: "count 2"},
			&pgproto3.Bind{},
			&pgproto3.Bind{},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)},
		{"extended-portal-after-sync", fuzzEnc(
			&pgproto3.Parse{Name: "s", Query: "count 3"},
			&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
			&pgproto3.Execute{Portal: "p", MaxRows: 1},
			&pgproto3.Sync{},
			&pgproto3.Execute{Portal: "p", MaxRows: 1},
			&pgproto3.Sync{},
			&pgproto3.Close{ObjectType: 'S', Name: "s"},
			&pgproto3.Bind{PreparedStatement: "s"},
			&pgproto3.Sync{},
		)},
		{"bind-mismatched-format-counts", fuzzEnc(
			&pgproto3.Parse{Name: "e", Query: "echo $1"},
			&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{0, 1}, Parameters: [][]byte{[]byte("x")}},
			&pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("x"), []byte("y")}},
			&pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "e"},
			&pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{2}, Parameters: [][]byte{[]byte("x")}},
			&pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("x")}, ResultFormatCodes: []int16{0, 1}},
			&pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("x")}, ResultFormatCodes: []int16{-1}},
			&pgproto3.Sync{},
			&pgproto3.Parse{Name: "c", Query: "create"},
			&pgproto3.Bind{PreparedStatement: "c", ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)},
		{"binary-params-good", fuzzCat(
			fuzzEchoBinary(16, []byte{1}),
			fuzzEchoBinary(21, []byte{0xff, 0xfe}),
			fuzzEchoBinary(23, []byte{0x80, 0, 0, 0}),
			fuzzEchoBinary(20, fuzzU64(1<<63)),
			fuzzEchoBinary(700, []byte{0x3d, 0xcc, 0xcc, 0xcd}),
			fuzzEchoBinary(701, fuzzU64(0x7ff8000000000001)),
			fuzzEchoBinary(25, []byte("héllo")),
			fuzzEchoBinary(1043, nil),
			fuzzEchoBinary(1114, fuzzU64(0)),
			fuzzEchoBinary(1184, fuzzU64(math.MaxInt64)),
			fuzzEchoBinary(1186, interval),
			fuzzEchoBinary(1700, fuzzNumeric(1, numericNeg, 4, 12, 3456, 7800)),
		)},
		{"binary-params-bad-lengths", fuzzCat(
			fuzzEchoBinary(16, nil),
			fuzzEchoBinary(21, []byte{1}),
			fuzzEchoBinary(23, []byte{1, 2, 3, 4, 5}),
			fuzzEchoBinary(20, []byte{1, 2, 3}),
			fuzzEchoBinary(700, []byte{1, 2}),
			fuzzEchoBinary(701, nil),
			fuzzEchoBinary(1114, []byte{1, 2, 3, 4}),
			fuzzEchoBinary(1186, fuzzU64(1)),
			fuzzEchoBinary(1700, []byte{0, 1, 0}),
			fuzzEchoBinary(1700, fuzzNumeric(0, numericPos, 0, 1)[:9]),
		)},
		{"binary-params-bad-values", fuzzCat(
			fuzzEchoBinary(25, []byte{0xff, 0xfe}),
			fuzzEchoBinary(18, []byte{'a', 0, 'b'}),
			fuzzEchoBinary(19, []byte("name")),
			fuzzEchoBinary(1114, fuzzU64(math.MaxInt64-1)),
			fuzzEchoBinary(1184, fuzzU64(1<<63)),
			fuzzEchoBinary(1186, append(fuzzU64(1<<63), 0x80, 0, 0, 0, 0x80, 0, 0, 0)),
			fuzzEchoBinary(1700, fuzzNumeric(0, numericNaN, 0)),
			fuzzEchoBinary(1700, fuzzNumeric(0, numericPInf, 0)),
			fuzzEchoBinary(1700, fuzzNumeric(0, numericNInf, 0)),
			fuzzEchoBinary(1700, fuzzNumeric(0, 0x1234, 0, 1)),
			fuzzEchoBinary(1700, fuzzNumeric(0, numericPos, 0, 10000)),
			fuzzEchoBinary(1700, fuzzNumeric(math.MaxInt16, numericPos, 0x3fff, 9999, 9999)),
			fuzzEchoBinary(1700, fuzzNumeric(math.MinInt16, numericPos, 0xffff, 1)),
			fuzzEchoBinary(1700, append(fuzzNumeric(0, numericPos, 0, 1), 0, 1)),
			fuzzEchoBinary(9999, []byte("x")),
			fuzzEchoBinary(0, []byte("x")),
		)},
		{"describe-bad-subtype", fuzzCat(countQuery, fuzzEnc(&pgproto3.Describe{ObjectType: 'X'}, &pgproto3.Sync{}), countQuery)},
		{"close-bad-subtype", fuzzCat(fuzzEnc(&pgproto3.Close{ObjectType: 0, Name: "x"}, &pgproto3.Sync{}), countQuery)},
		{"flush-in-middle", fuzzEnc(
			&pgproto3.Parse{Query: "count 3"},
			&pgproto3.Flush{},
			&pgproto3.Bind{},
			&pgproto3.Flush{},
			&pgproto3.Execute{MaxRows: 2},
			&pgproto3.Flush{},
			&pgproto3.Execute{},
			&pgproto3.Flush{},
			&pgproto3.Sync{},
			&pgproto3.Flush{},
		)},
		{"copy-messages", fuzzEnc(
			&pgproto3.CopyData{Data: []byte("1\t2\n")},
			&pgproto3.CopyDone{},
			&pgproto3.CopyFail{Message: "stop"},
			&pgproto3.Query{String: "count 2"},
			&pgproto3.CopyData{},
			&pgproto3.Parse{Query: "bogus"},
			&pgproto3.CopyDone{},
			&pgproto3.Sync{},
		)},
		{"function-call", fuzzEnc(
			&pgproto3.FunctionCall{Function: 1598, ArgFormatCodes: []uint16{1}, Arguments: [][]byte{{0, 0, 0, 1}, nil}, ResultFormatCode: 1},
			&pgproto3.Query{String: "count 1"},
		)},
		{"terminate-in-middle", fuzzCat(query("count 3"), fuzzEnc(&pgproto3.Terminate{}), query("count 4"))},
		{"terminate-with-body", fuzzCat(fuzzHeader('X', 5), []byte{0}, countQuery)},
		{"truncated-header", fuzzCat(countQuery, countQuery[:3])},
		{"truncated-body", countQuery[:len(countQuery)-2]},
		{"truncated-declared-long", fuzzCat(fuzzHeader('Q', 4000), []byte("count 1\x00"))},
		{"length-below-4", fuzzCat(fuzzHeader('Q', 3), []byte("count 1\x00"))},
		{"length-zero", fuzzCat(fuzzHeader('S', 0), sync)},
		{"length-negative", fuzzCat(fuzzHeader('Q', 0xffffffff), []byte("x\x00"))},
		{"oversized-length", fuzzCat(fuzzHeader('Q', fuzzMaxMessage+5), []byte("count 1\x00"))},
		{"max-size-query", fuzzCat(query("count 1 "+strings.Repeat(" ", fuzzMaxMessage-9)), query(strings.Repeat("x", fuzzMaxMessage)))},
		{"unknown-types", fuzzCat(countQuery, fuzzHeader('Z', 4), countQuery)},
		{"type-zero", fuzzCat(fuzzHeader(0, 8), []byte{0, 3, 0, 0})},
		{"startup-again", fuzzEnc(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "x"}})},
		{"password-after-startup", fuzzEnc(&pgproto3.PasswordMessage{Password: "secret"}, &pgproto3.Sync{})},
		{"malformed-bodies", fuzzCat(
			fuzzHeader('B', 4+2+4), []byte{0, 0, 0, 0, 0, 5}, // Bind: 5 format codes, none there
			sync,
		)},
		{"malformed-parse", fuzzCat(fuzzHeader('P', 4+5), []byte("a\x00bcd"), sync)},
		{"malformed-execute", fuzzCat(fuzzHeader('E', 4+3), []byte{0, 0, 1}, sync)},
		{"malformed-execute-no-nul", fuzzCat(fuzzHeader('E', 4+3), []byte("abc"), sync)},
		{"malformed-describe", fuzzCat(fuzzHeader('D', 4), sync)},
		{"malformed-query", fuzzCat(fuzzHeader('Q', 4+5), []byte("count"), sync)},
		{"malformed-sync", fuzzCat(fuzzHeader('S', 4+1), []byte{0})},
		{"pipelined-while-running", fuzzCat(
			query("count 3000"),
			fuzzEnc(
				&pgproto3.Parse{Query: "count 3000"},
				&pgproto3.Bind{},
				&pgproto3.Execute{MaxRows: 10},
				&pgproto3.Sync{},
			),
			bytes.Repeat(countQuery, 200),
		)},
		{"refused-statements", fuzzCat(query("panic"), query("count 1; internal"), query("block"), query("half"), query("count 1000000"),
			fuzzEnc(&pgproto3.Parse{Query: "panic"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}))},
		{"many-syncs", bytes.Repeat(sync, 50)},
	}
}

const fuzzCorpusDir = "testdata/fuzz/FuzzMessages"

// fuzzCorpusFile is a seed in the fuzzing corpus's file format.
func fuzzCorpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// TestFuzzMessagesCorpus checks that every seed of FuzzMessages is also
// committed as a corpus file; WIRE_FUZZ_WRITE_CORPUS=1 writes them.
func TestFuzzMessagesCorpus(t *testing.T) {
	write := os.Getenv("WIRE_FUZZ_WRITE_CORPUS") != ""
	if write {
		if err := os.MkdirAll(fuzzCorpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range fuzzSeeds() {
		path := filepath.Join(fuzzCorpusDir, s.name)
		want := fuzzCorpusFile(s.data)
		if write {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("corpus file %s is missing or stale (err %v); regenerate with WIRE_FUZZ_WRITE_CORPUS=1 go test ./wire/ -run TestFuzzMessagesCorpus", path, err)
		}
	}
}
