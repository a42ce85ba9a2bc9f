package writeback_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
	"github.com/streamsql/streamsql/state/statetest"
	"github.com/streamsql/streamsql/state/writeback"
)

// TestModel runs random operations through a Cache with a small limit and
// random flushes, over both backends, against a map: every read and scan
// agrees, the backend holds exactly the model after a flush, and Stats
// are then exact.
func TestModel(t *testing.T) {
	backends := map[string]func(t *testing.T) state.Backend{
		"memory": func(t *testing.T) state.Backend {
			b, err := memory.Open("")
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"pebble": func(t *testing.T) state.Backend {
			b, err := pebble.Open(t.TempDir(), pebble.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	for name, open := range backends {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				be := open(t)
				defer be.Close()
				runModel(t, be.Namespace(1), seed)
			})
		}
	}
}

func runModel(t *testing.T, store state.Store, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 15))
	key, bound := statetest.KeyGen(r, "abc\x00", 4)
	c := writeback.New(store)
	c.SetLimit(1 + r.IntN(8))
	model := map[string]string{}
	var held []struct {
		k, v string
		got  []byte
	} // values Get returned, checked until a mutation
	check := func(step int, what string) {
		for _, h := range held {
			if string(h.got) != h.v {
				t.Fatalf("step %d (%s): value of %q read before changed to %q without a mutation", step, what, h.k, h.got)
			}
		}
	}
	for step := 0; step < 3000; step++ {
		switch op := r.IntN(10); {
		case op < 3:
			k := key()
			v := fmt.Sprint(r.IntN(1000))
			if r.IntN(2) == 0 {
				v += "-longer-value"
			}
			if err := c.Put(k, []byte(v)); err != nil {
				t.Fatal(err)
			}
			model[string(k)] = v
			held = held[:0]
		case op < 5:
			k := key()
			if err := c.Delete(k); err != nil {
				t.Fatal(err)
			}
			delete(model, string(k))
			held = held[:0]
		case op < 7:
			k := key()
			v, ok, err := c.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			want, wok := model[string(k)]
			if ok != wok || string(v) != want {
				t.Fatalf("step %d: Get(%q) = %q, %v; want %q, %v", step, k, v, ok, want, wok)
			}
			if ok {
				held = append(held, struct {
					k, v string
					got  []byte
				}{string(k), want, v})
			}
		case op < 8:
			lo, hi := bound(), bound()
			if err := c.DeleteRange(lo, hi); err != nil {
				t.Fatal(err)
			}
			for k := range model {
				if k >= string(lo) && (hi == nil || k < string(hi)) {
					delete(model, k)
				}
			}
			held = held[:0]
		case op < 9:
			lo, hi := bound(), bound()
			it := c.NewIter(lo, hi)
			var got []string
			for ok := it.First(); ok; ok = it.Next() {
				got = append(got, string(it.Key())+"="+string(it.Value()))
			}
			if err := it.Close(); err != nil {
				t.Fatal(err)
			}
			var ks, want []string
			for k := range model {
				if k >= string(lo) && (hi == nil || k < string(hi)) {
					ks = append(ks, k)
				}
			}
			slices.Sort(ks)
			for _, k := range ks {
				want = append(want, k+"="+model[k])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: scan [%q, %q) = %q, want %q", step, lo, hi, got, want)
			}
		default:
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			if c.Dirty() != 0 {
				t.Fatalf("step %d: %d writes pending after Flush", step, c.Dirty())
			}
			var bytes int64
			for k, v := range model {
				bytes += int64(len(k) + len(v))
			}
			if st, want := store.Stats(), (state.Stats{Keys: int64(len(model)), Bytes: bytes}); st != want {
				t.Fatalf("step %d: store stats after Flush %+v, want %+v", step, st, want)
			}
		}
		check(step, "after op")
		if c.Len() > 8 {
			t.Fatalf("step %d: %d keys cached, over the limit", step, c.Len())
		}
	}
}

// TestCollapse: many writes to one key between flushes reach the store as
// one, and none before the flush.
func TestCollapse(t *testing.T) {
	be, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	store := &countingStore{Store: be.Namespace(1)}
	c := writeback.New(store)
	for i := range 100 {
		if err := c.Put([]byte("k"), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete([]byte("gone")); err != nil {
			t.Fatal(err)
		}
	}
	if store.writes != 0 {
		t.Fatalf("%d writes reached the store before Flush", store.writes)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if store.writes != 2 || store.applies != 1 {
		t.Fatalf("Flush wrote %d operations in %d applies, want 2 in 1", store.writes, store.applies)
	}
	if v, _, _ := be.Namespace(1).Get([]byte("k")); string(v) != "99" {
		t.Fatalf("stored %q, want the last write", v)
	}
}

type countingStore struct {
	state.Store
	writes, applies int
}

func (s *countingStore) Put(k, v []byte) error { s.writes++; return s.Store.Put(k, v) }
func (s *countingStore) Delete(k []byte) error { s.writes++; return s.Store.Delete(k) }
func (s *countingStore) Apply(b *state.Batch) error {
	s.applies++
	s.writes += b.Len()
	return s.Store.Apply(b)
}
