package parser

import (
	"math"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// ParseInterval reads an interval written as "5 SECOND", "5 seconds",
// "1 minute 30 seconds" or "1.5 hours" and returns microseconds.
func ParseInterval(s string) (int64, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 || len(fields)%2 != 0 {
		return 0, sqlerr.New(sqlerr.InvalidText, "invalid interval %q: want a number and a unit, like '5 seconds'", s)
	}
	var total int64
	for i := 0; i < len(fields); i += 2 {
		n, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return 0, sqlerr.New(sqlerr.InvalidText, "invalid interval %q: %q is not a number", s, fields[i])
		}
		unit, ok := unitMicros(fields[i+1])
		if !ok {
			return 0, sqlerr.New(sqlerr.InvalidText, "invalid interval %q: unknown unit %q", s, fields[i+1])
		}
		x, ok := intervalPart(fields[i], n, unit)
		sum := total + x
		if !ok || (sum^total)&(sum^x) < 0 {
			return 0, sqlerr.New(sqlerr.NumericOutOfRange, "interval out of range: %q", s)
		}
		total = sum
	}
	return total, nil
}

// intervalPart is n units in microseconds, and whether that fits in int64.
// A whole number is multiplied exactly (a float64 cannot hold every
// microsecond count near the limit, so "106751991 days 14454775807
// microseconds", the largest interval, must not go through one).
func intervalPart(text string, n float64, unit int64) (int64, bool) {
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		p := i * unit
		return p, i == 0 || (p/unit == i && !(i == -1 && p == math.MinInt64 && unit == -1))
	}
	f := n * float64(unit)
	return int64(f), f > -9.2e18 && f < 9.2e18
}

// unitMicros returns the length of a time unit in microseconds.
func unitMicros(u string) (int64, bool) {
	l := strings.ToLower(u)
	switch l {
	case "us":
		return 1, true
	case "ms":
		return 1000, true
	}
	switch strings.TrimSuffix(l, "s") {
	case "microsecond":
		return 1, true
	case "millisecond":
		return 1000, true
	case "second", "sec":
		return 1e6, true
	case "minute", "min":
		return 60e6, true
	case "hour", "h":
		return 3600e6, true
	case "day":
		return 86400e6, true
	case "week":
		return 7 * 86400e6, true
	}
	return 0, false
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
