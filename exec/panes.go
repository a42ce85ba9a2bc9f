package exec

import (
	"math"
	"slices"

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
type panes struct {
	ends map[int64]bool // pane ends in the cache or in state
	init bool
	// merged and accs are closePanes' scratch: a window's accumulators by
	// group key (without the pane end); order holds the window ends.
	merged map[string]int32
	accs   []aggVal
	order  []int64
}

// usePanes reports whether a planned aggregate can keep panes.
func usePanes(p *planner.Aggregate, multiset []bool) bool {
	w := p.Window
	return w != nil && w.Kind == planner.Hop && p.EmitOnClose && p.Input.AppendOnly() &&
		w.Size%w.Slide == 0 && w.Size > w.Slide && !slices.Contains(multiset, true)
}

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
		if !found {
			return nil
		}
		ps.ends[end] = true
		if end == math.MaxInt64 {
			return nil
		}
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
