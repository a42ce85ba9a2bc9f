package statetest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/state"
)

// SeedEnv names the environment variable that reruns the randomized test with
// one seed, e.g. STATETEST_SEED=7 go test -run Conformance/Randomized ./state/memory.
const SeedEnv = "STATETEST_SEED"

// defaultSeeds are fixed so that CI is deterministic; a failure prints its seed.
var defaultSeeds = []uint64{1, 2, 3, 4, 5}

// model is the reference the backend is compared with: plain maps, sorted on
// demand, with a deep copy standing in for the last checkpoint.
type model struct {
	live   map[uint64]map[string]string
	ckpt   map[uint64]map[string]string
	ckptID uint64 // last committed checkpoint, 0 for none
	nextID uint64
}

func (m *model) ns(id uint64) map[string]string {
	if m.live[id] == nil {
		m.live[id] = map[string]string{}
	}
	return m.live[id]
}

// scan is the reference of Store.NewIter plus Stats over one namespace.
func (m *model) scan(id uint64, start, end []byte) ([]string, string) {
	var keys []string
	var bytes int
	for k, v := range m.live[id] {
		bytes += len(k) + len(v)
		if k >= string(start) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + m.live[id][k]
	}
	return out, fmt.Sprintf("{Keys:%d Bytes:%d}", len(m.live[id]), bytes)
}

func deepCopy(src map[uint64]map[string]string) map[uint64]map[string]string {
	dst := make(map[uint64]map[string]string, len(src))
	for id, kv := range src {
		dst[id] = maps.Clone(kv)
	}
	return dst
}

// testRandomized applies a seeded random operation log to the backend and to
// the model and requires them to agree at every read.
func testRandomized(t *testing.T, h *harness) {
	seeds := defaultSeeds
	if s := os.Getenv(SeedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", SeedEnv, s, err)
		}
		seeds = []uint64{seed}
	}
	ops := 3000
	if testing.Short() {
		ops = 500
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			hs := newHarness(t, h.open)
			runLog(t, hs, seed, ops)
		})
	}
}

