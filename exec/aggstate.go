package exec

import (
	"strconv"

	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/keys"
)

const (
	tagAcc      = 0x00
	tagMultiset = 0x01
)

var errCorruptAcc = errors.New("exec: corrupt aggregate state")

// flush merges the batch's pre-aggregates into the cached groups and emits
// the changes. State is written back later (see writeBack).
func (a *Aggregate) flush() error {
	a.outB.Reset()
	nAggs := len(a.plan.Aggs)
	// Group the multiset deltas by part, keeping row order within a part.
	slices.SortStableFunc(a.deltas, func(x, y delta) int { return int(x.part) - int(y.part) })
	di := 0
	emit := !a.plan.EmitOnClose && !a.deferEmit
	for pi := range a.parts {
		p := &a.parts[pi]
		g, err := a.group(p.end, p.key)
		if err != nil {
			return err
		}
		if a.deferEmit && g.held == nil {
			a.hold(g, p)
		}
		if (g.present || a.global) && emit {
			if err := a.appendGroupRow(g, p, -1); err != nil {
				return err
			}
		}
		if !g.present && a.byValue {
			g.rep = a.repOf(int(p.row)) // it makes the group
		}
		g.rows += p.rows
		part := a.vals[pi*nAggs : (pi+1)*nAggs]
		for j, c := range a.plan.Aggs {
			if !a.multiset[j] {
				mergeVal(c.Func, a.argTypes[j].Kind, &g.acc[j], &part[j])
			}
		}
		lo := di
		for di < len(a.deltas) && int(a.deltas[di].part) == pi {
			di++
		}
		if err := a.applyDeltas(p, a.deltas[lo:di], g.acc); err != nil {
			return err
		}
		g.dirty = true
		if g.rows <= 0 && !a.global {
			// The group is gone: a tombstone until written back.
			g.present = false
			clear(g.acc)
			g.rows = 0
			lo := append([]byte(p.key), tagMultiset)
			if err := a.store.DeleteRange(lo, keys.PrefixEnd(lo)); err != nil {
				return err
			}
			continue
		}
		g.present = true
		if emit {
			if err := a.appendGroupRow(g, p, 1); err != nil {
				return err
			}
		}
	}
	if a.cached > a.maxCached {
		// Held-back changes point into the cache: send them first.
		if err := a.Emit(); err != nil {
			return err
		}
		if err := a.writeBack(math.MaxInt64, true); err != nil {
			return err
		}
	}
	if a.outB.N == 0 {
		return nil
	}
	return a.out.Push(a.outB)
}

// appendGroupRow appends group g's row with diff d: its key columns from
// the batch's row that part p began with, or for groups keyed by value
// decoded at their representative's scale.
func (a *Aggregate) appendGroupRow(g *group, p *part, d int64) error {
	if !a.byValue {
		a.appendRow(a.keyVecs, int(p.row), p.start, p.end, g.acc, d)
		return nil
	}
	b := unsafe.Slice(unsafe.StringData(p.key), len(p.key))
	if a.plan.Window != nil {
		var err error
		if _, b, err = keys.DecodeInt64(b); err != nil {
			return fmt.Errorf("%w: %v", errCorruptAcc, err)
		}
	}
	if _, err := a.decodeKey(b, g.rep); err != nil {
		return fmt.Errorf("%w: %v", errCorruptAcc, err)
	}
	a.appendRow(nil, 0, p.start, p.end, g.acc, d)
	return nil
}

// hold records group g's row, as last emitted, before part p changes it.
func (a *Aggregate) hold(g *group, p *part) {
	if len(a.heldChunk) == 0 {
		a.heldChunk = make([]heldChange, 256)
	}
	h := &a.heldChunk[0]
	a.heldChunk = a.heldChunk[1:]
	if cap(a.heldKeys)-len(a.heldKeys) < len(p.key) {
		// Keys in the old buffer stay valid.
		a.heldKeys = make([]byte, 0, max(16<<10, len(p.key)))
	}
	start := len(a.heldKeys)
	a.heldKeys = append(a.heldKeys, p.key...)
	*h = heldChange{g: g, key: unsafe.String(unsafe.SliceData(a.heldKeys[start:]), len(p.key)), end: p.end,
		wasPresent: g.present || a.global, wasRows: g.rows, was: a.newAcc(), wasRep: g.rep}
	copy(h.was, g.acc)
	g.held = h
	a.changed[p.end] = append(a.changed[p.end], h)
	a.nchanged++
}

// emitBatch is how many rows Emit hands on at a time.
const emitBatch = 1024

