package parser

import (
	"errors"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// ParseInterval reads an interval written as "5 SECOND", "5 seconds",
// "1 minute 30 seconds", "1.5 hours" or "1 day 02:03:04" and returns
// microseconds (see vec.ParseInterval).
func ParseInterval(s string) (int64, error) {
	us, err := vec.ParseInterval(s)
	switch {
	case err == nil:
		return us, nil
	case errors.Is(err, vec.ErrIntervalRange):
		return 0, sqlerr.New(sqlerr.IntervalFieldOverflow, "interval field value out of range: %q", s)
	case errors.Is(err, vec.ErrIntervalMonths):
		return 0, sqlerr.New(sqlerr.FeatureNotSupported, "%v", err)
	}
	return 0, sqlerr.New(sqlerr.InvalidText, "%v", err)
}

// ParseType reads a type as written in SQL ("BIGINT", "VARCHAR(20)",
// "DECIMAL(10,2)", "TIMESTAMP(3)"), for the planner's casts.
func ParseType(s string) (types.T, error) {
	toks, err := lex(s)
	if err != nil {
		return types.T{}, err
	}
	c := &cursor{s: span{text: s, toks: toks}}
	t, err := c.colType()
	if err != nil {
		return types.T{}, err
	}
	return t, c.end()
}
