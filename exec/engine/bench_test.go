package engine_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEvents is how many events each benchmark iteration reads.
const benchEvents = 400_000

// reportRate reports events per wall second and per CPU second (events/s
// per core: the whole process's CPU, so what else runs in it counts too).
func reportRate(b *testing.B, events int, wall, cpu time.Duration) {
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// benchTumble times a tumbling count per auction over the source that
// createSource declares (named bids), from CREATE MATERIALIZED VIEW to the
// end of FLUSH, on a fresh server per iteration.
func benchTumble(b *testing.B, createSource string) {
	var wall, cpu time.Duration
	for i := 0; i < b.N; i++ {
		conn := connect(b, startServer(b))
		ctx := context.Background()
		exec := func(sql string) {
			if _, err := conn.Exec(ctx, sql); err != nil {
				b.Fatalf("%s: %v", sql, err)
			}
		}
		exec(createSource)
		t0, c0 := time.Now(), cpuTime()
		exec(`CREATE MATERIALIZED VIEW per_auction AS SELECT window_start, auction, COUNT(*) AS n
			FROM bids GROUP BY TUMBLE(date_time, INTERVAL '10' SECOND), auction`)
		exec("FLUSH")
		wall, cpu = wall+time.Since(t0), cpu+cpuTime()-c0
	}
	reportRate(b, benchEvents*b.N, wall, cpu)
}

// BenchmarkKafkaJSONTumble reads a JSON topic of 4 partitions from an
// in-process broker (kfake, on loopback) into a tumbling count per key:
// decoding, fetching and the broker's own work are all in the figure,
// against BenchmarkDatagenTumble's generator.
func BenchmarkKafkaJSONTumble(b *testing.B) {
	addr, cl := startKafka(b, "bids")
	var recs []*kgo.Record
	for i := 0; i < benchEvents; i++ {
		recs = append(recs, &kgo.Record{Topic: "bids", Partition: int32(i % 4),
			Value: fmt.Appendf(nil, `{"auction": %d, "bidder": %d, "price": %d, "date_time": "2024-01-01 %02d:%02d:%02d.%03d", "extra": ""}`,
				i%1000, i%5000, i%997, i/3600000, i/60000%60, i/1000%60, i%1000)})
	}
	for i := 0; i < len(recs); i += 10000 {
		if err := cl.ProduceSync(context.Background(), recs[i:min(i+10000, len(recs))]...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	benchTumble(b, fmt.Sprintf(`CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3), extra VARCHAR,
		WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		WITH (connector = 'kafka', brokers = '%s', topic = 'bids', format = 'json')`, addr))
}

// BenchmarkDatagenTumble is the same tumbling count fed by the built-in
// generator, unpaced.
func BenchmarkDatagenTumble(b *testing.B) {
	benchTumble(b, fmt.Sprintf(`CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
		WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		WITH (connector = 'datagen', rows_per_second = 0, max_rows = %d, fields.auction.max = 999)`, benchEvents))
}

// BenchmarkPreparedQuery measures one round trip of a prepared query with
// a parameter through pgx's default mode (the extended protocol, from its
// statement cache) against a 1,000-row table: Bind, Execute, Sync, and
// the plan made again for the bound value.
func BenchmarkPreparedQuery(b *testing.B) {
	addr := startServer(b)
	conn := connectMode(b, addr, false)
	mustExec(b, conn, "CREATE TABLE kv (k BIGINT, v VARCHAR)")
	for i := range 10 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO kv VALUES ")
		for j := range 100 {
			if j > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, 'v%d')", i*100+j, i*100+j)
		}
		mustExec(b, conn, sb.String())
	}
	ctx := context.Background()
	var v string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := conn.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1", int64(i%1000)).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// nexmarkBenchEvents is how many Nexmark events (all three kinds; 92% are
// bids) each iteration of BenchmarkNexmark generates.
const nexmarkBenchEvents = 1_000_000

// BenchmarkNexmark runs each query of testdata/nexmark over the nexmark
// connector's bid stream, unpaced at the reference's event rate, from
// CREATE MATERIALIZED VIEW to the end of FLUSH on a fresh in-memory
// server: generation, the query and materializing its result are all in
// the figure. events/cpu-s counts CPU time of the whole process, so it is
// events/s per core.
func BenchmarkNexmark(b *testing.B) {
	ddl, err := os.ReadFile("../../testdata/nexmark/bid.sql")
	if err != nil {
		b.Fatal(err)
	}
	source := regexp.MustCompile(`events = \d+, event_rate = \d+`).ReplaceAllString(string(ddl), fmt.Sprintf("events = %d", nexmarkBenchEvents))
	for _, q := range []string{"q0", "q1", "q2", "q5agg", "q7agg", "q11", "q12"} {
		view, err := os.ReadFile("../../testdata/nexmark/" + q + ".sql")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q, func(b *testing.B) {
			var wall, cpu time.Duration
			for i := 0; i < b.N; i++ {
				conn := connect(b, startServer(b))
				mustExec(b, conn, source)
				t0, c0 := time.Now(), cpuTime()
				mustExec(b, conn, string(view))
				mustExec(b, conn, "FLUSH")
				wall, cpu = wall+time.Since(t0), cpu+cpuTime()-c0
			}
			reportRate(b, nexmarkBenchEvents*b.N, wall, cpu)
		})
	}
}
