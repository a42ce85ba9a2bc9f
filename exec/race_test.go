//go:build race

package exec

// raceEnabled shrinks the longest tests under the race detector.
const raceEnabled = true
