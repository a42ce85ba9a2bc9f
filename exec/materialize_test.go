package exec

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestMaterializeAppendOnly stores duplicate rows of an append-only
// relation, restores from a checkpoint, drops what came after it, and
// carries on: the rows after the restore must not overwrite the
// checkpointed ones (the sequence number is restored with them), and a
// retraction is refused.
func TestMaterializeAppendOnly(t *testing.T) {
	ts := []types.T{types.BigInt, types.Varchar}
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			open := func() state.Backend { return openBackend(t, name, dir) }
			batch := func(from, n int) *vec.Batch {
				b := vec.NewBatch(ts, n)
				for i := from; i < from+n; i++ {
					b.Cols[0].AppendI64(int64(i % 3)) // duplicates
					b.Cols[1].AppendStr("x")
					b.EndRow(1)
				}
				return b
			}
			scan := func(m *Materialize) []string {
				var rows []string
				if err := m.Scan(func(b *vec.Batch) error {
					for i := 0; i < b.N; i++ {
						rows = append(rows, fmt.Sprintf("%d %s x%d", b.Cols[0].I64[i], b.Cols[1].Str[i], b.DiffAt(i)))
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(rows)
				return rows
			}

			be := open()
			m := NewMaterialize(be.Namespace(1), ts, Layout{AppendOnly: true})
			if err := m.Push(batch(0, 4)); err != nil {
				t.Fatal(err)
			}
			if err := m.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := be.Checkpoint(1); err != nil {
				t.Fatal(err)
			}
			if err := m.Push(batch(4, 5)); err != nil { // lost: after the checkpoint
				t.Fatal(err)
			}
			if err := be.Close(); err != nil {
				t.Fatal(err)
			}

			be = open()
			defer be.Close()
			m = NewMaterialize(be.Namespace(1), ts, Layout{AppendOnly: true})
			if got := m.Rows(); got != 4 {
				t.Fatalf("restored rows = %d, want 4", got)
			}
			if err := m.Push(batch(4, 2)); err != nil {
				t.Fatal(err)
			}
			want := []string{"0 x x1", "0 x x1", "1 x x1", "1 x x1", "2 x x1", "2 x x1"}
			if got := scan(m); !slices.Equal(got, want) {
				t.Fatalf("rows = %q, want %q", got, want)
			}
			r := batch(0, 1)
			r.Diff = []int64{-1}
			if err := m.Push(r); err == nil {
				t.Fatal("a retraction into an append-only relation was accepted")
			}
		})
	}
}

// TestPlainRowCodec round-trips rows of every kind, NULLs and edge values
// through the stored-row encoding, and refuses every truncation of them.
func TestPlainRowCodec(t *testing.T) {
	ts := []types.T{types.BigInt, types.Double, types.Varchar, types.Boolean, types.Ts, types.Ival, types.ArrayOf(types.Ival), types.Unconstrained}
	ivs := vec.New(types.Ival, 0)
	ivs.AppendInterval(vec.Interval{Months: -1, Days: 2, Micros: math.MinInt64})
	ivs.AppendNull()
	ivs.AppendInterval(vec.Interval{Micros: 5})
	in := vec.NewBatch(ts, 0)
	in.Cols[0].AppendI64(math.MinInt64)
	in.Cols[1].AppendF64(math.Inf(-1))
	in.Cols[2].AppendStr("")
	in.Cols[3].AppendBool(true)
	in.Cols[4].AppendI64(-1)
	in.Cols[5].AppendInterval(vec.Interval{Micros: -7}) // µs alone: stored as before intervals had months
	in.Cols[6].AppendStr(vec.ArrayOf(&ivs))
	in.Cols[7].AppendNumericBytes([]byte("-12.50")) // compact: coefficient and scale
	in.EndRow(1)
	for c := range ts {
		in.Cols[c].AppendNull()
	}
	in.EndRow(1)
	in.Cols[0].AppendI64(math.MaxInt64)
	in.Cols[1].AppendF64(-0.5)
	in.Cols[2].AppendStr("a\x00b\xffé")
	in.Cols[3].AppendBool(false)
	in.Cols[4].AppendI64(1_700_000_000_000_000)
	in.Cols[5].AppendInterval(vec.Interval{Months: math.MaxInt32, Days: math.MinInt32, Micros: 1})
	in.Cols[6].AppendStr(vec.ArrayOf(&vec.Vec{Type: types.Ival}))
	in.Cols[7].AppendNumericBytes([]byte("-123456789012345678901234567890.5")) // past an int64: text
	in.EndRow(1)
	var buf []byte
	for i := 0; i < in.N; i++ {
		buf = appendPlainRow(buf, in.Cols, i)
	}
	out := vec.NewBatch(ts, 0)
	rest := buf
	for i := 0; i < in.N; i++ {
		var err error
		if rest, err = decodePlainRow(rest, out.Cols); err != nil {
			t.Fatal(err)
		}
		out.EndRow(1)
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left over", len(rest))
	}
	for i := 0; i < in.N; i++ {
		for c := range ts {
			if a, b := in.Cols[c].IsNull(i), out.Cols[c].IsNull(i); a != b || !a && in.Cols[c].Text(i) != out.Cols[c].Text(i) {
				t.Errorf("row %d column %d: %q, want %q", i, c, out.Cols[c].Text(i), in.Cols[c].Text(i))
			}
		}
	}
	// A compact NUMERIC stored as text, as before values were compact,
	// reads back the same.
	old := vec.NewBatch(ts[7:], 0)
	if _, err := decodePlainRow([]byte("\x01\x06-12.50"), old.Cols); err != nil || old.Cols[0].Text(0) != "-12.50" {
		t.Errorf("a NUMERIC stored as text: %q, %v", old.Cols[0].Text(0), err)
	}
	one := appendPlainRow(nil, in.Cols, 2)
	for n := 0; n < len(one); n++ {
		if _, err := decodePlainRow(one[:n], vec.NewBatch(ts, 0).Cols); err == nil {
			t.Errorf("a row cut to %d of %d bytes decoded", n, len(one))
		}
	}
}

