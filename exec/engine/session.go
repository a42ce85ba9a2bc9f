package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/wire"
)

var _ wire.Engine = (*Engine)(nil)

// NewSession opens a client session.
func (e *Engine) NewSession(user, database string) (wire.Session, error) {
	s := &Session{e: e, settings: map[string]string{}}
	for k, v := range defaultSettings {
		s.settings[k] = v
	}
	s.settings["session_authorization"] = user
	e.sessions.add(s, user)
	return s, nil
}

// defaultSettings are the session settings SET and SHOW know, with the
// values PostgreSQL clients expect.
var defaultSettings = map[string]string{
	"application_name": "", "client_encoding": "UTF8", "datestyle": "ISO, MDY",
	"timezone": "UTC", "search_path": "public", "extra_float_digits": "1",
	"statement_timeout": "0", "intervalstyle": "postgres", "client_min_messages": "notice",
	"standard_conforming_strings": "on", "server_version": "15.0", "server_encoding": "UTF8",
	"integer_datetimes": "on", "transaction_isolation": "serializable",
	"flush_timeout": "30s",
}

// readOnly settings cannot be SET.
var readOnly = map[string]bool{"server_version": true, "server_encoding": true, "integer_datetimes": true, "session_authorization": true}

// Session is one client's connection state.
type Session struct {
	e        *Engine
	settings map[string]string
	// zone is the TimeZone setting's zone (nil: UTC).
	zone *time.Location
	// cursors are the DECLAREd cursors, by name.
	cursors map[string]*cursor
	// inTx is set between BEGIN and COMMIT or ROLLBACK; implicitTx while
	// a simple query of several statements runs, which PostgreSQL treats
	// as one transaction. Cursors need one or the other.
	inTx, implicitTx bool
	// act is what streamsql_catalog.sessions shows of the session.
	act *activity
}

// reset runs RESET name, or RESET ALL for name "": session settings go
// back to their defaults, system settings to the command line's values.
func (s *Session) reset(name string) error {
	if name == "" {
		for k, v := range defaultSettings {
			if !readOnly[k] {
				s.settings[k] = v
			}
		}
		s.zone = nil
		_, err := s.e.doDDL(func() (string, error) {
			for _, k := range systemSettings {
				s.e.resetSystem(k)
			}
			return "RESET", nil
		})
		return err
	}
	if isSystemSetting(name) {
		_, err := s.e.doDDL(func() (string, error) { s.e.resetSystem(name); return "RESET", nil })
		return err
	}
	v, ok := defaultSettings[name]
	switch {
	case !ok:
		return sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	case readOnly[name]:
		return sqlerr.New(sqlerr.ReadOnlySetting, "parameter %q cannot be changed", name)
	}
	s.settings[name] = v
	if name == "timezone" {
		s.zone = nil
	}
	return nil
}

// TimeZone implements wire.Zoned: the session's TimeZone setting.
func (s *Session) TimeZone() (string, *time.Location) {
	loc := s.zone
	if loc == nil {
		loc = time.UTC
	}
	return s.settings["timezone"], loc
}

// Close ends the session, releasing its cursors' subscriptions.
func (s *Session) Close() {
	s.closeCursors("", 0)
	s.e.sessions.remove(s)
}

// Query runs every statement of a simple query in order, stopping at the
// first error; all statements are parsed before any runs. A panic is the
// client's XX000 error, and the session goes on.
func (s *Session) Query(ctx context.Context, sql string, w wire.ResultWriter) error {
	ctx = context.WithValue(ctx, sessionKey{}, s)
	s.begin(sql)
	defer s.idle()
	return s.timed(ctx, func(ctx context.Context) error {
		return guarded("a query", func() error { return s.query(ctx, sql, w) })
	})
}

// sessionKey holds the running statement's Session in its context, for
// what reads the session's own state (pg_cursors).
type sessionKey struct{}

