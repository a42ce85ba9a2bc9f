package exec

import (
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/keys"
	"github.com/streamsql/streamsql/state/writeback"
)

// Aggregate is a grouped, optionally windowed aggregation whose groups live
// in a state namespace.
//
// Key layout (see state/keys for the encodings):
//
//	group   = [window_end int64] key_1 ... key_n       (each key: null marker + value)
//	group|0x00                      → accumulators
//	group|0x01|agg|value            → count of value (COUNT DISTINCT; MIN and
//	                                  MAX over a retracting input; MAX's
//	                                  value bytes inverted so the largest
//	                                  sorts first)
//
// The layout is pinned, with examples, in testdata/state_keys.
//
// Window end leads the key, so the groups of every window closed by a
// watermark W form the one range [-inf, W+1): closing is a bounded scan
// (for EMIT ON WINDOW CLOSE) and a DeleteRange, never a full scan.
//
// Each batch is first pre-aggregated in memory, so the state is read and
// written once per group per batch, not once per row.
type Aggregate struct {
	plan  *planner.Aggregate
	store state.Store
	// wb is store: every read and write of the aggregate's state goes
	// through the write-back cache, so that the value counts of
	// COUNT(DISTINCT) and of multiset MIN/MAX reach the backend as one
	// Apply a flush, not a commit a change.
	wb *writeback.Cache
	// family[j] is the first of the aggregates of DISTINCT values (see
	// foldsDistinct) over the same value as aggregate j (FILTERs of it:
	// COUNT(DISTINCT x) FILTER (WHERE c) is the count of CASE WHEN c THEN
	// x END; SUM(DISTINCT x) beside COUNT(DISTINCT x)), member[j] j's
	// place in it: they share one value count key, holding a count each.
	family, member []int
	famSize        []int
	famIdx         map[string]int
	famEnts        []famEnt
	keyEv          []Evaluator
	argEv          []Evaluator
	argTypes       []types.T
	multiset       []bool
	// ord[j] is aggregate j's ORDER BY (last_value's reversed, so that
	// its answer comes first too), ordEv and ordVecs its keys' evaluators
	// and the batch's values (see appendOrderKey).
	ord     [][]planner.AggOrder
	ordEv   [][]Evaluator
	ordVecs [][]*vec.Vec
	// filtEv and filtVecs: the aggregates' own FILTERs (see
	// planner.AggCall.Filter), nil for those without.
	filtEv     []Evaluator
	filtVecs   []*vec.Vec
	appendOnly bool
	global     bool
	// byValue: NUMERIC keys group by value (see aggkeys.go).
	byValue bool
	out     Operator
	outB    *vec.Batch
	wm      int64
	late    atomic.Int64
	errs    *RowErrors

	// windows caches decoded groups by window end (0 when unwindowed):
	// the state is read once per group, not once per batch, and written
	// back only at a flush, a window's close, or when cached exceeds
	// maxCached groups.
	windows   map[int64]map[string]*group
	cached    int
	maxCached int
	// complete marks cached windows whose every group in state is also in
	// the cache (the window began empty and was never evicted; writing
	// back keeps this): a miss there needs no state read, and closing it
	// needs no state scan.
	complete map[int64]bool

	// deferEmit: an updating view's aggregate holds its changes back
	// until Emit (see SetDeferEmit); changed lists the groups that
	// changed since the last one by window end, nchanged counts them.
	deferEmit bool
	changed   map[int64][]*heldChange
	nchanged  int
	// heldChunk and heldKeys are what the held changes are cut from.
	heldChunk []heldChange
	heldKeys  []byte

	// shard and shards: this aggregate is replica shard of shards and
	// keeps only the groups whose key hashes to it (see parallel.go).
	shard, shards uint64
	owner         []uint64 // each row's replica (see hashShards)

	sess sessState // SESSION windows' cache
	// usePanes: a HOP kept as panes (see panes.go).
	usePanes bool
	panes    panes

	groups map[string]int32
	parts  []part
	vals   []aggVal
	deltas []delta
	keyBuf []byte
	accBuf []byte
	// keyArena holds the current batch's group keys (see batchKey).
	keyArena []byte
	// groupChunk and accChunk are what newGroup cuts groups from.
	groupChunk []group
	accChunk   []aggVal
	batch      state.Batch // writeBack's
	keyVecs    []*vec.Vec
	argVecs    []*vec.Vec
	scratch    *vec.Batch
}

