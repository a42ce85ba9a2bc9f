package engine

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// queueRows is a batch of n changes of (BIGINT, VARCHAR, DOUBLE, NUMERIC,
// TIMESTAMP)
// with NULLs, an empty string and weights other than 1.
func queueRows(n int) (*catalog.Relation, *vec.Batch) {
	rel := &catalog.Relation{Name: "t", Columns: []catalog.Column{
		col("k", types.BigInt), col("s", types.Varchar), col("f", types.Double), col("d", types.T{Kind: types.Numeric}), col("ts", types.Ts),
	}}
	b := vec.NewBatch(catalog.Types(rel.Columns), n)
	for i := range n {
		b.Cols[0].AppendI64(int64(i))
		switch i % 7 {
		case 0:
			b.Cols[1].AppendNull()
		case 1:
			b.Cols[1].AppendStr("")
		default:
			b.Cols[1].AppendStr(fmt.Sprintf("row %d of the changes a client has not read", i))
		}
		b.Cols[2].AppendF64(float64(i) / 3)
		if i%5 == 0 {
			b.Cols[3].AppendStr(fmt.Sprintf("1234567890123456789012345.%d", i)) // not compact
		} else {
			b.Cols[3].AppendStr(fmt.Sprintf("%d.%02d", i-n/2, i%100))
		}
		b.Cols[4].AppendI64(int64(i) * 1_000_003)
		b.EndRow(int64(i%3 - 1)) // -1, 0 (skipped) and +1
	}
	return rel, b
}

// liveHeap is the bytes of Go's heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestSubscriptionQueueOffHeap: the changes subscriptions hold for
// clients that do not read are charged to subscription_buffer_bytes and
// are not on Go's heap, where the collector's pacing (GOGC) would let the
// process grow by twice what they hold: eight subscriptions holding 20,000
// changes each grow the live heap by less than an eighth of what the
// budget is charged. Each then gives back every change as it was queued,
// in order, in steps, and nothing stays charged.
func TestSubscriptionQueueOffHeap(t *testing.T) {
	const subs, n = 8, 10_000
	rel, b := queueRows(n)
	g := newSubBudget()
	g.setLimit(1 << 40)
	cols := subscribeColumns(rel)
	var ss []*subscription
	for range subs {
		ss = append(ss, newSubscription("t", cols, g))
	}
	before := liveHeap()
	for _, s := range ss {
		if err := s.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	grown, charged := liveHeap()-before, g.used()
	if charged < subs*n*30 {
		t.Fatalf("%d subscriptions holding %d changes each are charged %d bytes", subs, n, charged)
	}
	if grown > charged/8 {
		t.Errorf("the live heap grew by %d bytes for %d bytes of queued changes charged: they are on Go's heap", grown, charged)
	}
	runtime.KeepAlive(b)

	var want []string
	for i := range n {
		if d := b.DiffAt(i); d != 0 {
			want = append(want, fmt.Sprintf("%d|%s", d, rowString(b, i)))
		}
	}
	for si, s := range ss {
		if si > 0 && si < subs-1 {
			// The others give back as many, at once.
			if out, err := s.take(-1, 0); err != nil || out.N != len(want) {
				t.Fatalf("subscription %d: %v, %d changes, want %d", si, err, out.N, len(want))
			}
			continue
		}
		var got []string
		for step := 1; ; step = step*2 + 1 {
			out, err := s.take(step, 0)
			if err != nil {
				t.Fatal(err)
			}
			if out == nil {
				break
			}
			for i := range out.N {
				got = append(got, rowString(out, i))
			}
		}
		if len(got) != len(want) {
			t.Fatalf("subscription %d gave back %d changes, want %d", si, len(got), len(want))
		}
		for i := range got {
			// got's rows start with mz_timestamp: drop it.
			if _, rest, _ := strings.Cut(got[i], "|"); rest != want[i] {
				t.Fatalf("subscription %d, change %d: %s, want %s", si, i, rest, want[i])
			}
		}
	}
	if charged := g.used(); charged != 0 {
		t.Errorf("%d bytes charged once every change was taken", charged)
	}
	for _, s := range ss {
		s.release()
	}
}

// rowString prints row i of b, a column at a time.
func rowString(b *vec.Batch, i int) string {
	s := ""
	for c := range b.Cols {
		if c > 0 {
			s += "|"
		}
		v := &b.Cols[c]
		switch {
		case v.IsNull(i):
			s += "NULL"
		case v.Type.Phys() == types.Float64:
			s += fmt.Sprint(v.F64[i])
		case v.Type.Phys() == types.Numeric:
			s += v.NumericString(i)
		case v.Type.Phys() == types.String:
			s += fmt.Sprintf("%q", v.Str[i])
		default:
			s += fmt.Sprint(v.I64[i])
		}
	}
	return s
}

// TestSubscriptionBudgetWithinBatch: one large batch pushed to subscriptions
// whose clients do not read ends them as it passes subscription_buffer_bytes,
// not once each holds all of it: what the budget is charged never passes
// the limit by more than a page a subscription, and every subscription
// that got the whole batch (more than the limit) ends with 53000, holding
// nothing.
func TestSubscriptionBudgetWithinBatch(t *testing.T) {
	const subs, limit = 10, 256 << 10
	rel, b := queueRows(20_000) // about 1 MB encoded
	g := newSubBudget()
	g.setLimit(limit)
	cols := subscribeColumns(rel)
	var ss []*subscription
	for range subs {
		ss = append(ss, newSubscription("t", cols, g))
	}
	for _, s := range ss {
		if err := s.Push(b); err != nil {
			t.Fatal(err)
		}
	}
	if g.peak > limit+subs*int64(pageSize) {
		t.Errorf("the subscriptions were charged up to %d bytes, past the limit of %d", g.peak, limit)
	}
	for i, s := range ss {
		_, err := s.take(-1, 0)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Kind != sqlerr.InsufficientResources {
			t.Errorf("subscription %d: %v, want 53000", i, err)
		}
	}
	if n := g.used(); n != 0 {
		t.Errorf("%d bytes charged after every subscription ended", n)
	}
}
