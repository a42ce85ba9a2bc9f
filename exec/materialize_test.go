package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
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
			open := func() state.Backend {
				var b state.Backend
				var err error
				if name == "memory" {
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
			m := NewMaterialize(be.Namespace(1), ts, nil, true)
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
			m = NewMaterialize(be.Namespace(1), ts, nil, true)
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
	ts := []types.T{types.BigInt, types.Double, types.Varchar, types.Boolean, types.Ts}
	in := vec.NewBatch(ts, 0)
	in.Cols[0].AppendI64(math.MinInt64)
	in.Cols[1].AppendF64(math.Inf(-1))
	in.Cols[2].AppendStr("")
	in.Cols[3].AppendBool(true)
	in.Cols[4].AppendI64(-1)
	in.EndRow(1)
	in.Cols[0].AppendNull()
	in.Cols[1].AppendNull()
	in.Cols[2].AppendNull()
	in.Cols[3].AppendNull()
	in.Cols[4].AppendNull()
	in.EndRow(1)
	in.Cols[0].AppendI64(math.MaxInt64)
	in.Cols[1].AppendF64(-0.5)
	in.Cols[2].AppendStr("a\x00b\xffé")
	in.Cols[3].AppendBool(false)
	in.Cols[4].AppendI64(1_700_000_000_000_000)
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
	m := NewMaterialize(store, ts, nil, true)
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
	m = NewMaterialize(store, ts, nil, true)
	push(30)
	if got, want := replay(m), "[1 2 3 wm=10 11 6 wm=20 21 30]"; got != want {
		t.Errorf("replay after reopening = %s, want %s", got, want)
	}
}
