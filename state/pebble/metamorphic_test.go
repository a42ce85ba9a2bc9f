package pebble

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/statetest"
)

// MetamorphicSeedEnv reruns TestMetamorphic with one seed:
// PEBBLE_METAMORPHIC_SEED=7 go test -run Metamorphic ./state/pebble.
const MetamorphicSeedEnv = "PEBBLE_METAMORPHIC_SEED"

// variant is one backend configuration under the metamorphic test.
type variant struct {
	name string
	open func(t *testing.T, dir string) state.Backend
	dir  string
	b    state.Backend
}

func (v *variant) reopen(t *testing.T) {
	t.Helper()
	if err := v.b.Close(); err != nil {
		t.Fatalf("%s: Close: %v", v.name, err)
	}
	v.b = v.open(t, v.dir)
}

func variants(t *testing.T) []*variant {
	tinyOpen := opener(Options{FS: vfs.NewMem(), MemTableSize: tinyMemTable})
	vs := []*variant{
		{name: "memory", open: func(t *testing.T, dir string) state.Backend {
			b, err := memory.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		// Pebble runs on an in-memory file system here: the conformance suite
		// covers the real one, and file creation dominates on slow disks.
		{name: "pebble", dir: "/db", open: opener(Options{FS: vfs.NewMem()})},
		// The tiny variant also records little, so that its Restore often has
		// to go back to the disk copy instead of rolling back in place.
		{name: "pebble-tiny", dir: "/db", open: func(t *testing.T, dir string) state.Backend {
			b := tinyOpen(t, dir).(*Backend)
			b.limits = limits{touched: 6, spans: 1}
			return b
		}},
	}
	for _, v := range vs {
		if v.dir == "" {
			v.dir = t.TempDir()
		}
		v.b = v.open(t, v.dir)
		t.Cleanup(func() { v.b.Close() })
	}
	return vs
}

// TestMetamorphic applies one seeded random operation log to the memory
// backend, to Pebble and to Pebble with a memtable small enough to flush and
// compact all the time, and requires every operation's result, and the scan
// of the namespace it touched, to be identical across the three. Unlike the
// conformance suite's model, memory is the reference here, and the values are
// large enough to push Pebble through flushes and compactions.
func TestMetamorphic(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, 2, 3}
	if raceEnabled {
		seeds = seeds[:1]
	}
	if s := os.Getenv(MetamorphicSeedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", MetamorphicSeedEnv, s, err)
		}
		seeds = []uint64{seed}
	}
	ops := 2500
	if testing.Short() || raceEnabled {
		ops = 800
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runMetamorphic(t, seed, ops, variants(t))
		})
	}
}

// metaOp applies one operation to a backend and returns its observable
// result as text.
type metaOp struct {
	desc string
	ns   uint64
	fn   func(b state.Backend) string
}

func runMetamorphic(t *testing.T, seed uint64, ops int, vs []*variant) {
	r := rand.New(rand.NewPCG(seed, 0x3e7a))
	var recent []string
	nextID := uint64(0)
	key, bound := statetest.KeyGen(r, "\x00ab\xff", 6)
	for i := range ops {
		op := randomOp(r, key, bound, &nextID)
		recent = append(recent, fmt.Sprintf("%d: %s", i, op.desc))
		if len(recent) > 15 {
			recent = recent[1:]
		}
		var results []string
		for _, v := range vs {
			var res string
			if op.fn == nil { // reopen
				v.reopen(t)
				res = restore(v.b)
			} else {
				res = op.fn(v.b)
			}
			res += "\n" + scanAll(v.b.Namespace(op.ns))
			results = append(results, res)
		}
		for j, res := range results[1:] {
			if res != results[0] {
				t.Fatalf("seed %d (rerun with %s=%d) diverged after:\n  %s\n%s:\n%s\n%s:\n%s",
					seed, MetamorphicSeedEnv, seed, strings.Join(recent, "\n  "),
					vs[0].name, results[0], vs[j+1].name, res)
			}
		}
	}
}

