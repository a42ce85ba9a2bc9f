package statetest

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/state"
)

// BenchKeys is the working set of Bench: 100k distinct 16-byte keys in
// random order (the size of a group key with a window end) with 16-byte
// values, the same for every backend so their numbers compare directly.
const BenchKeys = 100_000

// Bench runs the Put, Get, Scan, window-closing and checkpoint benchmarks
// on a backend. open returns a
// backend; after loading the keys, Bench checkpoints it once, so reads go
// through the backend's durable structures (sstables for Pebble) as they
// do after the first checkpoint of a real run.
func Bench(b *testing.B, open func(b *testing.B) state.Backend) {
	keys := benchKeys()
	loaded := func(b *testing.B) state.Store {
		be := open(b)
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
	b.Run("Put", func(b *testing.B) {
		s := loaded(b)
		value := make([]byte, 16)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := s.Put(keys[i%BenchKeys], value); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Get", func(b *testing.B) {
		s := loaded(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok, err := s.Get(keys[i%BenchKeys]); !ok || err != nil {
				b.Fatal("missing key", err)
			}
			i++
		}
	})
	b.Run("Scan", func(b *testing.B) {
		s := loaded(b)
		b.ReportAllocs()
		for b.Loop() {
			it := s.NewIter(nil, nil)
			n := 0
			for ok := it.First(); ok; ok = it.Next() {
				n++
			}
			if err := it.Close(); err != nil || n != BenchKeys {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*BenchKeys), "ns/key")
	})
	for _, known := range []bool{false, true} {
		name := "CloseWindow"
		if known {
			name += "Known"
		}
		b.Run(name, func(b *testing.B) {
			be := open(b)
			b.Cleanup(func() { be.Close() })
			benchCloseWindow(b, be, known)
		})
	}
	// The write-back an aggregate does before each checkpoint: the same
	// BenchHot groups of the state, one batch, then the checkpoint.
	b.Run("WriteBackCheckpoint", func(b *testing.B) {
		be := open(b)
		b.Cleanup(func() { be.Close() })
		s := be.Namespace(1)
		value := make([]byte, 16)
		var batch state.Batch
		for _, k := range keys {
			batch.Put(k, value)
		}
		if err := s.Apply(&batch); err != nil {
			b.Fatal(err)
		}
		id := uint64(1)
		if err := be.Checkpoint(id); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			batch.Reset()
			for _, k := range keys[:BenchHot] {
				binary.BigEndian.PutUint64(value, uint64(n))
				batch.Put(k, value)
			}
			n++
			if err := s.Apply(&batch); err != nil {
				b.Fatal(err)
			}
			id++
			if err := be.Checkpoint(id); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A checkpoint of a large state after a small change: BenchKeys keys in
	// ten namespaces, of which each iteration rewrites BenchChanged keys in
	// one, then checkpoints. What it costs should follow the change, not
	// the state.
	b.Run("CheckpointSmallChange", func(b *testing.B) {
		be := open(b)
		b.Cleanup(func() { be.Close() })
		value := make([]byte, 16)
		for i, k := range keys {
			if err := be.Namespace(uint64(i%10)).Put(k, value); err != nil {
				b.Fatal(err)
			}
		}
		id := uint64(1)
		if err := be.Checkpoint(id); err != nil {
			b.Fatal(err)
		}
		s := be.Namespace(3)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			for range BenchChanged {
				binary.BigEndian.PutUint64(value, uint64(i))
				if err := s.Put(keys[(i*10+3)%BenchKeys], value); err != nil {
					b.Fatal(err)
				}
				i++
			}
			id++
			if err := be.Checkpoint(id); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchCloseWindow measures closing a window of BenchWindow keys, the
// aggregate's DeleteRange, told the window's count or not, among the
// windows after it; filling the window is not timed.
func benchCloseWindow(b *testing.B, be state.Backend, known bool) {
	s := be.Namespace(1)
	value := make([]byte, 16)
	key := func(w, i int) []byte {
		return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(w)), uint64(i))
	}
	fill := func(w int) {
		var batch state.Batch
		for i := range BenchWindow {
			batch.Put(key(w, i), value)
		}
		if err := s.Apply(&batch); err != nil {
			b.Fatal(err)
		}
	}
	const ahead = 4 // open windows after the one closing
	for w := range ahead {
		fill(w)
	}
	if err := be.Checkpoint(1); err != nil {
		b.Fatal(err)
	}
	removed := state.Stats{Keys: BenchWindow, Bytes: BenchWindow * (16 + 16)}
	w := 0
	for b.Loop() {
		b.StopTimer()
		fill(w + ahead)
		b.StartTimer()
		var err error
		if known {
			err = state.DeleteRangeKnown(s, key(w, 0), key(w+1, 0), removed)
		} else {
			err = s.DeleteRange(key(w, 0), key(w+1, 0))
		}
		if err != nil {
			b.Fatal(err)
		}
		w++
	}
	if st := s.Stats(); st.Keys != ahead*BenchWindow {
		b.Fatalf("Stats %+v, want %d keys", st, ahead*BenchWindow)
	}
}

// BenchWindow is the number of keys of a window CloseWindow closes.
const BenchWindow = 10_000

// BenchHot is how many groups WriteBackCheckpoint writes back before each
// checkpoint: a tenth of the state.
const BenchHot = 10_000

// BenchChanged is how many keys CheckpointSmallChange changes between
// checkpoints: 0.1% of the state.
const BenchChanged = 100

func benchKeys() [][]byte {
	r := rand.New(rand.NewPCG(1, 1))
	keys := make([][]byte, BenchKeys)
	for i := range keys {
		k := binary.BigEndian.AppendUint64(nil, r.Uint64())
		keys[i] = binary.BigEndian.AppendUint64(k, uint64(i))
	}
	return keys
}
