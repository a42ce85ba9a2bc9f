package engine_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// lineWriter passes each JSON log line written to it on, decoded.
type lineWriter chan map[string]any

func (w lineWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			select {
			case w <- m:
			default:
			}
		}
	}
	return len(b), nil
}

// TestKafkaStatusLogs reads the JSON log lines of a Kafka source's status
// changes: running once it reads, then, its broker gone, one warning
// that it retries (not one per retry, nor a line per record).
func TestKafkaStatusLogs(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "stlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()[0]), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	lines := make(lineWriter, 10000)
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(lines, nil)))
	defer slog.SetDefault(old)
	conn := connect(t, startServer(t))
	var recs []*kgo.Record
	for i := range 200 {
		recs = append(recs, &kgo.Record{Topic: "stlog", Value: []byte(fmt.Sprint(i))})
	}
	produce(t, cl, recs...)
	run(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT) WITH (connector = 'kafka', brokers = '%s', topic = 'stlog', format = 'csv')`, c.ListenAddrs()[0]))
	run(t, conn, `CREATE MATERIALIZED VIEW v AS SELECT COUNT(*) AS n FROM ev`)
	run(t, conn, `FLUSH`)
	var seen []map[string]any
	next := func(status string) map[string]any {
		t.Helper()
		for m := range lines {
			seen = append(seen, m)
			if m["msg"] == "kafka source status" && strings.HasPrefix(fmt.Sprint(m["status"]), status) {
				return m
			}
		}
		return nil
	}
	if m := next("running"); m["level"] != "INFO" || m["topic"] != "stlog" {
		t.Errorf("running line: %v", m)
	}
	c.Close()
	if m := next("retrying"); m["level"] != "WARN" {
		t.Errorf("retrying line: %v", m)
	}
	run(t, conn, `DROP MATERIALIZED VIEW v`)
	run(t, conn, `DROP SOURCE ev`)
	for len(lines) > 0 {
		seen = append(seen, <-lines)
	}
	n := 0
	for _, m := range seen {
		if m["msg"] == "kafka source status" {
			n++
		}
	}
	if n > 3 || len(seen) > 30 {
		t.Errorf("%d status lines, %d lines in all (a line per event?): %v", n, len(seen), seen)
	}
}