// group is one cached group: its row count and accumulators. A group that
// is not present (rows gone to zero) stays cached as a tombstone until it
// is written back, so state is never read stale.
type group struct {
	rows int64
	acc  []aggVal
	// rep is the group's representative, for groups keyed by value (see
	// aggkeys.go).
	rep     string
	present bool
	dirty   bool
	// held: the group changed since the last Emit of a view that holds
	// its changes back (nil otherwise, and for every other aggregate).
	held *heldChange
}

// heldChange is a changed group's row as last emitted, kept until the
// next Emit: its key (window end first) and window end, whether it was
// present, its row count, accumulators and representative then.
type heldChange struct {
	g          *group
	key        string
	end        int64
	wasPresent bool
	wasRows    int64
	was        []aggVal
	wasRep     string
}

// DefaultCacheGroups bounds an aggregate's cache of decoded groups.
const DefaultCacheGroups = 1 << 20

// part is one group's pre-aggregated changes within a batch.
type part struct {
	key        string
	row        int32
	start, end int64
	rows       int64
}

// aggVal is one aggregate's accumulator: a count, an integer or float sum,
// and the MIN/MAX value. An integer (or scaled decimal) sum is kept in 128
// bits, hi:i, so it never wraps: only a result that does not fit its type
// is an error, and retractions can bring a sum back into range. w holds a
// variance's sum of squares (see variance.go), s string_agg's values and
// approx_count_distinct's sketch.
type aggVal struct {
	n, i int64
	hi   int64
	f    float64
	s    string
	b    bool
	has  bool
	w    [3]uint64
}

// delta is a change to a multiset aggregate's value counts.
type delta struct {
	part, agg int32
	row       int32
	d         int64
}

// NewAggregate builds the operator for a planned Aggregate.
func NewAggregate(p *planner.Aggregate, store state.Store, out Operator, errs *RowErrors) *Aggregate {
	wb := writeback.New(store)
	a := &Aggregate{plan: p, store: wb, wb: wb, out: out, wm: math.MinInt64, errs: errs,
		appendOnly: p.Input.AppendOnly(), groups: map[string]int32{},
		windows: map[int64]map[string]*group{}, changed: map[int64][]*heldChange{}, maxCached: DefaultCacheGroups, complete: map[int64]bool{}}
	a.global = p.Window == nil && len(p.Keys) == 0
	a.byValue = byValueKeys(p)
	for _, k := range p.Keys {
		a.keyEv = append(a.keyEv, Compile(k, errs))
	}
	for _, c := range p.Aggs {
		var ev Evaluator
		t := types.BigInt
		if c.Arg != nil {
			ev = Compile(c.Arg, errs)
			t = c.Arg.Type()
		}
		a.argEv = append(a.argEv, ev)
		a.argTypes = append(a.argTypes, t)
		var ord []planner.AggOrder
		var ordEv []Evaluator
		for _, o := range c.Order {
			if c.Func == planner.AggLastValue {
				o.Desc, o.NullsFirst = !o.Desc, !o.NullsFirst
			}
			ord = append(ord, o)
			ordEv = append(ordEv, Compile(o.X, errs))
		}
		a.ord, a.ordEv = append(a.ord, ord), append(a.ordEv, ordEv)
		var fe Evaluator
		if c.Filter != nil {
			fe = Compile(c.Filter, errs)
		}
		a.filtEv = append(a.filtEv, fe)
		ms := c.Distinct || len(ord) > 0 || !a.appendOnly && (c.Func == planner.AggMin || c.Func == planner.AggMax || c.Func == planner.AggStringAgg || c.Func == planner.AggArrayAgg || isJSONAgg(c.Func)) ||
			c.Func == planner.AggPercentileCont || c.Func == planner.AggPercentileDisc
		a.multiset = append(a.multiset, ms)
	}
	a.families()
	a.usePanes = usePanes(p, a.multiset, false)
	a.outB = vec.NewBatch(catalog.Types(p.Columns()), 64)
	keyTypes := make([]types.T, len(p.Keys))
	for i, k := range p.Keys {
		keyTypes[i] = k.Type()
	}
	a.scratch = vec.NewBatch(keyTypes, 1)
	return a
}

