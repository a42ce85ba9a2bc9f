package engine

import (
	"context"
	"errors"
	"time"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// errStatementTimeout is the cause of a statement cancelled by the
// session's statement_timeout.
var errStatementTimeout = errors.New("statement_timeout")

// statementTimeout reads the statement_timeout setting as PostgreSQL
// does: a number is milliseconds, or a duration with its unit ('100ms',
// '2s'); 0 is no limit.
func statementTimeout(v string) (time.Duration, error) {
	d, err := parseTime(v)
	if err != nil || d < 0 {
		return 0, sqlerr.New(sqlerr.InvalidParameter, "invalid value for parameter \"statement_timeout\": %q", v)
	}
	return d, nil
}

// timed runs a statement (or a simple query's statements) under the
// session's statement_timeout: past it the statement's context ends and
// its error is PostgreSQL's 57014, whatever the statement was waiting on
// (a scan, a FLUSH, a FETCH).
func (s *Session) timed(ctx context.Context, f func(context.Context) error) error {
	d, err := statementTimeout(s.settings["statement_timeout"])
	if err != nil || d == 0 {
		return f(ctx)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d, errStatementTimeout)
	defer cancel()
	err = f(ctx)
	if err != nil && errors.Is(context.Cause(ctx), errStatementTimeout) {
		return &sqlerr.Error{Kind: sqlerr.QueryCanceled, Err: err, Msg: "canceling statement due to statement timeout"}
	}
	return err
}

// SetStartup implements wire.Configurable: a setting of the startup
// message applies as SET would. One the engine does not know is ignored
// (drivers send settings of their own), where PostgreSQL would refuse
// the connection.
func (s *Session) SetStartup(name, value string) error {
	err := s.set(name, value)
	if e, ok := sqlerr.As(err); ok && e.Kind == sqlerr.UndefinedObject {
		return nil
	}
	return err
}