// TestMaterializeReplay: Replay hands an append-only relation's rows over
// in arrival order with the watermark each batch arrived under between
// them, reading segments stored before watermarks were kept (no marker;
// a seq key of two numbers) as having none; the watermark comes back with
// the seq key.
func TestMaterializeReplay(t *testing.T) {
	ts := []types.T{types.BigInt}
	be, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	store := be.Namespace(1)
	// A segment and seq key in the layout of older checkpoints.
	old := vec.NewBatch(ts, 1)
	old.Cols[0].AppendI64(1)
	old.EndRow(1)
	seg := appendPlainRow(binary.AppendVarint(binary.AppendUvarint(nil, 1), 1), old.Cols, 0)
	if err := store.Put(binary.BigEndian.AppendUint64([]byte{matRowTag}, 1), seg); err != nil {
		t.Fatal(err)
	}
	if err := store.Put([]byte{matSeqKey}, binary.AppendUvarint(binary.AppendUvarint(nil, 2), 1)); err != nil {
		t.Fatal(err)
	}
	m := NewMaterialize(store, ts, Layout{AppendOnly: true})
	push := func(vs ...int64) {
		b := vec.NewBatch(ts, len(vs))
		for _, v := range vs {
			b.Cols[0].AppendI64(v)
			b.EndRow(1)
		}
		if err := m.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	push(2, 3)
	for _, wm := range []int64{10, 5, 20} { // 5: a watermark never goes back
		if err := m.OnWatermark(wm); err != nil {
			t.Fatal(err)
		}
		push(wm + 1)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	replay := func(m *Materialize) string {
		var got []string
		err := m.Replay(func(b *vec.Batch) error {
			for i := 0; i < b.N; i++ {
				got = append(got, fmt.Sprint(b.Cols[0].I64[i]))
			}
			return nil
		}, func(wm int64) error {
			got = append(got, fmt.Sprintf("wm=%d", wm))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got)
	}
	if got, want := replay(m), "[1 2 3 wm=10 11 6 wm=20 21]"; got != want {
		t.Errorf("replay = %s, want %s", got, want)
	}
	// Reopened (as after a restart), the relation still knows its watermark.
	m = NewMaterialize(store, ts, Layout{AppendOnly: true})
	push(30)
	if got, want := replay(m), "[1 2 3 wm=10 11 6 wm=20 21 30]"; got != want {
		t.Errorf("replay after reopening = %s, want %s", got, want)
	}
}

// TestMaterializeKeyed drives a keyed view's Materialize with an upsert
// changelog as an aggregate emits it (a key's old row retracted before its
// new one, in batches where a key changes more than once) on both
// backends, with checkpoints, restarts that lose what came after the last
// one, and a small write-back cache: the rows, Rows and Stats must equal
// those of the multiset layout fed the same changes, which reads before
// every write.
func TestMaterializeKeyed(t *testing.T) {
	ts := []types.T{types.BigInt, types.Varchar, types.BigInt}
	key := []int{0, 1}
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			open := func() state.Backend { return openBackend(t, name, dir) }
			scan := func(m *Materialize) []string {
				var rows []string
				if err := m.Scan(func(b *vec.Batch) error {
					for i := 0; i < b.N; i++ {
						s := "NULL"
						if !b.Cols[1].IsNull(i) {
							s = b.Cols[1].Str[i]
						}
						rows = append(rows, fmt.Sprintf("%d %s %d x%d", b.Cols[0].I64[i], s, b.Cols[2].I64[i], b.DiffAt(i)))
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(rows)
				return rows
			}
			r := rand.New(rand.NewPCG(15, 1))
			type row struct {
				k int64
				s string // "" is NULL
				v int64
			}
			live := map[[2]any]row{}  // the producer's rows, by key
			saved := map[[2]any]row{} // as of the last checkpoint
			strs := []string{"", "a", "b\x00", "ab"}
			be := open()
			keyed := NewMaterialize(be.Namespace(1), ts, Layout{Key: key})
			multi := NewMaterialize(be.Namespace(2), ts, Layout{})
			keyed.SetCacheSize(7)
			add := func(b *vec.Batch, x row, d int64) {
				b.Cols[0].AppendI64(x.k)
				if x.s == "" {
					b.Cols[1].AppendNull()
				} else {
					b.Cols[1].AppendStr(x.s)
				}
				b.Cols[2].AppendI64(x.v)
				b.EndRow(d)
			}
			ckpt := uint64(0)
			for step := 0; step < 400; step++ {
				b := vec.NewBatch(ts, 8)
				for n := r.IntN(8); n > 0; n-- {
					x := row{k: int64(r.IntN(6)), s: strs[r.IntN(len(strs))], v: int64(r.IntN(3))}
					id := [2]any{x.k, x.s}
					old, ok := live[id]
					if ok {
						add(b, old, -1)
					}
					if r.IntN(4) == 0 {
						delete(live, id) // the group is gone
					} else {
						add(b, x, 1)
						live[id] = x
					}
				}
				if err := keyed.Push(b); err != nil {
					t.Fatal(err)
				}
				if err := multi.Push(b); err != nil {
					t.Fatal(err)
				}
				switch r.IntN(20) {
				case 0, 1:
					if got, want := scan(keyed), scan(multi); !slices.Equal(got, want) {
						t.Fatalf("step %d: rows %q, want %q", step, got, want)
					}
				case 2:
					if err := keyed.Flush(); err != nil {
						t.Fatal(err)
					}
					if err := multi.Flush(); err != nil {
						t.Fatal(err)
					}
					ckpt++
					if err := be.Checkpoint(ckpt); err != nil {
						t.Fatal(err)
					}
					saved = maps.Clone(live)
				case 3:
					// Crash: what came after the checkpoint is lost.
					if err := be.Close(); err != nil {
						t.Fatal(err)
					}
					be = open()
					keyed = NewMaterialize(be.Namespace(1), ts, Layout{Key: key})
					multi = NewMaterialize(be.Namespace(2), ts, Layout{})
					keyed.SetCacheSize(7)
					live = maps.Clone(saved)
				}
				if got, want := keyed.Rows(), int64(len(live)); got != want {
					t.Fatalf("step %d: Rows() = %d, want %d", step, got, want)
				}
				// Stats, with the same rows in the keyed encoding, match
				// the store's once written back.
				st := keyed.Stats()
				if err := keyed.Flush(); err != nil {
					t.Fatal(err)
				}
				if st != keyed.store.Stats() {
					t.Fatalf("step %d: Stats() = %+v before the write-back, %+v after", step, st, keyed.store.Stats())
				}
			}
			be.Close()
		})
	}
}

// TestMaterializeKeyedMigrates: a view's rows stored in the multiset
// layout, as before keyed views, are read and updated by a keyed
// Materialize.
func TestMaterializeKeyedMigrates(t *testing.T) {
	ts := []types.T{types.BigInt, types.BigInt}
	be, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	old := NewMaterialize(be.Namespace(1), ts, Layout{})
	b := vec.NewBatch(ts, 4)
	for k := int64(0); k < 3; k++ {
		b.Cols[0].AppendI64(k)
		b.Cols[1].AppendI64(10 * k)
		b.EndRow(1)
	}
	if err := old.Push(b); err != nil {
		t.Fatal(err)
	}
	if err := old.Flush(); err != nil {
		t.Fatal(err)
	}
	m := NewMaterialize(be.Namespace(1), ts, Layout{Key: []int{0}})
	if got := m.Rows(); got != 3 {
		t.Fatalf("Rows() = %d, want 3", got)
	}
	b.Reset()
	b.Cols[0].AppendI64(1)
	b.Cols[1].AppendI64(10)
	b.EndRow(-1)
	b.Cols[0].AppendI64(1)
	b.Cols[1].AppendI64(11)
	b.EndRow(1)
	if err := m.Push(b); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := m.Scan(func(b *vec.Batch) error {
		for i := 0; i < b.N; i++ {
			got = append(got, fmt.Sprintf("%d=%d x%d", b.Cols[0].I64[i], b.Cols[1].I64[i], b.DiffAt(i)))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"0=0 x1", "1=11 x1", "2=20 x1"}; !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if n := be.Namespace(1).Stats().Keys; n != 3 {
		t.Fatalf("%d keys stored, want 3 (old layout left behind?)", n)
	}
}

// BenchmarkUpdatingView measures an emit-on-update windowed COUNT(*),
// MAX(v) per key feeding the view's keyed Materialize, the path a view
// without EMIT ON WINDOW CLOSE takes: 1024-row batches, a watermark after
// each. "hop": 1,000 keys, HOP(1 s slide, 10 s size), events 100 µs
// apart; "tumble": 1,000 keys, 1-second TUMBLE, events 1 ms apart, so
// nearly every event starts a group. The aggregate holds its changes back
// as a view's does; "ckpt" emits them, flushes both operators and
// checkpoints every 256 batches, as the 1 s checkpoint interval would at
// about 250K events/s (without it they go out as windows close).
func BenchmarkUpdatingView(b *testing.B) {
	for _, kind := range []string{"memory", "pebble"} {
		for _, shape := range []string{"hop", "tumble"} {
			for _, ckpt := range []bool{false, true} {
				name := kind + "-" + shape
				if ckpt {
					name += "-ckpt"
				}
				b.Run(name, func(b *testing.B) {
					backend := openBackend(b, kind, b.TempDir())
					defer backend.Close()
					benchUpdatingView(b, backend, shape, ckpt)
				})
			}
		}
	}
}

func benchUpdatingView(b *testing.B, backend state.Backend, shape string, ckpt bool) {
	in := []types.T{types.BigInt, types.Ts, types.BigInt}
	scan := &planner.Scan{Rel: &catalog.Relation{Name: "in", EventTime: 1, AppendOnly: true, Columns: []catalog.Column{
		{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Ts}, {Name: "v", Type: types.BigInt}}}}
	w := &planner.Window{Kind: planner.Hop, Time: 1, Size: 10e6, Slide: 1e6}
	step := int64(100)
	if shape == "tumble" {
		w = &planner.Window{Kind: planner.Tumble, Time: 1, Size: 1e6, Slide: 1e6}
		step = 1000
	}
	agg := &planner.Aggregate{Input: scan, Window: w,
		Keys: []planner.Expr{&planner.ColRef{Idx: 0, Name: "k", T: types.BigInt}}, KeyNames: []string{"k"},
		Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt},
			{Func: planner.AggMax, Arg: &planner.ColRef{Idx: 2, Name: "v", T: types.BigInt}, T: types.BigInt}}}
	mat := NewMaterialize(backend.Namespace(1), catalog.Types(agg.Columns()), Layout{Key: planner.GroupKey(agg)})
	op := NewAggregate(agg, backend.Namespace(2), mat, nil)
	op.SetDeferEmit(true)
	rng := rand.New(rand.NewPCG(1, 2))
	var flush func() error
	if ckpt {
		flush = func() error {
			if err := op.Flush(); err != nil {
				return err
			}
			return mat.Flush()
		}
	}
	benchLoop(b, backend, in, op, step, func(bt *vec.Batch) {
		bt.Cols[0].AppendI64(rng.Int64N(1000))
		bt.Cols[2].AppendI64(rng.Int64N(1e6))
	}, flush)
}

// openBackend opens (and restores) a backend of the kind named, "memory"
// or "pebble", in dir.
func openBackend(t testing.TB, kind, dir string) state.Backend {
	var b state.Backend
	var err error
	if kind == "memory" {
		b, err = memory.Open(dir)
	} else {
		b, err = pebble.Open(dir, pebble.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Restore(); err != nil {
		t.Fatal(err)
	}
	return b
}
