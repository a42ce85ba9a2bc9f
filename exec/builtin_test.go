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

func TestEverySRFHasAGenerator(t *testing.T) {
	for _, f := range planner.SRFs() {
		if srfMakers[f.Name] == nil {
			t.Errorf("set-returning function %s has no generator", f.Name)
		}
	}
}
