package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/pebble"
	"github.com/streamsql/streamsql/wire"
	"github.com/streamsql/streamsql/wire/httpserve"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMetricsEndpoint drives a durable engine on Pebble over the wire and
// scrapes /metrics after each step, checking the figures against a Go
// reference of seeded inserts with NULLs, edge keys and late rows: rows,
// late rows, watermark and its lag, view rows, checkpoints, statements;
// then a partitioned datagen source's per-partition event times. /readyz
// answers 503 until the engine has recovered.
func TestMetricsEndpoint(t *testing.T) {
	hs := httpserve.New()
	web := httptest.NewServer(hs.Handler())
	defer web.Close()
	if code := get(t, web.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz before recovery: %d", code)
	}
	if code := get(t, web.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before recovery: %d, want 503", code)
	}
	backend, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 1, 0, 10, 0, 0, time.UTC)
	eng, stop := openDurable(t, backend, t.TempDir(), engine.Options{Clock: func() time.Time { return now }})
	defer stop()
	if err := hs.Ready(eng.Collector()); err != nil {
		t.Fatal(err)
	}
	if code := get(t, web.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after recovery: %d, want 200", code)
	}
	srv := wire.NewServer(hs.Meter(eng), wire.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn := connect(t, srv.Addr().String())
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	m := scrape(t, web.URL)
	m.want(t, "streamsql_checkpoints_total", nil, 1) // Open's
	m.want(t, "streamsql_wire_sessions", nil, 1)

	exec(`CREATE TABLE t (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`)
	exec(`CREATE MATERIALIZED VIEW v AS SELECT k, COUNT(*) AS n FROM t GROUP BY k`)
	m = scrape(t, web.URL)
	m.want(t, "streamsql_source_rows_total", labels{"source": "t"}, 0)
	m.absent(t, "streamsql_source_watermark_seconds", labels{"source": "t"})
	m.want(t, "streamsql_view_rows", labels{"view": "v"}, 0)
	m.want(t, "streamsql_checkpoints_total", nil, 3) // and one per DDL
	m.want(t, "streamsql_relations", labels{"kind": "materialized_view"}, 1)

	// The reference: the watermark is the largest event time of earlier
	// INSERTs less a second; a row behind it is late.
	rng := rand.New(rand.NewPCG(20, 1))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	edge := []string{"NULL", fmt.Sprint(int64(math.MinInt64)), fmt.Sprint(int64(math.MaxInt64)), "0", "-1"}
	var rows, late, changes int
	wm, maxTs := int64(math.MinInt64), int64(math.MinInt64)
	keys := map[string]bool{}
	inserts := 0
	for batch := range 12 {
		var vals []string
		batchMax := int64(math.MinInt64)
		touched := map[string]bool{}
		for range 1 + rng.IntN(40) {
			k := fmt.Sprint(rng.IntN(30) - 10)
			if rng.IntN(8) == 0 {
				k = edge[rng.IntN(len(edge))]
			}
			if !touched[k] {
				// The view's changes: a new group's row, or an old
				// group's retraction and its new row (one an INSERT).
				touched[k] = true
				changes += 1 + bool01(keys[k])
			}
			keys[k] = true
			ts := "NULL"
			if rng.IntN(10) != 0 {
				us := base + int64(batch)*1_500_000 + rng.Int64N(4_000_000) - 2_000_000
				if us < wm {
					late++
				}
				batchMax = max(batchMax, us)
				ts = "'" + time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999") + "'"
			}
			vals = append(vals, "("+k+", "+ts+")")
			rows++
		}
		exec("INSERT INTO t VALUES " + strings.Join(vals, ", "))
		inserts++
		if batchMax != math.MinInt64 {
			maxTs = max(maxTs, batchMax)
			wm = max(wm, maxTs-1_000_000)
		}
		m = scrape(t, web.URL)
		m.want(t, "streamsql_source_rows_total", labels{"source": "t"}, float64(rows))
		m.want(t, "streamsql_source_late_rows_total", labels{"source": "t"}, float64(late))
		m.want(t, "streamsql_source_watermark_seconds", labels{"source": "t"}, float64(wm)/1e6)
		m.want(t, "streamsql_source_watermark_lag_seconds", labels{"source": "t"}, float64(now.UnixMicro()-wm)/1e6)
		m.want(t, "streamsql_view_rows", labels{"view": "v"}, float64(len(keys)))
		m.want(t, "streamsql_view_rows_in_total", labels{"view": "v"}, float64(rows))
		m.want(t, "streamsql_view_rows_out_total", labels{"view": "v"}, float64(changes))
	}
	if late == 0 {
		t.Fatal("the seed gave no late rows")
	}
	if err := eng.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT * FROM missing"); err == nil {
		t.Error("SELECT from a missing table succeeded")
	}
	m = scrape(t, web.URL)
	m.want(t, "streamsql_checkpoints_total", nil, 4)
	m.want(t, "streamsql_checkpoint_failures_total", nil, 0)
	if h := m.get("streamsql_checkpoint_duration_seconds", nil); h == nil || h.GetHistogram().GetSampleCount() != 4 {
		t.Errorf("checkpoint histogram: %v, want 4 samples", h)
	}
	if a := m.get("streamsql_checkpoint_last_success_age_seconds", nil); a == nil || a.GetGauge().GetValue() < 0 {
		t.Errorf("checkpoint age: %v", a)
	}
	m.want(t, "streamsql_wire_statements_total", labels{"command": "INSERT", "sqlstate_class": "00"}, float64(inserts))
	m.want(t, "streamsql_wire_statements_total", labels{"command": "CREATE MATERIALIZED VIEW", "sqlstate_class": "00"}, 1)
	m.want(t, "streamsql_wire_statements_total", labels{"command": "SELECT", "sqlstate_class": "42"}, 1)
	if m.get("go_goroutines", nil) == nil {
		t.Error("no Go runtime metrics")
	}

	// A partitioned datagen source: row n has event time start + n ms and
	// partition n mod 3, so after FLUSH each partition's largest event
	// time is that of its last row and the watermark the least of them.
	exec(`CREATE SOURCE gen (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
		WITH (connector = 'datagen', rows_per_second = 0, max_rows = 3000, partitions = 3, seed = 7, fields.id.kind = 'sequence')`)
	exec(`CREATE MATERIALIZED VIEW g AS SELECT id % 10 AS b, COUNT(*) AS n FROM gen GROUP BY id % 10`)
	exec(`FLUSH`)
	m = scrape(t, web.URL)
	start := float64(base) / 1e6
	m.want(t, "streamsql_source_rows_total", labels{"source": "gen"}, 3000)
	m.want(t, "streamsql_source_bad_rows_total", labels{"source": "gen"}, 0)
	m.want(t, "streamsql_source_failed", labels{"source": "gen"}, 0)
	for p, last := range []float64{2997, 2998, 2999} {
		m.want(t, "streamsql_source_partition_max_event_time_seconds", labels{"source": "gen", "partition": fmt.Sprint(p)}, start+last/1000)
		m.want(t, "streamsql_source_partition_idle", labels{"source": "gen", "partition": fmt.Sprint(p)}, 0)
	}
	m.want(t, "streamsql_source_watermark_seconds", labels{"source": "gen"}, start+2.997)
	m.want(t, "streamsql_view_rows", labels{"view": "g"}, 10)
	m.want(t, "streamsql_view_cached_groups", labels{"view": "g"}, 10)
	m.want(t, "streamsql_view_rows_in_total", labels{"view": "g"}, 3000)
	if out := m.get("streamsql_view_rows_out_total", labels{"view": "g"}); out == nil || out.GetCounter().GetValue() < 10 {
		t.Errorf("view g's rows out: %v, want at least its 10 groups", out)
	}
	m.want(t, "streamsql_view_expression_errors_total", labels{"view": "g"}, 0)
	m.want(t, "streamsql_view_failed", labels{"view": "g"}, 0)
	m.want(t, "streamsql_checkpoints_total", nil, 6)

	// The README lists what is served, and no more (sinks and Kafka
	// offsets and bytes aside, which this test has not).
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, name := range regexp.MustCompile("`(streamsql_[a-z_]+)`").FindAllStringSubmatch(string(readme), -1) {
		if name[1] != "streamsql_catalog" { // the schema of the system views
			listed[name[1]] = true
		}
	}
	for name := range m {
		if strings.HasPrefix(name, "streamsql_") && !listed[name] {
			t.Errorf("README's Metrics section lacks %s", name)
		}
	}
	for name := range listed {
		if m[name] == nil && !strings.HasPrefix(name, "streamsql_sink_") && !strings.HasPrefix(name, "streamsql_subscription") &&
			!strings.HasPrefix(name, "streamsql_source_partition_") && name != "streamsql_source_bytes_total" && name != "streamsql_checkpoint_last_bytes" {
			t.Errorf("README lists %s, which /metrics lacks", name)
		}
	}
}

