package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// startKafka runs an in-process Kafka broker (kfake: the real protocol)
// on loopback with the given topics of 4 partitions, and returns its
// address and a producer that writes to chosen partitions.
func startKafka(t testing.TB, topics ...string) (string, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return addr, cl
}

// produce writes records to partitions synchronously.
func produce(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// click is one generated event of the Kafka tests.
type click struct {
	part   int32
	user   int64
	amount int64
	ts     int64 // Unix milliseconds
	bad    bool  // a malformed record instead
}

var kafkaT0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// genClicks makes n events over 4 partitions. Each partition's clock runs
// behind the previous one's by 7 s, so partitions are out of order with
// each other; within a partition events are shuffled by less than the 2 s
// watermark delay. One record in 50 is malformed.
func genClicks(rng *rand.Rand, n int) []click {
	out := make([]click, 0, n)
	next := [4]int64{}
	for i := 0; i < n; i++ {
		p := rng.Int32N(4)
		next[p] += rng.Int64N(200)
		c := click{part: p, user: rng.Int64N(20), amount: rng.Int64N(1000), ts: kafkaT0 - int64(p)*7000 + next[p] + rng.Int64N(1500)}
		c.bad = rng.IntN(50) == 0
		out = append(out, c)
	}
	return out
}

func (c click) record(topic, format string) *kgo.Record {
	var v string
	ts := time.UnixMilli(c.ts).UTC().Format("2006-01-02 15:04:05.000")
	switch {
	case c.bad && format == "json":
		v = fmt.Sprintf(`{"user": %d, "amount": "lots", "ts": "%s"}`, c.user, ts)
	case c.bad:
		v = fmt.Sprintf(`%d,lots,%s`, c.user, ts)
	case format == "json":
		v = fmt.Sprintf(`{"user": %d, "amount": %d, "ts": "%s", "ignored": {"a": [1, 2]}}`, c.user, c.amount, ts)
	default:
		v = fmt.Sprintf(`%d,%d,%s`, c.user, c.amount, ts)
	}
	return &kgo.Record{Topic: topic, Partition: c.part, Key: fmt.Appendf(nil, "u%d", c.user), Value: []byte(v)}
}

// clickWindows is the reference: rows of (window start, partition, count,
// sum) over 10-second tumbling windows of the good clicks, closed only
// (end <= watermark) when eowc.
func clickWindows(cs []click, eowc bool) []string {
	type key struct{ start, part int64 }
	type agg struct{ n, sum int64 }
	m := map[key]*agg{}
	maxTs := [4]int64{}
	for i := range maxTs {
		maxTs[i] = -1 << 62
	}
	for _, c := range cs {
		maxTs[c.part] = max(maxTs[c.part], c.ts)
		if c.bad {
			continue
		}
		k := key{c.ts - c.ts%10000, int64(c.part)}
		if m[k] == nil {
			m[k] = &agg{}
		}
		m[k].n++
		m[k].sum += c.amount
	}
	wm := slices.Min(maxTs[:]) - 2000
	var out []string
	for k, a := range m {
		if eowc && k.start+10000 > wm {
			continue
		}
		out = append(out, fmt.Sprintf("%s %d %d %d", time.UnixMilli(k.start).UTC().Format("2006-01-02 15:04:05"), k.part, a.n, a.sum))
	}
	slices.Sort(out)
	return out
}

func textRows(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	var out []string
	for _, r := range oracleQuery(t, conn, sql) {
		out = append(out, strings.Join(r, " "))
	}
	return out
}

// TestKafkaSources reads JSON and CSV topics of 4 partitions whose clocks
// disagree by seconds, with malformed records among the good ones, into
// windowed views, before and after more records arrive, and compares every
// view with the reference. Rows of a partition behind the others are not
// late: the watermark is the minimum over partitions. Malformed records
// are counted and, for JSON, written to a dead-letter topic.
func TestKafkaSources(t *testing.T) {
	addr, cl := startKafka(t, "clicks_json", "clicks_csv", "dead")
	conn := connect(t, startServer(t))
	rng := rand.New(rand.NewPCG(7, 7))
	clicks := genClicks(rng, 6000)
	first, rest := clicks[:4000], clicks[4000:]
	dlq := ""
	for _, format := range []string{"json", "csv"} {
		if format == "json" {
			dlq = ", dlq_topic = 'dead'"
		} else {
			dlq = ""
		}
		oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE clicks_%[1]s (user BIGINT, amount BIGINT, ts TIMESTAMP(3),
			part INT METADATA FROM 'partition', WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
			WITH (connector = 'kafka', brokers = '%[2]s', topic = 'clicks_%[1]s', format = '%[1]s'%[3]s)`, format, addr, dlq))
		for _, emit := range []string{"", "EMIT ON WINDOW CLOSE"} {
			name := "w_" + format
			if emit != "" {
				name += "_eowc"
			}
			oracleExec(t, conn, fmt.Sprintf(`CREATE MATERIALIZED VIEW %s %s AS SELECT window_start, part, COUNT(*) AS n, SUM(amount) AS s
				FROM clicks_%s GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), part`, name, emit, format))
		}
	}
	// The records come once every view is there: the source starts with
	// the first view over it, and a view created after would miss what it
	// read before.
	for _, format := range []string{"json", "csv"} {
		var recs []*kgo.Record
		for _, c := range first {
			recs = append(recs, c.record("clicks_"+format, format))
		}
		produce(t, cl, recs...)
	}
	check := func(cs []click) {
		t.Helper()
		oracleExec(t, conn, "FLUSH")
		bad := 0
		for _, c := range cs {
			if c.bad {
				bad++
			}
		}
		for _, format := range []string{"json", "csv"} {
			for _, eowc := range []bool{false, true} {
				name := "w_" + format
				if eowc {
					name += "_eowc"
				}
				got := textRows(t, conn, "SELECT * FROM "+name+" ORDER BY window_start, part")
				if want := clickWindows(cs, eowc); !slices.Equal(got, want) {
					t.Errorf("%s after %d records: got %d rows, want %d\n got %v\nwant %v", name, len(cs), len(got), len(want), got, want)
				}
			}
		}
		want := []string{
			fmt.Sprintf("clicks_csv kafka %d 0 %d running", len(cs)-bad, bad),
			fmt.Sprintf("clicks_json kafka %d 0 %d running", len(cs)-bad, bad),
		}
		var got []string
		for _, r := range oracleQuery(t, conn, "SHOW SOURCES") {
			got = append(got, strings.Join([]string{r[0], r[1], r[2], r[3], r[8], r[10]}, " "))
		}
		if !slices.Equal(got, want) {
			t.Errorf("SHOW SOURCES (name, connector, rows, late_rows, bad_rows, status):\n got %v\nwant %v", got, want)
		}
	}
	// A topic that does not exist is an error at CREATE, not a source that
	// waits forever.
	if _, err := conn.Exec(t.Context(), fmt.Sprintf(`CREATE SOURCE nope (a BIGINT) WITH (connector = 'kafka',
		brokers = '%s', topic = 'nope', format = 'json')`, addr)); err == nil || !strings.Contains(err.Error(), "42704") {
		t.Errorf("a source of a missing topic: %v, want SQLSTATE 42704", err)
	}
	check(first)
	if n := len(textRows(t, conn, "SELECT * FROM w_json")); n < 20 {
		t.Fatalf("w_json has %d rows: too few for the test to mean much", n)
	}
	for _, format := range []string{"json", "csv"} {
		var recs []*kgo.Record
		for _, c := range rest {
			recs = append(recs, c.record("clicks_"+format, format))
		}
		produce(t, cl, recs...)
	}
	check(clicks)

	// The dead letters: each bad JSON record, as it was, with the error.
	var wantBad []string
	for _, c := range clicks {
		if c.bad {
			wantBad = append(wantBad, string(c.record("", "json").Value))
		}
	}
	got := readTopic(t, addr, "dead", len(wantBad))
	var gotBad []string
	for _, r := range got {
		gotBad = append(gotBad, string(r.Value))
		if h := header(r, "error"); !strings.Contains(h, `column amount: "lots" is not an integer`) {
			t.Errorf("dead letter %s: error header %q", r.Value, h)
		}
		if header(r, "source_topic") != "clicks_json" || header(r, "source_offset") == "" {
			t.Errorf("dead letter %s: headers %v", r.Value, r.Headers)
		}
	}
	slices.Sort(gotBad)
	slices.Sort(wantBad)
	if !slices.Equal(gotBad, wantBad) {
		t.Errorf("dead letters:\n got %v\nwant %v", gotBad, wantBad)
	}
}

func header(r *kgo.Record, k string) string {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

// readTopic consumes n records from every partition of topic.
func readTopic(t testing.TB, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records of %s: %v", len(out), n, topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// TestKafkaIdlePartition: a partition that gets no records holds the
// watermark back until idle_timeout (on an injected clock) passes; new
// partitions of the topic are picked up and read.
func TestKafkaIdlePartition(t *testing.T) {
	addr, cl := startKafka(t, "events")
	var now atomic.Int64
	now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	conn := connect(t, startClocked(t, &now))
	oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE events (n BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
		WITH (connector = 'kafka', brokers = '%s', topic = 'events', format = 'csv', idle_timeout = '10 seconds',
		      partition_discovery = '50ms')`, addr))
	oracleExec(t, conn, `CREATE MATERIALIZED VIEW per_sec EMIT ON WINDOW CLOSE AS
		SELECT window_start, COUNT(*) AS n FROM events GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)`)
	for p := int32(0); p < 3; p++ {
		produce(t, cl, &kgo.Record{Topic: "events", Partition: p, Value: fmt.Appendf(nil, "%d,2024-01-01 00:00:0%d", p, 3+p)})
	}
	oracleExec(t, conn, "FLUSH")
	watermark := func() string {
		for _, r := range oracleQuery(t, conn, "SHOW SOURCES") {
			return r[4] + " " + r[6] + " " + r[7]
		}
		return ""
	}
	if got := watermark(); got != "NULL 4 0" {
		t.Fatalf("watermark, partitions, idle with partition 3 empty: %q, want NULL 4 0", got)
	}
	// Ten seconds later every partition is idle: the watermark holds
	// (idle_watermark = 'hold'), so nothing closes. A row on partition 1
	// makes it the only active one, and the watermark its time.
	now.Add(10e6)
	produce(t, cl, &kgo.Record{Topic: "events", Partition: 1, Value: []byte("9,2024-01-01 00:00:08")})
	oracleExec(t, conn, "FLUSH")
	if got := watermark(); got != "2024-01-01 00:00:08 4 3" {
		t.Fatalf("watermark, partitions, idle after the others went idle: %q, want 2024-01-01 00:00:08 4 3", got)
	}
	if got := textRows(t, conn, "SELECT * FROM per_sec ORDER BY window_start"); !slices.Equal(got, []string{
		"2024-01-01 00:00:03 1", "2024-01-01 00:00:04 1", "2024-01-01 00:00:05 1"}) {
		t.Errorf("per_sec: %v", got)
	}
	// A fifth partition, added to the topic, is found and read.
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	admin := &kafkago.Client{Addr: kafkago.TCP(addr), Transport: tr}
	resp, err := admin.CreatePartitions(context.Background(), &kafkago.CreatePartitionsRequest{
		Topics: []kafkago.TopicPartitionsConfig{{Name: "events", Count: 5}}})
	if err != nil || resp.Errors["events"] != nil {
		t.Fatalf("adding a partition: %v %v", err, resp)
	}
	cl2, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	produce(t, cl2, &kgo.Record{Topic: "events", Partition: 4, Value: []byte("10,2024-01-01 00:00:09")})
	oracleExec(t, conn, "FLUSH")
	for _, r := range oracleQuery(t, conn, "SHOW SOURCES") {
		if r[2] != "5" || r[6] != "5" {
			t.Errorf("SHOW SOURCES after a fifth partition: %v, want 5 rows over 5 partitions", r)
		}
	}
}

