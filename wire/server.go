package wire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Config configures a Server. The zero value is usable.
type Config struct {
	// Addr is the TCP address Start and ListenAndServe listen on. The
	// default is "127.0.0.1:4566"; "127.0.0.1:0" picks a free port (see
	// Server.Addr).
	Addr string
	// MaxMessageSize limits the body of one client message, in bytes; a
	// larger message ends the connection with 08P01. Default 64 MiB.
	MaxMessageSize int
	// StartupTimeout bounds how long a new connection may take to send
	// its startup message. Default 60 s, PostgreSQL's
	// authentication_timeout.
	StartupTimeout time.Duration
	// ClientWriteTimeout bounds how long a write to a client may make no
	// progress: a client that accepts no byte of it for this long (it
	// stopped reading, say, a SUBSCRIBE) is cut off, its session closed
	// and the cut logged. It is checked per period, so the cut comes
	// within twice this after the client's last byte; the deadline is
	// renewed while bytes go out, so a slow reader is never cut, however
	// long the result. Default 30 s; negative waits without limit, as
	// PostgreSQL does.
	ClientWriteTimeout time.Duration
	// Logger receives what cannot be reported to a client, such as a
	// panic's stack. Default slog.Default().
	Logger *slog.Logger
	// Auth checks passwords (see PasswordAuth and LoadUsers); nil trusts
	// every client, which Serve allows only on a loopback address unless
	// Insecure is set.
	Auth     *Auth
	Insecure bool
	// AuthDelay is how long the answer to a failed authentication waits,
	// doubling with each consecutive failure from the client's address up
	// to AuthDelayMax (PostgreSQL's auth_delay, growing), so passwords
	// cannot be guessed quickly. Default 100 ms, up to 5 s; negative
	// turns the delay off.
	AuthDelay    time.Duration
	AuthDelayMax time.Duration
	// TLS, when set, is offered to clients that ask for it (SSLRequest).
	TLS *tls.Config
}

// CheckExposure refuses to serve clients beyond this machine without
// passwords: trust authentication on a network address would let anyone
// who can reach the port run any statement.
func (cfg *Config) CheckExposure(addr net.Addr) error {
	if cfg.Auth != nil || cfg.Insecure {
		return nil
	}
	if ta, ok := addr.(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		return fmt.Errorf("wire: refusing to serve %s without passwords: configure a password or users file, or listen on a loopback address (or accept the risk with insecure mode)", addr)
	}
	return nil
}

// DefaultAddr is the address the server listens on when Config.Addr is
// empty.
const DefaultAddr = "127.0.0.1:4566"

const (
	defaultMaxMessageSize = 64 << 20
	defaultStartupTimeout = 60 * time.Second
)

// Server accepts PostgreSQL client connections and runs each in its own
// goroutine against a Session of its Engine. Its methods are safe for
// concurrent use.
type Server struct {
	eng Engine
	cfg Config
	log *slog.Logger
	// throttle delays failed authentications (nil: no delay).
	throttle *authThrottle

	// ctx is the parent of every query's context; Close cancels it so
	// running queries stop.
	ctx  context.Context
	stop context.CancelFunc

	mu     sync.Mutex
	closed bool
	addr   net.Addr
	lns    map[net.Listener]struct{}
	conns  map[*conn]struct{}
	// byPID finds a started connection for a CancelRequest.
	byPID map[uint32]*conn
	// wg counts connection goroutines and Start's accept loop. Add is
	// called only under mu while !closed, so it never races with Wait.
	wg sync.WaitGroup
}

// NewServer returns a server for eng. It does not listen until Serve,
// Start or ListenAndServe is called.
func NewServer(eng Engine, cfg Config) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = defaultMaxMessageSize
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = defaultStartupTimeout
	}
	if cfg.ClientWriteTimeout == 0 {
		cfg.ClientWriteTimeout = defaultClientWriteTimeout
	}
	if cfg.AuthDelay == 0 {
		cfg.AuthDelay = defaultAuthDelay
	}
	if cfg.AuthDelayMax <= 0 {
		cfg.AuthDelayMax = defaultAuthDelayMax
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Server{
		eng:      eng,
		cfg:      cfg,
		log:      log,
		throttle: newAuthThrottle(cfg.AuthDelay, cfg.AuthDelayMax),
		ctx:      ctx,
		stop:     stop,
		lns:      make(map[net.Listener]struct{}),
		conns:    make(map[*conn]struct{}),
		byPID:    make(map[uint32]*conn),
	}
}

// Serve accepts connections on ln until Close is called, and then returns
// nil. It closes ln when it returns. A listener error other than one
// caused by Close is returned.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.cfg.CheckExposure(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	if !s.track(ln) {
		ln.Close()
		return nil
	}
	defer s.untrack(ln)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Probably out of file descriptors: wait and retry, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("wire: accept", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return nil
			}
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		c := newConn(s, nc)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// Start listens on Config.Addr and serves in a goroutine the server owns,
// returning once the listener is bound: Addr then reports the address,
// useful with port 0. Close stops it.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	if err := s.cfg.CheckExposure(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		if err := s.Serve(ln); err != nil {
			s.log.Error("wire: serve", "addr", ln.Addr(), "err", err)
		}
	}()
	return nil
}

// ListenAndServe listens on Config.Addr and serves until Close.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Addr returns the address of the first listener the server served on,
// or nil if it has not started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops accepting, cancels running queries, closes every connection
// and waits for their goroutines (and so for their Session.Close) to end.
// A session whose Query ignores its context delays Close until it returns.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var err error
	for ln := range s.lns {
		if e := ln.Close(); e != nil && !errors.Is(e, net.ErrClosed) && err == nil {
			err = e
		}
	}
	for c := range s.conns {
		c.raw.Close()
	}
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
	return err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers a listener so Close can close it; false means the
// server is already closed.
func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.lns[ln] = struct{}{}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	delete(s.lns, ln)
	s.mu.Unlock()
	ln.Close()
}

// register gives c a process id and secret key, unique among live
// connections, and makes it reachable by CancelRequest.
func (s *Server) register(c *conn) {
	var b [8]byte
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		rand.Read(b[:])
		// Keep the pid a positive int32: libpq and psql treat it as int.
		pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
		if pid == 0 || s.byPID[pid] != nil {
			continue
		}
		c.pid, c.secret = pid, append([]byte(nil), b[4:]...)
		s.byPID[pid] = c
		return
	}
}

// remove forgets c once its goroutine is done.
func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.pid != 0 && s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// cancel handles a CancelRequest: it cancels the running query of the
// connection with this pid if the secret matches. A wrong or unknown key
// is ignored silently, as PostgreSQL does, so it reveals nothing.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret, secret) != 1 {
		return
	}
	c.cancelQuery()
}
