package slt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Connector opens a new connection to the server under test.
type Connector func(ctx context.Context) (*pgx.Conn, error)

// Runner runs sqllogictest files. A Runner with Connect set is ready to use; it keeps no state between
// runs, so it may run several files at once if Log is safe for concurrent writes.
type Runner struct {
	// Connect opens the connections records run on: "default" and any a connection line names, each
	// opened when first used and closed when the run ends.
	Connect Connector
	// Log, if set, receives a line per record: its position, what happened and its first SQL line.
	Log io.Writer
	// Rewrite makes a run write the actual outcome of every failed statement and query back into its file
	// (results, error patterns, counts), so a file can be created from what the server answers and then
	// reviewed. Rewritten records are not reported as failures.
	Rewrite bool
	// Timeout bounds each statement and query, and the connecting for it: one that runs out fails, named by
	// its file and line (and, since pgx closes a connection whose query is interrupted, the next record on it
	// reconnects), so a server that hangs fails the run instead of hanging it. Zero means DefaultTimeout; a
	// negative Timeout waits without limit.
	Timeout time.Duration
}

// DefaultTimeout is a Runner's Timeout when it sets none: far above what any record of a test file should
// take.
const DefaultTimeout = 60 * time.Second

// defaultTimeout is DefaultTimeout, lowered by tests.
var defaultTimeout = DefaultTimeout

func (r *Runner) timeout() time.Duration {
	if r.Timeout == 0 {
		return defaultTimeout
	}
	return r.Timeout
}

// RunFile runs the file at path on connections from connect. It returns an error listing every failed
// record as "path:line: ..." with the expected and actual outcome.
func RunFile(ctx context.Context, path string, connect Connector) error {
	return (&Runner{Connect: connect}).RunFile(ctx, path)
}

// RunFile runs the file at path, and the files it includes. Failed records do not stop the run; they are
// returned together as Failures. A file that does not parse is an error before anything runs.
func (r *Runner) RunFile(ctx context.Context, path string) error {
	if r.Connect == nil {
		return errors.New("slt: Runner.Connect is nil")
	}
	records, err := Parse(path)
	if err != nil {
		return err
	}
	s := &session{runner: r, conns: map[string]*pgx.Conn{}, sort: NoSort}
	defer s.close(ctx)
	s.runFile(ctx, path, records, 0)
	if err := ctx.Err(); err != nil {
		err = fmt.Errorf("%s: run stopped: %w", path, err)
		if len(s.failures) > 0 {
			return errors.Join(s.failures, err)
		}
		return err
	}
	if len(s.failures) > 0 {
		return s.failures
	}
	return nil
}

// maxIncludeDepth stops a file that includes itself.
const maxIncludeDepth = 16

// defaultConnection is the name of the connection records run on without a connection line.
const defaultConnection = "default"

// session is one run's state: its connections, the current sort mode and what failed.
type session struct {
	runner   *Runner
	conns    map[string]*pgx.Conn
	sort     SortMode
	halted   bool
	failures Failures
}

func (s *session) fail(f *Failure) { s.failures = append(s.failures, f) }

func (s *session) log(rec *Record, status string) {
	if s.runner.Log == nil {
		return
	}
	if rec.SQL == "" {
		fmt.Fprintf(s.runner.Log, "%s:%d: %s\n", rec.Path, rec.Line, status)
		return
	}
	sql, _, _ := strings.Cut(strings.TrimSpace(rec.SQL), "\n")
	fmt.Fprintf(s.runner.Log, "%s:%d: %s: %s\n", rec.Path, rec.Line, status, sql)
}

