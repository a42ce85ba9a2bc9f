//go:build race

package engine_test

// raceEnabled skips measurements the race detector distorts (heap sizes) or
// slows past their worth.
const raceEnabled = true
