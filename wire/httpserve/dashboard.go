package httpserve

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The dashboard at / is one page with its script and style embedded in
// the binary (no CDN: it works offline and on an air-gapped host). The
// page polls /api/overview every second and draws from it; the rates it
// shows are the change of the totals between two polls.

//go:embed dashboard
var dashboardFiles embed.FS

// SetOverview gives the dashboard the engine's figures: f is called on
// each poll and its value encoded as JSON.
func (s *Server) SetOverview(f func() any) { s.overview.Store(&f) }

func (s *Server) dashboardRoutes(mux *http.ServeMux) {
	files, err := fs.Sub(dashboardFiles, "dashboard")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	static := http.FileServerFS(files)
	mux.Handle("GET /{$}", static)
	mux.Handle("GET /dashboard.js", static)
	mux.Handle("GET /dashboard.css", static)
	mux.HandleFunc("GET /api/overview", func(w http.ResponseWriter, _ *http.Request) {
		var engine any
		if f := s.overview.Load(); f != nil {
			engine = (*f)()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(struct {
			Ready    bool          `json:"ready"`
			Engine   any           `json:"engine"`
			Sessions []sessionInfo `json:"sessions"`
		}{s.ready.Load(), engine, s.wire.list.all()})
	})
}

// sessionInfo is one client session as the dashboard lists it.
type sessionInfo struct {
	User       string `json:"user"`
	Database   string `json:"database"`
	Since      int64  `json:"since"` // Unix ms
	Active     bool   `json:"active"`
	Command    string `json:"last_command"`
	Statements int64  `json:"statements"`
}

// sessionList is the open sessions; one is added and removed a
// connection, and a statement sets two atomics, so it costs the wire
// nothing it would notice.
type sessionList struct {
	mu sync.Mutex
	m  map[*meteredSession]struct{}
}

func (l *sessionList) add(s *meteredSession) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[*meteredSession]struct{}{}
	}
	l.m[s] = struct{}{}
}

func (l *sessionList) remove(s *meteredSession) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, s)
}

func (l *sessionList) all() []sessionInfo {
	l.mu.Lock()
	out := make([]sessionInfo, 0, len(l.m))
	for s := range l.m {
		out = append(out, s.info.snapshot())
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Since < out[j].Since })
	return out
}

// sessionStats is what a session shows of itself.
type sessionStats struct {
	user, database string
	since          time.Time
	active         atomic.Bool
	command        atomic.Pointer[string]
	statements     atomic.Int64
}

func (s *sessionStats) start(sql string) {
	k := keyword(sql)
	s.command.Store(&k)
	s.active.Store(true)
	s.statements.Add(1)
}

func (s *sessionStats) snapshot() sessionInfo {
	i := sessionInfo{User: s.user, Database: s.database, Since: s.since.UnixMilli(), Active: s.active.Load(), Statements: s.statements.Load()}
	if c := s.command.Load(); c != nil {
		i.Command = *c
	}
	return i
}
