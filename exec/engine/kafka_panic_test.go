package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaPanics makes the Kafka connector's goroutines panic (before, each
// killed the process): a panic decoding a record makes that record bad and
// the partition reads on; one in a partition reader or while writing dead
// letters fails that source, one in a sink's writer or while it queues a
// batch fails that sink; SHOW SOURCES and SHOW SINKS say "failed: internal
// error ...", FLUSH says which source stopped rather than waiting, and the
// other sources, sinks and tables go on.
func TestKafkaPanics(t *testing.T) {
	addr, cl := startKafka(t, "ev", "ev2", "ev3", "dead", "out", "out2")
	conn := connect(t, startServer(t))
	rec := func(topic, v string) *kgo.Record { return &kgo.Record{Topic: topic, Value: []byte(v)} }
	source := func(name, dlq string) {
		t.Helper()
		if dlq != "" {
			dlq = ", dlq_topic = '" + dlq + "'"
		}
		run(t, conn, fmt.Sprintf(`CREATE SOURCE %[1]s (n BIGINT) WITH (connector = 'kafka', brokers = '%[2]s',
			topic = '%[1]s', format = 'json'%[3]s)`, name, addr, dlq))
		run(t, conn, fmt.Sprintf("CREATE MATERIALIZED VIEW total_%[1]s AS SELECT COUNT(*) AS c, SUM(n) AS s FROM %[1]s", name))
	}
	status := func(show, name string) string {
		t.Helper()
		for _, r := range oracleQuery(t, conn, show) {
			if r[0] == name {
				return r[len(r)-1]
			}
		}
		t.Fatalf("%s: no %s", show, name)
		return ""
	}
	flushFails := func(want string) {
		t.Helper()
		if err := tryExec(conn, "FLUSH"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FLUSH: %v, want an error with %q", err, want)
		}
	}
	run(t, conn, "SET flush_timeout = '20s'")
	run(t, conn, "CREATE TABLE t (k INT)")

	// A decoder's panic: that record is bad (counted, its dead letter
	// says why), the ones around it are read.
	restore := engine.PanicAt(`kafka-decode {"n": 666}`)
	produce(t, cl, rec("ev", `{"n": 1}`), rec("ev", `{"n": 666}`), rec("ev", `{"n": 2}`))
	source("ev", "dead")
	run(t, conn, "FLUSH")
	restore()
	if got := textRows(t, conn, "SELECT * FROM total_ev"); len(got) != 1 || got[0] != "2 3" {
		t.Errorf("total_ev: %v, want [2 3]: the records around the one whose decoding panicked", got)
	}
	for _, r := range oracleQuery(t, conn, "SHOW SOURCES") {
		if r[0] == "ev" && (r[8] != "1" || r[10] != "running") {
			t.Errorf("SHOW SOURCES: ev has bad_rows %s, status %q; want 1, running", r[8], r[10])
		}
	}
	got := readTopic(t, addr, "dead", 1)
	if len(got) != 1 || string(got[0].Value) != `{"n": 666}` ||
		!strings.HasPrefix(header(got[0], "error"), `internal error decoding record: injected fault at kafka-decode {"n": 666}`) {
		t.Errorf("dead letters: %v, want the record whose decoding panicked, with the reason", got)
	}

	// A partition reader's panic fails its source alone.
	restore = engine.PanicAt("kafka-fetch ev2")
	produce(t, cl, rec("ev2", `{"n": 1}`))
	source("ev2", "")
	const failedReading = "failed: internal error reading partition 0: injected fault at kafka-fetch ev2"
	flushFails("source ev2 stopped: " + failedReading)
	restore()
	if s := status("SHOW SOURCES", "ev2"); s != failedReading {
		t.Errorf("SHOW SOURCES: ev2 has status %q, want %q", s, failedReading)
	}
	run(t, conn, "DROP MATERIALIZED VIEW total_ev2; DROP SOURCE ev2")

	// So does a panic while its dead letters are written.
	restore = engine.PanicAt("kafka-dlq ev3")
	produce(t, cl, rec("ev3", `{"n": "bad"}`))
	source("ev3", "dead")
	const failedDLQ = "failed: internal error writing the dead letters of partition 0: injected fault at kafka-dlq ev3"
	flushFails("source ev3 stopped: " + failedDLQ)
	restore()
	if s := status("SHOW SOURCES", "ev3"); s != failedDLQ {
		t.Errorf("SHOW SOURCES: ev3 has status %q, want %q", s, failedDLQ)
	}
	run(t, conn, "DROP MATERIALIZED VIEW total_ev3; DROP SOURCE ev3")
	run(t, conn, "INSERT INTO t VALUES (1)")

	// A panic in a sink's writer, or while it queues a view's changes,
	// fails that sink: FLUSH and the source go on without it.
	sink := func(name, topic string) {
		t.Helper()
		run(t, conn, fmt.Sprintf(`CREATE SINK %s FROM total_ev WITH (connector = 'kafka', brokers = '%s', topic = '%s', deletes = 'op')`,
			name, addr, topic))
	}
	restore = engine.PanicAt("kafka-sink out")
	sink("s", "out")
	_ = tryExec(conn, "FLUSH") // fails if it waited for s as its writer panicked
	restore()
	restore = engine.PanicAt("kafka-sink-push out2")
	sink("s2", "out2")
	restore()
	produce(t, cl, rec("ev", `{"n": 3}`))
	run(t, conn, "FLUSH")
	for name, want := range map[string]string{
		"s":  "failed: internal error writing records: injected fault at kafka-sink out",
		"s2": "failed: internal error queueing a batch: injected fault at kafka-sink-push out2",
	} {
		if s := status("SHOW SINKS", name); s != want {
			t.Errorf("SHOW SINKS: %s has status %q, want %q", name, s, want)
		}
	}
	if got := textRows(t, conn, "SELECT * FROM total_ev"); len(got) != 1 || got[0] != "3 6" {
		t.Errorf("total_ev: %v, want [3 6]", got)
	}
	// The server is whole: a new sink of the same view writes.
	sink("s3", "out2")
	run(t, conn, "FLUSH")
	if got := readTopic(t, addr, "out2", 1); len(got) != 1 || !strings.Contains(string(got[0].Value), `"c":3`) {
		t.Errorf("sink s3 wrote %v, want the view's row", got)
	}
	if s := status("SHOW SINKS", "s3"); s != "running" {
		t.Errorf("SHOW SINKS: s3 has status %q, want running", s)
	}
}