// DescribeCursor implements wire.CursorDescriber: a DECLAREd cursor is a
// portal the extended protocol can Describe by name, as psycopg 3's
// server-side cursors do.
func (s *Session) DescribeCursor(name string) ([]wire.Column, bool) {
	c, ok := s.cursors[name]
	if !ok {
		return nil, false
	}
	return wireColumns(c.cols), true
}

func (s *Session) query(ctx context.Context, sql string, w wire.ResultWriter) error {
	if err := parser.CheckText(sql); err != nil {
		return err
	}
	stmts, err := parser.Parse(sql)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		// The statements run as one implicit transaction: cursors they
		// declare outside BEGIN close when the query ends.
		s.implicitTx = true
		defer func() {
			s.implicitTx = false
			if !s.inTx {
				s.closeCursors("", 0)
			}
		}()
	}
	for _, st := range stmts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.exec(ctx, st, nil, w); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) exec(ctx context.Context, st parser.Stmt, params *planner.Params, w wire.ResultWriter) error {
	e := s.e
	switch st := st.(type) {
	case *parser.CreateRelation:
		tag, err := e.doDDL(func() (string, error) { return e.createRelation(st) })
		if err != nil {
			return err
		}
		if tag == "" {
			tag = "CREATE " + st.Kind.String()
			if err := w.Notice(fmt.Sprintf("relation %q already exists, skipping", st.Name)); err != nil {
				return err
			}
		}
		return w.Complete(tag)
	case *parser.CreateView:
		tag, err := e.doDDL(func() (string, error) { return e.createView(st, s.zone, w) })
		if err != nil {
			return err
		}
		if tag == "" {
			tag = "CREATE VIEW"
			if st.Materialized {
				tag = "CREATE MATERIALIZED VIEW"
			}
			if err := w.Notice(fmt.Sprintf("relation %q already exists, skipping", st.Name)); err != nil {
				return err
			}
		}
		return w.Complete(tag)
	case *parser.CreateSink:
		tag, err := e.doDDL(func() (string, error) { return e.createSink(st) })
		if err != nil {
			return err
		}
		if tag == "" {
			tag = "CREATE SINK"
			if err := w.Notice(fmt.Sprintf("sink %q already exists, skipping", st.Name)); err != nil {
				return err
			}
		}
		return w.Complete(tag)
	case *parser.Drop, *parser.DropFunction:
		var notice string
		tag, err := e.doDDL(func() (tag string, err error) {
			if d, ok := st.(*parser.Drop); ok {
				tag, notice, err = e.drop(d)
			} else {
				tag, notice, err = e.dropFunction(st.(*parser.DropFunction))
			}
			return tag, err
		})
		if err != nil {
			return err
		}
		if notice != "" {
			if err := w.Notice(notice); err != nil {
				return err
			}
		}
		return w.Complete(tag)
	case *parser.CreateFunction:
		tag, err := e.doDDL(func() (string, error) { return e.createFunction(st) })
		if err != nil {
			return err
		}
		return w.Complete(tag)
	case *parser.Insert:
		n, err := e.insert(ctx, st, params, s.zone)
		if err != nil {
			return err
		}
		return w.Complete(fmt.Sprintf("INSERT 0 %d", n))
	case *parser.Select:
		return e.query(ctx, st.Query, params, w, nil, s.zone)
	case *parser.Subscribe:
		return e.runSubscribe(ctx, st, nil, w)
	case *parser.Copy:
		switch q := st.Stmt.(type) {
		case *parser.Subscribe:
			return e.runSubscribe(ctx, q, &st.Format, w)
		case *parser.Select:
			return e.query(ctx, q.Query, params, w, &st.Format, s.zone)
		}
		if st.From {
			return e.copyFrom(ctx, st, w, s.zone)
		}
		return e.copyTable(ctx, st, w)
	case *parser.Declare:
		if !s.inTx && !s.implicitTx {
			// Outside a transaction the cursor would outlive the
			// statement with nothing to close it.
			return sqlerr.New(sqlerr.NoActiveTransaction, "DECLARE CURSOR can only be used in transaction blocks")
		}
		if err := s.declare(ctx, st, params); err != nil {
			return err
		}
		return w.Complete("DECLARE CURSOR")
	case *parser.Fetch:
		return s.fetch(ctx, st, w)
	case *parser.Deallocate:
		d, ok := w.(wire.Deallocator)
		if !ok {
			return sqlerr.New(sqlerr.FeatureNotSupported, "DEALLOCATE needs a client connection")
		}
		if err := d.Deallocate(st.Name); err != nil {
			return sqlerr.WithPos(err, st.Pos)
		}
		if st.All {
			return w.Complete("DEALLOCATE ALL")
		}
		return w.Complete("DEALLOCATE")
	case *parser.CloseCursor:
		if err := s.closeCursors(st.Name, st.Pos); err != nil {
			return err
		}
		return w.Complete("CLOSE CURSOR")
	case *parser.Explain:
		if st.Analyze {
			return e.explainAnalyze(st, w)
		}
		return e.explain(st, w)
	case *parser.Show:
		return s.show(st, w)
	case *parser.Describe:
		return e.describe(st, w)
	case *parser.Flush:
		d, err := flushTimeout(s.settings["flush_timeout"])
		if err != nil {
			return err
		}
		if err := e.flushReporting(ctx, d, w); err != nil {
			return err
		}
		return w.Complete("FLUSH")
	case *parser.Set:
		if err := s.set(st.Name, st.Value); err != nil {
			return err
		}
		return w.Complete("SET")
	case *parser.Reset:
		if err := s.reset(strings.ToLower(st.Name)); err != nil {
			return err
		}
		return w.Complete("RESET")
	case *parser.Tx:
		s.inTx = st.Verb == "BEGIN" || st.Verb == "START"
		if !s.inTx {
			// Cursors live until the end of the transaction, as
			// PostgreSQL's non-holdable cursors do.
			s.closeCursors("", 0)
		}
		switch st.Verb {
		case "START":
			return w.Complete("START TRANSACTION")
		case "END":
			return w.Complete("COMMIT")
		}
		return w.Complete(st.Verb)
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "statement %s is not supported", st)
}