// Emit sends the changes held back since the last Emit (see
// SetDeferEmit): for each group that changed, its old row's retraction
// and its new row, or nothing when the row is the same again.
func (a *Aggregate) Emit() error { return a.emitUpTo(math.MaxInt64) }

// emitUpTo is Emit for the groups of windows ending at or before upTo.
func (a *Aggregate) emitUpTo(upTo int64) error {
	if a.nchanged == 0 {
		return nil
	}
	if a.usePanes {
		closed := int64(math.MinInt64)
		if a.wm != math.MinInt64 {
			closed = a.wm - a.plan.Window.Grace
		}
		return a.emitPanes(closed, upTo)
	}
	a.outB.Reset()
	for end, gs := range a.changed {
		if end > upTo {
			continue
		}
		for _, h := range gs {
			g := h.g
			g.held = nil
			now := g.present || a.global
			if !h.wasPresent && !now || h.wasPresent && now && slices.Equal(h.was, g.acc) {
				continue
			}
			if h.wasPresent {
				start, end, err := a.groupRow(h.key, h.wasRep)
				if err != nil {
					return err
				}
				a.appendRow(nil, 0, start, end, h.was, -1)
			}
			if now {
				start, end, err := a.groupRow(h.key, g.rep)
				if err != nil {
					return err
				}
				a.appendRow(nil, 0, start, end, g.acc, 1)
			}
			if a.outB.N >= emitBatch {
				if err := a.out.Push(a.outB); err != nil {
					return err
				}
				a.outB.Reset()
			}
		}
		a.nchanged -= len(gs)
		clear(gs)
		delete(a.changed, end)
	}
	if a.outB.N == 0 {
		return nil
	}
	err := a.out.Push(a.outB)
	a.outB.Reset() // a flush that called Emit pushes what it adds after
	return err
}

// groupRow decodes a group key into the scratch batch's row 0, at the
// scales of representative rep (see decodeKey), and returns the window's
// bounds (zero when unwindowed).
func (a *Aggregate) groupRow(key, rep string) (start, end int64, err error) {
	b := unsafe.Slice(unsafe.StringData(key), len(key))
	if w := a.plan.Window; w != nil {
		if end, b, err = keys.DecodeInt64(b); err != nil {
			return 0, 0, fmt.Errorf("%w: %v", errCorruptAcc, err)
		}
		start = w.Start(end)
	}
	if _, err := a.decodeKey(b, rep); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", errCorruptAcc, err)
	}
	return start, end, nil
}

// group returns the cached group of a key, loading it from state on a
// miss.
func (a *Aggregate) group(end int64, key string) (*group, error) {
	w := a.windows[end]
	if w == nil {
		w = map[string]*group{}
		a.windows[end] = w
		empty, err := a.windowEmpty(end)
		if err != nil {
			return nil, err
		}
		a.complete[end] = empty
	}
	if g := w[key]; g != nil {
		return g, nil
	}
	g := a.newGroup()
	key = strings.Clone(key) // it may point into the batch's key buffer
	w[key] = g
	a.cached++
	if a.complete[end] {
		return g, nil
	}
	a.keyBuf = append(append(a.keyBuf[:0], key...), tagAcc)
	old, ok, err := a.store.Get(a.keyBuf)
	if err != nil {
		return nil, err
	}
	if ok {
		if g.rows, g.rep, err = a.decodeGroupAcc(old, g.acc); err != nil {
			return nil, err
		}
		g.present = true
	}
	return g, nil
}

// newGroup returns an empty group. Groups and their accumulators are cut
// from chunks, a few allocations per thousand groups rather than two per
// group; groups of one window are made together and dropped together,
// so a chunk seldom outlives its use by long.
func (a *Aggregate) newGroup() *group {
	if len(a.groupChunk) == 0 {
		a.groupChunk = make([]group, 256)
	}
	g := &a.groupChunk[0]
	a.groupChunk = a.groupChunk[1:]
	g.acc = a.newAcc()
	return g
}

// newAcc returns zeroed accumulators for a group, cut from the chunk
// newGroup uses.
func (a *Aggregate) newAcc() []aggVal {
	n := len(a.plan.Aggs)
	if len(a.accChunk) < n {
		a.accChunk = make([]aggVal, 256*max(n, 1))
	}
	acc := a.accChunk[:n:n]
	a.accChunk = a.accChunk[n:]
	return acc
}

