package engine

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/streamsql/streamsql/parser"
)

// Overview is the dashboard's picture of the engine (GET /api/overview):
// every relation with its counters, each view's operators, the recent
// checkpoints. It holds totals, not rates: the page divides the change
// between two polls by the time between them. Reading it takes each
// dataflow's lock briefly, as a scrape does, and writes nothing back.
type Overview struct {
	// Time is when it was read, in Unix milliseconds.
	Time        int64              `json:"time"`
	Relations   []RelationOverview `json:"relations"`
	Views       []ViewOverview     `json:"views"`
	Checkpoints CheckpointOverview `json:"checkpoints"`
}

// RelationOverview is one source, table, view or sink.
type RelationOverview struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	// Rows: a source's or table's rows taken in, a view's rows, a sink's
	// records acknowledged.
	Rows int64 `json:"rows"`
	// RowsIn is the changes a view took in (0 for the others).
	RowsIn int64 `json:"rows_in"`
	// Watermark is a source's or table's, in Unix ms (absent before the
	// first row); LagMs how far it trails the clock.
	Watermark     *int64 `json:"watermark,omitempty"`
	LagMs         *int64 `json:"lag_ms,omitempty"`
	StateBytes    int64  `json:"state_bytes"`
	Subscriptions int    `json:"subscriptions"`
}

// ViewOverview is one materialized view's dataflow: its plan's operators,
// the root (the one that feeds the view's rows) first.
type ViewOverview struct {
	Name string       `json:"name"`
	Ops  []OpOverview `json:"ops"`
}

// OpOverview is one operator with its figures since the view started.
type OpOverview struct {
	ID int `json:"id"`
	// Parent is the operator this one feeds (-1: the view's rows).
	Parent   int     `json:"parent"`
	Kind     string  `json:"kind"`
	Label    string  `json:"label"`
	RowsIn   int64   `json:"rows_in"`
	RowsOut  int64   `json:"rows_out"`
	TimeMs   float64 `json:"time_ms"`
	Stateful bool    `json:"stateful"`
	Keys     int64   `json:"state_keys"`
	Bytes    int64   `json:"state_bytes"`
	Cached   int     `json:"cached_groups"`
	Replicas int     `json:"replicas"`
}

// CheckpointOverview counts checkpoints and lists the last ones.
type CheckpointOverview struct {
	Total    int64             `json:"total"`
	Failures int64             `json:"failures"`
	Recent   []CheckpointEvent `json:"recent"`
}

// CheckpointEvent is one checkpoint attempt.
type CheckpointEvent struct {
	// End is when it ended, in Unix ms.
	End        int64   `json:"end"`
	DurationMs float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
}

// ckptHistory keeps the last checkpoint attempts for the dashboard; one
// is added a checkpoint, so a mutex costs nothing.
type ckptHistory struct {
	mu     sync.Mutex
	events []CheckpointEvent // the newest last
}

// ckptHistoryLen bounds the attempts kept.
const ckptHistoryLen = 30

func (h *ckptHistory) add(end time.Time, d time.Duration, err error) {
	ev := CheckpointEvent{End: end.UnixMilli(), DurationMs: float64(d.Microseconds()) / 1000}
	if err != nil {
		ev.Error = err.Error()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == ckptHistoryLen {
		h.events = append(h.events[:0], h.events[1:]...)
	}
	h.events = append(h.events, ev)
}

func (h *ckptHistory) list() []CheckpointEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]CheckpointEvent{}, h.events...) // [] in JSON, not null
}

// Overview reads the engine's figures for the dashboard.
func (e *Engine) Overview() Overview {
	o := Overview{Time: time.Now().UnixMilli()}
	e.mu.RLock()
	xs := make([]*entry, 0, len(e.rels))
	for _, x := range e.rels {
		xs = append(xs, x)
	}
	e.mu.RUnlock()
	sort.Slice(xs, func(i, j int) bool { return xs[i].rel.Name < xs[j].rel.Name })
	for _, x := range xs {
		r := RelationOverview{Name: x.rel.Name, Kind: x.rel.Kind.Noun(), Status: "running"}
		if x.df != nil {
			x.df.locked(func() { r.Subscriptions = len(x.subs) })
		}
		switch {
		case x.rel.LateOf != "":
			r.Rows = x.df.late.Load()
		case x.rel.Kind == parser.KindSource || x.rel.Kind == parser.KindTable:
			if x.df == nil || x.df.root != x {
				break
			}
			r.Rows = x.df.rows.Load()
			if x.rel.Kind == parser.KindSource {
				r.Status = x.status()
			}
			if wm := x.df.wmShown.Load(); wm != math.MinInt64 {
				clock := x.df.clock
				if clock == nil {
					clock = time.Now
				}
				ms, lag := wm/1000, (clock().UnixMicro()-wm)/1000
				r.Watermark, r.LagMs = &ms, &lag
			}
		case x.rel.Kind == parser.KindMaterializedView && x.pipe != nil:
			if m := x.failure(); m != "" {
				r.Status = "failed: " + m
			}
			nodes, rows, ok := viewOps(x, false)
			if !ok {
				continue // dropped since the catalog was read
			}
			r.Rows, r.RowsIn = rows, x.pipe.RowsIn()
			v := ViewOverview{Name: x.rel.Name}
			for i, n := range nodes {
				f := n.Fig
				r.StateBytes += f.Bytes
				v.Ops = append(v.Ops, OpOverview{ID: i, Parent: n.Parent, Kind: n.Kind, Label: n.Label, RowsIn: f.RowsIn,
					RowsOut: f.RowsOut, TimeMs: float64(f.Time.Microseconds()) / 1000, Stateful: f.Stateful, Keys: f.Keys,
					Bytes: f.Bytes, Cached: f.Cached, Replicas: f.Replicas})
			}
			o.Views = append(o.Views, v)
		case x.rel.Kind == parser.KindSink && x.sink != nil:
			r.Rows = x.sink.s.Sent()
			r.Status = x.sink.s.Status()
			if m := x.failure(); m != "" {
				r.Status = "failed: " + m
			}
		}
		o.Relations = append(o.Relations, r)
	}
	s := &e.stats
	o.Checkpoints = CheckpointOverview{Total: s.ckpts.Load(), Failures: s.ckptFailures.Load(), Recent: s.history.list()}
	return o
}
