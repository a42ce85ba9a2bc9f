//go:build !noprobes

package exec

// probesOn says the probes count and time (see probe.go). A binary built
// with -tags noprobes has them pass batches straight through, so that
// `make bench-metrics` can measure what metrics cost the queries.
const probesOn = true
