package kafka

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	fgo "github.com/twmb/franz-go/pkg/kgo"
)

// sourceBenchEvents is how many records each iteration of
// BenchmarkSourceJSON reads, over 4 partitions.
const sourceBenchEvents = 200_000

// BenchmarkSourceJSON reads a JSON topic of 4 partitions (the bids of
// exec/engine's BenchmarkKafkaJSONTumble, about 110 bytes each) from an
// in-process broker into rows, with no engine behind the source: fetching,
// kafka-go's record decoding, our JSON decoding and batching. The broker
// (kfake) runs in the process, so events/cpu-s and allocs/rec count its
// work too; a CPU profile tells the two apart by package.
func BenchmarkSourceJSON(b *testing.B) {
	addr, cl := testBroker(b, 4, "bids")
	var recs []*fgo.Record
	for i := range sourceBenchEvents {
		recs = append(recs, &fgo.Record{Topic: "bids", Partition: int32(i % 4),
			Value: fmt.Appendf(nil, `{"auction": %d, "bidder": %d, "price": %d, "date_time": "2024-01-01 %02d:%02d:%02d.%03d", "extra": ""}`,
				i%1000, i%5000, i%997, i/3600000, i/60000%60, i/1000%60, i%1000)})
	}
	for i := 0; i < len(recs); i += 10000 {
		if err := cl.ProduceSync(context.Background(), recs[i:min(i+10000, len(recs))]...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	rel := &catalog.Relation{Name: "bids", Columns: []catalog.Column{
		{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt}, {Name: "price", Type: types.BigInt},
		{Name: "date_time", Type: types.T{Kind: types.Timestamp, Prec: 3}}, {Name: "extra", Type: types.Varchar},
	}, Options: map[string]string{"connector": "kafka", "brokers": addr, "topic": "bids", "format": "json"}}
	var cpu time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for range b.N {
		s, err := NewSource(rel)
		if err != nil {
			b.Fatal(err)
		}
		out := &countOutput{want: sourceBenchEvents / 4, done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		c0 := cpuTime()
		ran := make(chan error, 1)
		go func() { ran <- s.Run(ctx, nil, out) }()
		select {
		case <-out.done:
		case err := <-ran:
			b.Fatalf("the source stopped: %v (%s)", err, s.Status())
		case <-time.After(time.Minute):
			b.Fatalf("not all records read within a minute: %s", s.Status())
		}
		cpu += cpuTime() - c0
		cancel()
		<-ran
		s.Close()
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	n := float64(b.N * sourceBenchEvents)
	b.ReportMetric(n/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/n, "allocs/rec")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/n, "B/rec")
	b.ReportMetric(0, "ns/op")
}

// countOutput counts the rows delivered and closes done once every
// partition has delivered want rows.
type countOutput struct {
	mu   sync.Mutex
	want int
	rows []int
	left int
	done chan struct{}
}

func (o *countOutput) Partitions(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.rows) < n {
		o.rows = append(o.rows, 0)
		o.left++
	}
}

func (o *countOutput) Deliver(p int, rows *vec.Batch, next int64, c Counts) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c.Bad > 0 {
		return fmt.Errorf("partition %d: %d bad records", p, c.Bad)
	}
	before := o.rows[p]
	o.rows[p] += rows.N
	if before < o.want && o.rows[p] >= o.want {
		if o.left--; o.left == 0 {
			close(o.done)
		}
	}
	return nil
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
