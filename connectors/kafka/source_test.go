package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/twmb/franz-go/pkg/kfake"
	fgo "github.com/twmb/franz-go/pkg/kgo"
)

// TestSourceBatchesAFetch: the records of one fetch reach the engine in
// as few deliveries as batchRows allows, not in many small ones, with
// every offset and row.
func TestSourceBatchesAFetch(t *testing.T) {
	addr, cl := testBroker(t, 1, "t")
	const n = 5000
	var recs []*fgo.Record
	for i := range n {
		recs = append(recs, &fgo.Record{Topic: "t", Value: fmt.Appendf(nil, `{"x": %d}`, i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	s, err := NewSource(&catalog.Relation{Name: "t", Columns: []catalog.Column{{Name: "x", Type: types.BigInt}},
		Options: map[string]string{"connector": "kafka", "brokers": addr, "topic": "t", "format": "json"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := &recordOutput{done: make(chan struct{}), want: n}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, nil, out) }()
	select {
	case <-out.done:
	case err := <-ran:
		t.Fatalf("the source stopped: %v (%s)", err, s.Status())
	case <-time.After(30 * time.Second):
		t.Fatalf("not all records read within 30 s: %s", s.Status())
	}
	cancel()
	<-ran
	if out.sum != n*(n-1)/2 || out.next != n {
		t.Fatalf("read rows summing to %d up to offset %d, want %d up to %d", out.sum, out.next, n*(n-1)/2, n)
	}
	// One fetch holds them all: one delivery, or a few if the broker
	// splits them; 1,024-row batches made five.
	if out.withRows > 2 {
		t.Errorf("%d records came in %d deliveries (sizes %v), want at most 2", n, out.withRows, out.sizes)
	}
}

// recordOutput records what partition 0 delivers.
type recordOutput struct {
	want, rows, withRows int
	sizes                []int
	sum, next            int64
	done                 chan struct{}
}

func (o *recordOutput) Partitions(int) {}

func (o *recordOutput) Deliver(p int, rows *vec.Batch, next int64, c Counts) error {
	if rows.N > 0 {
		o.withRows++
		o.sizes = append(o.sizes, rows.N)
	}
	for _, x := range rows.Cols[0].I64[:rows.N] {
		o.sum += x
	}
	o.next = next
	if o.rows < o.want && o.rows+rows.N >= o.want {
		close(o.done)
	}
	o.rows += rows.N
	return nil
}

// TestSourceRereadsAStaleBatch: a batch decoded for the columns read
// before SetRead widened them is refused (ErrStale) and read again, so
// the rows delivered after the change all hold the new column.
func TestSourceRereadsAStaleBatch(t *testing.T) {
	addr, cl := testBroker(t, 1, "t")
	const n = 100
	var recs []*fgo.Record
	for i := range n {
		recs = append(recs, &fgo.Record{Topic: "t", Value: fmt.Appendf(nil, `{"x": %d, "y": %d}`, i, 2*i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	s, err := NewSource(&catalog.Relation{Name: "t", Columns: []catalog.Column{{Name: "x", Type: types.BigInt}, {Name: "y", Type: types.BigInt}},
		Options: map[string]string{"connector": "kafka", "brokers": addr, "topic": "t", "format": "json"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetRead([]bool{true, false})
	out := &widenOutput{s: s, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, nil, out) }()
	select {
	case <-out.done:
	case err := <-ran:
		t.Fatalf("the source stopped: %v (%s)", err, s.Status())
	case <-time.After(30 * time.Second):
		t.Fatalf("not all records read within 30 s: %s", s.Status())
	}
	cancel()
	<-ran
	if out.stale != 1 || out.rows != n || out.bad != "" {
		t.Errorf("stale deliveries %d (want 1), rows taken %d (want %d), %s", out.stale, out.rows, n, out.bad)
	}
}

// widenOutput stands for the engine: at the first delivery of rows, a
// view that reads column y comes (SetRead), and the rows, decoded
// without y, are refused; it then checks that every row it takes holds y.
type widenOutput struct {
	s          *Source
	stale      int
	rows       int
	bad        string
	done       chan struct{}
	widenedYet bool
}

func (o *widenOutput) Partitions(int) {}

func (o *widenOutput) Deliver(p int, rows *vec.Batch, next int64, c Counts) error {
	if rows.N == 0 {
		return nil
	}
	if !o.widenedYet {
		o.widenedYet = true
		o.s.SetRead([]bool{true, true})
	}
	if !o.s.Current(c.Read) {
		o.stale++
		return ErrStale
	}
	for i := 0; i < rows.N; i++ {
		if rows.Cols[1].IsNull(i) || rows.Cols[1].I64[i] != 2*rows.Cols[0].I64[i] {
			o.bad = fmt.Sprintf("row %d: y is NULL or not 2x", o.rows+i)
		}
	}
	o.rows += rows.N
	if o.rows == 100 {
		close(o.done)
	}
	return nil
}

// testBroker starts an in-process broker (kfake) with topic's partitions
// and a producing client on it, both closed when the test ends.
func testBroker(t testing.TB, partitions int32, topic string) (string, *fgo.Client) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	cl, err := fgo.NewClient(fgo.SeedBrokers(addr), fgo.RecordPartitioner(fgo.ManualPartitioner()), fgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return addr, cl
}