// SetDeferEmit makes an emit-on-update aggregate hold its changes back
// until Emit, which sends each group that changed since the last Emit
// once (its old row retracted, its new one added), however many batches
// changed it: a view's changes are batched as Flink's mini-batch and
// RisingWave's barriers batch them, and a group that changes a thousand
// times between two emits costs its view one update, not a thousand. It
// is for views: an ad-hoc query emits as it goes. Ignored for SESSION
// windows and EMIT ON WINDOW CLOSE, which emit as they close.
func (a *Aggregate) SetDeferEmit(on bool) {
	a.deferEmit = on && !a.plan.EmitOnClose && (a.plan.Window == nil || a.plan.Window.Kind != planner.Session)
	a.usePanes = usePanes(a.plan, a.multiset, a.deferEmit)
	a.panes.updating = a.usePanes && a.deferEmit
}

// Pending is the number of groups whose changes Emit has yet to send.
func (a *Aggregate) Pending() int { return a.nchanged }

// Late is the number of rows dropped because all their windows had closed.
func (a *Aggregate) Late() int64 { return a.late.Load() }

// Watermark is the last watermark the operator saw.
func (a *Aggregate) Watermark() int64 { return a.wm }

// Restore sets the counters and watermark saved by a checkpoint.
func (a *Aggregate) Restore(late, wm int64) {
	a.late.Store(late)
	a.wm = wm
}

// Stats reports the operator's state size.
func (a *Aggregate) Stats() state.Stats { return a.store.Stats() }

// Start emits the initial row of a global aggregate (no GROUP BY keys):
// like SELECT COUNT(*) over an empty table, it has one row from the start.
func (a *Aggregate) Start() error {
	if !a.global {
		return nil
	}
	g, err := a.group(0, "")
	if err != nil || g.present {
		return err
	}
	g.present, g.dirty = true, true
	a.outB.Reset()
	a.appendRow(nil, 0, 0, 0, make([]aggVal, len(a.plan.Aggs)), 1)
	return a.out.Push(a.outB)
}

func (a *Aggregate) Push(b *vec.Batch) error {
	a.keyVecs = a.keyVecs[:0]
	for _, e := range a.keyEv {
		a.keyVecs = append(a.keyVecs, e.Eval(b))
	}
	a.argVecs = a.argVecs[:0]
	for _, e := range a.argEv {
		var v *vec.Vec
		if e != nil {
			v = e.Eval(b)
		}
		a.argVecs = append(a.argVecs, v)
	}
	a.filtVecs = a.filtVecs[:0]
	for _, e := range a.filtEv {
		var v *vec.Vec
		if e != nil {
			v = e.Eval(b)
		}
		a.filtVecs = append(a.filtVecs, v)
	}
	a.ordVecs = a.ordVecs[:0]
	for _, evs := range a.ordEv {
		var vs []*vec.Vec
		for _, e := range evs {
			vs = append(vs, e.Eval(b))
		}
		a.ordVecs = append(a.ordVecs, vs)
	}
	if a.shards > 1 {
		a.hashShards(b.N)
	}
	w := a.plan.Window
	if w != nil && w.Kind == planner.Session {
		return a.pushSession(b)
	}
	if a.usePanes {
		if err := a.initPanes(); err != nil {
			return err
		}
	}
	clear(a.groups)
	a.parts, a.vals, a.deltas = a.parts[:0], a.vals[:0], a.deltas[:0]
	a.keyArena = a.keyArena[:0]
	for r := 0; r < b.N; r++ {
		if a.shards > 1 && a.owner[r] != a.shard {
			continue
		}
		d := b.DiffAt(r)
		if w == nil {
			a.add(r, d, 0, 0)
			continue
		}
		tv := &b.Cols[w.Time]
		if tv.IsNull(r) {
			continue
		}
		t := tv.I64[r]
		open := false
		if a.usePanes {
			open = a.addPane(r, d, t)
		} else if w.Kind == planner.Cumulate {
			// One start; ends every step after t up to the max size.
			s := planner.FloorDiv(t, w.Size) * w.Size
			for e := s + (planner.FloorDiv(t-s, w.Slide)+1)*w.Slide; e <= s+w.Size; e += w.Slide {
				if e+w.Grace > a.wm {
					open = true
					a.add(r, d, s, e)
				}
			}
		} else {
			for s := planner.FloorDiv(t, w.Slide) * w.Slide; s > t-w.Size; s -= w.Slide {
				if s+w.Size+w.Grace > a.wm {
					open = true
					a.add(r, d, s, s+w.Size)
				}
			}
		}
		if !open {
			a.late.Add(1)
		}
	}
	return a.flush()
}

