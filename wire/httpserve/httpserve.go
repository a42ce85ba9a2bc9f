// Package httpserve is the server's HTTP side: Prometheus metrics on
// /metrics, liveness on /healthz and readiness on /readyz, and the
// dashboard on / with its JSON on /api/overview (dashboard.go).
//
// It starts before the engine recovers, so an orchestrator sees the
// process alive (/healthz 200) but not ready (/readyz 503) while the
// checkpoint is restored and the insert log replayed; Ready adds the
// engine's collector and turns /readyz to 200.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/wire"
)

// DefaultAddr is serve's --http default: loopback, beside the wire's 4566.
const DefaultAddr = "127.0.0.1:6566"

// Server serves the HTTP endpoints. Its methods are safe for concurrent use.
type Server struct {
	reg   *prometheus.Registry
	ready atomic.Bool
	hs    *http.Server
	wire  wireMetrics
	// overview is the dashboard's source of the engine's figures.
	overview atomic.Pointer[func() any]
}

// New returns a server whose registry holds the Go runtime and process
// collectors and the wire's session and statement counters.
func New() *Server {
	s := &Server{reg: prometheus.NewRegistry(), wire: newWireMetrics()}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		s.wire.sessions, s.wire.opened, s.wire.statements)
	mux := http.NewServeMux()
	s.dashboardRoutes(mux)
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "recovering", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	s.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Handler is the endpoints' handler, for tests and other listeners.
func (s *Server) Handler() http.Handler { return s.hs.Handler }

// Ready registers the engine's collectors and reports ready from now on.
func (s *Server) Ready(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := s.reg.Register(c); err != nil {
			return err
		}
	}
	s.ready.Store(true)
	return nil
}

// Serve serves ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops serving, letting scrapes in flight end for a second.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.hs.Shutdown(ctx); err != nil {
		return s.hs.Close()
	}
	return nil
}

// wireMetrics count the wire's sessions and statements.
type wireMetrics struct {
	sessions   prometheus.Gauge
	opened     prometheus.Counter
	statements *prometheus.CounterVec
	list       *sessionList
}

func newWireMetrics() wireMetrics {
	return wireMetrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamsql_wire_sessions", Help: "Client sessions open now."}),
		opened:   prometheus.NewCounter(prometheus.CounterOpts{Name: "streamsql_wire_sessions_opened_total", Help: "Client sessions opened."}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamsql_wire_statements_total",
			Help: "Statements run, by command and SQLSTATE class (00 for success)."}, []string{"command", "sqlstate_class"}),
		list: &sessionList{},
	}
}

// Meter returns eng with its sessions and statements counted.
func (s *Server) Meter(eng wire.Engine) wire.Engine { return meteredEngine{eng, &s.wire} }

type meteredEngine struct {
	wire.Engine
	m *wireMetrics
}

func (e meteredEngine) NewSession(user, database string) (wire.Session, error) {
	sess, err := e.Engine.NewSession(user, database)
	if err != nil {
		return nil, err
	}
	e.m.opened.Inc()
	e.m.sessions.Inc()
	ms := &meteredSession{Session: sess, m: e.m, info: &sessionStats{user: user, database: database, since: time.Now()}}
	e.m.list.add(ms)
	return ms, nil
}

type meteredSession struct {
	wire.Session
	m    *wireMetrics
	w    meteredWriter // reused: a session's calls never overlap
	info *sessionStats
}

func (s *meteredSession) Query(ctx context.Context, sql string, w wire.ResultWriter) error {
	s.info.start(sql)
	defer s.info.active.Store(false)
	s.w.ResultWriter, s.w.m = w, s.m
	err := s.Session.Query(ctx, sql, &s.w)
	s.w.ResultWriter = nil
	s.failed(sql, err)
	return err
}

func (s *meteredSession) Prepare(ctx context.Context, sql string, params []types.T) (*wire.Statement, error) {
	st, err := s.Session.Prepare(ctx, sql, params)
	s.failed(sql, err)
	return st, err
}

func (s *meteredSession) Execute(ctx context.Context, st *wire.Statement, params []*string, w wire.ResultWriter) error {
	s.info.start(st.SQL)
	defer s.info.active.Store(false)
	s.w.ResultWriter, s.w.m = w, s.m
	err := s.Session.Execute(ctx, st, params, &s.w)
	s.w.ResultWriter = nil
	s.failed(st.SQL, err)
	return err
}

func (s *meteredSession) Close() {
	s.Session.Close()
	s.m.sessions.Dec()
	s.m.list.remove(s)
}

// failed counts a failed statement under the first keyword of its text
// (of the query's first statement when it held several).
func (s *meteredSession) failed(sql string, err error) {
	if err != nil {
		s.m.statements.WithLabelValues(keyword(sql), wire.Code(err)[:2]).Inc()
	}
}

// meteredWriter counts each statement that completes under its tag.
type meteredWriter struct {
	wire.ResultWriter
	m *wireMetrics
}

func (w *meteredWriter) Complete(tag string) error {
	w.m.statements.WithLabelValues(command(tag), "00").Inc()
	return w.ResultWriter.Complete(tag)
}

// command is a command tag without its counts: "INSERT 0 5" is INSERT.
func command(tag string) string {
	f := strings.Fields(tag)
	for len(f) > 1 && strings.Trim(f[len(f)-1], "0123456789") == "" {
		f = f[:len(f)-1]
	}
	return strings.Join(f, " ")
}

// keywords bound the command label of failed statements, whose text is
// the client's.
var keywords = map[string]bool{"SELECT": true, "INSERT": true, "CREATE": true, "DROP": true, "SHOW": true, "SET": true,
	"RESET": true, "FLUSH": true, "SUBSCRIBE": true, "DECLARE": true, "FETCH": true, "CLOSE": true, "BEGIN": true,
	"START": true, "COMMIT": true, "ROLLBACK": true, "END": true, "EXPLAIN": true, "DESCRIBE": true, "WITH": true,
	"VALUES": true, "TABLE": true, "COPY": true, "DELETE": true, "UPDATE": true, "ALTER": true, "DISCARD": true}

// keyword is sql's first word in upper case if it is a known command,
// and OTHER if not.
func keyword(sql string) string {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	end := strings.IndexFunc(sql, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') })
	if end < 0 {
		end = len(sql)
	}
	if k := strings.ToUpper(sql[:end]); keywords[k] {
		return k
	}
	return "OTHER"
}
