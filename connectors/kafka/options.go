// Package kafka reads Kafka topics into streamsql sources and writes views
// into Kafka topics, over github.com/segmentio/kafka-go.
//
// A source owns its offsets: they are not committed to a consumer group
// but delivered with the rows they produced, so the engine stores them in
// its checkpoints with the state those rows built, and a restart seeks
// every partition to its checkpointed offset (exactly-once views).
package kafka

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	kgo "github.com/segmentio/kafka-go"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// config is what every Kafka source and sink option parses into.
type config struct {
	brokers []string
	topic   string
	// timeout bounds the checks at CREATE time (connect_timeout).
	timeout time.Duration
}

// parseCommon reads brokers, topic and connect_timeout from opts,
// removing them.
func parseCommon(opts map[string]string) (config, error) {
	c := config{timeout: 5 * time.Second}
	b, _ := take(opts, "brokers")
	for _, s := range strings.Split(b, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if _, _, err := net.SplitHostPort(s); err != nil {
				return c, sqlerr.New(sqlerr.InvalidParameter, "brokers: %q is not host:port", s)
			}
			c.brokers = append(c.brokers, s)
		}
	}
	if len(c.brokers) == 0 {
		return c, sqlerr.New(sqlerr.InvalidParameter, "a Kafka connector needs brokers = 'host:port[,host:port...]'")
	}
	c.topic, _ = take(opts, "topic")
	if c.topic == "" {
		return c, sqlerr.New(sqlerr.InvalidParameter, "a Kafka connector needs topic = '...'")
	}
	if v, ok := take(opts, "connect_timeout"); ok {
		us, err := parser.ParseDuration(v)
		if err != nil || us <= 0 {
			return c, sqlerr.New(sqlerr.InvalidParameter, "connect_timeout = %q: want an interval such as '5 seconds'", v)
		}
		c.timeout = time.Duration(us) * time.Microsecond
	}
	return c, nil
}

func take(opts map[string]string, k string) (string, bool) {
	v, ok := opts[k]
	delete(opts, k)
	return v, ok
}

// client returns a client with its own transport: kafka-go's default one
// keeps a goroutine per cluster for good, and closing ours ends it.
func (c config) client() (*kgo.Client, *kgo.Transport) {
	t := &kgo.Transport{DialTimeout: c.timeout, MetadataTTL: time.Second}
	return &kgo.Client{Addr: kgo.TCP(c.brokers...), Timeout: 30 * time.Second, Transport: t}, t
}

// unknownOptions rejects what no part of the connector used.
func unknownOptions(what string, opts map[string]string) error {
	for k := range opts {
		return sqlerr.New(sqlerr.InvalidParameter, "unknown %s option %q", what, k)
	}
	return nil
}

// reachError turns a failed metadata request at CREATE time into the
// error the user sees.
func reachError(c config, err error) error {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, errTimeout) {
		return sqlerr.New(sqlerr.ExternalSystem, "cannot reach Kafka brokers %s within %s: %v", strings.Join(c.brokers, ","), c.timeout, err)
	}
	return sqlerr.New(sqlerr.ExternalSystem, "Kafka brokers %s: %v", strings.Join(c.brokers, ","), err)
}

var errTimeout = errors.New("timed out")

// partitions asks the first broker that answers how many partitions
// topic has, over a connection of its own (fresh metadata).
func (c config) partitions(ctx context.Context, topic string) (int, error) {
	d := &kgo.Dialer{Timeout: c.timeout}
	var err error
	for _, b := range c.brokers {
		var conn *kgo.Conn
		if conn, err = d.DialContext(ctx, "tcp", b); err != nil {
			continue
		}
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		} else {
			conn.SetDeadline(time.Now().Add(c.timeout))
		}
		var ps []kgo.Partition
		ps, err = conn.ReadPartitions(topic)
		conn.Close()
		if err == nil {
			return len(ps), nil
		}
		if errors.Is(err, kgo.UnknownTopicOrPartition) {
			return 0, err
		}
	}
	return 0, err
}