// TestKafkaBrokerGoesAway: a source whose broker disappears keeps retrying
// and says so in SHOW SOURCES; when the broker is back on its address,
// the source reads on from where it was.
func TestKafkaBrokerGoesAway(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	addr := c.ListenAddrs()[0]
	var port int
	fmt.Sscanf(addr[strings.LastIndex(addr, ":")+1:], "%d", &port)
	conn := connect(t, startServer(t))
	oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT) WITH (connector = 'kafka', brokers = '%s', topic = 'ev', format = 'csv')`, addr))
	oracleExec(t, conn, `CREATE MATERIALIZED VIEW total AS SELECT COUNT(*) AS n, SUM(n) AS s FROM ev`)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	produce(t, cl, &kgo.Record{Topic: "ev", Value: []byte("1")}, &kgo.Record{Topic: "ev", Value: []byte("2")})
	cl.Close()
	oracleExec(t, conn, "FLUSH")
	c.Close()
	status := func() string { return oracleQuery(t, conn, "SHOW SOURCES")[0][10] }
	waitFor := func(what string, ok func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for s := status(); !ok(s); s = status() {
			if time.Now().After(deadline) {
				t.Fatalf("source status %q: still not %s", s, what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("retrying", func(s string) bool { return strings.HasPrefix(s, "retrying") })
	// The broker comes back on the same port, empty: the topic is new and
	// the source resumes at its offset, 2, past the log's start.
	c2, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	cl2, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	produce(t, cl2, &kgo.Record{Topic: "ev", Value: []byte("10")}, &kgo.Record{Topic: "ev", Value: []byte("20")},
		&kgo.Record{Topic: "ev", Value: []byte("30")})
	waitFor("running", func(s string) bool { return s == "running" })
	oracleExec(t, conn, "FLUSH")
	if got := textRows(t, conn, "SELECT * FROM total"); !slices.Equal(got, []string{"3 33"}) {
		t.Errorf("total after the broker came back: %v, want [3 33] (two rows read before, the third record after)", got)
	}
}
