package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/wire/httpserve"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMetricsKafkaLag holds a Kafka source's partitions right after their
// first fetch, so that the records produced before are read by no one:
// each partition's lag is then what was produced to it, its end offset
// that too. Released and flushed, the lag is 0 and the offsets, rows,
// bytes and watermark have moved; more records move them again.
func TestMetricsKafkaLag(t *testing.T) {
	kafkaAddr, cl := startKafka(t, "lagin")
	conn, web := startScraped(t)
	run(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
		WITH (connector = 'kafka', brokers = '%s', topic = 'lagin', format = 'csv')`, kafkaAddr))
	rng := rand.New(rand.NewPCG(22, 3))
	var produced, bytes [4]int
	var maxTs [4]int64
	var rows int
	batch := func(n int) {
		var recs []*kgo.Record
		for range n {
			p := rng.IntN(3) // partition 3 gets none: it holds the watermark back
			ts := kafkaT0 + int64(rows)*10 + rng.Int64N(5)
			maxTs[p] = max(maxTs[p], ts)
			produced[p]++
			rows++
			v := fmt.Sprintf("%d,%s", rng.Int64N(100), stamp(ts))
			bytes[p] += len(v)
			recs = append(recs, &kgo.Record{Topic: "lagin", Partition: int32(p), Value: []byte(v)})
		}
		produce(t, cl, recs...)
	}
	batch(300)

	// Each partition's first fetch stops at the hook until released.
	reached := make(chan struct{}, 16)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	kafka.SetFaultHook(func(point string) {
		if point == "kafka-fetch lagin" {
			select {
			case <-release:
			default:
				reached <- struct{}{}
				<-release
			}
		}
	})
	defer kafka.SetFaultHook(nil)
	run(t, conn, `CREATE MATERIALIZED VIEW c AS SELECT COUNT(*) AS n FROM ev`)
	for range 4 {
		<-reached
	}
	m := scrape(t, web.URL)
	for p, n := range produced {
		ls := labels{"source": "ev", "partition": fmt.Sprint(p)}
		m.want(t, "streamsql_source_partition_end_offset", ls, float64(n))
		m.want(t, "streamsql_source_partition_lag", ls, float64(n))
		m.want(t, "streamsql_source_partition_offset", ls, 0)
	}
	m.want(t, "streamsql_source_rows_total", labels{"source": "ev"}, 0)
	m.absent(t, "streamsql_source_watermark_seconds", labels{"source": "ev"})

	free()
	check := func(held bool) {
		t.Helper()
		run(t, conn, "FLUSH")
		m := scrape(t, web.URL)
		total := 0
		for p, n := range produced {
			ls := labels{"source": "ev", "partition": fmt.Sprint(p)}
			m.want(t, "streamsql_source_partition_offset", ls, float64(n))
			m.want(t, "streamsql_source_partition_lag", ls, 0)
			m.want(t, "streamsql_source_partition_rows_total", ls, float64(n))
			m.want(t, "streamsql_source_partition_bytes_total", ls, float64(bytes[p]))
			total += bytes[p]
		}
		m.want(t, "streamsql_source_bytes_total", labels{"source": "ev"}, float64(total))
		m.want(t, "streamsql_source_rows_total", labels{"source": "ev"}, float64(rows))
		m.want(t, "streamsql_view_rows", labels{"view": "c"}, 1)
		if held { // partition 3 is empty, so the watermark is held back
			m.absent(t, "streamsql_source_watermark_seconds", labels{"source": "ev"})
		}
		for p := range 3 {
			m.want(t, "streamsql_source_partition_max_event_time_seconds", labels{"source": "ev", "partition": fmt.Sprint(p)}, float64(maxTs[p])/1e3)
		}
	}
	check(true)
	batch(500)
	check(true)
	// A record in partition 3 too: now the watermark is the least
	// partition's largest event time.
	produced[3]++
	rows++
	ts3 := kafkaT0 + 100_000
	maxTs[3] = ts3
	v3 := "1," + stamp(ts3)
	bytes[3] += len(v3)
	produce(t, cl, &kgo.Record{Topic: "lagin", Partition: 3, Value: []byte(v3)})
	check(false)
	m = scrape(t, web.URL)
	m.want(t, "streamsql_source_watermark_seconds", labels{"source": "ev"}, float64(min(maxTs[0], maxTs[1], maxTs[2], maxTs[3]))/1e3)
}

// stamp is Unix milliseconds as a TIMESTAMP(3) in CSV.
func stamp(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000") }

// TestMetricsSubscriptions: a cursor over SUBSCRIBE holds the changes its
// client has not fetched; the metrics count the subscription and those
// changes, and FETCH empties them.
func TestMetricsSubscriptions(t *testing.T) {
	conn, web := startScraped(t)
	ctx := context.Background()
	run(t, conn, `CREATE TABLE t (k BIGINT)`)
	m := scrape(t, web.URL)
	m.absent(t, "streamsql_subscriptions", labels{"relation": "t"})
	run(t, conn, `BEGIN`)
	run(t, conn, `DECLARE c CURSOR FOR SUBSCRIBE t WITH (snapshot = false)`)
	other := connect(t, conn.Config().Host+":"+fmt.Sprint(conn.Config().Port))
	run(t, other, `INSERT INTO t VALUES (1), (2), (3)`)
	m = scrape(t, web.URL)
	m.want(t, "streamsql_subscriptions", labels{"relation": "t"}, 1)
	m.want(t, "streamsql_subscription_pending_changes", labels{"relation": "t"}, 3)
	if l := m.get("streamsql_subscription_lag_seconds", labels{"relation": "t"}); l == nil || l.GetGauge().GetValue() < 0 {
		t.Errorf("subscription lag: %v", l)
	}
	rows, err := conn.Query(ctx, `FETCH ALL c`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	rows.Close()
	m = scrape(t, web.URL)
	m.want(t, "streamsql_subscription_pending_changes", labels{"relation": "t"}, 0)
	m.want(t, "streamsql_subscription_lag_seconds", labels{"relation": "t"}, 0)
	run(t, conn, `COMMIT`)
	m = scrape(t, web.URL)
	m.absent(t, "streamsql_subscriptions", labels{"relation": "t"})
}

// TestMetricsCheckpointBytes: each durable backend says how many bytes
// its last checkpoint wrote: one after 2,000 new groups writes more than
// the first; on Pebble, whose checkpoints link the sstables the one
// before had, a checkpoint with no change writes less than that one.
func TestMetricsCheckpointBytes(t *testing.T) {
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			eng, stop := openDurable(t, openBackend(t, name, t.TempDir()), t.TempDir(), engine.Options{})
			defer stop()
			hs := httpserve.New()
			if err := hs.Ready(eng.Collector()); err != nil {
				t.Fatal(err)
			}
			web := httptest.NewServer(hs.Handler())
			defer web.Close()
			conn := connect(t, serveEngine(t, eng))
			run(t, conn, `CREATE TABLE t (k BIGINT, s VARCHAR)`)
			run(t, conn, `CREATE MATERIALIZED VIEW v AS SELECT k, COUNT(*) AS n FROM t GROUP BY k`)
			m := scrape(t, web.URL)
			small := m.get("streamsql_checkpoint_last_bytes", nil).GetGauge().GetValue()
			if small <= 0 {
				t.Fatalf("checkpoint bytes %v", small)
			}
			before := m.get("streamsql_checkpoints_total", nil).GetCounter().GetValue()
			var vals []string
			for i := range 2000 {
				vals = append(vals, fmt.Sprintf("(%d, '%s')", i, strings.Repeat("x", i%50)))
			}
			run(t, conn, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
			if err := eng.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			m = scrape(t, web.URL)
			m.want(t, "streamsql_checkpoints_total", nil, before+1)
			big := m.get("streamsql_checkpoint_last_bytes", nil).GetGauge().GetValue()
			if big <= small+2000*8 {
				t.Errorf("checkpoint of 2,000 groups: %v bytes, first %v", big, small)
			}
			if name != "pebble" {
				return
			}
			if err := eng.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			m = scrape(t, web.URL)
			m.want(t, "streamsql_checkpoints_total", nil, before+2)
			if same := m.get("streamsql_checkpoint_last_bytes", nil).GetGauge().GetValue(); same <= 0 || same >= big-2000*8 {
				t.Errorf("checkpoint with no change: %v bytes, the one before %v", same, big)
			}
			var rowBytes int64
			if err := conn.QueryRow(context.Background(), `SELECT last_bytes FROM streamsql_catalog.checkpoints`).Scan(&rowBytes); err != nil {
				t.Fatal(err)
			}
			if float64(rowBytes) != m.get("streamsql_checkpoint_last_bytes", nil).GetGauge().GetValue() {
				t.Errorf("streamsql_catalog.checkpoints says %d bytes, /metrics %v", rowBytes, m.get("streamsql_checkpoint_last_bytes", nil).GetGauge().GetValue())
			}
		})
	}
}
