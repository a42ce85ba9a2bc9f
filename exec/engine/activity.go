package engine

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// sessionRegistry knows the open sessions, for streamsql_catalog.sessions
// (PostgreSQL's pg_stat_activity).
type sessionRegistry struct {
	next atomic.Int64
	mu   sync.Mutex
	all  map[*Session]struct{}
}

// activity is what another goroutine may read of a session: its
// statement and state, updated as statements start and end.
type activity struct {
	id    int64
	user  string
	start time.Time
	// subs counts its running SUBSCRIBEs and subscription cursors.
	subs atomic.Int64

	mu         sync.Mutex
	app        string
	active     bool
	query      string
	queryStart time.Time
}

func (r *sessionRegistry) add(s *Session, user string) {
	s.act = &activity{id: r.next.Add(1), user: user, start: time.Now()}
	r.mu.Lock()
	if r.all == nil {
		r.all = map[*Session]struct{}{}
	}
	r.all[s] = struct{}{}
	r.mu.Unlock()
}

func (r *sessionRegistry) remove(s *Session) {
	r.mu.Lock()
	delete(r.all, s)
	r.mu.Unlock()
}

// begin records that s runs sql now.
func (s *Session) begin(sql string) {
	a := s.act
	a.mu.Lock()
	a.active, a.query, a.queryStart, a.app = true, sql, time.Now(), s.settings["application_name"]
	a.mu.Unlock()
}

// idle records that s's statement ended; its text stays, as PostgreSQL's
// does, until the next.
func (s *Session) idle() {
	a := s.act
	a.mu.Lock()
	a.active, a.app = false, s.settings["application_name"]
	a.mu.Unlock()
}

// sessionRows are streamsql_catalog.sessions': a row per open session.
func (e *Engine) sessionRows() [][]any {
	e.sessions.mu.Lock()
	acts := make([]*activity, 0, len(e.sessions.all))
	for s := range e.sessions.all {
		acts = append(acts, s.act)
	}
	e.sessions.mu.Unlock()
	slices.SortFunc(acts, func(a, b *activity) int { return int(a.id - b.id) })
	rows := make([][]any, 0, len(acts))
	for _, a := range acts {
		a.mu.Lock()
		state := "idle"
		if a.active {
			state = "active"
		}
		var query, queryStart any
		if !a.queryStart.IsZero() {
			query, queryStart = a.query, a.queryStart.UnixMicro()
		}
		rows = append(rows, []any{a.id, a.user, a.app, a.start.UnixMicro(), state, query, queryStart, a.subs.Load()})
		a.mu.Unlock()
	}
	return rows
}
