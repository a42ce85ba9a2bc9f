package durable

import "time"

// Retries of a write the data directory refused wait a delay that doubles
// from RetryMin to RetryMax, so a disk that is written again is noticed
// soon and one that stays full is retried, and logged, a few times a
// minute. The engine's checkpoint loop and Pebble's background jobs share
// it, so the two back off alike.
const (
	RetryMin = 100 * time.Millisecond
	RetryMax = 10 * time.Second
)

// NextRetry is the delay after a failure that followed one of delay d; a
// zero d (the first failure) gives RetryMin.
func NextRetry(d time.Duration) time.Duration {
	if d == 0 {
		return RetryMin
	}
	return min(2*d, RetryMax)
}
