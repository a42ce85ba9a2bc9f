package wire

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// Codes the extended protocol reports itself.
const (
	codeUndefinedStatement = "26000" // invalid_sql_statement_name
	codeUndefinedPortal    = "34000" // invalid_cursor_name
	codeDuplicateStatement = "42P05" // duplicate_prepared_statement
	codeDuplicatePortal    = "42P03" // duplicate_cursor
)

// prepared is a statement made by Parse.
type prepared struct {
	st *Statement
	// oids are the parameter type OIDs Describe reports: what the client
	// declared, else what the session inferred (text when neither).
	oids []uint32
}

// portal is a statement bound to parameter values by Bind.
type portal struct {
	p       *prepared
	params  []*string
	formats []int16 // one per result column
	// rows, next and tag hold the rest of a result that an Execute with a
	// row limit suspended.
	rows *vec.Batch
	next int
	tag  string
	// done is set once the portal has run to completion.
	done bool
}

// paramTypes maps the OIDs a client may declare to the types the engine
// plans with; others (and 0) leave the type to inference.
var paramTypes = map[uint32]types.T{
	oidBool: types.Boolean, 21: types.Int, oidInt4: types.Int, oidInt8: types.BigInt,
	700: types.Double, oidFloat8: types.Double, oidText: types.Varchar, oidVarchar: types.Varchar,
	oidTimestamp: types.Ts, oidTimestamptz: types.TsTZ, oidInterval: types.Ival, oidDate: types.Dt,
	oidJSON: types.Json, oidJSONB: types.Jsonb,
}

// errorAt sends an ERROR with a code of the protocol's own and reports
// failure, so the caller skips to Sync.
func (c *conn) errorAt(code, format string, args ...any) bool {
	c.send(&pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: code, Message: fmt.Sprintf(format, args...)})
	return false
}

// parse handles Parse: the session prepares the statement.
func (c *conn) parse(m *pgproto3.Parse) bool {
	if _, ok := c.stmts[m.Name]; ok && m.Name != "" {
		return c.errorAt(codeDuplicateStatement, "prepared statement %q already exists", m.Name)
	}
	declared := make([]types.T, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		declared[i] = types.Unknown
		if t, ok := paramTypes[oid]; ok {
			declared[i] = t
		}
	}
	// Preparing waits on nothing, so it needs neither a cancel key nor
	// the disconnect watcher.
	st, err := c.sess.Prepare(c.s.ctx, m.Query, declared)
	if err != nil {
		c.send(errorResponse("ERROR", err, m.Query))
		return false
	}
	oids := make([]uint32, len(st.Params))
	for i, t := range st.Params {
		switch {
		case i < len(m.ParameterOIDs) && m.ParameterOIDs[i] != 0:
			oids[i] = m.ParameterOIDs[i]
		case t.Kind == types.Null:
			oids[i] = oidText
		default:
			oids[i], _, _ = typeInfo(t)
		}
	}
	c.stmts[m.Name] = &prepared{st: st, oids: oids}
	c.send(&pgproto3.ParseComplete{})
	return true
}

// formatCodes expands a message's format codes to one per item: none means
// all text, one applies to all.
func formatCodes(codes []int16, n int) ([]int16, error) {
	out := make([]int16, n)
	switch {
	case len(codes) == 0:
	case len(codes) == 1:
		for i := range out {
			out[i] = codes[0]
		}
	case len(codes) == n:
		copy(out, codes)
	default:
		return nil, fmt.Errorf("%d format codes for %d values", len(codes), n)
	}
	for _, f := range out {
		if f != 0 && f != 1 {
			return nil, fmt.Errorf("unsupported format code %d", f)
		}
	}
	return out, nil
}

// bind handles Bind: parameter values are decoded to text, which the
// session parses as the parameter's type.
func (c *conn) bind(m *pgproto3.Bind) bool {
	p, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return c.errorAt(codeUndefinedStatement, "prepared statement %q does not exist", m.PreparedStatement)
	}
	if _, ok := c.portals[m.DestinationPortal]; ok && m.DestinationPortal != "" {
		return c.errorAt(codeDuplicatePortal, "portal %q already exists", m.DestinationPortal)
	}
	if len(m.Parameters) != len(p.oids) {
		return c.errorAt(codeProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), m.PreparedStatement, len(p.oids))
	}
	pf, err := formatCodes(m.ParameterFormatCodes, len(m.Parameters))
	if err != nil {
		return c.errorAt(codeProtocolViolation, "bind message has %v", err)
	}
	rf, err := formatCodes(m.ResultFormatCodes, len(p.st.Columns))
	if err != nil {
		return c.errorAt(codeProtocolViolation, "bind message has %v", err)
	}
	params := make([]*string, len(m.Parameters))
	for i, b := range m.Parameters {
		if b == nil {
			continue
		}
		text := string(b)
		if pf[i] == 1 {
			if text, err = binaryParamText(p.oids[i], b); err != nil {
				c.send(errorResponse("ERROR", fmt.Errorf("parameter $%d: %w", i+1, err), ""))
				return false
			}
		}
		params[i] = &text
	}
	c.portals[m.DestinationPortal] = &portal{p: p, params: params, formats: rf}
	c.send(&pgproto3.BindComplete{})
	return true
}

