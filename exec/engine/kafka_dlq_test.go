package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKafkaDeadLetterTooLarge: a bad record larger than the dead-letter
// topic takes (max.message.bytes) is given up after bounded tries,
// counted in SHOW SOURCES (dlq_failures, and the reason in status), and
// the partition goes on: the good records around it are read, the small
// bad one reaches the dead-letter topic, and FLUSH returns.
func TestKafkaDeadLetterTooLarge(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	tr := &kafkago.Transport{} // not the default one, which lives on
	defer tr.CloseIdleConnections()
	admin := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 5 * time.Second, Transport: tr}
	resp, err := admin.CreateTopics(t.Context(), &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{
		Topic: "dead", NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: "2048"}},
	}}})
	if err == nil {
		err = resp.Errors["dead"]
	}
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	big := `{"n": "` + strings.Repeat("x", 8000) + `"}`
	produce(t, cl,
		&kgo.Record{Topic: "ev", Value: []byte(`{"n": 1}`)},
		&kgo.Record{Topic: "ev", Value: []byte(big)},
		&kgo.Record{Topic: "ev", Value: []byte(`{"n": "small bad"}`)},
		&kgo.Record{Topic: "ev", Value: []byte(`{"n": 2}`)})
	conn := connect(t, startServer(t))
	oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT) WITH (connector = 'kafka', brokers = '%s',
		topic = 'ev', format = 'json', dlq_topic = 'dead')`, addr))
	oracleExec(t, conn, "CREATE MATERIALIZED VIEW total AS SELECT COUNT(*) AS c, SUM(n) AS s FROM ev")
	oracleExec(t, conn, "SET flush_timeout = '20s'")
	oracleExec(t, conn, "FLUSH")
	if got := textRows(t, conn, "SELECT * FROM total"); len(got) != 1 || got[0] != "2 3" {
		t.Errorf("total: %v, want [2 3]: the good records on both sides of the one the dead-letter topic refuses", got)
	}
	for _, r := range oracleQuery(t, conn, "SHOW SOURCES") {
		if r[8] != "2" || r[9] != "1" || !strings.Contains(r[10], "not written to dlq_topic dead") {
			t.Errorf("SHOW SOURCES: bad_rows %s, dlq_failures %s, status %q; want 2, 1 and the dead letter given up", r[8], r[9], r[10])
		}
	}
	got := readTopic(t, addr, "dead", 1)
	if len(got) != 1 || string(got[0].Value) != `{"n": "small bad"}` {
		t.Errorf("dead letters: %d, want the small bad record alone", len(got))
	}
}

// TestFlushTimeout: a source that cannot catch up (its broker fails every
// fetch) makes FLUSH fail after flush_timeout with 57014 and a message
// naming the source and how far behind it is, instead of waiting forever;
// once fetches work again FLUSH returns.
func TestFlushTimeout(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	conn := connect(t, startServer(t))
	oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT) WITH (connector = 'kafka', brokers = '%s',
		topic = 'ev', format = 'json')`, addr))
	oracleExec(t, conn, "CREATE MATERIALIZED VIEW total AS SELECT COUNT(*) AS c FROM ev")
	oracleExec(t, conn, "FLUSH")
	var failing atomic.Bool
	failing.Store(true)
	c.ControlKey(kmsg.Fetch.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if failing.Load() {
			return nil, errors.New("fetches fail"), true
		}
		return nil, nil, false
	})
	produce(t, cl, &kgo.Record{Topic: "ev", Value: []byte(`{"n": 1}`)}, &kgo.Record{Topic: "ev", Value: []byte(`{"n": 2}`)})
	for _, bad := range []string{"-1s", "soon"} {
		if _, err := conn.Exec(t.Context(), "SET flush_timeout = '"+bad+"'"); !hasCode(err, "22023") {
			t.Errorf("SET flush_timeout = %q: %v, want 22023", bad, err)
		}
	}
	oracleExec(t, conn, "SET flush_timeout = '300ms'")
	start := time.Now()
	_, err = conn.Exec(t.Context(), "FLUSH")
	if !hasCode(err, "57014") || !strings.Contains(err.Error(), "FLUSH timed out after 300ms") ||
		!strings.Contains(err.Error(), "source ev has not caught up with topic ev: partition 0 is at offset 0 of 2") {
		t.Errorf("FLUSH with fetches failing: %v, want 57014 naming source ev's partition 0", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("FLUSH took %s with flush_timeout = 300ms", d)
	}
	failing.Store(false)
	oracleExec(t, conn, "SET flush_timeout = '20s'")
	oracleExec(t, conn, "FLUSH")
	if got := textRows(t, conn, "SELECT * FROM total"); len(got) != 1 || got[0] != "2" {
		t.Errorf("total after fetches work again: %v, want [2]", got)
	}
}

func hasCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// TestKafkaTextNotUTF8: through a Kafka source, a record that is not
// UTF-8 is a bad row, or with invalid_utf8 = 'replace' a row with U+FFFD;
// a NUL is a bad row either way.
func TestKafkaTextNotUTF8(t *testing.T) {
	addr, cl := startKafka(t, "ev")
	conn := connect(t, startServer(t))
	produce(t, cl,
		&kgo.Record{Topic: "ev", Value: []byte("{\"s\": \"caf\xe9\"}")},
		&kgo.Record{Topic: "ev", Value: []byte(`{"s": "a\u0000b"}`)},
		&kgo.Record{Topic: "ev", Value: []byte(`{"s": "\ud83d"}`)},
		&kgo.Record{Topic: "ev", Value: []byte(`{"s": "ok"}`)})
	for _, mode := range []string{"error", "replace"} {
		oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE ev_%[2]s (s VARCHAR) WITH (connector = 'kafka', brokers = '%[1]s',
			topic = 'ev', format = 'json', invalid_utf8 = '%[2]s')`, addr, mode))
		oracleExec(t, conn, fmt.Sprintf("CREATE MATERIALIZED VIEW v_%[1]s AS SELECT s, COUNT(*) AS n FROM ev_%[1]s GROUP BY s", mode))
	}
	oracleExec(t, conn, "FLUSH")
	want := map[string]string{"error": "[ok 1]", "replace": "[caf\ufffd 1 ok 1 \ufffd 1]"}
	for mode, w := range want {
		if got := fmt.Sprint(textRows(t, conn, "SELECT s || ' ' || n FROM v_"+mode+" ORDER BY s")); got != w {
			t.Errorf("invalid_utf8 = '%s': %q, want %q", mode, got, w)
		}
	}
	for _, r := range oracleQuery(t, conn, "SHOW SOURCES") {
		if want := map[string]string{"ev_error": "3", "ev_replace": "1"}[r[0]]; r[8] != want {
			t.Errorf("%s: bad_rows %s, want %s", r[0], r[8], want)
		}
	}
}