// windowEmpty reports whether state holds nothing of the window ending at
// end (of anything, for an unwindowed aggregate): one seek per window.
func (a *Aggregate) windowEmpty(end int64) (bool, error) {
	var lo, hi []byte
	if a.plan.Window != nil {
		lo = keys.AppendInt64(nil, end)
		hi = keys.PrefixEnd(lo)
	}
	it := a.store.NewIter(lo, hi)
	found := it.First()
	return !found, it.Close()
}

// writeBack writes the dirty cached groups of windows ending at or before
// upTo to state, and with drop also forgets them, which bounds the cache.
func (a *Aggregate) writeBack(upTo int64, drop bool) error {
	a.batch.Reset()
	for end, w := range a.windows {
		if end > upTo {
			continue
		}
		for key, g := range w {
			if !g.dirty {
				continue
			}
			a.keyBuf = append(append(a.keyBuf[:0], key...), tagAcc)
			if g.present || a.global {
				a.accBuf = a.appendRep(encodeAcc(a.accBuf[:0], g.rows, g.acc), g.rep)
				a.batch.Put(a.keyBuf, a.accBuf)
			} else {
				a.batch.Delete(a.keyBuf)
			}
			g.dirty = false
		}
	}
	if err := a.store.Apply(&a.batch); err != nil {
		return err
	}
	if drop {
		for end := range a.windows {
			if end <= upTo {
				a.dropWindow(end)
			}
		}
	}
	return nil
}

func (a *Aggregate) dropWindow(end int64) {
	a.cached -= len(a.windows[end])
	delete(a.windows, end)
	delete(a.complete, end)
}

// Flush sends the held-back changes on (see SetDeferEmit) and writes
// every cached change to state, so a checkpoint taken next holds the
// operator's whole state and its view's rows agree with it.
func (a *Aggregate) Flush() error {
	if err := a.Emit(); err != nil {
		return err
	}
	var err error
	if w := a.plan.Window; w != nil && w.Kind == planner.Session {
		err = a.writeBackSessions(false)
	} else {
		err = a.writeBack(math.MaxInt64, false)
	}
	if err != nil {
		return err
	}
	return a.wb.Flush()
}

