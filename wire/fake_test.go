package wire

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// fakeEngine opens fakeSessions and counts them, so tests can check that
// every session is closed.
type fakeEngine struct {
	mu     sync.Mutex
	opened int
	closed int
	// blocked receives a value each time a "block" statement starts
	// waiting for its context.
	blocked chan struct{}
}

func newFakeEngine() *fakeEngine { return &fakeEngine{blocked: make(chan struct{}, 16)} }

func (e *fakeEngine) NewSession(user, database string) (Session, error) {
	if database == "nodb" {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "database %q does not exist", database)
	}
	e.mu.Lock()
	e.opened++
	e.mu.Unlock()
	return &fakeSession{e: e, user: user, db: database}, nil
}

// counts returns how many sessions were opened and closed.
func (e *fakeEngine) counts() (opened, closed int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opened, e.closed
}

// fakeSession understands a few fixed statements, separated by ';':
//
//	create          CommandComplete CREATE TABLE
//	types           one row holding every type, then one all-NULL row
//	count N         N BIGINT rows 0..N-1 in batches of 1000
//	wide N          one row holding a string of N bytes
//	overflow        rows, flushed, until a write fails; then 53000, as a
//	                SUBSCRIBE ended for holding too much would give
//	diffs           rows with diffs 1, 2, 0, -1, 3 (values 1..5)
//	notice          a NOTICE, then CommandComplete NOTICE
//	block           waits for its context to be cancelled
//	panic           panics
//	internal        a plain Go error
//	whoami          one row: user, database
//	half            Columns without Complete (a session bug)
//	anything with "bogus": 42703 pointing at the word
type fakeSession struct {
	e        *fakeEngine
	user, db string
}

func (s *fakeSession) Close() {
	s.e.mu.Lock()
	s.e.closed++
	s.e.mu.Unlock()
}

func (s *fakeSession) Query(ctx context.Context, sql string, w ResultWriter) error {
	off := 0
	for _, stmt := range strings.SplitAfter(sql, ";") {
		start := off
		off += len(stmt)
		text := strings.TrimSuffix(stmt, ";")
		lead := len(text) - len(strings.TrimLeft(text, " \t\n"))
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if err := s.stmt(ctx, text, w); err != nil {
			return sqlerr.Shift(err, start+lead)
		}
	}
	return nil
}

// Prepare describes a statement by running it with a cancelled context
// into a writer that keeps only the columns ("block" returns at once,
// "panic" is not run). "echo $1" has one text parameter.
func (s *fakeSession) Prepare(ctx context.Context, sql string, params []types.T) (*Statement, error) {
	st := &Statement{SQL: sql, Params: params}
	text := strings.TrimSpace(sql)
	switch {
	case text == "panic" || text == "":
		return st, nil
	case strings.HasPrefix(text, "echo"):
		st.Columns = []Column{{"echo", types.Varchar}}
		if len(params) == 0 {
			st.Params = []types.T{types.Unknown}
		}
		return st, nil
	case strings.Contains(text, ";"):
		return nil, sqlerr.New(sqlerr.Syntax, "cannot insert multiple commands into a prepared statement")
	}
	dry, cancel := context.WithCancel(ctx)
	cancel()
	var cw columnsWriter
	if err := s.stmt(dry, text, &cw); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	st.Columns = cw.cols
	return st, nil
}

// Execute runs a prepared statement; "echo $1" returns its parameter.
func (s *fakeSession) Execute(ctx context.Context, st *Statement, params []*string, w ResultWriter) error {
	text := strings.TrimSpace(st.SQL)
	if strings.HasPrefix(text, "echo") {
		if err := w.Columns(st.Columns); err != nil {
			return err
		}
		b := vec.NewBatch([]types.T{types.Varchar}, 1)
		if params[0] == nil {
			b.Cols[0].AppendNull()
		} else {
			b.Cols[0].AppendStr(*params[0])
		}
		b.EndRow(1)
		if err := w.Rows(b); err != nil {
			return err
		}
		return w.Complete("SELECT 1")
	}
	if text == "" {
		return nil
	}
	return s.stmt(ctx, text, w)
}

// columnsWriter keeps a result's columns.
type columnsWriter struct{ cols []Column }

func (c *columnsWriter) Columns(cols []Column) error               { c.cols = cols; return nil }
func (c *columnsWriter) CopyOut([]Column, parser.CopyFormat) error { return nil }
func (c *columnsWriter) Rows(*vec.Batch) error                     { return nil }
func (c *columnsWriter) Complete(string) error                     { return nil }
func (c *columnsWriter) Notice(string) error                       { return nil }
func (c *columnsWriter) Flush() error                              { return nil }

// typesCols is the "types" statement's columns.
var typesCols = []Column{
	{"b", types.Boolean},
	{"i", types.Int},
	{"bi", types.BigInt},
	{"d", types.Double},
	{"dec", types.DecimalOf(10, 2)},
	{"vc", types.T{Kind: types.String, Width: 20}},
	{"s", types.Varchar},
	{"ts", types.T{Kind: types.Timestamp, Prec: 3}},
	{"iv", types.Ival},
	{"n", types.Unknown},
}