// TestKafkaSinkPanicRestart: a sink a panic stopped is still failed after a
// restart (it wrote none of the changes since), and checkpoints go on
// without waiting for it.
func TestKafkaSinkPanicRestart(t *testing.T) {
	addr, _ := startKafka(t, "out")
	open := memoryReopener(t)
	a, stop := open()
	run(t, a, "CREATE TABLE t (k INT)")
	run(t, a, "CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t")
	restore := engine.PanicAt("kafka-sink-push out")
	run(t, a, fmt.Sprintf(`CREATE SINK s FROM v WITH (connector = 'kafka', brokers = '%s', topic = 'out', deletes = 'op')`, addr))
	restore()
	run(t, a, "INSERT INTO t VALUES (1)")
	run(t, a, "FLUSH")
	a.Close(t.Context())
	stop()

	a, stop = open()
	defer stop()
	const want = "failed: internal error queueing a batch: injected fault at kafka-sink-push out"
	for _, r := range oracleQuery(t, a, "SHOW SINKS") {
		if r[len(r)-1] != want {
			t.Errorf("SHOW SINKS after a restart: %v, want status %q", r, want)
		}
	}
	run(t, a, "INSERT INTO t VALUES (2)")
	run(t, a, "FLUSH")
	if got := count(t, a, "SELECT n FROM v"); got != 2 {
		t.Errorf("after a restart, view v counts %d rows, want 2", got)
	}
}