// errFlushTimeout is the cause of a FLUSH that ran out of flush_timeout.
var errFlushTimeout = errors.New("flush_timeout")

// flushTimeout reads the flush_timeout setting: how long FLUSH waits for
// sources and sinks to catch up (0: as long as it takes).
func flushTimeout(v string) (time.Duration, error) {
	d, err := parseTime(v)
	if err != nil || d < 0 {
		return 0, sqlerr.New(sqlerr.InvalidParameter,
			"invalid value for parameter \"flush_timeout\": %q (want a duration such as '30s', or 0 to wait as long as it takes)", v)
	}
	return d, nil
}

// flush waits until every row accepted so far is reflected in every view.
// Ingestion is synchronous under each dataflow's lock, so taking each lock
// once is enough. A bounded generator that is not paced (rows_per_second =
// 0, max_rows > 0) has all its rows available at once, so FLUSH waits for
// it to finish: that makes such sources deterministic in tests. A Kafka
// source is waited for until it has read what its topic held when FLUSH
// began, and a sink until the brokers acknowledged every record. All of it
// within timeout (0: no bound), past which FLUSH fails with 57014 naming
// what has not caught up.
func (e *Engine) flush(ctx context.Context, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, errFlushTimeout)
		defer cancel()
	}
	err := e.flushAll(ctx)
	if err != nil && errors.Is(context.Cause(ctx), errFlushTimeout) {
		return &sqlerr.Error{Kind: sqlerr.QueryCanceled, Err: err,
			Msg: fmt.Sprintf("FLUSH timed out after %s (flush_timeout): %v", timeout, err)}
	}
	return err
}

