package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// writeBufferSize is the size of a connection's output buffer: large
// enough that streaming a big result costs few write syscalls.
const writeBufferSize = 64 << 10

// conn is one client connection. Its goroutine (serve) owns everything
// but mu's fields, which CancelRequests from other goroutines touch.
type conn struct {
	s *Server
	// tz is the TimeZone last reported to the client.
	tz string
	// raw is the accepted socket, which Server.Close closes from its own
	// goroutine; sock is raw with its writes bounded (ClientWriteTimeout);
	// nc is what the connection speaks over (sock, or TLS over it), used
	// only by the connection's goroutine.
	raw  net.Conn
	sock *stallConn
	nc   net.Conn
	be   *pgproto3.Backend
	// bw buffers all output. Protocol messages go through be.Send and are
	// moved into bw at once (see send); DataRows are written to bw
	// directly. bw reaches the socket at ReadyForQuery, on Flush, or when
	// full.
	bw   *output
	res  results
	sess Session
	// lost is the first ErrorResponse that could not be sent because the
	// client stopped reading (see lastWords).
	lost *pgproto3.ErrorResponse

	pid    uint32
	secret []byte

	// stmts and portals are the extended protocol's prepared statements
	// and portals by name ("" is the unnamed one).
	stmts   map[string]*prepared
	portals map[string]*portal
	// rd is what the Backend reads from: the socket, after any bytes the
	// disconnect watcher read while a query ran.
	rd  watchReader
	buf []byte // the watcher's read buffer
	// unwatch stops the running statement's watcher, so that the
	// statement can read the client itself (COPY FROM STDIN).
	unwatch func()

	mu sync.Mutex
	// cancel cancels the running query's context; nil when idle.
	cancel context.CancelFunc
}

func newConn(s *Server, raw net.Conn) *conn {
	sock := &stallConn{Conn: raw, timeout: s.cfg.ClientWriteTimeout}
	c := &conn{s: s, raw: raw, sock: sock, nc: sock, bw: newOutput(sock, writeBufferSize),
		stmts: map[string]*prepared{}, portals: map[string]*portal{}}
	c.rd.nc = sock
	c.be = pgproto3.NewBackend(&c.rd, c.bw)
	c.be.SetMaxBodyLen(s.cfg.MaxMessageSize)
	c.res = results{c: c, bw: c.bw}
	return c
}

// serve runs the connection until the client leaves, breaks the protocol
// or the server closes. A panic here ends only this connection: the client
// gets FATAL XX000 with the panic's text. (The engine's Session turns its
// own panics into a statement's ERROR, and the session goes on.)
func (c *conn) serve() {
	defer c.s.remove(c)
	defer c.nc.Close()
	defer c.lastWords()
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("wire: panic in connection", "pid", c.pid, "panic", p, "stack", string(debug.Stack()))
			c.fatal(&pgproto3.ErrorResponse{
				Severity:            "FATAL",
				SeverityUnlocalized: "FATAL",
				Code:                codeInternal,
				Message:             fmt.Sprintf("internal error: %v", p),
			})
		}
	}()
	if !c.startup() {
		return
	}
	defer c.sess.Close()
	remote := c.nc.RemoteAddr().String()
	c.s.log.Debug("connection", "pid", c.pid, "remote", remote)
	defer c.s.log.Debug("connection closed", "pid", c.pid, "remote", remote)
	c.loop()
}

// startup handles the messages before the session starts; it reports
// whether the connection is ready for queries.
func (c *conn) startup() bool {
	c.nc.SetReadDeadline(time.Now().Add(c.s.cfg.StartupTimeout))
	// A client may ask for SSL and then GSS encryption before starting.
	for range 3 {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			if !isDisconnect(err) {
				c.fatal(protocolError("invalid startup packet: %v", err))
			}
			return false
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.s.cfg.TLS == nil {
				c.bw.WriteByte('N') // not configured: continue unencrypted
				if c.bw.Flush() != nil {
					return false
				}
				continue
			}
			if !c.startTLS() {
				return false
			}
		case *pgproto3.GSSEncRequest:
			c.bw.WriteByte('N') // not supported: continue unencrypted
			if c.bw.Flush() != nil {
				return false
			}
		case *pgproto3.CancelRequest:
			c.s.cancel(m.ProcessID, m.SecretKey)
			return false
		case *pgproto3.StartupMessage:
			// The deadline stays through authentication, as PostgreSQL's
			// authentication_timeout does.
			ok := c.start(m)
			c.nc.SetReadDeadline(time.Time{})
			return ok && c.ready() == nil
		default:
			c.fatal(protocolError("unexpected startup message %T", msg))
			return false
		}
	}
	c.fatal(protocolError("too many encryption requests"))
	return false
}

