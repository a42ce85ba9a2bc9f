package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

var _ planner.Settings = (*Engine)(nil)

// Settings lists the server's settings for pg_settings and
// current_setting(): the session defaults and the system settings. A
// session's own SETs are not seen by a plan (SHOW reads them).
func (e *Engine) Settings() [][2]string {
	var out [][2]string
	for k, v := range defaultSettings {
		out = append(out, [2]string{k, v})
	}
	for _, k := range systemSettings {
		out = append(out, [2]string{k, e.systemValue(k)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// allSettings are the session's settings and the server's, sorted by
// name: what SHOW ALL and pg_settings list.
func (s *Session) allSettings() [][2]string {
	var out [][2]string
	for k, v := range s.settings {
		out = append(out, [2]string{k, v})
	}
	for _, k := range systemSettings {
		out = append(out, [2]string{k, s.e.systemValue(k)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

var _ planner.Relations = (*Engine)(nil)

// AllRelations implements planner.Relations: the relations the catalogs
// list (every one but the sinks), by id.
func (e *Engine) AllRelations() []*catalog.Relation {
	e.mu.RLock()
	var rels []*catalog.Relation
	for _, x := range e.rels {
		if x.rel.Kind != parser.KindSink {
			rels = append(rels, x.rel)
		}
	}
	e.mu.RUnlock()
	slices.SortFunc(rels, func(a, b *catalog.Relation) int { return cmp.Compare(a.ID, b.ID) })
	return rels
}

// systemRows is a batch of system relation rel's rows, computed from the
// catalog as it is now.
func (e *Engine) systemRows(ctx context.Context, rel *catalog.Relation) (*vec.Batch, error) {
	if rel.Schema == planner.StreamsqlCatalog {
		return e.streamsqlRows(rel)
	}
	rels := e.AllRelations()
	settings := e.Settings()
	s, _ := ctx.Value(sessionKey{}).(*Session)
	if s != nil {
		settings = s.allSettings()
	}
	rows := planner.SystemRows(rel, rels, settings)
	if rel.Schema == planner.PgCatalog && rel.Name == "pg_proc" {
		rows = append(rows, planner.FunctionRows(e.AllFunctions())...)
	}
	if s != nil && rel.Schema == planner.PgCatalog && rel.Name == "pg_cursors" {
		names := slices.Sorted(maps.Keys(s.cursors))
		for _, name := range names {
			c := s.cursors[name]
			rows = append(rows, []any{name, c.sql, false, false, false, c.created.UnixMicro()})
		}
	}
	return rowsBatch(rel, rows)
}

// rowsBatch is system relation rel's rows as a batch: values int64
// (timestamps in µs), float64, string, bool or nil (NULL).
func rowsBatch(rel *catalog.Relation, rows [][]any) (*vec.Batch, error) {
	b := vec.NewBatch(catalog.Types(rel.Columns), len(rows))
	for _, r := range rows {
		for i, v := range r {
			c := &b.Cols[i]
			switch v := v.(type) {
			case nil:
				c.AppendNull()
			case int64:
				c.AppendI64(v)
			case float64:
				c.AppendF64(v)
			case string:
				if c.Type.Kind == types.Array {
					// Array text, as a catalog's option lists.
					if !c.AppendParsed(v) {
						return nil, fmt.Errorf("system relation %s: column %s: bad array %q", rel.Name, rel.Columns[i].Name, v)
					}
					break
				}
				c.AppendStr(v)
			case bool:
				c.AppendBool(v)
			default:
				return nil, fmt.Errorf("system relation %s: column %s: unexpected %T", rel.Name, rel.Columns[i].Name, v)
			}
			if c.Len() != b.N+1 {
				return nil, fmt.Errorf("system relation %s: column %s: value %v does not fit %s", rel.Name, rel.Columns[i].Name, v, c.Type)
			}
		}
		b.EndRow(1)
	}
	return b, nil
}

var _ planner.Sizes = (*Engine)(nil)

// RelationBytes implements planner.Sizes for pg_table_size() and its
// kin: a table's or materialized view's stored rows, and a view's
// operator state besides, as SHOW MATERIALIZED VIEWS gives them. Views
// and sources store nothing.
func (e *Engine) RelationBytes() map[int64]planner.RelationSize {
	e.mu.RLock()
	xs := make([]*entry, 0, len(e.rels))
	for _, x := range e.rels {
		if x.rel.Kind != parser.KindSink {
			xs = append(xs, x)
		}
	}
	e.mu.RUnlock()
	out := make(map[int64]planner.RelationSize, len(xs))
	for _, x := range xs {
		var sz planner.RelationSize
		if x.mat != nil && x.df != nil {
			x.df.locked(func() {
				if x.dropped {
					return
				}
				if x.pipe != nil && x.failure() == "" {
					// As SHOW MATERIALIZED VIEWS: sizes as of now, not
					// the last write-back.
					x.df.emit()
					x.pipe.Flush()
				}
				sz.Rows = x.mat.Stats().Bytes
				if x.pipe != nil {
					sz.State = x.pipe.StateStats().Bytes
				}
			})
		}
		out[planner.RelOID(x.rel)] = sz
	}
	return out
}
