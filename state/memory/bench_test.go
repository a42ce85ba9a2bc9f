package memory

import (
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/statetest"
)

// BenchmarkStore runs the backend benchmarks shared with state/pebble.
func BenchmarkStore(b *testing.B) {
	statetest.Bench(b, func(b *testing.B) state.Backend {
		be, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		return be
	})
}
