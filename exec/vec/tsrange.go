package vec

// The range of TIMESTAMP, in µs since 1970-01-01 UTC: from PostgreSQL's
// lower bound, 4714-11-24 00:00:00 BC (Julian day 0), to the last day of
// year 294246, the last whole year a 64-bit count of µs since 1970 holds
// (PostgreSQL's goes on to 294276, past that count). A value outside it
// comes from a number that would wrap, and is refused rather than read as
// some other time.
const (
	MinTimestamp int64 = -210866803200000000 // 4714-11-24 00:00:00 BC
	MaxTimestamp int64 = 9223371244799999999 // 294246-12-31 23:59:59.999999
)

// TimestampInRange reports whether us is a TIMESTAMP value.
func TimestampInRange(us int64) bool { return us >= MinTimestamp && us <= MaxTimestamp }

// EpochMillis converts epoch milliseconds to a TIMESTAMP, failing for
// values outside its range instead of wrapping.
func EpochMillis(ms int64) (int64, bool) {
	if ms < MinTimestamp/1000 || ms > MaxTimestamp/1000 {
		return 0, false
	}
	return ms * 1000, true
}