// applyDeltas updates the value counts of the multiset aggregates of one
// group and recomputes their results.
func (a *Aggregate) applyDeltas(p *part, deltas []delta, acc []aggVal) error {
	if len(deltas) == 0 {
		return nil
	}
	touched := uint64(0)
	// Each value's counts are read once and written once for the group's
	// deltas, whichever of its family's aggregates they are for.
	clear(a.famIdx)
	a.famEnts = a.famEnts[:0]
	for _, dl := range deltas {
		j := int(dl.agg)
		lead := a.family[j]
		k := a.multisetKey(p.key, lead)
		k = a.appendMultisetValue(k, j, int(dl.row))
		ei, ok := a.famIdx[string(k)]
		if !ok {
			old, _, err := a.store.Get(k)
			if err != nil {
				return err
			}
			e := famEnt{key: k, counts: make([]int64, a.famSize[lead])}
			for m := range e.counts {
				if len(old) == 0 {
					break
				}
				c, n := binary.Varint(old)
				if n <= 0 {
					return errCorruptAcc
				}
				e.counts[m], old = c, old[n:]
			}
			ei = len(a.famEnts)
			a.famEnts = append(a.famEnts, e)
			a.famIdx[string(k)] = ei
		}
		e := &a.famEnts[ei]
		c := e.counts[a.member[j]]
		n := c + dl.d
		e.counts[a.member[j]] = max(n, 0)
		if c0 := a.plan.Aggs[j]; foldsDistinct(c0) {
			// A value that appears folds in once, one that goes folds
			// out: the aggregate of the distinct values, kept as the
			// plain aggregate's accumulator.
			switch {
			case c <= 0 && n > 0:
				foldVal(c0.Func, &acc[j], a.argVecs[j], int(dl.row), 1)
			case c > 0 && n <= 0:
				foldVal(c0.Func, &acc[j], a.argVecs[j], int(dl.row), -1)
			}
		}
		touched |= 1 << uint(j%64)
	}
	for i := range a.famEnts {
		e := &a.famEnts[i]
		var val []byte
		for _, c := range e.counts {
			val = binary.AppendVarint(val, c)
		}
		var err error
		if slices.ContainsFunc(e.counts, func(c int64) bool { return c > 0 }) {
			err = a.store.Put(e.key, val)
		} else {
			err = a.store.Delete(e.key)
		}
		if err != nil {
			return err
		}
	}
	for j, c := range a.plan.Aggs {
		if !a.multiset[j] || foldsDistinct(c) || touched&(1<<uint(j%64)) == 0 {
			continue
		}
		lo := a.multisetKey(p.key, j)
		it := a.store.NewIter(lo, keys.PrefixEnd(lo))
		acc[j].has = false
		if c.Func == planner.AggPercentileCont || c.Func == planner.AggPercentileDisc {
			err := a.percentile(it, len(lo), c, j, &acc[j])
			if cerr := it.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			continue
		}
		if c.Func == planner.AggStringAgg || c.Func == planner.AggArrayAgg || isJSONAgg(c.Func) {
			err := a.listValues(it, len(lo), j, &acc[j])
			if cerr := it.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			continue
		}
		// MIN/MAX, and first_value and last_value by their ORDER BY: the
		// first key of the value range is the answer.
		if it.First() {
			v := vec.New(a.argTypes[j], 1)
			b, err := a.skipOrderKey(it.Key()[len(lo):], j)
			if c.Func == planner.AggMax {
				b = invert(b)
			}
			if err == nil {
				_, err = decodeValue(b, &v)
			}
			if err != nil {
				it.Close()
				return err
			}
			if !v.IsNull(0) {
				setVal(&acc[j], &v, 0)
			}
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	return nil
}

// percentile computes percentile_cont or percentile_disc of a group from
// its value counts in order (it at the first, the group's key prefix lo
// bytes long), as PostgreSQL: disc is the first value whose cumulative
// share reaches the fraction; cont interpolates between the values at
// positions floor and ceil of fraction × (n − 1).
func (a *Aggregate) percentile(it state.Iterator, lo int, c planner.AggCall, j int, v *aggVal) error {
	var total int64
	for ok := it.First(); ok; ok = it.Next() {
		n, _ := binary.Varint(it.Value())
		total += n
	}
	if err := it.Error(); err != nil || total == 0 {
		return err
	}
	x := vec.New(a.argTypes[j], 2)
	at := func(k int64) error { // the value at 0-based position k, into x
		seen := int64(0)
		for ok := it.First(); ok; ok = it.Next() {
			n, _ := binary.Varint(it.Value())
			if seen += n; seen > k {
				_, err := decodeValue(it.Key()[lo:], &x)
				return err
			}
		}
		return it.Error()
	}
	if c.Func == planner.AggPercentileDisc {
		k := int64(math.Ceil(c.Frac*float64(total))) - 1
		if err := at(max(k, 0)); err != nil {
			return err
		}
		setVal(v, &x, 0)
		return nil
	}
	pos := c.Frac * float64(total-1)
	lower, upper := int64(math.Floor(pos)), int64(math.Ceil(pos))
	if err := at(lower); err != nil {
		return err
	}
	if err := at(upper); err != nil {
		return err
	}
	lv, uv := toFloatAt(&x, 0), toFloatAt(&x, 1)
	v.has, v.f = true, lv+(uv-lv)*(pos-float64(lower))
	return nil
}

// toFloatAt reads a numeric value as a float.
func toFloatAt(x *vec.Vec, i int) float64 {
	switch x.Type.Kind {
	case types.Float64:
		return x.F64[i]
	case types.Decimal:
		return vec.DecimalFloat(x.I64[i], x.Type.Scale)
	case types.Numeric:
		f, _ := strconv.ParseFloat(x.NumericString(i), 64)
		return f
	}
	return float64(x.I64[i])
}

// listValues makes string_agg's list over a retracting input from its
// value counts (it at the first, the group's key prefix lo bytes long):
// each value as often as counted, in value order.
func (a *Aggregate) listValues(it state.Iterator, lo, j int, v *aggVal) error {
	var l strings.Builder
	x := vec.New(types.Varchar, 1)
	for ok := it.First(); ok; ok = it.Next() {
		x.Reset()
		b, err := a.skipOrderKey(it.Key()[lo:], j)
		if err != nil {
			return err
		}
		if _, err := decodeValue(b, &x); err != nil {
			return err
		}
		c, _ := binary.Varint(it.Value())
		if a.plan.Aggs[j].Distinct {
			c = min(c, 1)
		}
		s := x.Str[0]
		if x.IsNull(0) {
			s = "null" // only json_agg keeps NULLs here
		}
		for range c {
			l.WriteString(appendListed("", s))
		}
		v.has = true
	}
	v.s = l.String()
	return nil
}

// foldsDistinct reports an aggregate of DISTINCT values that keeps the
// plain aggregate's accumulator beside its value counts, folding each
// value in when its count becomes positive and out when it returns to
// zero: COUNT, SUM, AVG, the variances and standard deviations, bool_and
// and bool_or, whose accumulators take retractions. The listing
// aggregates (string_agg, array_agg) instead list the counted values.
func foldsDistinct(c planner.AggCall) bool {
	if !c.Distinct {
		return false
	}
	switch c.Func {
	case planner.AggCount, planner.AggSum, planner.AggAvg, planner.AggVarSamp, planner.AggVarPop,
		planner.AggStddevSamp, planner.AggStddevPop, planner.AggBoolAnd, planner.AggBoolOr:
		return true
	}
	return false
}

// famEnt is a value's counts, one per aggregate of its family, while a
// group's deltas are applied.
type famEnt struct {
	key    []byte
	counts []int64
}

// families groups the aggregates of DISTINCT values over one value (see
// family).
func (a *Aggregate) families() {
	n := len(a.plan.Aggs)
	a.family, a.member, a.famSize = make([]int, n), make([]int, n), make([]int, n)
	a.famIdx = map[string]int{}
	base := make([]string, n)
	for j, c := range a.plan.Aggs {
		a.family[j] = j
		if !foldsDistinct(c) || c.Arg == nil {
			a.famSize[j] = 1
			continue
		}
		x := c.Arg
		if cs, ok := x.(*planner.Case); ok && len(cs.Whens) == 1 && cs.Else == nil && sameT(cs.Whens[0].Then.Type(), cs.T) {
			x = cs.Whens[0].Then
		}
		base[j] = x.Type().String() + ":" + x.String()
		for i := range j {
			if base[i] == base[j] && a.family[i] == i {
				a.family[j], a.member[j] = i, a.famSize[i]
				a.famSize[i]++
				break
			}
		}
		if a.family[j] == j {
			a.famSize[j] = 1
		}
	}
}

// sameT reports equal types.
func sameT(a, b types.T) bool { return a == b }

func (a *Aggregate) multisetKey(group string, j int) []byte {
	k := make([]byte, 0, len(group)+16)
	k = append(k, group...)
	return append(k, tagMultiset, byte(j))
}

func (a *Aggregate) appendMultisetValue(k []byte, j, row int) []byte {
	k = a.appendOrderKey(k, j, row)
	start := len(k)
	switch c := a.plan.Aggs[j]; {
	case c.Distinct && c.Func == planner.AggCount && a.argVecs[j].Type.Kind == types.Numeric:
		// Counted by value: 1.0 and 1.00 are one, as in PostgreSQL.
		return encodeMatch(k, a.argVecs[j], row)
	case c.Distinct:
		// DISTINCT meets equal values: '1 day' and '24 hours' are one.
		k = encodeGroup(k, a.argVecs[j], row)
	default:
		k = encodeValue(k, a.argVecs[j], row)
	}
	if a.plan.Aggs[j].Func == planner.AggMax {
		copy(k[start:], invert(k[start:]))
	}
	return k
}

// keepsNull reports whether aggregate j keeps its NULL values: first_value
// and last_value with an ORDER BY (RisingWave's) answer NULL when the
// first row's value is NULL, and json_agg lists it as null.
func (a *Aggregate) keepsNull(j int) bool {
	f := a.plan.Aggs[j].Func
	return len(a.ord[j]) > 0 && (f == planner.AggFirstValue || f == planner.AggLastValue) || isJSONAgg(f)
}

// isJSONAgg reports json_agg and jsonb_agg, which keep NULLs as null.
func isJSONAgg(f planner.AggFunc) bool { return f == planner.AggJSONAgg || f == planner.AggJSONBAgg }

// Order key markers: a NULL before every value, a value, a NULL after.
const (
	ordNullFirst = 0x00
	ordValue     = 0x01
	ordNullLast  = 0x02
)

// appendOrderKey appends row r's ORDER BY key of aggregate j in front of
// its value in the value count's key, so that the counts iterate in the
// call's order: per key a marker (ordNullFirst, ordValue, ordNullLast)
// and the value's order-preserving encoding, its bytes inverted for DESC
// (inverting a prefix-free encoding reverses its order).
func (a *Aggregate) appendOrderKey(k []byte, j, r int) []byte {
	for i, v := range a.ordVecs[j] {
		o := a.ord[j][i]
		switch {
		case !v.IsNull(r):
			k = append(k, ordValue)
		case o.NullsFirst:
			k = append(k, ordNullFirst)
			continue
		default:
			k = append(k, ordNullLast)
			continue
		}
		start := len(k)
		if a.plan.Aggs[j].Distinct {
			k = encodeGroup(k, v, r) // its ORDER BY is its argument's
		} else {
			k = encodeValue(k, v, r)
		}
		if o.Desc {
			for i := start; i < len(k); i++ {
				k[i] = ^k[i]
			}
		}
	}
	return k
}

// skipOrderKey returns what follows the ORDER BY key of aggregate j that
// b starts with: the value.
func (a *Aggregate) skipOrderKey(b []byte, j int) ([]byte, error) {
	for _, o := range a.ord[j] {
		if len(b) == 0 {
			return nil, errCorruptAcc
		}
		m := b[0]
		b = b[1:]
		if m != ordValue {
			continue
		}
		t := o.X.Type()
		if t.Kind != types.Numeric && t.Phys() == types.String {
			t = types.Varchar // arrays and the rest held in Str
		}
		v := vec.New(t, 1)
		x := b
		if o.Desc {
			x = invert(b)
		}
		rest, err := decodeValue(x, &v)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errCorruptAcc, err)
		}
		b = b[len(b)-len(rest):]
	}
	return b, nil
}