func (e *Engine) flushAll(ctx context.Context) error {
	e.mu.RLock()
	var dfs []*dataflow
	var gens []*entry
	var topics, sinks []*entry
	for _, x := range e.rels {
		if x.df != nil && x.df.root == x {
			dfs = append(dfs, x.df)
		}
		if x.sink != nil {
			sinks = append(sinks, x)
		}
		if !x.started.Load() {
			continue // not started: no view reads it
		}
		if x.gen != nil && x.gen.PerSecond() == 0 && x.gen.Bounded() {
			gens = append(gens, x)
		}
		if x.kafka != nil {
			topics = append(topics, x)
		}
	}
	e.mu.RUnlock()
	t := taskOf(ctx)
	for _, x := range gens {
		var max int64 = -1
		if n, err := strconv.ParseInt(x.rel.Options["max_rows"], 10, 64); err == nil && n > 0 {
			max = n
		}
		t.enter("waiting for source "+x.rel.Name+" to generate its rows", func(t *task) {
			t.done.Store(x.df.rows.Load())
			t.total.Store(max)
		})
		select {
		case <-x.done:
		case <-ctx.Done():
			return fmt.Errorf("source %s has not generated all its rows: %w", x.rel.Name, ctx.Err())
		}
	}
	for _, x := range topics {
		if err := e.catchUp(ctx, x); err != nil {
			return err
		}
	}
	t.enter("sending the views' changes", nil)
	for _, df := range dfs {
		// After the batch in flight, the views send what they hold back.
		var err error
		df.locked(func() { err = guarded("sending views' changes", df.emit) })
		if err != nil {
			return err
		}
	}
	// Then every sink has written what the views hold.
	return flushSinks(ctx, sinks)
}

// insert runs INSERT INTO table VALUES ... or INSERT INTO table SELECT
// ..., whose query is answered first, over the current rows of what it
// reads, then inserted as one INSERT.
func (e *Engine) insert(ctx context.Context, st *parser.Insert, params *planner.Params, zone *time.Location) (int, error) {
	x, b, err := e.insertRows(ctx, st, params, zone)
	if err != nil {
		return 0, err
	}
	return e.applyInsert(x, b)
}

// applyInsert writes the rows of an INSERT or a COPY FROM into table x:
// logged, then applied, all or none.
func (e *Engine) applyInsert(x *entry, b *vec.Batch) (int, error) {
	if err := e.writable(); err != nil {
		return 0, err
	}
	fault("insert-resolved")
	if err := x.df.lockWrite(context.Background(), e.checkpointWait()); err != nil {
		return 0, logWriteError(err)
	}
	defer x.df.unlockWrite()
	if x.dropped {
		// A DROP came between resolving the name and the lock; its
		// checkpoint has forgotten the table, so a restart would ignore
		// these rows.
		return 0, sqlerr.New(sqlerr.UndefinedTable, "relation %q was dropped", x.rel.Name)
	}
	// Again under the lock: a checkpoint that held it may have failed.
	if err := e.writable(); err != nil {
		return 0, err
	}
	fault("insert")
	var epoch uint64
	off := int64(-1)
	if e.log != nil {
		// Durable before acknowledged: a crash after this replays the rows.
		var err error
		if epoch, off, err = e.log.append(x.rel.ID, b); err != nil {
			return 0, sqlerr.Storage("logging the INSERT", err)
		}
		e.crash("insert-after-log")
	}
	if err := x.df.ingest(b, 0); err != nil {
		if off >= 0 {
			// The client is told it failed: a restart must not bring
			// its rows back (or twice, after a retry).
			e.log.cancel(epoch, off)
		}
		return 0, storageError("applying the INSERT", err)
	}
	return b.N, nil
}