// describe handles Describe of a statement (its parameters and columns)
// or of a portal (its columns in the formats Bind chose).
func (c *conn) describe(m *pgproto3.Describe) bool {
	var cols []Column
	var formats []int16
	switch m.ObjectType {
	case 'S':
		p, ok := c.stmts[m.Name]
		if !ok {
			return c.errorAt(codeUndefinedStatement, "prepared statement %q does not exist", m.Name)
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: p.oids})
		cols = p.st.Columns
	case 'P':
		pt, ok := c.portals[m.Name]
		if !ok {
			d, isCursors := c.sess.(CursorDescriber)
			if !isCursors {
				return c.errorAt(codeUndefinedPortal, "portal %q does not exist", m.Name)
			}
			if cols, ok = d.DescribeCursor(m.Name); !ok {
				return c.errorAt(codeUndefinedPortal, "portal %q does not exist", m.Name)
			}
			break
		}
		cols, formats = pt.p.st.Columns, pt.formats
	default:
		c.fatal(protocolError("invalid DESCRIBE message subtype %d", m.ObjectType))
		c.nc.Close()
		return false
	}
	if cols == nil {
		c.send(&pgproto3.NoData{})
		return true
	}
	c.res.fields(cols, formats)
	c.send(&c.res.rd)
	return true
}

// execute handles Execute. With a row limit the result is kept and handed
// out MaxRows at a time, each part but the last ending in PortalSuspended.
func (c *conn) execute(m *pgproto3.Execute) bool {
	pt, ok := c.portals[m.Portal]
	if !ok {
		return c.errorAt(codeUndefinedPortal, "portal %q does not exist", m.Portal)
	}
	st := pt.p.st
	switch {
	case pt.rows != nil:
		return c.drain(pt, int(m.MaxRows))
	case pt.done:
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(pt.tag)})
		return true
	}
	ctx, done := c.begin()
	defer done()
	c.res.execute(st.Columns, pt.formats)
	limited := m.MaxRows > 0 && st.Columns != nil
	if limited && st.Endless {
		return c.errorAt(codeFeature, "a row limit on a result that never ends (SUBSCRIBE) is not supported: use DECLARE c CURSOR FOR SUBSCRIBE ... and FETCH")
	}
	if limited {
		ts := make([]types.T, len(st.Columns))
		for i, col := range st.Columns {
			ts[i] = col.Type
		}
		c.res.capture = vec.NewBatch(ts, 0)
	}
	err := c.sess.Execute(ctx, st, pt.params, &c.res)
	pt.done = true
	switch {
	case err != nil:
		c.res.capture, c.res.copy = nil, false
		c.send(errorResponse("ERROR", err, st.SQL))
		return false
	case c.res.open:
		c.send(errorResponse("ERROR", fmt.Errorf("%w: result not completed", errResultOrder), st.SQL))
		return false
	case !c.res.wrote:
		c.send(&pgproto3.EmptyQueryResponse{})
	case limited:
		pt.rows, pt.tag = c.res.capture, c.res.tag
		c.res.capture = nil
		return c.drain(pt, int(m.MaxRows))
	}
	return true
}

// drain sends up to max of a kept result's rows (all when max <= 0), then
// PortalSuspended if rows remain, else the command tag.
func (c *conn) drain(pt *portal, max int) bool {
	b := pt.rows
	hi := b.N
	if max > 0 {
		hi = min(hi, pt.next+max)
	}
	loc := c.zone()
	for i := pt.next; i < hi; i++ {
		c.res.row = appendDataRow(c.res.row[:0], b, i, pt.formats, loc)
		c.bw.Write(c.res.row)
	}
	pt.next = hi
	if hi < b.N {
		c.send(&pgproto3.PortalSuspended{})
		return true
	}
	// The tag counts every row: the kept result expanded each row's
	// multiplicity, as the count in the tag did.
	pt.rows = nil
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(pt.tag)})
	return true
}

// closeObject handles Close of a statement or portal; closing one that
// does not exist is not an error.
func (c *conn) closeObject(m *pgproto3.Close) bool {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		delete(c.portals, m.Name)
	default:
		c.fatal(protocolError("invalid CLOSE message subtype %d", m.ObjectType))
		c.nc.Close()
		return false
	}
	c.send(&pgproto3.CloseComplete{})
	return true
}

// watchReader is what a connection's Backend reads from: bytes the
// disconnect watcher read ahead, then the socket.
type watchReader struct {
	nc      net.Conn
	pending []byte
}

func (r *watchReader) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	return r.nc.Read(p)
}

// watch reads the socket while a statement runs, so a client that goes
// away cancels its statement (a SUBSCRIBE may otherwise wait forever for
// a change to write). Bytes the client sends meanwhile (a pipelined next
// message) are kept for the Backend, and watching stops. The returned
// function stops the watcher and waits for it.
func (c *conn) watch(cancel func()) func() {
	if len(c.rd.pending) > 0 {
		// The client has already sent more: it is there.
		return func() {}
	}
	if c.buf == nil {
		c.buf = make([]byte, 4096)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n, err := c.nc.Read(c.buf)
		if n > 0 {
			c.rd.pending = append(c.rd.pending[:0], c.buf[:n]...)
			return
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return // stopped
		}
		cancel() // EOF or a broken connection: the client is gone
	}()
	return func() {
		c.nc.SetReadDeadline(time.Unix(1, 0))
		wg.Wait()
		c.nc.SetReadDeadline(time.Time{})
	}
}

var _ Deallocator = (*results)(nil)

// Deallocate implements Deallocator.
func (r *results) Deallocate(name string) error {
	if name == "" {
		clear(r.c.stmts)
		return nil
	}
	if _, ok := r.c.stmts[name]; !ok {
		return sqlerr.New(sqlerr.UndefinedPreparedStatement, "prepared statement %q does not exist", name)
	}
	delete(r.c.stmts, name)
	return nil
}