// invert flips every bit, reversing the order of prefix-free encodings.
func invert(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = ^c
	}
	return out
}

// mergeVal adds a partial accumulator into a stored one.
func mergeVal(f planner.AggFunc, kind types.Kind, acc, p *aggVal) {
	switch f {
	case planner.AggVarSamp, planner.AggVarPop, planner.AggStddevSamp, planner.AggStddevPop:
		mergeVariance(kind, acc, p)
	case planner.AggBoolAnd, planner.AggBoolOr:
		acc.n += p.n
		acc.i += p.i
	case planner.AggStringAgg, planner.AggArrayAgg, planner.AggJSONAgg, planner.AggJSONBAgg:
		if p.has {
			acc.s, acc.has = acc.s+p.s, true
		}
	case planner.AggFirstValue: // acc holds the earlier rows
		if !acc.has && p.has {
			*acc = *p
		}
	case planner.AggLastValue:
		if p.has {
			*acc = *p
		}
	case planner.AggApproxCountDistinct:
		acc.s = mergeHLL(acc.s, p.s)
	case planner.AggMin, planner.AggMax:
		if p.has && (!acc.has || betterVal(f, kind, p, acc)) {
			*acc = *p
		}
	default:
		acc.n += p.n
		acc.addWide(p.hi, p.i)
		if kind == types.Numeric {
			acc.s = mergeNumeric(acc.s, p.s)
		}
		if kind == types.Float64 {
			mergeFloat(acc, p)
		}
		if kind == types.Interval {
			acc.w[0] += p.w[0]
			acc.w[1] += p.w[1]
		}
	}
}

