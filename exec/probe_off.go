//go:build noprobes

package exec

// probesOn is false in a binary built with -tags noprobes: the probes pass
// batches straight through (see probe_on.go).
const probesOn = false
