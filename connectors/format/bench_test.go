package format

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// TestFastTimestamp: the hand-written parser agrees with the general one
// on random instants across four centuries, leap days included.
func TestFastTimestamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100_000; i++ {
		us := rng.Int64N(400*365*86400*1e6) - 100*365*86400*1e6
		tm := time.UnixMicro(us).UTC()
		for _, layout := range []string{"2006-01-02 15:04:05.000000", "2006-01-02T15:04:05Z", "2006-01-02 15:04:05.999"} {
			s := tm.Format(layout)
			want, ok := vec.ParseTimestamp(s)
			got, fast := fastTimestamp([]byte(s))
			if !ok || !fast || got != want {
				t.Fatalf("%s: fast %d (%v), general %d (%v)", s, got, fast, want, ok)
			}
		}
	}
	for _, bad := range []string{"2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-01-01 24:00:00", "2024-01-01 00:00:00.", "2024-01-01 00:00:00+01:00"} {
		if _, ok := fastTimestamp([]byte(bad)); ok {
			t.Errorf("%s: the fast path accepted it", bad)
		}
	}
}

// bidColumns is the Nexmark bid as a Kafka JSON source declares it.
var bidColumns = []catalog.Column{
	{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
	{Name: "price", Type: types.BigInt}, {Name: "channel", Type: types.Varchar},
	{Name: "url", Type: types.Varchar}, {Name: "date_time", Type: types.T{Kind: types.Timestamp, Prec: 3}},
	{Name: "extra", Type: types.Varchar},
}

// nexmarkBids are bid envelopes as Nexmark's Kafka producers write them:
// the event type, then the bid nested under "bid".
func nexmarkBids(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"event_type":2,"person":null,"auction":null,"bid":{"auction":%d,"bidder":%d,"price":%d,"channel":"channel-%d","url":"https://www.nexmark.com/item.htm?query=1&channel_id=%d","date_time":"2015-07-15 00:00:%02d.%03d","extra":""}}`,
			1000+i%97, 2000+i%1013, 100+i*7%10000, i%5, i%5, i%60, i%1000)
	}
	return out
}

// BenchmarkDecodeNexmarkBid measures the JSON decoder on the Nexmark bid
// envelope, nested fields read by path: records/s = 1e9 / ns/op.
func BenchmarkDecodeNexmarkBid(b *testing.B) {
	opts := map[string]string{}
	for _, c := range bidColumns {
		opts["fields."+c.Name+".path"] = "bid." + c.Name
	}
	dec, err := NewDecoder("json", bidColumns, opts)
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, dec, bidColumns, nexmarkBids(4096))
}

// BenchmarkDecodeFlatBid measures the JSON decoder on the flat bid of
// exec/engine's BenchmarkKafkaJSONTumble (about 110 bytes, no paths).
func BenchmarkDecodeFlatBid(b *testing.B) {
	cols := []catalog.Column{
		{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.BigInt}, {Name: "date_time", Type: types.T{Kind: types.Timestamp, Prec: 3}},
		{Name: "extra", Type: types.Varchar},
	}
	dec, err := NewDecoder("json", cols, map[string]string{})
	if err != nil {
		b.Fatal(err)
	}
	recs := make([][]byte, 4096)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"auction": %d, "bidder": %d, "price": %d, "date_time": "2024-01-01 %02d:%02d:%02d.%03d", "extra": ""}`,
			i%1000, i%5000, i%997, i/3600000, i/60000%60, i/1000%60, i%1000)
	}
	benchDecode(b, dec, cols, recs)
}

// BenchmarkDecodeBidUnread is the Nexmark bid of `streamsql bench`'s
// kafkakeys topic with only the columns its view reads decoded (bidder,
// price, date_time; see Decoder.SetRead), against all of them.
func BenchmarkDecodeBidUnread(b *testing.B) {
	cols := []catalog.Column{
		{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.BigInt}, {Name: "channel", Type: types.Varchar},
		{Name: "url", Type: types.Varchar}, {Name: "date_time", Type: types.T{Kind: types.Timestamp, Prec: 3}},
		{Name: "extra", Type: types.Varchar},
	}
	recs := make([][]byte, 4096)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"auction":%d,"bidder":%d,"price":%d,"channel":"channel-%d","url":"https://www.nexmark.com/abc/def/item.htm?query=1&channel_id=%d","date_time":"2024-01-01 %02d:%02d:%02d.%03d","extra":"%s"}`,
			1000+i%1000, 2000+i%5000, i%997, i%10, i*7919, i/3600000, i/60000%60, i/1000%60, i%1000, strings.Repeat("x", i%40))
	}
	for _, all := range []bool{true, false} {
		name := "all"
		if !all {
			name = "read3"
		}
		b.Run(name, func(b *testing.B) {
			dec, err := NewDecoder("json", cols, map[string]string{})
			if err != nil {
				b.Fatal(err)
			}
			if !all {
				dec.SetRead([]bool{false, true, true, false, false, true, false})
			}
			benchDecode(b, dec, cols, recs)
		})
	}
}

// benchDecode decodes recs round and round into 1024-row batches.
func benchDecode(b *testing.B, dec Decoder, cols []catalog.Column, recs [][]byte) {
	batch := vec.NewBatch(catalog.Types(cols), 1024)
	var m Meta
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if batch.N == 1024 {
			batch.Reset()
		}
		if err := dec.Decode(recs[i%len(recs)], &m, batch); err != nil {
			b.Fatal(err)
		}
	}
}