func randomOp(r *rand.Rand, key func() []byte, bound func() []byte, nextID *uint64) metaOp {
	ns := r.Uint64N(3)
	st := func(b state.Backend) state.Store { return b.Namespace(ns) }
	switch n := r.IntN(100); {
	case n < 40:
		k, v := key(), strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN(300))
		return metaOp{fmt.Sprintf("put ns%d %q (%d bytes)", ns, k, len(v)), ns, func(b state.Backend) string {
			return fmt.Sprint(st(b).Put(k, []byte(v)))
		}}
	case n < 50:
		k := key()
		return metaOp{fmt.Sprintf("delete ns%d %q", ns, k), ns, func(b state.Backend) string {
			return fmt.Sprint(st(b).Delete(k))
		}}
	case n < 55:
		start, end := bound(), bound()
		return metaOp{fmt.Sprintf("deleteRange ns%d [%q, %q)", ns, start, end), ns, func(b state.Backend) string {
			return fmt.Sprint(st(b).DeleteRange(start, end))
		}}
	case n < 60:
		var sb state.Batch
		var desc []string
		for range 1 + r.IntN(8) {
			k := key()
			if r.IntN(3) == 0 {
				sb.Delete(k)
				desc = append(desc, fmt.Sprintf("-%q", k))
				continue
			}
			v := strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN(300))
			sb.Put(k, []byte(v))
			desc = append(desc, fmt.Sprintf("%q=(%d bytes)", k, len(v)))
		}
		return metaOp{fmt.Sprintf("apply ns%d %s", ns, strings.Join(desc, " ")), ns, func(b state.Backend) string {
			return fmt.Sprint(st(b).Apply(&sb))
		}}
	case n < 65:
		k := key()
		return metaOp{fmt.Sprintf("get ns%d %q", ns, k), ns, func(b state.Backend) string {
			v, ok, err := st(b).Get(k)
			return fmt.Sprintf("%q %v %v", v, ok, err)
		}}
	case n < 80:
		start, end := bound(), bound()
		return metaOp{fmt.Sprintf("scan ns%d [%q, %q)", ns, start, end), ns, func(b state.Backend) string {
			return scanRange(st(b), start, end)
		}}
	case n < 85:
		// Emit and delete, with writes on both sides of the cursor.
		return metaOp{fmt.Sprintf("scan-and-delete ns%d", ns), ns, func(b state.Backend) string {
			s := st(b)
			var out strings.Builder
			it := s.NewIter(nil, nil)
			for ok := it.First(); ok; ok = it.Next() {
				fmt.Fprintf(&out, "%q ", it.Key())
				if len(it.Key())%2 == 0 {
					s.Delete(it.Key())
					s.Put([]byte("\xff\xff"), []byte("behind"))
					s.Put(nil, []byte("ahead"))
				}
			}
			fmt.Fprint(&out, it.Close())
			return out.String()
		}}
	case n < 92:
		*nextID += 1 + r.Uint64N(2)
		id := *nextID
		return metaOp{fmt.Sprintf("checkpoint %d", id), ns, func(b state.Backend) string {
			return fmt.Sprint(b.Checkpoint(id))
		}}
	case n < 96:
		return metaOp{"restore", ns, restore}
	case n < 98:
		return metaOp{"reopen", ns, nil}
	default:
		return metaOp{fmt.Sprintf("drop ns%d", ns), ns, func(b state.Backend) string {
			return fmt.Sprint(b.DropNamespace(ns))
		}}
	}
}

func restore(b state.Backend) string {
	id, err := b.Restore()
	return fmt.Sprintf("restored %d %v", id, err)
}

func scanAll(s state.Store) string {
	return fmt.Sprintf("%+v %s", s.Stats(), scanRange(s, nil, nil))
}

// scanRange prints the keys of [start, end) with a digest of their values.
func scanRange(s state.Store, start, end []byte) string {
	var out strings.Builder
	it := s.NewIter(start, end)
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		fmt.Fprintf(&out, "%q=%d", it.Key(), len(v))
		if len(v) > 0 {
			out.WriteByte(v[0])
		}
		out.WriteByte(' ')
	}
	fmt.Fprint(&out, it.Close())
	return out.String()
}