// start authenticates the client, opens its session and reports the
// parameters clients expect.
func (c *conn) start(m *pgproto3.StartupMessage) bool {
	user := m.Parameters["user"]
	if user == "" {
		c.fatal(&pgproto3.ErrorResponse{
			Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: codeInvalidAuthSpec,
			Message: "no PostgreSQL user name specified in startup packet",
		})
		return false
	}
	db := m.Parameters["database"]
	if db == "" {
		db = user
	}
	// We speak 3.0 only; a client asking for a newer minor version or for
	// protocol options (_pq_.*) is told so and continues with 3.0.
	var unknown []string
	for k := range m.Parameters {
		if strings.HasPrefix(k, "_pq_.") {
			unknown = append(unknown, k)
		}
	}
	if m.ProtocolVersion != pgproto3.ProtocolVersion30 || len(unknown) > 0 {
		slices.Sort(unknown)
		c.send(&pgproto3.NegotiateProtocolVersion{
			NewestMinorProtocol: pgproto3.ProtocolVersion30,
			UnrecognizedOptions: unknown,
		})
	}
	var turn *authTurn
	if c.s.cfg.Auth != nil {
		var err error
		if turn, err = c.s.throttle.before(c.s.ctx, throttleKey(c.raw.RemoteAddr())); err != nil {
			if errors.Is(err, errAuthBusy) {
				c.fatal(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: codeTooManyConnections, Message: err.Error()})
			}
			return false
		}
	}
	if err := c.s.cfg.Auth.authenticate(c.be, c.flush, user); err != nil {
		switch {
		case errors.Is(err, errAuthFailed):
			c.s.throttle.failed(c.s.ctx, turn)
			c.fatal(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: codeInvalidPassword, Message: err.Error()})
		case errors.Is(err, errAuthProtocol):
			c.s.throttle.done(turn)
			c.fatal(protocolError("%v", err))
		default:
			// No password was checked: the turn passes on at once.
			c.s.throttle.done(turn)
			if !isDisconnect(err) {
				c.fatal(protocolError("authentication: %v", err))
			}
		}
		return false
	}
	c.s.throttle.succeeded(turn)
	c.send(&pgproto3.AuthenticationOk{})
	sess, err := c.s.eng.NewSession(user, db)
	if err != nil {
		c.fatal(errorResponse("FATAL", err, ""))
		return false
	}
	if cs, ok := sess.(Configurable); ok {
		for _, kv := range startupSettings(m) {
			if err := cs.SetStartup(kv[0], kv[1]); err != nil {
				sess.Close()
				c.fatal(errorResponse("FATAL", err, ""))
				return false
			}
		}
	}
	c.sess = sess
	c.s.register(c)
	c.tz = "UTC"
	if z, ok := sess.(Zoned); ok {
		c.tz, _ = z.TimeZone()
	}
	for _, p := range [...][2]string{
		{"server_version", "15.0"},
		{"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"IntervalStyle", "postgres"},
		{"integer_datetimes", "on"},
		{"standard_conforming_strings", "on"},
		{"TimeZone", c.tz},
		{"application_name", m.Parameters["application_name"]},
		{"is_superuser", "on"},
		{"session_authorization", user},
	} {
		c.send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
	}
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	return true
}

// startTLS answers an SSLRequest with 'S' and moves the connection onto
// TLS. Anything the client sent after the request, before the handshake,
// is discarded with the old Backend, so no plaintext can be injected into
// the encrypted session.
func (c *conn) startTLS() bool {
	c.bw.WriteByte('S')
	if c.bw.Flush() != nil {
		return false
	}
	tc := tls.Server(c.nc, c.s.cfg.TLS)
	if err := tc.Handshake(); err != nil {
		c.s.log.Debug("wire: TLS handshake", "err", err)
		return false
	}
	c.nc = tc
	c.rd.nc = tc
	c.bw.Reset(tc)
	c.be = pgproto3.NewBackend(&c.rd, c.bw)
	c.be.SetMaxBodyLen(c.s.cfg.MaxMessageSize)
	return true
}

// loop reads and answers messages until the connection ends.
func (c *conn) loop() {
	// skipping is set after an error in an extended-protocol message:
	// everything up to the next Sync is discarded, as PostgreSQL does.
	skipping := false
	for {
		msg, err := c.be.Receive()
		if err != nil {
			// Receive reports the end of the stream as ErrUnexpectedEOF;
			// a bare EOF comes from decoding a body whose string lacks
			// its NUL: a malformed message, not a client gone.
			if !isDisconnect(err) || err == io.EOF {
				c.fatal(protocolError("invalid message: %v", err))
			}
			return
		}
		switch msg.(type) {
		case *pgproto3.Sync:
			skipping = false
			if !c.res.tx {
				// Outside a transaction block, Sync ends the implicit
				// transaction and with it every portal.
				clear(c.portals)
			}
			if c.ready() != nil {
				return
			}
			continue
		case *pgproto3.Terminate:
			return
		case *pgproto3.Flush:
			if c.flush() != nil {
				return
			}
			continue
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Outside COPY FROM these are ignored, per the protocol.
			continue
		}
		if skipping {
			continue
		}
		var ok bool
		switch m := msg.(type) {
		case *pgproto3.Query:
			if !c.query(m.String) {
				return
			}
			continue
		case *pgproto3.Parse:
			ok = c.parse(m)
		case *pgproto3.Bind:
			ok = c.bind(m)
		case *pgproto3.Describe:
			ok = c.describe(m)
		case *pgproto3.Execute:
			ok = c.execute(m)
		case *pgproto3.Close:
			ok = c.closeObject(m)
		case *pgproto3.FunctionCall:
			c.send(&pgproto3.ErrorResponse{
				Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: codeFeature,
				Message: "function call protocol is not supported",
			})
			if c.ready() != nil {
				return
			}
			continue
		default:
			c.fatal(protocolError("unexpected message %T", msg))
			return
		}
		// Write errors stick in bw and end the connection at the next
		// flush.
		skipping = !ok
	}
}

