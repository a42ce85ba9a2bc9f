package exec

import (
	"math/rand/v2"
	"testing"
)

// The one-byte separator's scan (from the end for a negative field)
// agrees with the general split_part on random strings of a, b and the
// separator.
func TestSplitPartByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = "ab.."[rng.IntN(4)]
		}
		s, field := string(b), int64(rng.IntN(15)-7)
		if field == 0 {
			continue
		}
		if got, want := splitPartByte(s, '.', field), splitPart(s, ".", field); got != want {
			t.Fatalf("split_part(%q, '.', %d) = %q, want %q", s, field, got, want)
		}
	}
}
