// Package wire serves the engine over PostgreSQL's v3 frontend/backend
// protocol, so psql, pgx and other PostgreSQL clients can talk to it.
//
// The server owns the protocol: startup, parameter reporting, cancellation,
// message framing and error reporting. It knows nothing about SQL; each
// connection's queries go to a Session that the Engine opens, and results
// come back through a ResultWriter that streams them to the client.
//
// What is supported today: the simple query protocol in text format,
// CancelRequest, SSLRequest/GSSEncRequest (declined), trust authentication.
// Extended-protocol messages are answered with a clean 0A000 error and the
// connection stays usable (see conn.go).
package wire

import (
	"context"

	"github.com/streamsql/streamsql/exec/vec"
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
	// or "CREATE_MATERIALIZED_VIEW" (CommandComplete).
	Complete(tag string) error
	// Notice sends a NoticeResponse of severity NOTICE.
	Notice(msg string) error
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
