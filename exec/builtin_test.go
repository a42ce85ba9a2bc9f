package exec

import (
	"testing"

	"github.com/streamsql/streamsql/planner"
)

// Every declared builtin has a body, so a call that binds also runs.
func TestEveryBuiltinHasAKernel(t *testing.T) {
	for _, fn := range planner.Builtins() {
		if kernels[fn.Name] == nil {
			t.Errorf("builtin %s has no kernel", fn.Name)
		}
	}
}
