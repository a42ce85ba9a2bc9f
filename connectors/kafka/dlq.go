package kafka

import (
	"context"
	"strconv"
	"time"

	kgo "github.com/segmentio/kafka-go"
)

// deadLetters collects the bad records of one partition and writes them to
// dlq_topic: the record's key and value as they were, with the error and
// where the record came from in headers.
type deadLetters struct {
	w       *kgo.Writer
	tr      *kgo.Transport
	topic   string
	part    []byte
	pending []kgo.Message
}

func newDeadLetters(c config, dlq, topic string, p int) *deadLetters {
	_, tr := c.client()
	return &deadLetters{
		w: &kgo.Writer{Addr: kgo.TCP(c.brokers...), Topic: dlq, Balancer: &kgo.Hash{}, Transport: tr,
			BatchTimeout: time.Millisecond, RequiredAcks: kgo.RequireAll},
		tr: tr, topic: topic, part: strconv.AppendInt(nil, int64(p), 10),
	}
}

func (d *deadLetters) add(key, val []byte, offset int64, err error) {
	d.pending = append(d.pending, kgo.Message{
		Key:   append([]byte(nil), key...),
		Value: append([]byte(nil), val...),
		Headers: []kgo.Header{
			{Key: "error", Value: []byte(err.Error())},
			{Key: "source_topic", Value: []byte(d.topic)},
			{Key: "source_partition", Value: d.part},
			{Key: "source_offset", Value: strconv.AppendInt(nil, offset, 10)},
		},
	})
}

// flush writes what is pending; on error it is kept for the next try.
func (d *deadLetters) flush(ctx context.Context) error {
	if len(d.pending) == 0 {
		return nil
	}
	if err := d.w.WriteMessages(ctx, d.pending...); err != nil {
		return err
	}
	d.pending = d.pending[:0]
	return nil
}

func (d *deadLetters) close() {
	d.w.Close()
	d.tr.CloseIdleConnections()
}
