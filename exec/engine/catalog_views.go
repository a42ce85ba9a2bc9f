package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
)

// streamsqlRows computes a streamsql_catalog relation's rows now: the
// figures SHOW, SHOW METRICS and SHOW PROGRESS give, read the same way.
func (e *Engine) streamsqlRows(rel *catalog.Relation) (*vec.Batch, error) {
	switch rel.Name {
	case "sources", "tables", "views", "sinks":
		what := rel.Name
		if what == "views" {
			what = "materialized views"
		}
		cols, b := e.showRelations(what)
		return b, sameShape(rel, cols)
	case "metrics":
		r, err := e.metricRows()
		if err != nil {
			return nil, err
		}
		return r.b, sameShape(rel, r.cols)
	case "progress":
		return rowsBatch(rel, e.progressRows())
	case "checkpoints":
		return rowsBatch(rel, [][]any{e.checkpointRow()})
	case "subscriptions":
		return rowsBatch(rel, e.subscriptionRows())
	case "sessions":
		return rowsBatch(rel, e.sessionRows())
	}
	return nil, fmt.Errorf("streamsql_catalog.%s has no rows", rel.Name)
}

// sameShape checks that a SHOW's columns are its relation's.
func sameShape(rel *catalog.Relation, cols []catalog.Column) error {
	if len(cols) != len(rel.Columns) {
		return fmt.Errorf("streamsql_catalog.%s: %d columns, SHOW gives %d", rel.Name, len(rel.Columns), len(cols))
	}
	for i, c := range cols {
		if c.Name != rel.Columns[i].Name || c.Type != rel.Columns[i].Type {
			return fmt.Errorf("streamsql_catalog.%s: column %d is %s %s, SHOW gives %s %s", rel.Name, i, rel.Columns[i].Name, rel.Columns[i].Type, c.Name, c.Type)
		}
	}
	return nil
}

// checkpointRow is streamsql_catalog.checkpoints' one row.
func (e *Engine) checkpointRow() []any {
	s := &e.stats
	var at, age, bytes any
	if last := s.lastCkpt.Load(); last != 0 {
		at = last / 1e3
		age = time.Since(time.Unix(0, last)).Seconds()
	}
	if b, ok := e.backend.(interface{ CheckpointBytes() int64 }); ok && s.ckpts.Load() > 0 {
		bytes = b.CheckpointBytes()
	}
	_, failing, _ := e.retryDelay()
	return []any{s.ckpts.Load(), s.ckptFailures.Load(), int64(failing), at, age, bytes, time.Duration(s.ckptNanos.Load()).Seconds()}
}

// subscriptionRows are streamsql_catalog.subscriptions': the figures of
// the subscription metrics, a row per relation subscribed to.
func (e *Engine) subscriptionRows() [][]any {
	e.mu.RLock()
	xs := make([]*entry, 0, len(e.rels))
	for _, x := range e.rels {
		xs = append(xs, x)
	}
	e.mu.RUnlock()
	sort.Slice(xs, func(i, j int) bool { return xs[i].rel.Name < xs[j].rel.Name })
	var rows [][]any
	for _, x := range xs {
		if n, pending, lag := subscriptionFigures(x); n > 0 {
			rows = append(rows, []any{x.rel.Name, int64(n), int64(pending), lag})
		}
	}
	return rows
}