// add folds row r (with diff d) into its group's pre-aggregate.
func (a *Aggregate) add(r int, d int64, start, end int64) {
	k := a.keyBuf[:0]
	if a.plan.Window != nil {
		k = keys.AppendInt64(k, end)
	}
	k = a.appendGroupKey(k, r)
	a.keyBuf = k
	pi, ok := a.groups[string(k)]
	if !ok {
		pi = int32(len(a.parts))
		s := a.batchKey(k)
		a.groups[s] = pi
		a.parts = append(a.parts, part{key: s, row: int32(r), start: start, end: end})
		for range a.plan.Aggs {
			a.vals = append(a.vals, aggVal{})
		}
	}
	p := &a.parts[pi]
	p.rows += d
	nAggs := len(a.plan.Aggs)
	vals := a.vals[int(pi)*nAggs : int(pi+1)*nAggs]
	for j, c := range a.plan.Aggs {
		v := &vals[j]
		if c.Func == planner.AggCountStar {
			v.n += d
			continue
		}
		x := a.argVecs[j]
		if x.IsNull(r) && !a.keepsNull(j) || a.filtered(j, r) {
			continue
		}
		if a.multiset[j] {
			a.deltas = append(a.deltas, delta{part: pi, agg: int32(j), row: int32(r), d: d})
			continue
		}
		foldVal(c.Func, v, x, r, d)
	}
}

// filtered reports whether aggregate j's FILTER skips row r.
func (a *Aggregate) filtered(j, r int) bool {
	f := a.filtVecs[j]
	return f != nil && (f.IsNull(r) || !f.Bool[r])
}

// batchKey returns k as a string that lives until the next batch: the
// batch's group keys share one buffer rather than an allocation each. A
// key that stays (a new cached group) is copied by group.
func (a *Aggregate) batchKey(k []byte) string {
	if len(k) == 0 {
		return ""
	}
	if cap(a.keyArena)-len(a.keyArena) < len(k) {
		// A new buffer: strings into the old one stay valid.
		a.keyArena = make([]byte, 0, max(2*cap(a.keyArena), 16<<10, len(k)))
	}
	start := len(a.keyArena)
	a.keyArena = append(a.keyArena, k...)
	return unsafe.String(&a.keyArena[start], len(k))
}

// foldVal adds the non-NULL value x[r], with diff d, into the accumulator
// of an aggregate that keeps no multiset (COUNT, SUM, AVG, the variances,
// bool_and and bool_or, and MIN, MAX and string_agg over an append-only
// input, where d > 0 and the extreme value or the list suffices).
func foldVal(f planner.AggFunc, v *aggVal, x *vec.Vec, r int, d int64) {
	switch f {
	case planner.AggVarSamp, planner.AggVarPop, planner.AggStddevSamp, planner.AggStddevPop:
		foldVariance(v, x, r, d)
	case planner.AggBoolAnd, planner.AggBoolOr:
		foldBool(v, x, r, d)
	case planner.AggStringAgg, planner.AggArrayAgg:
		v.s, v.has = appendListed(v.s, x.Str[r]), true
	case planner.AggJSONAgg, planner.AggJSONBAgg:
		j := "null"
		if !x.IsNull(r) {
			j = x.Str[r]
		}
		v.s, v.has = appendListed(v.s, j), true
	case planner.AggFirstValue:
		if !v.has {
			setVal(v, x, r)
		}
	case planner.AggLastValue:
		setVal(v, x, r)
	case planner.AggApproxCountDistinct:
		foldHLL(v, x, r)
	case planner.AggCount:
		v.n += d
	case planner.AggSum, planner.AggAvg:
		v.n += d
		if x.Type.Kind == types.Float64 {
			foldFloat(v, x.F64[r], d)
		} else if x.Type.Kind == types.Interval {
			foldInterval(v, x.IntervalAt(r), d)
		} else if x.Type.Kind == types.Numeric {
			v.s = foldNumeric(v.s, x, r, d)
		} else if d == 1 {
			v.addWide(x.I64[r]>>63, x.I64[r])
		} else {
			v.addWide(mulWide(d, x.I64[r]))
		}
	case planner.AggMin, planner.AggMax:
		var cand aggVal
		setVal(&cand, x, r)
		if !v.has || betterVal(f, x.Type.Kind, &cand, v) {
			*v = cand
		}
	}
}