var typesTS = time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC).UnixMicro()

func typesBatch() *vec.Batch {
	ts := make([]types.T, len(typesCols))
	for i, c := range typesCols {
		ts[i] = c.Type
	}
	b := vec.NewBatch(ts, 2)
	c := b.Cols
	c[0].AppendBool(true)
	c[1].AppendI64(42)
	c[2].AppendI64(-9000000000)
	c[3].AppendF64(1.5)
	c[4].AppendI64(12345)
	c[5].AppendStr("héllo")
	c[6].AppendStr("")
	c[7].AppendI64(typesTS)
	c[8].AppendI64(90e6)
	c[9].AppendNull()
	b.EndRow(1)
	for i := range c {
		c[i].AppendNull()
	}
	b.EndRow(1)
	return b
}

func (s *fakeSession) stmt(ctx context.Context, text string, w ResultWriter) error {
	if i := strings.Index(text, "bogus"); i >= 0 {
		return sqlerr.At(sqlerr.UndefinedColumn, i+1, `column "bogus" does not exist`)
	}
	switch {
	case text == "create":
		return w.Complete("CREATE TABLE")
	case text == "types":
		if err := w.Columns(typesCols); err != nil {
			return err
		}
		if err := w.Rows(typesBatch()); err != nil {
			return err
		}
		return w.Complete("SELECT 2")
	case strings.HasPrefix(text, "count "):
		n, err := strconv.Atoi(strings.TrimPrefix(text, "count "))
		if err != nil {
			return sqlerr.New(sqlerr.InvalidText, "bad count: %v", err)
		}
		return countRows(ctx, n, w)
	case strings.HasPrefix(text, "wide "):
		n, err := strconv.Atoi(strings.TrimPrefix(text, "wide "))
		if err != nil {
			return sqlerr.New(sqlerr.InvalidText, "bad width: %v", err)
		}
		if err := w.Columns([]Column{{"w", types.Varchar}}); err != nil {
			return err
		}
		b := vec.NewBatch([]types.T{types.Varchar}, 1)
		b.Cols[0].AppendStr(strings.Repeat("x", n))
		b.EndRow(1)
		if err := w.Rows(b); err != nil {
			return err
		}
		return w.Complete("SELECT 1")
	case text == "overflow":
		if err := w.Columns([]Column{{"x", types.BigInt}}); err != nil {
			return err
		}
		b := vec.NewBatch([]types.T{types.BigInt}, 1000)
		for i := range 1000 {
			b.Cols[0].AppendI64(int64(i))
			b.EndRow(1)
		}
		for ctx.Err() == nil {
			if w.Rows(b) != nil || w.Flush() != nil {
				return sqlerr.New(sqlerr.InsufficientResources, "subscription was ended: it held too much")
			}
		}
		return ctx.Err()
	case text == "diffs":
		if err := w.Columns([]Column{{"x", types.BigInt}}); err != nil {
			return err
		}
		b := vec.NewBatch([]types.T{types.BigInt}, 5)
		for i, d := range []int64{1, 2, 0, -1, 3} {
			b.Cols[0].AppendI64(int64(i + 1))
			b.EndRow(d)
		}
		if err := w.Rows(b); err != nil {
			return err
		}
		return w.Complete("SELECT 6")
	case text == "notice":
		if err := w.Notice("hello from the engine"); err != nil {
			return err
		}
		return w.Complete("NOTICE")
	case text == "block":
		s.e.blocked <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	case text == "panic":
		panic("boom")
	case text == "internal":
		return errors.New("something broke")
	case text == "whoami":
		if err := w.Columns([]Column{{"user", types.Varchar}, {"db", types.Varchar}}); err != nil {
			return err
		}
		b := vec.NewBatch([]types.T{types.Varchar, types.Varchar}, 1)
		b.Cols[0].AppendStr(s.user)
		b.Cols[1].AppendStr(s.db)
		b.EndRow(1)
		if err := w.Rows(b); err != nil {
			return err
		}
		return w.Complete("SELECT 1")
	case text == "half":
		return w.Columns([]Column{{"x", types.BigInt}})
	}
	return sqlerr.At(sqlerr.Syntax, 1, "syntax error at or near %q", strings.Fields(text)[0])
}

func countRows(ctx context.Context, n int, w ResultWriter) error {
	if err := w.Columns([]Column{{"x", types.BigInt}}); err != nil {
		return err
	}
	b := vec.NewBatch([]types.T{types.BigInt}, 1000)
	for i := 0; i < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.Reset()
		for ; i < n && b.N < 1000; i++ {
			b.Cols[0].AppendI64(int64(i))
			b.EndRow(1)
		}
		if err := w.Rows(b); err != nil {
			return err
		}
	}
	return w.Complete(fmt.Sprintf("SELECT %d", n))
}