func runLog(t *testing.T, h *harness, seed uint64, ops int) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	m := &model{live: map[uint64]map[string]string{}, ckpt: map[uint64]map[string]string{}}
	var recent []string // the last operations, printed on failure
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d (rerun with %s=%d), after operations:\n  %s\n%s",
			seed, SeedEnv, seed, strings.Join(recent, "\n  "), fmt.Sprintf(format, args...))
	}
	key, bound := KeyGen(r, "\x00\x01a\xff", 4)
	for i := range ops {
		ns := r.Uint64N(4)
		s := h.ns(ns)
		var op string
		switch n := r.IntN(100); {
		case n < 35:
			k, v := key(), fmt.Sprintf("%03d", r.IntN(1000))[:r.IntN(4)]
			op = fmt.Sprintf("put ns%d %q=%q", ns, k, v)
			if err := s.Put(k, []byte(v)); err != nil {
				fail("%s: %v", op, err)
			}
			m.ns(ns)[string(k)] = v
		case n < 45:
			k := key()
			op = fmt.Sprintf("delete ns%d %q", ns, k)
			if err := s.Delete(k); err != nil {
				fail("%s: %v", op, err)
			}
			delete(m.ns(ns), string(k))
		case n < 50:
			start, end := bound(), bound()
			want, _ := m.scan(ns, start, end)
			if r.IntN(2) == 0 {
				op = fmt.Sprintf("deleteRange ns%d [%q, %q)", ns, start, end)
				if err := s.DeleteRange(start, end); err != nil {
					fail("%s: %v", op, err)
				}
			} else {
				// The caller knows the count, as an aggregate closing a
				// complete window does.
				var removed state.Stats
				for _, kv := range want {
					removed.Keys++
					removed.Bytes += int64(len(kv) - 1)
				}
				op = fmt.Sprintf("deleteRangeKnown ns%d [%q, %q) %+v", ns, start, end, removed)
				if err := state.DeleteRangeKnown(s, start, end, removed); err != nil {
					fail("%s: %v", op, err)
				}
			}
			for _, kv := range want {
				delete(m.ns(ns), kv[:strings.LastIndexByte(kv, '=')])
			}
		case n < 55:
			// A batch, often naming one key twice: the last write wins.
			var sb state.Batch
			var desc []string
			for range 1 + r.IntN(6) {
				k := key()
				if r.IntN(3) == 0 {
					sb.Delete(k)
					delete(m.ns(ns), string(k))
					desc = append(desc, fmt.Sprintf("-%q", k))
					continue
				}
				v := fmt.Sprintf("%03d", r.IntN(1000))[:r.IntN(4)]
				sb.Put(k, []byte(v))
				m.ns(ns)[string(k)] = v
				desc = append(desc, fmt.Sprintf("%q=%q", k, v))
			}
			op = fmt.Sprintf("apply ns%d %s", ns, strings.Join(desc, " "))
			if err := s.Apply(&sb); err != nil {
				fail("%s: %v", op, err)
			}
		case n < 65:
			k := key()
			op = fmt.Sprintf("get ns%d %q", ns, k)
			v, ok, err := s.Get(k)
			mv, mok := m.live[ns][string(k)]
			if err != nil || ok != mok || string(v) != mv {
				fail("%s = %q, %v, %v; want %q, %v", op, v, ok, err, mv, mok)
			}
		case n < 85:
			start, end := bound(), bound()
			op = fmt.Sprintf("scan ns%d [%q, %q)", ns, start, end)
			want, wantStats := m.scan(ns, start, end)
			got := scan(t, s, start, end)
			if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprintf("%+v", s.Stats()) != wantStats {
				fail("%s = %q %+v\nwant %q %s", op, got, s.Stats(), want, wantStats)
			}
		case n < 88:
			// Delete every other key while iterating: the iterator must
			// still see the whole snapshot.
			op = fmt.Sprintf("scan-and-delete ns%d", ns)
			want, _ := m.scan(ns, nil, nil)
			it := s.NewIter(nil, nil)
			var got []string
			for ok := it.First(); ok; ok = it.Next() {
				got = append(got, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
				if len(got)%2 == 1 {
					if err := s.Delete(it.Key()); err != nil {
						fail("%s: %v", op, err)
					}
					delete(m.ns(ns), string(it.Key()))
				}
			}
			if err := it.Close(); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				fail("%s = %q, %v; want %q", op, got, err, want)
			}
		case n < 93:
			m.nextID += 1 + r.Uint64N(3)
			op = fmt.Sprintf("checkpoint %d", m.nextID)
			if err := h.b.Checkpoint(m.nextID); err != nil {
				fail("%s: %v", op, err)
			}
			m.ckpt, m.ckptID = deepCopy(m.live), m.nextID
		case n < 96:
			op = "restore"
			id, err := h.b.Restore()
			if err != nil || id != m.ckptID {
				fail("%s = %d, %v; want %d", op, id, err, m.ckptID)
			}
			m.live = deepCopy(m.ckpt)
		case n < 98:
			op = "reopen"
			if id := h.reopen(); id != m.ckptID {
				fail("%s restored %d, want %d", op, id, m.ckptID)
			}
			m.live = deepCopy(m.ckpt)
		default:
			op = fmt.Sprintf("drop ns%d", ns)
			if err := h.b.DropNamespace(ns); err != nil {
				fail("%s: %v", op, err)
			}
			delete(m.live, ns)
		}
		recent = append(recent, fmt.Sprintf("%d: %s", i, op))
		if len(recent) > 20 {
			recent = recent[1:]
		}
	}
	for ns := range uint64(4) {
		want, wantStats := m.scan(ns, nil, nil)
		if got := scan(t, h.ns(ns), nil, nil); fmt.Sprint(got) != fmt.Sprint(want) {
			fail("final ns%d = %q %+v\nwant %q %s", ns, got, h.ns(ns).Stats(), want, wantStats)
		}
	}
}

// KeyGen returns generators of random keys (shorter than maxLen, from
// alphabet, so that keys collide and share prefixes) and of range bounds
// (such a key, or nil for an open end one time in four).
func KeyGen(r *rand.Rand, alphabet string, maxLen int) (key, bound func() []byte) {
	key = func() []byte {
		k := make([]byte, r.IntN(maxLen))
		for i := range k {
			k[i] = alphabet[r.IntN(len(alphabet))]
		}
		return k
	}
	bound = func() []byte {
		if r.IntN(4) == 0 {
			return nil
		}
		return key()
	}
	return key, bound
}
