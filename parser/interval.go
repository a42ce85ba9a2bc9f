package parser

import (
	"errors"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// ParseInterval reads interval text as PostgreSQL does (see
// vec.ParseInterval), under qualifier q (0 for none), with the SQLSTATE
// of each failure: 22007 for bad text, 22015 for a field out of range,
// 22008 for a result out of range.
func ParseInterval(s string, q vec.IntervalFields) (vec.Interval, error) {
	x, err := vec.ParseIntervalIn(s, q)
	if err != nil {
		return x, IntervalError(err, s)
	}
	return x, nil
}

// IntervalError is the SQL error of a failure of vec.ParseInterval on s.
func IntervalError(err error, s string) error {
	switch {
	case errors.Is(err, vec.ErrIntervalField):
		return sqlerr.New(sqlerr.IntervalFieldOverflow, "interval field value out of range: %q", s)
	case errors.Is(err, vec.ErrIntervalRange):
		return sqlerr.New(sqlerr.DatetimeOverflow, "interval out of range")
	}
	return sqlerr.New(sqlerr.InvalidDatetime, "invalid input syntax for type interval: %q", s)
}

// ParseDuration reads interval text that must be a fixed length of time,
// as window sizes, watermark delays and durations in options are: days
// count 24 hours, and months (which have no fixed length) are refused
// (22023). It returns µs.
func ParseDuration(s string) (int64, error) {
	x, err := ParseInterval(s, 0)
	if err != nil {
		return 0, err
	}
	return Duration(x, s)
}

// Duration is x as a fixed length of time in µs: its days 24 hours; an
// interval of months is refused (22023), as is one past an int64 of µs.
func Duration(x vec.Interval, s string) (int64, error) {
	if x.Months != 0 {
		return 0, sqlerr.New(sqlerr.InvalidParameter, "interval %q has months, which have no fixed length: a window, watermark or duration needs one (write days, hours, ...)", s)
	}
	d, ok1 := vec.MulInt64(int64(x.Days), vec.DayMicros)
	us, ok2 := vec.AddInt64(d, x.Micros)
	if !ok1 || !ok2 {
		return 0, sqlerr.New(sqlerr.DatetimeOverflow, "interval out of range")
	}
	return us, nil
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