func betterVal(f planner.AggFunc, kind types.Kind, p, acc *aggVal) bool {
	var c int
	switch kind {
	case types.String, types.Array:
		c = cmp.Compare(p.s, acc.s)
	case types.Numeric:
		c = vec.CompareNumericText(p.s, acc.s)
	case types.Interval:
		c = vec.CompareIntervals(vec.IntervalOfTag(p.s, p.i), vec.IntervalOfTag(acc.s, acc.i))
	case types.Float64:
		c = vec.CompareFloatPG(p.f, acc.f) // NaN above every number
	case types.Bool:
		c = cmpBool(p.b, acc.b)
	default:
		c = cmp.Compare(p.i, acc.i)
	}
	if f == planner.AggMin {
		return c < 0
	}
	return c > 0
}

// appendRow appends one output row with diff d: window bounds, key values
// taken from keyVecs at row r (or the scratch batch when keyVecs is nil),
// and the aggregates' results.
func (a *Aggregate) appendRow(keyVecs []*vec.Vec, r int, start, end int64, acc []aggVal, d int64) {
	c := 0
	if a.plan.Window != nil {
		a.outB.Cols[0].AppendI64(start)
		a.outB.Cols[1].AppendI64(end)
		c = 2
	}
	for i := range a.plan.Keys {
		if keyVecs != nil {
			appendGroupValue(&a.outB.Cols[c], keyVecs[i], r)
		} else {
			a.outB.Cols[c].AppendFrom(&a.scratch.Cols[i], r)
		}
		c++
	}
	for j, call := range a.plan.Aggs {
		// A retraction repeats a result already emitted (and counted).
		errs := a.errs
		if d < 0 {
			errs = nil
		}
		aggResult(call, a.argTypes[j], &acc[j], &a.outB.Cols[c], errs)
		c++
	}
	a.outB.EndRow(d)
}

// floatOverflow is PostgreSQL's error for a float8 result past its range.
func floatOverflow() *sqlerr.Error {
	return sqlerr.New(sqlerr.NumericOutOfRange, "value out of range: overflow")
}

