package engine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine (a generator, a connection)
// outlives the tests that started it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