// TestMetricsKafka: a Kafka source's per-partition offsets and bad rows,
// and a sink's acknowledged records, against what was produced and what
// SHOW SINKS says.
func TestMetricsKafka(t *testing.T) {
	kafkaAddr, cl := startKafka(t, "in", "out")
	conn, web := startScraped(t)
	run(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT) WITH (connector = 'kafka', brokers = '%s', topic = 'in', format = 'csv')`, kafkaAddr))
	run(t, conn, `CREATE MATERIALIZED VIEW per AS SELECT n % 5 AS k, COUNT(*) AS c FROM ev GROUP BY n % 5`)
	run(t, conn, fmt.Sprintf(`CREATE SINK s FROM per WITH (connector = 'kafka', brokers = '%s', topic = 'out')`, kafkaAddr))
	rng := rand.New(rand.NewPCG(21, 2))
	var offsets [4]int
	good, bad := 0, 0
	var recs []*kgo.Record
	for range 200 {
		p := rng.IntN(3) // partition 3 gets none
		v := fmt.Sprint(rng.Int64N(1000) - 500)
		if rng.IntN(10) == 0 {
			v, bad = "x"+v, bad+1
		} else {
			good++
		}
		offsets[p]++
		recs = append(recs, &kgo.Record{Topic: "in", Partition: int32(p), Value: []byte(v)})
	}
	produce(t, cl, recs...)
	run(t, conn, "FLUSH")
	m := scrape(t, web.URL)
	m.want(t, "streamsql_source_rows_total", labels{"source": "ev"}, float64(good))
	m.want(t, "streamsql_source_bad_rows_total", labels{"source": "ev"}, float64(bad))
	for p, off := range offsets[:3] {
		m.want(t, "streamsql_source_partition_offset", labels{"source": "ev", "partition": fmt.Sprint(p)}, float64(off))
	}
	m.want(t, "streamsql_view_rows", labels{"view": "per"}, 9) // n % 5 of negative n too
	sent, err := strconv.Atoi(oracleQuery(t, conn, "SHOW SINKS")[0][3])
	if err != nil || sent == 0 {
		t.Fatalf("SHOW SINKS: %d records (%v)", sent, err)
	}
	m.want(t, "streamsql_sink_records_acknowledged_total", labels{"sink": "s"}, float64(sent))
	m.want(t, "streamsql_sink_records_sent_total", labels{"sink": "s"}, float64(sent)) // no write failed
	m.want(t, "streamsql_sink_records_failed_total", labels{"sink": "s"}, 0)
	m.want(t, "streamsql_sink_records_queued", labels{"sink": "s"}, 0) // FLUSH waited for them
	m.want(t, "streamsql_sink_failed", labels{"sink": "s"}, 0)
}

// TestMetricsDuringDDL scrapes without pause while views are created,
// fed and dropped, for the race detector and for a collector that reads
// a relation DROP has just taken apart.
func TestMetricsDuringDDL(t *testing.T) {
	conn, web := startScraped(t)
	run(t, conn, "CREATE TABLE t (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)")
	done := make(chan struct{})
	scrapes := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				scrapes <- n
				return
			default:
				resp, err := http.Get(web.URL + "/metrics")
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					n++
				}
			}
		}
	}()
	for i := range 20 {
		run(t, conn, "CREATE MATERIALIZED VIEW v AS SELECT k, COUNT(*) AS n FROM t GROUP BY k")
		run(t, conn, fmt.Sprintf("INSERT INTO t VALUES (%d, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d' SECOND), (NULL, NULL)", i, i))
		run(t, conn, "DROP MATERIALIZED VIEW v")
	}
	close(done)
	if n := <-scrapes; n == 0 {
		t.Error("no scrape succeeded")
	}
	m := scrape(t, web.URL)
	m.want(t, "streamsql_source_rows_total", labels{"source": "t"}, 40)
	m.absent(t, "streamsql_view_rows", labels{"view": "v"})
}

// startScraped starts an engine behind the wire and the HTTP endpoints,
// returning a connection and the endpoints' server.
func startScraped(t *testing.T) (*pgx.Conn, *httptest.Server) {
	addr, eng := startEngine(t)
	hs := httpserve.New()
	if err := hs.Ready(eng.Collector()); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(hs.Handler())
	t.Cleanup(web.Close)
	return connect(t, addr), web
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type labels map[string]string

// scraped is one /metrics answer, parsed by Prometheus' own text parser.
type scraped map[string]*dto.MetricFamily

func scrape(t *testing.T, url string) scraped {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// get returns the metric named name whose labels include ls, or nil.
func (s scraped) get(name string, ls labels) *dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range ls {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func (s scraped) want(t *testing.T, name string, ls labels, want float64) {
	t.Helper()
	m := s.get(name, ls)
	if m == nil {
		t.Errorf("%s%v: missing", name, ls)
		return
	}
	got := m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
	if math.Abs(got-want) > 1e-5 { // µs of Unix seconds survive float64
		t.Errorf("%s%v = %v, want %v", name, ls, got, want)
	}
}

func (s scraped) absent(t *testing.T, name string, ls labels) {
	t.Helper()
	if m := s.get(name, ls); m != nil {
		t.Errorf("%s%v = %v, want none", name, ls, m)
	}
}

func bool01(b bool) int {
	if b {
		return 1
	}
	return 0
}
