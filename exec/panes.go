package exec

import (
	"math"
	"slices"
	"unsafe"

	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/state/keys"
)

// Sliding windows (HOP) that emit on close keep panes: each row updates
// the one slide-sized pane it falls in, stored as a tumbling window of the
// slide (its group key led by the pane's end), instead of the size/slide
// windows that contain it. Closing window [E-size, E) merges its panes'
// accumulators per key. This needs aggregates that merge (no multisets:
// COUNT, SUM, AVG, and MIN and MAX over an append-only input) and a size
// that is a multiple of the slide; other HOPs keep a group per window.
//
// An updating view's HOP (SetDeferEmit) keeps panes too: its changes are
// held back per pane, and an emit recomputes each open window that holds
// a changed pane from its panes twice, as they were at the last emit (a
// changed pane's was) and as they are, and sends the difference. A row
// then updates one pane rather than size/slide windows, and a window
// changed by many rows between emits is merged once. Its state is marked
// (paneMarker) so that the per-window state of an updating HOP from
// before panes is never read as panes: such an aggregate keeps windows.
type panes struct {
	ends map[int64]bool // pane ends in the cache or in state
	init bool
	// updating: the panes of an updating view (see above); byKey, span
	// and old, cur are emitPanes' scratch.
	updating bool
	byKey    map[string][]int64 // group key → its changed panes
	span     []*group           // a key's panes in reach
	old, cur []aggVal
	peeked   group // peekPane's
	// merged and accs are closePanes' scratch: a window's accumulators by
	// group key (without the pane end); order holds the window ends.
	merged map[string]int32
	accs   []aggVal
	order  []int64
}

// usePanes reports whether a planned aggregate can keep panes: one that
// emits on close over an append-only input, or an updating view's
// (deferEmit).
func usePanes(p *planner.Aggregate, multiset []bool, deferEmit bool) bool {
	w := p.Window
	return w != nil && w.Kind == planner.Hop && (p.EmitOnClose && p.Input.AppendOnly() || deferEmit) && !byValueKeys(p) &&
		w.Size%w.Slide == 0 && w.Size > w.Slide && !slices.Contains(multiset, true) &&
		!slices.ContainsFunc(p.Aggs, func(c planner.AggCall) bool { return c.Func == planner.AggFirstValue || c.Func == planner.AggLastValue })
}

// paneMarker is the state key that says an updating view's aggregate
// keeps panes: window end MaxInt64, which no pane has, then 0xFF.
var paneMarker = append(keys.AppendInt64(nil, math.MaxInt64), 0xFF)

// addPane folds row r into its pane if some window holding the pane is
// still open, and reports whether it did.
func (a *Aggregate) addPane(r int, d, t int64) bool {
	w := a.plan.Window
	start := planner.FloorDiv(t, w.Slide) * w.Slide
	end := start + w.Slide
	if end+w.Size-w.Slide+w.Grace <= a.wm {
		return false
	}
	a.add(r, d, start, end)
	a.panes.ends[end] = true
	return true
}

// initPanes learns which panes state holds (after a restore), hopping from
// one pane end to the next.
func (a *Aggregate) initPanes() error {
	ps := &a.panes
	if ps.init {
		return nil
	}
	ps.init, ps.ends, ps.merged = true, map[int64]bool{}, map[string]int32{}
	if ps.updating {
		_, marked, err := a.store.Get(paneMarker)
		if err != nil {
			return err
		}
		if !marked {
			it := a.store.NewIter(nil, nil)
			empty := !it.First()
			if err := it.Close(); err != nil {
				return err
			}
			if !empty {
				a.usePanes = false // windows, as written before panes
				return nil
			}
			if err := a.store.Put(paneMarker, nil); err != nil {
				return err
			}
		}
	}
	var lo []byte
	for {
		it := a.store.NewIter(lo, nil)
		found := it.First()
		var end int64
		if found {
			var err error
			if end, _, err = keys.DecodeInt64(it.Key()); err != nil {
				it.Close()
				return errCorruptAcc
			}
		}
		if err := it.Close(); err != nil {
			return err
		}
		if !found || end == math.MaxInt64 { // the marker
			return nil
		}
		ps.ends[end] = true
		lo = keys.AppendInt64(nil, end+1)
	}
}