// aggResult appends an aggregate's current result; a SUM outside its
// type's range is NULL and reported to errs.
func aggResult(c planner.AggCall, arg types.T, v *aggVal, out *vec.Vec, errs *RowErrors) {
	switch c.Func {
	case planner.AggCount, planner.AggCountStar:
		out.AppendI64(v.n)
	case planner.AggSum:
		switch {
		case v.n == 0:
			out.AppendNull()
		case out.Type.Kind == types.Interval:
			intervalSum(v, out, errs, false)
		case out.Type.Kind == types.Numeric:
			numericSum(arg, v, out)
		case out.Type.Kind == types.Float64:
			if f, ok := floatTotal(v); ok {
				out.AppendF64(f)
			} else {
				out.AppendNull()
				errs.report(floatOverflow)
			}
		case !v.wideFits() || !vec.InRange(v.i, out.Type):
			out.AppendNull()
			t := out.Type
			errs.report(func() *sqlerr.Error { return sqlerr.New(sqlerr.NumericOutOfRange, "%s", planner.OutOfRange(t)) })
		default:
			out.AppendI64(v.i)
		}
	case planner.AggAvg:
		switch {
		case v.n == 0:
			out.AppendNull()
		case out.Type.Kind == types.Interval:
			intervalSum(v, out, errs, true)
		case out.Type.Kind == types.Numeric:
			numericAvg(arg, v, out)
		case arg.Kind == types.Float64:
			if f, ok := floatTotal(v); ok {
				out.AppendF64(f / float64(v.n))
			} else {
				out.AppendNull()
				errs.report(floatOverflow)
			}
		case arg.Kind == types.Decimal:
			out.AppendF64(v.wideFloat() / float64(types.Pow10[arg.Scale]) / float64(v.n))
		default:
			out.AppendF64(v.wideFloat() / float64(v.n))
		}
	case planner.AggVarSamp, planner.AggVarPop, planner.AggStddevSamp, planner.AggStddevPop:
		varianceResult(c.Func, arg, v, out, errs)
	case planner.AggApproxCountDistinct:
		out.AppendI64(hllResult(v))
	case planner.AggBoolAnd, planner.AggBoolOr:
		boolResult(c.Func, v, out)
	case planner.AggArrayAgg:
		if !v.has {
			out.AppendNull()
			return
		}
		out.AppendStr(arrayOfListed(v.s, out.Type))
	case planner.AggJSONAgg, planner.AggJSONBAgg:
		if !v.has {
			out.AppendNull()
			return
		}
		s, err := joinListed(v.s, ", ")
		if err != nil {
			panic(err) // only a corrupt state has a bad list
		}
		out.AppendStr("[" + s + "]")
	case planner.AggStringAgg:
		if !v.has {
			out.AppendNull()
			return
		}
		s, err := joinListed(v.s, c.Sep)
		if err != nil {
			panic(err) // only a corrupt state has a bad list
		}
		out.AppendStr(s)
	case planner.AggPercentileCont:
		if !v.has {
			out.AppendNull()
			return
		}
		out.AppendF64(v.f)
	case planner.AggMin, planner.AggMax, planner.AggPercentileDisc, planner.AggFirstValue, planner.AggLastValue:
		if !v.has {
			out.AppendNull()
			return
		}
		switch out.Type.Phys() {
		case types.Float64:
			out.AppendF64(v.f)
		case types.Interval:
			out.AppendInterval(vec.IntervalOfTag(v.s, v.i))
		case types.String, types.Numeric:
			out.AppendStr(v.s)
		case types.Bool:
			out.AppendBool(v.b)
		default:
			out.AppendI64(v.i)
		}
	}
}

// closeWindows drops the state of every window ending at or before wm,
// first emitting their final rows under EMIT ON WINDOW CLOSE. A complete
// window is emitted straight from the cache; one that was evicted is
// written back and read in one bounded scan.
func (a *Aggregate) closeWindows(wm int64) error {
	hi := keys.AppendInt64(nil, wm+1)
	if !a.plan.EmitOnClose {
		// Held-back changes of the closing windows point into the cache.
		if err := a.emitUpTo(wm); err != nil {
			return err
		}
		for end := range a.windows {
			if end <= wm {
				a.dropWindow(end)
			}
		}
		return a.store.DeleteRange(nil, hi)
	}
	a.outB.Reset()
	for end, w := range a.windows {
		if end > wm || !a.complete[end] {
			continue
		}
		for key, g := range w {
			if g.present {
				if err := a.appendClosed([]byte(key), g.acc, g.rep); err != nil {
					return err
				}
			}
		}
		// A checkpoint may have written this window back: its state is
		// now emitted from the cache, so the scan below must not see it.
		lo := keys.AppendInt64(nil, end)
		if err := a.store.DeleteRange(lo, keys.PrefixEnd(lo)); err != nil {
			return err
		}
		a.dropWindow(end)
	}
	if err := a.writeBack(wm, true); err != nil {
		return err
	}
	acc := make([]aggVal, len(a.plan.Aggs))
	it := a.store.NewIter(nil, hi)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if k[len(k)-1] != tagAcc || !a.isAccKey(k) {
			continue
		}
		_, rep, err := a.decodeGroupAcc(it.Value(), acc)
		if err != nil {
			it.Close()
			return err
		}
		if err := a.appendClosed(k[:len(k)-1], acc, rep); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	if a.outB.N > 0 {
		if err := a.out.Push(a.outB); err != nil {
			return err
		}
	}
	return a.store.DeleteRange(nil, hi)
}

