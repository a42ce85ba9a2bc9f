// Package wire serves the engine over PostgreSQL's v3 frontend/backend
// protocol, so psql, pgx and other PostgreSQL clients can talk to it.
//
// The server owns the protocol: startup, parameter reporting, cancellation,
// message framing and error reporting. It knows nothing about SQL; each
// connection's queries go to a Session that the Engine opens, and results
// come back through a ResultWriter that streams them to the client.
//
// What is supported: the simple and the extended query protocol (named and
// unnamed statements and portals, $n parameters in text or binary format,
// results in text or binary format, row limits), COPY TO STDOUT for
// streaming results, CancelRequest, TLS when configured, and trust or
// password (SCRAM-SHA-256, MD5) authentication.
package wire

import (
	"context"
	"io"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner/types"
)

// Column describes one result column.
type Column struct {
	Name string
	Type types.T
}

// ResultWriter receives one query's results, statement by statement. For a
// statement that returns rows the session calls Columns, then Rows any
// number of times, then Complete; for any other statement just Complete.
// Notice may come at any time.
//
// A ResultWriter is used by one goroutine at a time and is valid only
// during the Session.Query call it was passed to. It does not retain the
// batches given to Rows. An error from a ResultWriter means the client can
// no longer be written to (or the session broke the call order); the
// session should stop and return it.
type ResultWriter interface {
	// Columns starts a row-returning result (RowDescription).
	Columns(cols []Column) error
	// Rows sends b's rows (DataRow messages) in text format. A row with
	// diff d > 1 is sent d times; rows with d <= 0 are not sent. b must
	// have one vector per column given to Columns.
	Rows(b *vec.Batch) error
	// Complete ends the statement with a command tag such as "SELECT 3"
	// or "CREATE MATERIALIZED VIEW" (CommandComplete).
	Complete(tag string) error
	// Notice sends a NoticeResponse of severity NOTICE.
	Notice(msg string) error
	// CopyOut starts a result sent as COPY TO STDOUT in format f
	// (CopyOutResponse) instead of rows: Rows then sends CopyData lines
	// and Complete ends the copy. psql prints such lines as they come.
	CopyOut(cols []Column, f parser.CopyFormat) error
	// Flush sends what is buffered to the client now; a result that
	// streams without end (SUBSCRIBE) calls it after each batch.
	Flush() error
}

// CopyIner is the ResultWriter of a connection that can take COPY FROM
// STDIN: the server's is one.
type CopyIner interface {
	// CopyIn starts COPY FROM STDIN of ncols columns in text form
	// (CopyInResponse) and returns the client's data: its CopyData
	// messages' bytes in order, io.EOF at CopyDone, and an error at
	// CopyFail or when the connection breaks. The caller reads it to the
	// end before it completes the statement.
	CopyIn(ncols int) (io.Reader, error)
}

// Deallocator is the ResultWriter of a connection whose prepared
// statements (the extended protocol's) DEALLOCATE can drop: the server's
// is one.
type Deallocator interface {
	// Deallocate drops the named statement, or every one for "".
	Deallocate(name string) error
}

// CursorDescriber is a Session whose DECLAREd cursors the extended
// protocol's Describe can name as portals.
type CursorDescriber interface {
	DescribeCursor(name string) ([]Column, bool)
}

// Statement is a prepared statement as its session describes it: the
// Describe of the extended protocol.
type Statement struct {
	// SQL is the statement's text.
	SQL string
	// Params are the parameters' types, as the client declared them or
	// as the session inferred them from their use; types.Unknown ones are
	// described as text.
	Params []types.T
	// Columns are the result's columns; nil when it returns no rows.
	Columns []Column
	// Endless marks a result that never completes (SUBSCRIBE): it cannot
	// be executed with a row limit, which would hold it whole.
	Endless bool
}

// Session is one client connection's state in the engine. The server calls
// a Session from one goroutine only: Query calls never overlap, and Close
// is called once, after the last Query has returned.
type Session interface {
	// Query runs one simple-query message, which may hold several
	// statements, writing each statement's result to w. It returns the
	// first error (later statements are not run). If it writes nothing and
	// returns nil, the query was empty.
	//
	// ctx is cancelled when the client sends a CancelRequest for this
	// connection or the server shuts down; Query should then return
	// promptly with ctx.Err() (or an error wrapping it).
	//
	// Error positions (sqlerr.Error.Pos) are 1-based byte offsets into sql.
	Query(ctx context.Context, sql string, w ResultWriter) error
	// Prepare parses and plans one statement with parameters $1..$n for
	// the extended protocol. params are the types the client declared,
	// types.Unknown where it did not say. An empty sql gives a statement
	// with no columns whose Execute writes nothing.
	Prepare(ctx context.Context, sql string, params []types.T) (*Statement, error)
	// Execute runs a prepared statement with its parameters bound, in
	// text form (nil for NULL), writing at most one result to w. The
	// result's columns are those Prepare described.
	Execute(ctx context.Context, st *Statement, params []*string, w ResultWriter) error
	// Close releases the session's resources.
	Close()
}

// Engine opens sessions.
type Engine interface {
	// NewSession opens a session for an authenticated user. database is
	// the client's requested database (the user name when it sent none).
	// It may be called from many goroutines at once.
	NewSession(user, database string) (Session, error)
}
