package engine

import (
	"context"
	"slices"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/wire"
)

// Prepare implements wire.Session for the extended protocol: it parses one
// statement and plans it once with its parameters unbound, which infers
// their types and the result's columns.
func (s *Session) Prepare(ctx context.Context, sql string, params []types.T) (out *wire.Statement, err error) {
	err = guarded("preparing a statement", func() error {
		out, err = s.prepare(ctx, sql, params)
		return err
	})
	return out, err
}

func (s *Session) prepare(ctx context.Context, sql string, params []types.T) (*wire.Statement, error) {
	out := &wire.Statement{SQL: sql, Params: slices.Clone(params)}
	if err := parser.CheckText(sql); err != nil {
		return out, err
	}
	stmts, err := parser.Parse(sql)
	if err != nil || len(stmts) == 0 {
		return out, err
	}
	if len(stmts) > 1 {
		return nil, sqlerr.New(sqlerr.Syntax, "cannot insert multiple commands into a prepared statement")
	}
	p := &planner.Params{Types: out.Params}
	switch st := stmts[0].(type) {
	case *parser.Select:
		plan, err := s.planner(p).Query(st.Query, planner.AdHoc, false)
		if err != nil {
			return nil, err
		}
		out.Columns = wireColumns(plan.Columns())
	case *parser.Insert:
		if _, err := s.planner(p).Insert(st); err != nil {
			return nil, err
		}
	case *parser.Declare:
		if sel, ok := st.Stmt.(*parser.Select); ok {
			// The parameters' types, from the query; DECLARE returns no rows.
			if _, err := s.planner(p).Query(sel.Query, planner.AdHoc, false); err != nil {
				return nil, err
			}
		}
	case *parser.Subscribe:
		if rel, ok := systemTarget(st); ok {
			out.Columns = wireColumns(subscribeColumns(rel))
			out.Endless = true
			break
		}
		x, err := s.e.subscribeTarget(st)
		if err != nil {
			return nil, err
		}
		out.Columns = wireColumns(subscribeColumns(x.rel))
		out.Endless = true
	case *parser.Fetch:
		c, ok := s.cursors[st.Cursor]
		if !ok {
			return nil, sqlerr.At(sqlerr.UndefinedCursor, st.Pos, "cursor %q does not exist", st.Cursor)
		}
		out.Columns = wireColumns(c.cols)
	case *parser.Show, *parser.Explain, *parser.Describe:
		// These only read the catalog: running one tells its columns.
		var c columnsOnly
		if err := s.exec(ctx, st, nil, &c); err != nil {
			return nil, err
		}
		out.Columns = c.cols
	}
	out.Params = p.Types
	return out, nil
}

// Execute implements wire.Session: it plans the statement again with the
// parameters' values bound, and runs it.
func (s *Session) Execute(ctx context.Context, st *wire.Statement, params []*string, w wire.ResultWriter) error {
	ctx = context.WithValue(ctx, sessionKey{}, s)
	s.begin(st.SQL)
	defer s.idle()
	return s.timed(ctx, func(ctx context.Context) error {
		return guarded("a statement", func() error { return s.execute(ctx, st, params, w) })
	})
}

func (s *Session) execute(ctx context.Context, st *wire.Statement, params []*string, w wire.ResultWriter) error {
	for _, v := range params {
		if v != nil {
			if err := parser.CheckText(*v); err != nil {
				return err
			}
		}
	}
	stmts, err := parser.Parse(st.SQL)
	if err != nil || len(stmts) == 0 {
		return err
	}
	p := &planner.Params{Types: slices.Clone(st.Params), Values: params, Bound: true}
	return s.exec(ctx, stmts[0], p, w)
}

// planner is a planner for a statement of this session: its TimeZone,
// and its settings for current_setting().
func (s *Session) planner(p *planner.Params) *planner.Planner {
	pl := s.e.planner(p, s.zone)
	pl.Session = s.settings
	return pl
}

// columnsOnly is a ResultWriter that keeps a result's columns and drops
// everything else.
type columnsOnly struct{ cols []wire.Column }

func (c *columnsOnly) Columns(cols []wire.Column) error               { c.cols = cols; return nil }
func (c *columnsOnly) CopyOut([]wire.Column, parser.CopyFormat) error { return nil }
func (c *columnsOnly) Rows(*vec.Batch) error                          { return nil }
func (c *columnsOnly) Complete(string) error                          { return nil }
func (c *columnsOnly) Notice(string) error                            { return nil }
func (c *columnsOnly) Flush() error                                   { return nil }