// closePanes emits every window ending after closed and at or before wm
// that has a pane, then drops the panes whose windows have all closed.
func (a *Aggregate) closePanes(closed, wm int64) error {
	if err := a.initPanes(); err != nil {
		return err
	}
	ps := &a.panes
	w := a.plan.Window
	ends := ps.order[:0]
	for p := range ps.ends {
		for e := p; e < p+w.Size; e += w.Slide {
			if e > closed && e <= wm {
				ends = append(ends, e)
			}
		}
	}
	slices.Sort(ends)
	ends = slices.Compact(ends)
	ps.order = ends
	a.outB.Reset()
	nAggs := len(a.plan.Aggs)
	for _, e := range ends {
		clear(ps.merged)
		ps.accs = ps.accs[:0]
		for p := e - w.Size + w.Slide; p <= e; p += w.Slide {
			if !ps.ends[p] {
				continue
			}
			if err := a.loadPane(p); err != nil {
				return err
			}
			for key, g := range a.windows[p] {
				if !g.present {
					continue
				}
				gk := key[8:] // after the pane end
				i, ok := ps.merged[gk]
				if !ok {
					i = int32(len(ps.merged))
					ps.merged[gk] = i
					for range nAggs {
						ps.accs = append(ps.accs, aggVal{})
					}
				}
				acc := ps.accs[int(i)*nAggs : int(i+1)*nAggs]
				for j, c := range a.plan.Aggs {
					mergeVal(c.Func, a.argTypes[j].Kind, &acc[j], &g.acc[j])
				}
			}
		}
		for gk, i := range ps.merged {
			a.scratch.Reset()
			if _, err := decodeRow([]byte(gk), a.scratch.Cols); err != nil {
				return err
			}
			a.appendRow(nil, 0, e-w.Size, e, ps.accs[int(i)*nAggs:int(i+1)*nAggs], 1)
		}
	}
	// A pane's last window ends size - slide after it.
	last := wm - w.Size + w.Slide
	for p := range ps.ends {
		if p <= last {
			delete(ps.ends, p)
			a.dropWindow(p)
		}
	}
	if err := a.store.DeleteRange(nil, keys.AppendInt64(nil, last+1)); err != nil {
		return err
	}
	if a.outB.N > 0 {
		return a.out.Push(a.outB)
	}
	return nil
}

// loadPane makes the cache hold every group of pane p, reading from state
// those it lacks (written back and evicted, or restored).
func (a *Aggregate) loadPane(p int64) error {
	if a.windows[p] != nil && a.complete[p] {
		return nil
	}
	if a.windows[p] == nil {
		a.windows[p] = map[string]*group{}
	}
	cache := a.windows[p]
	lo := keys.AppendInt64(nil, p)
	it := a.store.NewIter(lo, keys.PrefixEnd(lo))
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		key := string(k[:len(k)-1]) // without tagAcc
		if cache[key] != nil {
			continue // the cached group is newer
		}
		g := &group{acc: make([]aggVal, len(a.plan.Aggs)), present: true}
		var err error
		if g.rows, err = decodeAcc(it.Value(), g.acc); err != nil {
			it.Close()
			return err
		}
		cache[key] = g
		a.cached++
	}
	a.complete[p] = true
	return it.Close()
}

// closeUpdatingPanes is closePanes for an updating view: once a window
// end is crossed, the closing windows' held-back changes go out, then
// the panes whose windows have all closed are dropped. The windows that
// stay open keep theirs until the next emit.
func (a *Aggregate) closeUpdatingPanes(closed, wm int64) error {
	w := a.plan.Window
	if closed != math.MinInt64 && planner.FloorDiv(wm, w.Slide) == planner.FloorDiv(closed, w.Slide) {
		return nil // no window closes
	}
	if err := a.emitPanes(closed, wm); err != nil {
		return err
	}
	last := wm - w.Size + w.Slide
	for p, gs := range a.changed {
		if p <= last {
			for _, h := range gs {
				h.g.held = nil
			}
			a.nchanged -= len(gs)
			delete(a.changed, p)
		}
	}
	for p := range a.panes.ends {
		if p <= last {
			delete(a.panes.ends, p)
			a.dropWindow(p)
		}
	}
	return a.store.DeleteRange(nil, keys.AppendInt64(nil, last+1))
}