func setVal(v *aggVal, x *vec.Vec, r int) {
	v.has = true
	switch x.Type.Phys() {
	case types.Float64:
		v.f = x.F64[r]
	case types.Numeric:
		// Accumulators keep a NUMERIC as its text, their stored form.
		v.s = x.NumericString(r)
	case types.Interval:
		// Its µs in i, its months and days as their tag in s.
		v.i, v.s = x.I64[r], x.Str[r]
	case types.String:
		v.s = x.Str[r]
	case types.Bool:
		v.b = x.Bool[r]
	default:
		v.i = x.I64[r]
		v.hi = v.i >> 63
	}
}

// addWide adds the 128-bit number hi:lo to the sum.
func (v *aggVal) addWide(hi, lo int64) {
	l, c := bits.Add64(uint64(v.i), uint64(lo), 0)
	v.i = int64(l)
	v.hi += hi + int64(c)
}

// wideFits reports whether the 128-bit sum fits in an int64.
func (v *aggVal) wideFits() bool { return v.hi == v.i>>63 }

// wideFloat is the 128-bit sum as a float.
func (v *aggVal) wideFloat() float64 {
	if v.wideFits() {
		return float64(v.i)
	}
	return float64(v.hi)*(1<<64) + float64(uint64(v.i))
}

// mulWide returns a*b in 128 bits.
func mulWide(a, b int64) (hi, lo int64) {
	h, l := bits.Mul64(uint64(a), uint64(b))
	hi = int64(h)
	if a < 0 {
		hi -= b
	}
	if b < 0 {
		hi -= a
	}
	return hi, int64(l)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// OnWatermark closes windows up to the event-time watermark wm. Windows
// over processing time ignore it (OnProcTime moves them), and so does
// everything downstream of them, whose time is now processing time.
func (a *Aggregate) OnWatermark(wm int64) error {
	if a.ProcTime() {
		return nil
	}
	return a.advance(wm)
}

// OnProcTime closes the processing-time windows that end by now (µs).
func (a *Aggregate) OnProcTime(now int64) error {
	if !a.ProcTime() {
		return nil
	}
	return a.advance(now)
}

// ProcTime reports whether the operator's windows are over processing time.
func (a *Aggregate) ProcTime() bool { return a.plan.Window != nil && a.plan.Window.ProcTime }

func (a *Aggregate) advance(wm int64) error {
	if wm <= a.wm {
		return nil
	}
	prev := a.wm
	a.wm = wm
	if w := a.plan.Window; w != nil {
		// Rows of windows within their grace may still change: downstream
		// sees the watermark held back by it.
		wm -= w.Grace
		var err error
		switch {
		case w.Kind == planner.Session:
			err = a.closeSessions(wm)
		case a.usePanes:
			closed := prev // windows ending by it were emitted before
			if prev != math.MinInt64 {
				closed -= w.Grace
			}
			if err = a.initPanes(); err != nil {
				return err
			}
			switch {
			case !a.usePanes: // an updating view's state from before panes
				err = a.closeWindows(wm)
			case a.deferEmit:
				err = a.closeUpdatingPanes(closed, wm)
			default:
				err = a.closePanes(closed, wm)
			}
		default:
			err = a.closeWindows(wm)
		}
		if err != nil {
			return err
		}
	}
	return a.out.OnWatermark(wm)
}

// Cached is the number of groups in the cache (tombstones included).
func (a *Aggregate) Cached() int { return a.cached }

// SetCacheSize bounds the cache of decoded groups (state_cache_size).
func (a *Aggregate) SetCacheSize(groups int) {
	a.maxCached = max(groups, 1)
	a.wb.SetLimit(min(max(groups, 1)*8, writeback.DefaultLimit))
}

func (a *Aggregate) OnBarrier(id uint64) error {
	if err := a.Flush(); err != nil {
		return err
	}
	return a.out.OnBarrier(id)
}
func (a *Aggregate) Close() error { return nil }