// query runs one simple Query message; false means the connection broke.
func (c *conn) query(sql string) bool {
	ctx, done := c.begin()
	defer done()
	c.res.reset()
	err := c.sess.Query(ctx, sql, &c.res)
	switch {
	case err != nil:
		if c.res.copy {
			c.res.copy = false // the error ends the copy
		}
		c.send(errorResponse("ERROR", err, sql))
	case c.res.open:
		c.send(errorResponse("ERROR", fmt.Errorf("%w: result not completed", errResultOrder), sql))
	case !c.res.wrote:
		c.send(&pgproto3.EmptyQueryResponse{})
	}
	return c.ready() == nil
}

// begin starts running a statement: it makes the context a CancelRequest
// (or the client going away) cancels, and watches the socket while the
// statement runs. done ends both.
func (c *conn) begin() (context.Context, func()) {
	ctx, cancel := context.WithCancel(c.s.ctx)
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	var once sync.Once
	watching := c.watch(cancel)
	stop := func() { once.Do(watching) }
	c.unwatch = stop
	return ctx, func() {
		stop()
		c.unwatch = nil
		c.mu.Lock()
		c.cancel = nil
		c.mu.Unlock()
		cancel()
	}
}

// cancelQuery cancels the running query, if any. Safe from any goroutine.
func (c *conn) cancelQuery() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}

// send queues m in the output buffer. Write errors are sticky in bw and
// surface at the next flush.
func (c *conn) send(m pgproto3.BackendMessage) error {
	c.be.Send(m)
	err := c.be.Flush()
	if err != nil && c.sock.stalled && c.lost == nil {
		// A statement's own error (a SUBSCRIBE ended for holding too
		// much, say), not the failed write's (XX000), is kept for
		// lastWords.
		if e, ok := m.(*pgproto3.ErrorResponse); ok && e.Code != codeInternal {
			c.lost = e
		}
	}
	return err
}

// ready sends ReadyForQuery and flushes the output to the client. The
// status is 'T' inside BEGIN ... COMMIT, which drivers such as JDBC rely
// on to know a transaction is open.
func (c *conn) ready() error {
	status := byte('I')
	if c.res.tx {
		status = 'T'
	}
	if z, ok := c.sess.(Zoned); ok {
		// SET TIME ZONE is reported, as PostgreSQL reports it.
		if name, _ := z.TimeZone(); name != c.tz {
			c.tz = name
			c.send(&pgproto3.ParameterStatus{Name: "TimeZone", Value: name})
		}
	}
	c.send(&pgproto3.ReadyForQuery{TxStatus: status})
	return c.flush()
}

func (c *conn) flush() error { return c.bw.Flush() }

// fatal sends a last error to a connection about to be closed.
func (c *conn) fatal(r *pgproto3.ErrorResponse) {
	c.sock.limit(fatalWriteTimeout)
	c.send(r)
	c.flush()
}

// lastWords ends a connection whose client stopped reading (a write made
// no progress for ClientWriteTimeout). It runs after the session closed,
// so what the session held is already released. It logs the cut once and
// tries, briefly, to tell the client why: the error the statement ended
// with, if the stall kept it from the client, then FATAL 08006. Over TLS
// nothing more can be written: the timed-out write broke its state.
func (c *conn) lastWords() {
	if !c.sock.stalled {
		return
	}
	timeout := c.s.cfg.ClientWriteTimeout
	c.s.log.Warn("wire: closing a connection whose client stopped reading",
		"pid", c.pid, "client", c.raw.RemoteAddr().String(), "client_write_timeout", timeout)
	c.sock.limit(lastWordsTimeout)
	c.bw.resume()
	if c.lost != nil {
		c.send(c.lost)
	}
	c.send(&pgproto3.ErrorResponse{
		Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: codeConnectionFailure,
		Message: fmt.Sprintf("terminating connection because the client read nothing for %v (--client-write-timeout)", timeout),
	})
	c.flush()
}

// isDisconnect reports whether a read error means the client is gone (or
// the server closed the connection) rather than that it sent garbage.
func isDisconnect(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}
