package kafka

import (
	"context"
	"errors"
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

// dlqAttempts bounds the writes of a dead letter that fails for a reason
// that may pass (a broker away, a leader moving): past it the letter is
// given up, so that a dead-letter topic that cannot take it never stops
// the partition.
const dlqAttempts = 3

func newDeadLetters(c config, dlq, topic string, p int) *deadLetters {
	_, tr := c.client()
	return &deadLetters{
		// BatchBytes well above any record a fetch returns: the topic's
		// own limit is what decides whether a letter fits.
		w: &kgo.Writer{Addr: kgo.TCP(c.brokers...), Topic: dlq, Balancer: &kgo.Hash{}, Transport: tr,
			BatchTimeout: time.Millisecond, RequiredAcks: kgo.RequireAll, BatchBytes: 64 << 20,
			MaxAttempts: dlqAttempts},
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

// flush writes what is pending. A letter the topic refuses for good (too
// large for it, say) is tried once more on its own, in case it was its
// batch that was too large, and then given up; one that fails for a
// reason that may pass is retried with backoff, dlqAttempts times in all.
// It returns how many letters were given up and why the last one was.
// When ctx ends first, what is left stays pending (the records are read
// again after a restart) and lost counts only what was given up before.
func (d *deadLetters) flush(ctx context.Context) (lost int64, why error) {
	if len(d.pending) > 0 && faultHook.Load() != nil {
		fault("kafka-dlq " + d.topic)
	}
	bo := backoff{}
	for attempt := 1; len(d.pending) > 0; attempt++ {
		err := d.w.WriteMessages(ctx, d.pending...)
		if err == nil {
			d.pending = d.pending[:0]
			break
		}
		if ctx.Err() != nil {
			return lost, why
		}
		var wes kgo.WriteErrors
		perMessage := errors.As(err, &wes) && len(wes) == len(d.pending)
		var retry []kgo.Message
		for i, m := range d.pending {
			e := err
			if perMessage {
				e = wes[i]
			}
			switch {
			case e == nil: // written
			case !permanent(e):
				retry = append(retry, m)
			case len(d.pending) > 1:
				if e := d.w.WriteMessages(ctx, m); e != nil {
					if ctx.Err() != nil {
						retry = append(retry, m)
					} else if permanent(e) {
						lost, why = lost+1, e
					} else {
						retry = append(retry, m)
					}
				}
			default:
				lost, why = lost+1, e
			}
		}
		if ctx.Err() != nil {
			d.pending = append(d.pending[:0], retry...)
			return lost, why
		}
		if attempt >= dlqAttempts && len(retry) > 0 {
			lost, why, retry = lost+int64(len(retry)), err, nil
		}
		d.pending = append(d.pending[:0], retry...)
		if len(d.pending) > 0 && !bo.wait(ctx) {
			return lost, why
		}
	}
	return lost, why
}

// permanent reports whether a write failed for a reason that trying again
// cannot change: the broker's refusal that is not temporary, or a message
// larger than the writer takes.
func permanent(err error) bool {
	var ke kgo.Error
	if errors.As(err, &ke) {
		return !ke.Temporary()
	}
	var tl kgo.MessageTooLargeError
	return errors.As(err, &tl)
}

func (d *deadLetters) close() {
	d.w.Close()
	d.tr.CloseIdleConnections()
}