// emitPanes sends the changes of the windows ending in (closed, upTo]
// that hold a changed pane: each window's row as of the last emit, merged
// from its panes as they were then (a changed pane's was), retracted, and
// its row as of now added. Emitting every window (upTo MaxInt64) makes
// the panes current; a closing window's emit leaves them changed for the
// windows that stay open. Per group key, each pane in reach is looked up
// once, then every affected window merges its panes from that.
func (a *Aggregate) emitPanes(closed, upTo int64) error {
	if a.nchanged == 0 {
		return nil
	}
	w, ps := a.plan.Window, &a.panes
	if ps.byKey == nil {
		ps.byKey = map[string][]int64{}
	}
	clear(ps.byKey)
	for p, gs := range a.changed {
		// Pane [p - slide, p) is in the windows ending p ... p + size - slide.
		if p > upTo || p+w.Size-w.Slide <= closed {
			continue
		}
		for _, h := range gs {
			ps.byKey[h.key[8:]] = append(ps.byKey[h.key[8:]], p)
		}
	}
	n := len(a.plan.Aggs)
	ratio := int(w.Size / w.Slide)
	ps.old, ps.cur = slices.Grow(ps.old[:0], n)[:n], slices.Grow(ps.cur[:0], n)[:n]
	a.outB.Reset()
	for gk, changed := range ps.byKey {
		slices.Sort(changed)
		// The windows to emit, and the panes they hold.
		first := changed[0] // window and pane ends are all aligned to the slide
		if first <= closed {
			first += (closed - first) / w.Slide * w.Slide
			for first <= closed {
				first += w.Slide
			}
		}
		last := min(changed[len(changed)-1]+w.Size-w.Slide, upTo)
		if first > last {
			continue
		}
		lo := first - w.Size + w.Slide
		ps.span = ps.span[:0]
		for p := lo; p <= last; p += w.Slide {
			g, err := a.peekPane(p, gk)
			if err != nil {
				return err
			}
			if g == &ps.peeked {
				c := *g // the next peek reuses it
				c.acc = slices.Clone(g.acc)
				g = &c
			}
			ps.span = append(ps.span, g)
		}
		decoded := false
		next := 0 // changed[next] is the first changed pane not before the window's first
		for e := first; e <= last; e += w.Slide {
			for next < len(changed) && changed[next] <= e-w.Size {
				next++
			}
			if next == len(changed) || changed[next] > e {
				continue // no changed pane in this window
			}
			clear(ps.old)
			clear(ps.cur)
			var oldRows, curRows int64
			i0 := int((e - w.Size + w.Slide - lo) / w.Slide)
			for _, g := range ps.span[i0 : i0+ratio] {
				if g == nil {
					continue
				}
				was, wasRows := g.acc, g.rows
				if g.held != nil {
					was, wasRows = g.held.was, g.held.wasRows
				}
				oldRows += wasRows
				curRows += g.rows
				for j, c := range a.plan.Aggs {
					mergeVal(c.Func, a.argTypes[j].Kind, &ps.old[j], &was[j])
					mergeVal(c.Func, a.argTypes[j].Kind, &ps.cur[j], &g.acc[j])
				}
			}
			if oldRows > 0 && curRows > 0 && slices.Equal(ps.old, ps.cur) || oldRows <= 0 && curRows <= 0 {
				continue
			}
			if !decoded {
				a.scratch.Reset()
				if _, err := decodeRow(unsafe.Slice(unsafe.StringData(gk), len(gk)), a.scratch.Cols); err != nil {
					return err
				}
				decoded = true
			}
			if oldRows > 0 {
				a.appendRow(nil, 0, e-w.Size, e, ps.old, -1)
			}
			if curRows > 0 {
				a.appendRow(nil, 0, e-w.Size, e, ps.cur, 1)
			}
			if a.outB.N >= emitBatch {
				if err := a.out.Push(a.outB); err != nil {
					return err
				}
				a.outB.Reset()
			}
		}
	}
	if upTo == math.MaxInt64 {
		for p, gs := range a.changed {
			for _, h := range gs {
				h.g.held = nil
			}
			clear(gs)
			delete(a.changed, p)
		}
		a.nchanged = 0
	}
	if a.outB.N == 0 {
		return nil
	}
	err := a.out.Push(a.outB)
	a.outB.Reset()
	return err
}

// peekPane returns the group gk of pane p, from the cache or else read
// from state into a scratch group (not cached), or nil if there is none.
func (a *Aggregate) peekPane(p int64, gk string) (*group, error) {
	a.keyBuf = append(keys.AppendInt64(a.keyBuf[:0], p), gk...)
	if g := a.windows[p][string(a.keyBuf)]; g != nil {
		return g, nil
	}
	if a.complete[p] || !a.panes.ends[p] {
		return nil, nil
	}
	v, ok, err := a.store.Get(append(a.keyBuf, tagAcc))
	if err != nil || !ok {
		return nil, err
	}
	g := &a.panes.peeked
	if len(g.acc) != len(a.plan.Aggs) {
		g.acc = make([]aggVal, len(a.plan.Aggs))
	}
	if g.rows, err = decodeAcc(v, g.acc); err != nil {
		return nil, err
	}
	return g, nil
}
