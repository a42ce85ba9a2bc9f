package vec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// An INTERVAL is a count of µs. PostgreSQL keeps months, days and µs
// apart; ours has no months (a month has no fixed length, so '1 month' is
// refused rather than guessed) and its days are 24 hours.

// Errors of ParseInterval, for callers to map to SQLSTATEs.
var (
	ErrIntervalSyntax = errors.New("invalid interval")
	ErrIntervalRange  = errors.New("interval out of range")
	ErrIntervalMonths = errors.New("interval in months or years")
)

// ParseInterval reads an interval as "5 SECOND", "5 seconds", "1 minute
// 30 seconds", "1.5 hours", "1 day 02:03:04" or "-02:00:00" (what
// AppendInterval prints) and returns microseconds.
func ParseInterval(s string) (int64, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0, fmt.Errorf("%w %q: want a number and a unit, like '5 seconds'", ErrIntervalSyntax, s)
	}
	var total int64
	add := func(x int64) error {
		sum := total + x
		if (sum^total)&(sum^x) < 0 {
			return fmt.Errorf("%w: %q", ErrIntervalRange, s)
		}
		total = sum
		return nil
	}
	for i := 0; i < len(fields); i++ {
		if strings.Contains(fields[i], ":") {
			x, ok := parseClock(fields[i])
			if !ok {
				return 0, fmt.Errorf("%w %q: %q is not a time of day", ErrIntervalSyntax, s, fields[i])
			}
			if err := add(x); err != nil {
				return 0, err
			}
			continue
		}
		if err := yearsMonths(fields[i], s); err != nil {
			return 0, err
		}
		n, err := strconv.ParseFloat(fields[i], 64)
		if (err != nil || !intervalNumber(fields[i])) && i+1 == len(fields) {
			return 0, fmt.Errorf("%w %q: want a number and a unit, like '5 seconds'", ErrIntervalSyntax, s)
		}
		if err != nil || !intervalNumber(fields[i]) {
			return 0, fmt.Errorf("%w %q: %q is not a number", ErrIntervalSyntax, s, fields[i])
		}
		if i+1 == len(fields) {
			// A number without a unit at the end is seconds, as in
			// PostgreSQL ('1 day 5', '100').
			x, ok := intervalPart(fields[i], n, 1e6)
			if !ok {
				return 0, fmt.Errorf("%w: %q", ErrIntervalRange, s)
			}
			if err := add(x); err != nil {
				return 0, err
			}
			break
		}
		unit, ok := IntervalUnit(fields[i+1])
		if !ok {
			switch strings.TrimSuffix(strings.ToLower(fields[i+1]), "s") {
			case "mon", "month", "year", "yr", "y", "decade", "century", "centurie", "millennium", "millennia", "millenium":
				return 0, fmt.Errorf("%w %q: an INTERVAL here is a fixed length of time (days of 24 hours), and a %s has none", ErrIntervalMonths, s, strings.ToLower(fields[i+1]))
			}
			return 0, fmt.Errorf("%w %q: unknown unit %q", ErrIntervalSyntax, s, fields[i+1])
		}
		x, ok := intervalPart(fields[i], n, unit)
		if !ok {
			return 0, fmt.Errorf("%w: %q", ErrIntervalRange, s)
		}
		if err := add(x); err != nil {
			return 0, err
		}
		i++
	}
	return total, nil
}

// intervalNumber reports whether f is a number as PostgreSQL's interval
// text writes one: digits with a point among or before them, a sign only
// before a digit ('-.5', '1e3', 'NaN' are not).
func intervalNumber(f string) bool {
	if f != "" && (f[0] == '+' || f[0] == '-') {
		if len(f) < 2 || f[1] < '0' || f[1] > '9' {
			return false
		}
		f = f[1:]
	}
	digits, dots := 0, 0
	for _, c := range []byte(f) {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// yearsMonths refuses SQL's years-months field ('1-2'): a month of 12 or
// more is out of range, anything after it is bad text, and otherwise it
// is months, which ours cannot be.
func yearsMonths(f, s string) error {
	y := strings.TrimLeft(f, "+-")
	i := 0
	for i < len(y) && y[i] >= '0' && y[i] <= '9' {
		i++
	}
	if i == 0 || i == len(y) || y[i] != '-' {
		return nil
	}
	j := i + 1
	for j < len(y) && y[j] >= '0' && y[j] <= '9' {
		j++
	}
	if j == i+1 {
		return fmt.Errorf("%w %q: %q is not a number", ErrIntervalSyntax, s, f)
	}
	if m, err := strconv.Atoi(y[i+1 : j]); err != nil || m >= 12 {
		return fmt.Errorf("%w: %q", ErrIntervalRange, s)
	}
	if j < len(y) {
		return fmt.Errorf("%w %q: %q is not a number", ErrIntervalSyntax, s, f)
	}
	return fmt.Errorf("%w %q: an INTERVAL here is a fixed length of time (days of 24 hours), and %q is years and months", ErrIntervalMonths, s, f)
}

// parseClock reads [-]H+:MM[:SS[.ffffff]].
func parseClock(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	h, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || h < 0 || h > math.MaxInt64/int64(3600e6) {
		return 0, false
	}
	x := h * 3600e6
	if len(parts) > 1 {
		m, err := strconv.Atoi(parts[1])
		if err != nil || m < 0 || m > 59 || len(parts[1]) != 2 {
			return 0, false
		}
		x += int64(m) * 60e6
	}
	if len(parts) > 2 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || sec < 0 || sec >= 60 || strings.ContainsAny(parts[2], "eE+-") {
			return 0, false
		}
		x += int64(math.Round(sec * 1e6))
	}
	if x < 0 {
		return 0, false
	}
	if neg {
		x = -x
	}
	return x, true
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

// IntervalUnit returns the length of a time unit in microseconds.
func IntervalUnit(u string) (int64, bool) {
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

// AppendInterval formats microseconds as PostgreSQL prints an interval
// with IntervalStyle postgres: a day count ("1 day", "-3 days"), then the
// rest as [-]HH:MM:SS[.ffffff] unless it is zero; "00:00:00" for zero.
// Days are whole 24 hours of the count, both parts of one sign, as
// PostgreSQL prints the difference of two timestamps.
func AppendInterval(buf []byte, us int64) []byte {
	days := us / DayMicros
	rest := us - days*DayMicros
	if days != 0 {
		buf = strconv.AppendInt(buf, days, 10)
		if days == 1 {
			buf = append(buf, " day"...)
		} else {
			buf = append(buf, " days"...)
		}
		if rest == 0 {
			return buf
		}
		buf = append(buf, ' ')
	}
	if rest < 0 {
		buf = append(buf, '-')
		rest = -rest
	}
	secs := rest / 1e6
	buf = append2(buf, int(secs/3600))
	buf = append(buf, ':')
	buf = append2(buf, int(secs/60%60))
	buf = append(buf, ':')
	buf = append2(buf, int(secs%60))
	return appendFraction(buf, rest%1e6)
}

// appendFraction appends 0 <= frac < 1e6 µs as a fraction of a second
// with no trailing zeros, nothing for 0.
func appendFraction(buf []byte, frac int64) []byte {
	if frac == 0 {
		return buf
	}
	digits := strconv.AppendInt(nil, frac+1e6, 10)[1:]
	n := len(digits)
	for digits[n-1] == '0' {
		n--
	}
	buf = append(buf, '.')
	return append(buf, digits[:n]...)
}
