package exec

import (
	"sync/atomic"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// RowErrors collects what expressions fail on in single rows: an integer
// or decimal overflow, a division by zero, a value that does not convert.
// The failing value is NULL. An ad-hoc statement is strict: its first such
// error fails it, with PostgreSQL's SQLSTATE. A materialized view is not,
// since one bad row cannot stop a stream: it counts the errors instead
// (expression_errors in SHOW MATERIALIZED VIEWS). Only a value a row uses can
// fail it: not a CASE branch the row does not take (see Compile). A nil
// *RowErrors is a non-strict one that counts nothing.
type RowErrors struct {
	strict bool
	first  error
	n      atomic.Int64
}

// NewRowErrors returns a collector; strict ones keep the first error.
func NewRowErrors(strict bool) *RowErrors { return &RowErrors{strict: strict} }

// report records one failed value; mk builds its error, which only a
// strict collector needs.
func (r *RowErrors) report(mk func() *sqlerr.Error) {
	if r == nil {
		return
	}
	r.n.Add(1)
	if r.strict && r.first == nil {
		r.first = mk()
	}
}

// Err is a strict collector's first error (nil for any other): operators
// return it after evaluating a batch.
func (r *RowErrors) Err() error {
	if r == nil {
		return nil
	}
	return r.first
}

// Count is the number of failed values so far.
func (r *RowErrors) Count() int64 {
	if r == nil {
		return 0
	}
	return r.n.Load()
}

// Restore sets the count from a checkpoint.
func (r *RowErrors) Restore(n int64) {
	if r != nil {
		r.n.Store(n)
	}
}
