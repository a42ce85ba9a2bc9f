//go:build race

package pebble

// raceEnabled shortens the slowest randomized tests under the race detector,
// which slows Pebble (built with its invariant checks) several times over.
const raceEnabled = true