// runFile runs the records of the file at path, then rewrites it if asked to and anything changed.
func (s *session) runFile(ctx context.Context, path string, records []Record, depth int) {
	var edits []edit
	for i := range records {
		if s.halted || ctx.Err() != nil {
			break
		}
		rec := &records[i]
		if skipped(rec) {
			s.log(rec, "skip")
			continue
		}
		switch rec.Kind {
		case KindStatement, KindQuery:
			f, fix := s.runSQL(ctx, rec)
			switch {
			case f == nil:
				s.log(rec, "ok")
			case s.runner.Rewrite && fix != nil:
				edits = append(edits, edit{start: rec.start, end: rec.end, lines: fix})
				s.log(rec, "rewritten")
			default:
				s.fail(f)
				s.log(rec, "FAIL")
			}
		case KindInclude:
			s.include(ctx, rec, depth)
		case KindHalt:
			s.log(rec, "halt")
			s.halted = true
		case KindSortMode:
			s.sort = rec.Sort
		case KindHashThreshold:
		case KindSleep:
			t := time.NewTimer(rec.Duration)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	}
	if s.runner.Rewrite && len(edits) > 0 {
		if err := rewriteFile(path, edits); err != nil {
			s.fail(&Failure{Path: path, Summary: "rewrite: " + err.Error()})
		}
	}
}

func skipped(rec *Record) bool {
	for _, c := range rec.Conditions {
		if c.skips(Engine) {
			return true
		}
	}
	return false
}

// include runs the files rec's glob names, relative to rec's file, in name order.
func (s *session) include(ctx context.Context, rec *Record, depth int) {
	failf := func(format string, args ...any) {
		s.fail(&Failure{Path: rec.Path, Line: rec.Line, Summary: fmt.Sprintf(format, args...)})
		s.log(rec, "FAIL")
	}
	if depth+1 >= maxIncludeDepth {
		failf("include %s: includes nested more than %d deep", rec.Glob, maxIncludeDepth)
		return
	}
	pattern := rec.Glob
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(rec.Path), pattern)
	}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		failf("include %s: %v", rec.Glob, err)
		return
	}
	if len(paths) == 0 {
		failf("include %s: no file matches %s", rec.Glob, pattern)
		return
	}
	for _, path := range paths {
		if s.halted || ctx.Err() != nil {
			return
		}
		records, err := Parse(path)
		if err != nil {
			failf("include %s: %v", rec.Glob, err)
			continue
		}
		s.log(rec, "include "+path)
		s.runFile(ctx, path, records, depth+1)
	}
}

// conn returns the connection called name, opening it if it is new or the server closed it.
func (s *session) conn(ctx context.Context, name string) (*pgx.Conn, error) {
	if name == "" {
		name = defaultConnection
	}
	if c := s.conns[name]; c != nil {
		if !c.IsClosed() {
			return c, nil
		}
		_ = c.Close(ctx)
		delete(s.conns, name)
	}
	c, err := s.runner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	s.conns[name] = c
	return c, nil
}

func (s *session) close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, c := range s.conns {
		_ = c.Close(ctx)
	}
}

// runSQL runs a statement or query record. It returns its failure, or nil, and the record's body rewritten
// to what the server answered, or nil when it cannot be rewritten.
func (s *session) runSQL(ctx context.Context, rec *Record) (*Failure, []string) {
	parent := ctx
	timeout := s.runner.timeout()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// timedOut says so when the record's own deadline, not the run's, ended it.
	timedOut := func(err error) error {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %v (the timeout): %v", timeout, err) // never a server error that an expected error could match
		}
		return err
	}
	conn, err := s.conn(ctx, rec.Connection)
	if err != nil {
		name := rec.Connection
		if name == "" {
			name = defaultConnection
		}
		return &Failure{Path: rec.Path, Line: rec.Line, SQL: rec.SQL,
			Summary: fmt.Sprintf("cannot open connection %q: %v", name, timedOut(err))}, nil
	}
	out := execute(ctx, conn, rec.SQL)
	if out.err != nil {
		out.err = timedOut(out.err)
	}
	if rec.Kind == KindStatement {
		return checkStatement(rec, out)
	}
	mode := rec.Sort
	if mode == SortDefault {
		mode = s.sort
	}
	return checkQuery(rec, out, mode)
}
