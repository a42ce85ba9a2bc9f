package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/keys"
	"github.com/streamsql/streamsql/state/writeback"
)

// TemporalFilter runs planner.TemporalFilter: a row is output while the
// engine's clock is in [from, until), its bounds. Rows arrive judged by the
// clock of the last OnProcTime; what is due later is scheduled in state,
// through the write-back cache, one key per change of a row's
// multiplicity in the output:
//
//	0x00                 → the clock last seen
//	0x01 time row        → the change (a varint), due when the clock reaches time
//
// so state holds only the rows yet to enter or leave. A retraction of an
// input row schedules the opposite changes, which cancel the pending ones
// key by key. OnProcTime emits what fell due, netted per row.
type TemporalFilter struct {
	from, until []Evaluator
	types       []catalog.Column
	backed
	out  Operator
	outB *vec.Batch
	// now is the clock (µs); next the earliest scheduled time, or MinInt64
	// when unknown (after a restart), MaxInt64 when nothing is scheduled.
	now, next int64
	keyBuf    []byte
	valBuf    []byte
}

var (
	temporalMeta   = []byte{0x00}
	temporalPrefix = byte(0x01)
	errTemporal    = errors.New("exec: corrupt temporal filter state")
)

// NewTemporalFilter builds the operator over its state store.
func NewTemporalFilter(p *planner.TemporalFilter, store state.Store, out Operator, errs *RowErrors) (*TemporalFilter, error) {
	t := &TemporalFilter{types: p.Input.Columns(), out: out, outB: vec.NewBatch(catalog.Types(p.Input.Columns()), 64),
		backed: backed{store: writeback.New(store), maxCached: writeback.DefaultLimit},
		now:    math.MinInt64, next: math.MinInt64}
	for _, e := range p.From {
		t.from = append(t.from, Compile(e, errs))
	}
	for _, e := range p.Until {
		t.until = append(t.until, Compile(e, errs))
	}
	v, ok, err := t.store.Get(temporalMeta)
	if err != nil {
		return nil, fmt.Errorf("exec: temporal filter clock: %w", err)
	}
	if ok {
		if t.now, _, err = keys.DecodeInt64(v); err != nil {
			return nil, fmt.Errorf("exec: temporal filter clock: %w", errTemporal)
		}
	}
	return t, nil
}

// bounds evaluates each row's [from, until); a NULL bound (a NULL in the
// row, or an overflow) puts the row in no output, as its condition is not
// true.
func (t *TemporalFilter) bounds(b *vec.Batch, i int, from, until []*vec.Vec) (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	for _, v := range from {
		if v.IsNull(i) {
			return 0, 0, false
		}
		lo = max(lo, v.I64[i])
	}
	for _, v := range until {
		if v.IsNull(i) {
			return 0, 0, false
		}
		hi = min(hi, v.I64[i])
	}
	return lo, hi, lo < hi
}

func (t *TemporalFilter) Push(b *vec.Batch) error {
	from := make([]*vec.Vec, len(t.from))
	for k, e := range t.from {
		from[k] = e.Eval(b)
	}
	until := make([]*vec.Vec, len(t.until))
	for k, e := range t.until {
		until[k] = e.Eval(b)
	}
	for i := 0; i < b.N; i++ {
		lo, hi, ok := t.bounds(b, i, from, until)
		if !ok || hi <= t.now {
			continue // never in the output, or out of it already
		}
		d := b.DiffAt(i)
		if lo <= t.now {
			t.outB.AppendRow(b, i, d)
		} else if err := t.schedule(lo, b, i, d); err != nil {
			return err
		}
		if hi != math.MaxInt64 {
			if err := t.schedule(hi, b, i, -d); err != nil {
				return err
			}
		}
	}
	return pushOut(t.out, t.outB)
}

// schedule adds d to row i's change due at time at.
func (t *TemporalFilter) schedule(at int64, b *vec.Batch, i int, d int64) error {
	t.keyBuf = encodeRow(keys.AppendInt64(append(t.keyBuf[:0], temporalPrefix), at), b.Cols, i)
	v, ok, err := t.store.Get(t.keyBuf)
	if err != nil {
		return fmt.Errorf("exec: temporal filter state: %w", err)
	}
	if ok {
		old, k := binary.Varint(v)
		if k <= 0 {
			return errTemporal
		}
		d += old
	}
	if d == 0 {
		return t.store.Delete(t.keyBuf)
	}
	t.valBuf = binary.AppendVarint(t.valBuf[:0], d)
	if err := t.store.Put(t.keyBuf, t.valBuf); err != nil {
		return err
	}
	if t.next != math.MinInt64 {
		t.next = min(t.next, at)
	}
	return nil
}

// OnProcTime moves the clock to now (µs) and emits the changes that fell
// due, each row's netted, in one batch.
func (t *TemporalFilter) OnProcTime(now int64) error {
	if now <= t.now {
		return nil
	}
	t.now = now
	if t.next != math.MinInt64 && t.next > now {
		return nil
	}
	lo := []byte{temporalPrefix}
	hi := keys.AppendInt64([]byte{temporalPrefix}, now+1)
	if now == math.MaxInt64 {
		hi = []byte{temporalPrefix + 1}
	}
	it := t.store.NewIter(lo, []byte{temporalPrefix + 1})
	net := map[string]int64{}
	var order []string
	t.next = math.MaxInt64
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if string(k) >= string(hi) {
			at, _, err := keys.DecodeInt64(k[1:])
			if err != nil {
				it.Close()
				return errTemporal
			}
			t.next = at
			break
		}
		d, n := binary.Varint(it.Value())
		if n <= 0 || len(k) < 9 {
			it.Close()
			return errTemporal
		}
		row := string(k[9:])
		if _, seen := net[row]; !seen {
			order = append(order, row)
		}
		net[row] += d
		if err := t.store.Delete(k); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("exec: temporal filter state: %w", err)
	}
	row := vec.NewBatch(catalog.Types(t.types), 1)
	for _, r := range order {
		d := net[r]
		if d == 0 {
			continue
		}
		row.Reset()
		if _, err := decodeRow([]byte(r), row.Cols); err != nil {
			return fmt.Errorf("exec: temporal filter state: %w", err)
		}
		row.N = 1
		t.outB.AppendRow(row, 0, d)
	}
	return pushOut(t.out, t.outB)
}

// OnWatermark passes the watermark on: the filter holds rows back by
// the clock, not by event time.
func (t *TemporalFilter) OnWatermark(wm int64) error { return t.out.OnWatermark(wm) }
func (t *TemporalFilter) OnBarrier(id uint64) error  { return t.out.OnBarrier(id) }

// Flush writes the clock and the scheduled changes back.
func (t *TemporalFilter) Flush() error {
	if t.now != math.MinInt64 {
		if err := t.store.Put(temporalMeta, keys.AppendInt64(t.valBuf[:0], t.now)); err != nil {
			return fmt.Errorf("exec: writing the temporal filter clock: %w", err)
		}
	}
	return t.store.Flush()
}

// Cached is 0: the filter caches no decoded groups, only the write-back
// cache's keys.
func (t *TemporalFilter) Cached() int  { return 0 }
func (t *TemporalFilter) Close() error { return nil }
