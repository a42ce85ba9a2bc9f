package pebble

import (
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/statetest"
)

// BenchmarkStore runs the backend benchmarks shared with state/memory. A
// Put also reads the old value's size unless the key was written since the
// last checkpoint, which exact Stats require.
func BenchmarkStore(b *testing.B) {
	statetest.Bench(b, func(b *testing.B) state.Backend {
		be, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		return be
	})
}