// insertRows evaluates the rows of an INSERT into a batch for its table.
func (e *Engine) insertRows(ctx context.Context, st *parser.Insert, params *planner.Params, zone *time.Location) (*entry, *vec.Batch, error) {
	plan, err := e.planner(params, zone).Insert(st)
	if err != nil {
		return nil, nil, err
	}
	x, ok := e.lookup(plan.Rel.Name)
	if !ok {
		return nil, nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", plan.Rel.Name)
	}
	if x.rel.LateOf != "" {
		return nil, nil, sqlerr.New(sqlerr.WrongObjectType, "cannot insert into %q: it holds the late rows of %s", x.rel.Name, x.rel.LateOf)
	}
	if plan.Query != nil {
		b, err := e.stream(ctx, plan.Query)
		if err != nil {
			return nil, nil, err
		}
		return x, b, checkInsertRows(x.rel, b)
	}
	b := vec.NewBatch(catalog.Types(x.rel.Columns), len(plan.Rows))
	one := &vec.Batch{N: 1}
	errs := exec.NewRowErrors(true)
	for _, row := range plan.Rows {
		for c, ex := range row {
			v := exec.Compile(ex, errs).Eval(one)
			if err := errs.Err(); err != nil {
				return nil, nil, err
			}
			if v.IsNull(0) && x.rel.Columns[c].NotNull {
				return nil, nil, sqlerr.New(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", x.rel.Columns[c].Name, x.rel.Name)
			}
			if v.Type.Kind == types.String && !v.IsNull(0) {
				if err := parser.CheckText(v.Str[0]); err != nil {
					return nil, nil, err
				}
			}
			b.Cols[c].AppendFrom(v, 0)
		}
		b.EndRow(1)
	}
	return x, b, nil
}

// checkInsertRows holds the rows an INSERT ... SELECT computed to the
// table's constraints, as insertRows holds a VALUES row.
func checkInsertRows(rel *catalog.Relation, b *vec.Batch) error {
	for c, col := range rel.Columns {
		v := &b.Cols[c]
		for i := 0; i < b.N; i++ {
			if v.IsNull(i) {
				if col.NotNull {
					return sqlerr.New(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col.Name, rel.Name)
				}
				continue
			}
			if v.Type.Kind == types.String {
				if err := parser.CheckText(v.Str[i]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// doDDL runs a catalog change, serialized with checkpoints, and makes it
// durable with a checkpoint before it returns.
func (e *Engine) doDDL(f func() (string, error)) (string, error) {
	if err := e.writable(); err != nil {
		return "", err
	}
	e.ddl.Lock()
	defer e.ddl.Unlock()
	began := time.Now()
	e.ddlName = ""
	tag, err := f()
	if err == nil && e.durable() {
		err = e.checkpointLocked()
	}
	if err == nil && e.ddlName != "" && tag != "" {
		// One line a DDL statement that did something (not IF NOT EXISTS
		// over an existing one, not SET).
		slog.Info("ddl", "statement", strings.ReplaceAll(tag, "_", " "), "name", e.ddlName, "took", time.Since(began).Round(time.Microsecond).String())
	}
	return tag, err
}

// writeResult sends a result set: columns, rows, and the SELECT tag.
func writeResult(w wire.ResultWriter, cols []catalog.Column, b *vec.Batch) error {
	return writeRows(w, cols, b, nil)
}

// writeRows sends a result set as rows, or with copy as COPY TO STDOUT,
// and its tag: SELECT n or COPY n, n counting each row's multiplicity.
func writeRows(w wire.ResultWriter, cols []catalog.Column, b *vec.Batch, copy *parser.CopyFormat) error {
	if err := beginResult(w, cols, copy); err != nil {
		return err
	}
	n := int64(0)
	if b != nil && b.N > 0 {
		for i := 0; i < b.N; i++ {
			n += max(b.DiffAt(i), 0)
		}
		if err := w.Rows(b); err != nil {
			return err
		}
	}
	verb := "SELECT"
	if copy != nil {
		verb = "COPY"
	}
	return w.Complete(fmt.Sprintf("%s %d", verb, n))
}

// beginResult starts a result of cols: rows (RowDescription), or with
// copy a COPY TO STDOUT in that format.
func beginResult(w wire.ResultWriter, cols []catalog.Column, copy *parser.CopyFormat) error {
	if copy != nil {
		return w.CopyOut(wireColumns(cols), *copy)
	}
	return w.Columns(wireColumns(cols))
}

// textRows builds a result of VARCHAR columns from strings.
func textRows(names []string, rows [][]string) ([]catalog.Column, *vec.Batch) {
	cols := make([]catalog.Column, len(names))
	ts := make([]types.T, len(names))
	for i, n := range names {
		cols[i] = catalog.Column{Name: n, Type: types.Varchar}
		ts[i] = types.Varchar
	}
	b := vec.NewBatch(ts, len(rows))
	for _, r := range rows {
		for i, v := range r {
			b.Cols[i].AppendStr(v)
		}
		b.EndRow(1)
	}
	return cols, b
}

func (s *Session) show(st *parser.Show, w wire.ResultWriter) error {
	switch st.What {
	case "metrics":
		return s.e.showMetrics(w)
	case "progress":
		rel, _ := planner.SystemRelation(planner.StreamsqlCatalog, "progress")
		b, err := rowsBatch(rel, s.e.progressRows())
		if err != nil {
			return err
		}
		return writeResult(w, rel.Columns, b)
	}
	if st.What != "" {
		cols, b := s.e.showRelations(st.What)
		return writeResult(w, cols, b)
	}
	name := strings.ToLower(st.Name)
	if name == "all" {
		var rows [][]string
		for _, kv := range s.allSettings() {
			rows = append(rows, []string{kv[0], kv[1]})
		}
		cols, b := textRows([]string{"name", "setting"}, rows)
		return writeResult(w, cols, b)
	}
	v, ok := s.settings[name]
	if isSystemSetting(name) {
		v, ok = s.e.systemValue(name), true
	}
	if !ok {
		return sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", st.Name)
	}
	cols, b := textRows([]string{name}, [][]string{{v}})
	return writeResult(w, cols, b)
}

// explain prints a statement's plan, one node a line.
func (e *Engine) explain(st *parser.Explain, w wire.ResultWriter) error {
	var plan planner.Node
	var err error
	switch in := st.Stmt.(type) {
	case *parser.Select:
		plan, err = e.planner(nil, nil).Query(in.Query, planner.AdHoc, false)
	case *parser.CreateView:
		var rel *catalog.Relation
		if rel, err = e.planner(nil, nil).View(in); err == nil {
			plan = rel.Query.(planner.Node)
			if in.Materialized {
				text := "Materialize " + in.Name + "\n" + indent(planner.Explain(plan))
				return e.explainText(text, w)
			}
		}
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported, "EXPLAIN supports SELECT and CREATE [MATERIALIZED] VIEW")
	}
	if err != nil {
		return err
	}
	return e.explainText(planner.Explain(plan), w)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func (e *Engine) explainText(text string, w wire.ResultWriter) error {
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		rows = append(rows, []string{l})
	}
	cols, b := textRows([]string{"QUERY PLAN"}, rows)
	return writeResult(w, cols, b)
}

// set runs SET name = value (and a setting of the startup message).
func (s *Session) set(setting, value string) error {
	e := s.e
	name := strings.ToLower(setting)
	if isSystemSetting(name) {
		_, err := e.doDDL(func() (string, error) { return "SET", e.setSystem(name, value) })
		return err
	}
	// A name with a dot is a custom setting (an extension's, an
	// application's), which PostgreSQL takes without knowing it.
	if _, ok := s.settings[name]; !ok && !strings.Contains(name, ".") || readOnly[name] {
		if readOnly[name] {
			return sqlerr.New(sqlerr.ReadOnlySetting, "parameter %q cannot be changed", name)
		}
		return sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", setting)
	}
	if name == "standard_conforming_strings" && !strings.EqualFold(value, "on") {
		return sqlerr.New(sqlerr.FeatureNotSupported, "standard_conforming_strings = %s is not supported: strings are always read as with on (use E'...' for escapes)", value)
	}
	if name == "flush_timeout" {
		if _, err := flushTimeout(value); err != nil {
			return err
		}
	}
	if name == "statement_timeout" {
		if _, err := statementTimeout(value); err != nil {
			return err
		}
	}
	if name == "timezone" {
		loc, err := vec.LoadZone(strings.TrimSpace(value))
		if err != nil || value == "" {
			return sqlerr.New(sqlerr.InvalidParameter, "invalid value for parameter \"TimeZone\": %q", value)
		}
		s.zone = loc
	}
	s.settings[name] = value
	return nil
}