// isAccKey reports whether a state key is a group's accumulator key (not a
// multiset value key that happens to end in the same byte).
func (a *Aggregate) isAccKey(k []byte) bool {
	_, rest, err := keys.DecodeInt64(k)
	if err != nil {
		return false
	}
	rest, err = a.decodeKey(rest, "")
	return err == nil && len(rest) == 1 && rest[0] == tagAcc
}

// appendClosed appends the final row of a closed window's group, decoding
// the window end and key values from the group key (at the scales of
// representative rep).
func (a *Aggregate) appendClosed(group []byte, acc []aggVal, rep string) error {
	end, rest, err := keys.DecodeInt64(group)
	if err != nil {
		return fmt.Errorf("%w: %v", errCorruptAcc, err)
	}
	if _, err := a.decodeKey(rest, rep); err != nil {
		return err
	}
	a.appendRow(nil, 0, a.plan.Window.Start(end), end, acc, 1)
	return nil
}

// encodeAcc writes a group's row count and accumulators.
func encodeAcc(b []byte, rows int64, acc []aggVal) []byte {
	b = binary.AppendVarint(b, rows)
	for _, v := range acc {
		b = binary.AppendVarint(b, v.n)
		b = binary.AppendVarint(b, v.i)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.f))
		flags := byte(0)
		if v.has {
			flags |= 1
		}
		if v.b {
			flags |= 2
		}
		wide := !v.wideFits()
		if wide {
			flags |= 4
		}
		if v.w != [3]uint64{} {
			flags |= 8
		}
		b = append(b, flags)
		if wide {
			b = binary.AppendVarint(b, v.hi)
		}
		if flags&8 != 0 {
			for _, w := range v.w {
				b = binary.LittleEndian.AppendUint64(b, w)
			}
		}
		b = binary.AppendUvarint(b, uint64(len(v.s)))
		b = append(b, v.s...)
	}
	return b
}

// decodeAcc reads what encodeAcc wrote into acc.
func decodeAcc(b []byte, acc []aggVal) (int64, error) {
	rows, _, err := decodeAccRest(b, acc)
	return rows, err
}

// decodeAccRest is decodeAcc, also returning the bytes after the
// accumulators.
func decodeAccRest(b []byte, acc []aggVal) (int64, []byte, error) {
	rows, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, errCorruptAcc
	}
	b = b[n:]
	for i := range acc {
		v := &acc[i]
		var k int
		if v.n, k = binary.Varint(b); k <= 0 {
			return 0, nil, errCorruptAcc
		}
		b = b[k:]
		if v.i, k = binary.Varint(b); k <= 0 {
			return 0, nil, errCorruptAcc
		}
		b = b[k:]
		if len(b) < 9 {
			return 0, nil, errCorruptAcc
		}
		v.f = math.Float64frombits(binary.LittleEndian.Uint64(b))
		v.has, v.b = b[8]&1 != 0, b[8]&2 != 0
		wide, ext := b[8]&4 != 0, b[8]&8 != 0
		b = b[9:]
		v.hi = v.i >> 63
		if wide {
			if v.hi, k = binary.Varint(b); k <= 0 {
				return 0, nil, errCorruptAcc
			}
			b = b[k:]
		}
		v.w = [3]uint64{}
		if ext {
			if len(b) < 24 {
				return 0, nil, errCorruptAcc
			}
			for i := range v.w {
				v.w[i] = binary.LittleEndian.Uint64(b[8*i:])
			}
			b = b[24:]
		}
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return 0, nil, errCorruptAcc
		}
		v.s = string(b[k : k+int(l)])
		b = b[k+int(l):]
	}
	return rows, b, nil
}
