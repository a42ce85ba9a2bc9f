package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	kgo "github.com/segmentio/kafka-go"
	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

// kafkaViews are the bench queries fed from Kafka, each with the view file
// it runs over bid_kafka.sql's source instead of the generator: the same
// bids, as JSON records, from a broker in a process of its own, so that
// the engine child's CPU time is the engine's alone (fetching, decoding
// and the view), not the broker's.
var kafkaViews = map[string]string{"kafkakeys": "tumblekeys", "kafkakeysupd": "tumblekeysupd"}

// kafkaPartitions is how many partitions a bench topic has. Bid i goes to
// partition i % kafkaPartitions, so each partition is in event-time order.
const kafkaPartitions = 4

// benchBroker is `streamsql dev-kafka` run as a child process of bench,
// holding a topic of JSON bids for each event count asked for.
type benchBroker struct {
	cmd    *exec.Cmd
	addr   string
	topics map[int64]benchTopic
}

type benchTopic struct {
	name    string
	records int64
}

// startBroker starts `self dev-kafka` on a free loopback port and waits,
// at most 10 s, for it to print where it listens.
func startBroker(self string) (*benchBroker, error) {
	cmd := exec.Command(self, "dev-kafka", "--port", "0", "--partitions", strconv.Itoa(kafkaPartitions))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting dev-kafka: %w", err)
	}
	b := &benchBroker{cmd: cmd, topics: map[int64]benchTopic{}}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Scan()
		first <- sc.Text()
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-first:
		m := regexp.MustCompile(`on (127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
		if m == nil {
			b.close()
			return nil, fmt.Errorf("dev-kafka printed %q: no address", line)
		}
		b.addr = m[1]
		return b, nil
	case <-time.After(10 * time.Second):
		b.close()
		return nil, errors.New("dev-kafka printed no address within 10 s")
	}
}

func (b *benchBroker) close() {
	b.cmd.Process.Kill()
	b.cmd.Wait()
}

// topic returns a topic holding, as JSON records, the bids among the
// first events events of bid.sql's generator, and how many there are;
// the first call for a count creates and fills it.
func (b *benchBroker) topic(dir string, events int64) (string, int64, error) {
	if t, ok := b.topics[events]; ok {
		return t.name, t.records, nil
	}
	source, err := generatorSource(benchFS(dir), "bid", events)
	if err != nil {
		return "", 0, err
	}
	st, err := parser.ParseOne(source)
	if err != nil {
		return "", 0, err
	}
	rel, err := (&planner.Planner{}).Relation(st.(*parser.CreateRelation))
	if err != nil {
		return "", 0, err
	}
	rel = rel.Physical() // bid_kafka.sql's columns: bid.sql's without p_time
	g, err := nexmark.New(rel)
	if err != nil {
		return "", 0, err
	}
	ts := rel.ColumnIndex("date_time")
	if ts < 0 {
		return "", 0, errors.New("bid.sql has no date_time column")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	name := fmt.Sprintf("bid-%d", events)
	cl := &kgo.Client{Addr: kgo.TCP(b.addr), Timeout: 30 * time.Second}
	resp, err := cl.CreateTopics(ctx, &kgo.CreateTopicsRequest{Topics: []kgo.TopicConfig{{Topic: name, NumPartitions: kafkaPartitions, ReplicationFactor: 1}}})
	if err == nil {
		err = resp.Errors[name]
	}
	if err != nil {
		return "", 0, fmt.Errorf("creating topic %s: %w", name, err)
	}
	pending := make([][]kgo.Record, kafkaPartitions)
	produce := func(p int) error {
		if len(pending[p]) == 0 {
			return nil
		}
		resp, err := cl.Produce(ctx, &kgo.ProduceRequest{Topic: name, Partition: p, RequiredAcks: kgo.RequireAll, Records: kgo.NewRecordReader(pending[p]...)})
		if err == nil {
			err = resp.Error
		}
		pending[p] = pending[p][:0]
		if err != nil {
			return fmt.Errorf("producing to %s: %w", name, err)
		}
		return nil
	}
	batch := vec.NewBatch(catalog.Types(rel.Columns), 1024)
	var n int64
	for p := g.Next(); p >= 0; p = g.Next() {
		batch.Reset()
		g.Fill(batch, p, 1024)
		for i := 0; i < batch.N; i++ {
			part := int(n % kafkaPartitions)
			pending[part] = append(pending[part], kgo.Record{Time: time.UnixMicro(batch.Cols[ts].I64[i]),
				Value: kgo.NewBytes(format.AppendJSON(nil, rel.Columns, batch, i, nil))})
			n++
			if len(pending[part]) == 2048 {
				if err := produce(part); err != nil {
					return "", 0, err
				}
			}
		}
	}
	for p := range pending {
		if err := produce(p); err != nil {
			return "", 0, err
		}
	}
	b.topics[events] = benchTopic{name, n}
	return name, n, nil
}

// kafkaSource is bid_kafka.sql reading topic from brokers.
func kafkaSource(ddl, brokers, topic string) string {
	return regexp.MustCompile(`brokers = '[^']*', topic = '[^']*'`).ReplaceAllLiteralString(ddl,
		fmt.Sprintf("brokers = '%s', topic = '%s'", brokers, topic))
}
