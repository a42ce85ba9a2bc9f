package pebble

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/state"
)

// The benchmarks mirror state/memory/bench_test.go, so the two backends'
// numbers compare directly: 100k distinct 16-byte keys in random order with
// 16-byte values.
const benchKeys = 100_000

func makeKeys() [][]byte {
	r := rand.New(rand.NewPCG(1, 1))
	keys := make([][]byte, benchKeys)
	for i := range keys {
		k := binary.BigEndian.AppendUint64(nil, r.Uint64())
		keys[i] = binary.BigEndian.AppendUint64(k, uint64(i))
	}
	return keys
}

// loaded returns a store holding keys, checkpointed once so that reads go
// through sstables and the block cache, as they do after the first
// checkpoint of a real run, and not only through the memtable.
func loaded(b *testing.B, keys [][]byte) state.Store {
	be, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close() })
	s := be.Namespace(1)
	value := make([]byte, 16)
	for _, k := range keys {
		if err := s.Put(k, value); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.Checkpoint(1); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPut overwrites keys of a store holding 100k keys. Each Put also
// reads the old value's size, which exact Stats require.
func BenchmarkPut(b *testing.B) {
	keys := makeKeys()
	s := loaded(b, keys)
	value := make([]byte, 16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Put(keys[i%benchKeys], value); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGet looks up random keys of a store holding 100k keys.
func BenchmarkGet(b *testing.B) {
	keys := makeKeys()
	s := loaded(b, keys)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok, err := s.Get(keys[i%benchKeys]); !ok || err != nil {
			b.Fatal("missing key", err)
		}
		i++
	}
}

// BenchmarkScan iterates all 100k keys per operation.
func BenchmarkScan(b *testing.B) {
	s := loaded(b, makeKeys())
	b.ReportAllocs()
	for b.Loop() {
		it := s.NewIter(nil, nil)
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		if err := it.Close(); err != nil || n != benchKeys {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchKeys), "ns/key")
}
