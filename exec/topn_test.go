package exec

import (
	"bytes"
	"cmp"
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
)

// The columns of the top-N tests: a skewed partition key, order columns
// with ties, NULLs and float edge values, a time and a window end.
var topCols = []catalog.Column{
	{Name: "p", Type: types.BigInt}, {Name: "a", Type: types.BigInt}, {Name: "f", Type: types.Double},
	{Name: "s", Type: types.Varchar}, {Name: "ts", Type: types.Ts}, {Name: "we", Type: types.Ts},
}

const (
	tcP = iota
	tcA
	tcF
	tcS
	tcTs
	tcWe
)

type topCase struct {
	name           string
	fn             planner.RankFunc
	order          []planner.SortKey
	minRank, limit int64
	rankOut        bool
	retract        bool
	window         bool
	noPartition    bool
}

func asc(c int) planner.SortKey  { return planner.SortKey{Col: c} }
func desc(c int) planner.SortKey { return planner.SortKey{Col: c, Desc: true} }

var topCases = []topCase{
	{name: "rn-a-ret", fn: planner.RowNumber, order: []planner.SortKey{asc(tcA)}, minRank: 1, limit: 3, rankOut: true, retract: true},
	{name: "rn-a-norank-ret", fn: planner.RowNumber, order: []planner.SortKey{asc(tcA)}, minRank: 1, limit: 3, retract: true},
	{name: "rn-a", fn: planner.RowNumber, order: []planner.SortKey{asc(tcA)}, minRank: 1, limit: 3},
	{name: "rn-adesc-f-min2", fn: planner.RowNumber, order: []planner.SortKey{desc(tcA), asc(tcF)}, minRank: 2, limit: 4, rankOut: true},
	{name: "rank-fdesc-ret", fn: planner.Rank, order: []planner.SortKey{desc(tcF)}, minRank: 1, limit: 3, rankOut: true, retract: true},
	{name: "rank-a-sdesc", fn: planner.Rank, order: []planner.SortKey{asc(tcA), desc(tcS)}, minRank: 1, limit: 4},
	{name: "rank-a-min2-norank-ret", fn: planner.Rank, order: []planner.SortKey{asc(tcA)}, minRank: 2, limit: 3, retract: true},
	{name: "rank-global-ret", fn: planner.Rank, order: []planner.SortKey{asc(tcA)}, minRank: 1, limit: 5, rankOut: true, retract: true, noPartition: true},
	{name: "dense-adesc-f-min2-ret", fn: planner.DenseRank, order: []planner.SortKey{desc(tcA), asc(tcF)}, minRank: 2, limit: 3, rankOut: true, retract: true},
	{name: "dense-s", fn: planner.DenseRank, order: []planner.SortKey{asc(tcS)}, minRank: 1, limit: 2, rankOut: true},
	{name: "rn-noorder-ret", fn: planner.RowNumber, minRank: 1, limit: 2, rankOut: true, retract: true},
	{name: "rank-unbounded-min3-ret", fn: planner.Rank, order: []planner.SortKey{desc(tcS)}, minRank: 3, limit: math.MaxInt64, rankOut: true, retract: true},
	{name: "dedup-first", fn: planner.RowNumber, order: []planner.SortKey{asc(tcTs)}, minRank: 1, limit: 1},
	{name: "dedup-last", fn: planner.RowNumber, order: []planner.SortKey{desc(tcTs)}, minRank: 1, limit: 1},
	{name: "dedup-last-ret", fn: planner.RowNumber, order: []planner.SortKey{desc(tcTs)}, minRank: 1, limit: 1, retract: true},
	{name: "window-rn-fdesc", fn: planner.RowNumber, order: []planner.SortKey{desc(tcF)}, minRank: 1, limit: 2, rankOut: true, window: true},
	{name: "window-rank-a", fn: planner.Rank, order: []planner.SortKey{asc(tcA)}, minRank: 1, limit: 2, window: true},
	{name: "window-dense-a-s-min2", fn: planner.DenseRank, order: []planner.SortKey{asc(tcA), asc(tcS)}, minRank: 2, limit: 3, rankOut: true, window: true},
}

func (c topCase) plan() *planner.TopN {
	n := &planner.TopN{Input: scanOf(!c.retract, topCols...), Func: c.fn, Partition: []int{tcP}, Order: c.order,
		MinRank: c.minRank, Limit: c.limit, RankOut: c.rankOut, RankName: "r", WindowEnd: -1}
	if c.noPartition {
		n.Partition = nil
	}
	if c.window {
		n.Partition, n.WindowEnd = []int{tcWe, tcP}, tcWe
	}
	return n
}

// TestTopNDifferential runs seeded changelogs through the top-N of every
// case, on both backends, with a two-partition cache (so partitions are
// evicted and read back) and a restart halfway (Flush, a new operator over
// the same store), and with the default cache on memory: after every
// batch (a window top-N: every watermark) the consolidated output equals
// a reference that ranks each partition from scratch, and the output
// never retracts a row it did not insert.
func TestTopNDifferential(t *testing.T) {
	mem := openBackend(t, "memory", "")
	peb := openBackend(t, "pebble", t.TempDir())
	defer peb.Close()
	ns := uint64(0)
	for i, c := range topCases {
		for _, v := range []struct {
			name    string
			be      state.Backend
			cache   int
			restart bool
		}{{"memory", mem, 2, true}, {"pebble", peb, 2, true}, {"memory-bigcache", mem, DefaultCacheGroups, false}} {
			ns++
			store := v.be.Namespace(ns)
			t.Run(c.name+"/"+v.name, func(t *testing.T) { runTopN(t, c, store, uint64(i+1), v.cache, v.restart) })
		}
	}
}

// topGen makes a case's changelog: inserts of skewed, tie-heavy rows and,
// for a retracting input, retractions of rows present.
type topGen struct {
	r     *rand.Rand
	live  [][]any
	clock int64
	wm    int64
}

func (g *topGen) row(window bool) []any {
	r := g.r
	var p any
	switch x := r.IntN(100); {
	case x < 45:
		p = int64(0)
	case x < 65:
		p = int64(1)
	case x < 75:
		p = nil
	default:
		p = int64(2 + r.IntN(15))
	}
	var a any
	if r.IntN(7) > 0 {
		a = int64(r.IntN(5)) - 2
	}
	fs := []any{nil, math.Copysign(0, -1), 0.0, 1.5, -1.5, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64}
	ss := []any{nil, "", "a", "a\x00", "b", "é"}
	g.clock += int64(r.IntN(3))
	var ts any = g.clock
	if r.IntN(20) == 0 {
		ts = nil
	}
	var we any = int64(0)
	if window {
		// Mostly the current or next window; some already closed (late).
		we = (g.clock/20 + int64(r.IntN(3)) - 1) * 20
	}
	return []any{p, a, fs[r.IntN(len(fs))], ss[r.IntN(len(ss))], ts, we}
}

// batch returns the next batch of changes and applies them to live.
func (g *topGen) batch(retract, window bool) (*vec.Batch, [][]any, []int64) {
	b := vec.NewBatch(catalog.Types(topCols), 16)
	n := 1 + g.r.IntN(24)
	var rows [][]any
	var diffs []int64
	for i := 0; i < n; i++ {
		var row []any
		d := int64(1)
		switch x := g.r.IntN(100); {
		case retract && x < 35 && len(g.live) > 0:
			k := g.r.IntN(len(g.live))
			row, d = g.live[k], -1
			g.live[k] = g.live[len(g.live)-1]
			g.live = g.live[:len(g.live)-1]
		case x < 45 && len(g.live) > 0: // a duplicate of a row present
			row = g.live[g.r.IntN(len(g.live))]
			g.live = append(g.live, row)
		default:
			row = g.row(window)
			g.live = append(g.live, row)
			if g.r.IntN(10) == 0 { // a weight of two
				g.live = append(g.live, row)
				d = 2
			}
		}
		for c, v := range row {
			col := &b.Cols[c]
			switch v := v.(type) {
			case nil:
				col.AppendNull()
			case int64:
				col.AppendI64(v)
			case float64:
				col.AppendF64(v)
			case string:
				col.AppendStr(v)
			}
		}
		b.EndRow(d)
		rows, diffs = append(rows, row), append(diffs, d)
	}
	return b, rows, diffs
}

// topRef is the reference: the multiset of rows of each partition, ranked
// from scratch when asked.
type topRef struct {
	c     topCase
	parts map[string]map[string]*refRow
	// closed is a window top-N's output so far; late its late rows.
	closed map[string]int64
	late   int64
}

type refRow struct {
	vals  []any
	plain []byte
	n     int64
}

func plainOf(b *vec.Batch, i int) []byte { return appendPlainRow(nil, b.Cols, i) }

func (ref *topRef) apply(b *vec.Batch, rows [][]any, diffs []int64, wm int64) {
	for i, row := range rows {
		if ref.c.window && row[tcWe].(int64) <= wm {
			ref.late++
			continue
		}
		pk := ""
		if !ref.c.noPartition {
			pk = fmt.Sprint(row[tcP])
		}
		if ref.c.window {
			pk += fmt.Sprint("/", row[tcWe])
		}
		part := ref.parts[pk]
		if part == nil {
			part = map[string]*refRow{}
			ref.parts[pk] = part
		}
		plain := plainOf(b, i)
		rr := part[string(plain)]
		if rr == nil {
			rr = &refRow{vals: row, plain: plain}
			part[string(plain)] = rr
		}
		if rr.n += diffs[i]; rr.n == 0 {
			delete(part, string(plain))
		}
	}
}

func cmpValue(x, y any) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return 1 // NULL above every value
	case y == nil:
		return -1
	}
	switch x := x.(type) {
	case int64:
		return cmp.Compare(x, y.(int64))
	case string:
		return cmp.Compare(x, y.(string))
	}
	fx, fy := x.(float64), y.(float64)
	switch nx, ny := math.IsNaN(fx), math.IsNaN(fy); {
	case nx && ny:
		return 0
	case nx:
		return 1
	case ny:
		return -1
	}
	return cmp.Compare(fx, fy) // -0 == 0
}

// output ranks partition part and adds its output rows to out.
func (ref *topRef) output(part map[string]*refRow, out map[string]int64) {
	var rows []*refRow
	for _, rr := range part {
		rows = append(rows, rr)
	}
	cmpOrder := func(x, y *refRow) int {
		for _, k := range ref.c.order {
			c := cmpValue(x.vals[k.Col], y.vals[k.Col])
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	slices.SortFunc(rows, func(x, y *refRow) int { return cmp.Or(cmpOrder(x, y), bytes.Compare(x.plain, y.plain)) })
	add := func(rr *refRow, rank, n int64) {
		if rank < ref.c.minRank || rank > ref.c.limit {
			return
		}
		k := string(rr.plain)
		if ref.c.rankOut {
			v := vec.New(types.BigInt, 1)
			v.AppendI64(rank)
			k += string(appendPlainRow(nil, []vec.Vec{v}, 0))
		}
		out[k] += n
	}
	var seen, rank, dense int64
	for i, rr := range rows {
		tie := i > 0 && cmpOrder(rows[i-1], rr) == 0
		if !tie {
			rank, dense = seen+1, dense+1
		}
		for c := int64(0); c < rr.n; c++ {
			seen++
			switch ref.c.fn {
			case planner.RowNumber:
				add(rr, seen, 1)
			case planner.Rank:
				add(rr, rank, 1)
			default:
				add(rr, dense, 1)
			}
		}
	}
}

// want is the whole expected output now.
func (ref *topRef) want() map[string]int64 {
	out := map[string]int64{}
	if ref.c.window {
		for k, n := range ref.closed {
			out[k] = n
		}
		return out
	}
	for _, part := range ref.parts {
		ref.output(part, out)
	}
	return out
}

// close moves the windows ending by wm into closed.
func (ref *topRef) close(wm int64) {
	for pk, part := range ref.parts {
		for _, rr := range part {
			if rr.vals[tcWe].(int64) <= wm {
				ref.output(part, ref.closed)
				delete(ref.parts, pk)
			}
			break
		}
	}
}

// topSink consolidates an output changelog, failing at a retraction of a
// row not there, and counts the watermarks it is passed.
type topSink struct {
	t    *testing.T
	rows map[string]int64
	wms  int
}

func (s *topSink) Push(b *vec.Batch) error {
	for i := 0; i < b.N; i++ {
		k := string(plainOf(b, i))
		d := b.DiffAt(i)
		if s.rows[k]+d < 0 {
			s.t.Fatalf("output retracts %d of a row it has %d of: %q", -d, s.rows[k], k)
		}
		if s.rows[k] += d; s.rows[k] == 0 {
			delete(s.rows, k)
		}
	}
	return nil
}

func (s *topSink) OnWatermark(int64) error { s.wms++; return nil }
func (s *topSink) OnBarrier(uint64) error  { return nil }
func (s *topSink) Close() error            { return nil }

func runTopN(t *testing.T, c topCase, store state.Store, seed uint64, cache int, restart bool) {
	plan := c.plan()
	sink := &topSink{t: t, rows: map[string]int64{}}
	build := func() *TopN {
		p, err := Build(plan, func(int) state.Store { return store }, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		op := p.Others[0].(*TopN)
		p.SetCacheSize(cache)
		return op
	}
	op := build()
	g := &topGen{r: rand.New(rand.NewPCG(seed, 17)), wm: math.MinInt64}
	ref := &topRef{c: c, parts: map[string]map[string]*refRow{}, closed: map[string]int64{}}
	const batches = 120
	for n := 0; n < batches; n++ {
		b, rows, diffs := g.batch(c.retract, c.window)
		ref.apply(b, rows, diffs, g.wm)
		if err := op.Push(b); err != nil {
			t.Fatal(err)
		}
		if err := op.OnWatermark(g.wm); err != nil { // seen: closes nothing
			t.Fatal(err)
		}
		if c.window && g.r.IntN(3) == 0 {
			g.wm = g.clock - 10
			ref.close(g.wm)
			if err := op.OnWatermark(g.wm); err != nil {
				t.Fatal(err)
			}
		}
		if n == batches-1 && c.window { // every window closes
			ref.close(math.MaxInt64)
			if err := op.OnWatermark(math.MaxInt64); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := sink.rows, ref.want(); !maps.Equal(got, want) {
			t.Fatalf("batch %d: output differs from the reference:\n got %v\nwant %v", n, got, want)
		}
		if restart && n == batches/2 {
			if err := op.Flush(); err != nil {
				t.Fatal(err)
			}
			// The next batch comes before any watermark: its rows for
			// windows closed before the restart are late.
			op = build()
		}
	}
	if c.window && op.Late() != ref.late {
		t.Fatalf("late = %d, want %d", op.Late(), ref.late)
	}
	if !c.window && sink.wms != 0 {
		t.Fatalf("a top-N without event time passed on %d watermarks", sink.wms)
	}
	if !c.retract { // only the rows that can still be in the top are kept
		for _, p := range op.parts {
			rk, rows := ranker{fn: c.fn}, int64(0)
			for _, e := range p.ents {
				rows += e.mult
				if r := rk.next(e.k[:e.sk], e.mult); r > c.limit || c.fn == planner.RowNumber && rows > c.limit {
					t.Fatalf("partition %q keeps a row of rank %d, %d rows, over a limit of %d", p.key, r, rows, c.limit)
				}
			}
		}
	}
	if cache == 2 && op.Cached() > 2 {
		t.Fatalf("cached %d partitions over a bound of 2", op.Cached())
	}
}

// BenchmarkTopN measures Nexmark q19's shape, the top 10 bids by price per
// auction (100,000 auctions, the rank output), and q18's, the last bid per
// (bidder, auction) by time (a million pairs), over append-only bids in
// 1024-row batches, flushing and checkpointing every 256 batches; on each
// backend. events/s is rows in per second.
func BenchmarkTopN(b *testing.B) {
	cols := []catalog.Column{{Name: "auction", Type: types.BigInt}, {Name: "ts", Type: types.Ts},
		{Name: "bidder", Type: types.BigInt}, {Name: "price", Type: types.BigInt}}
	in := scanOf(true, cols...)
	queries := []struct {
		name string
		plan *planner.TopN
		row  func(r *rand.Rand, bt *vec.Batch)
	}{
		{"q19", &planner.TopN{Input: in, Func: planner.RowNumber, Partition: []int{0}, Order: []planner.SortKey{desc(3)},
			MinRank: 1, Limit: 10, RankOut: true, RankName: "rownum", WindowEnd: -1},
			func(r *rand.Rand, bt *vec.Batch) {
				bt.Cols[0].AppendI64(r.Int64N(100000))
				bt.Cols[2].AppendI64(r.Int64N(1000000))
				bt.Cols[3].AppendI64(r.Int64N(10000000))
			}},
		{"q18", &planner.TopN{Input: in, Func: planner.RowNumber, Partition: []int{2, 0}, Order: []planner.SortKey{desc(1)},
			MinRank: 1, Limit: 1, WindowEnd: -1},
			func(r *rand.Rand, bt *vec.Batch) {
				bt.Cols[0].AppendI64(r.Int64N(1000))
				bt.Cols[2].AppendI64(r.Int64N(1000))
				bt.Cols[3].AppendI64(r.Int64N(10000000))
			}},
	}
	for _, q := range queries {
		for _, kind := range []string{"memory", "pebble"} {
			b.Run(q.name+"/"+kind, func(b *testing.B) {
				backend := openBackend(b, kind, b.TempDir())
				defer backend.Close()
				op, err := NewTopN(q.plan, backend.Namespace(1), discardOp{})
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 2))
				benchLoop(b, backend, catalog.Types(cols), op, 10, func(bt *vec.Batch) { q.row(r, bt) }, op.Flush)
			})
		}
	}
}
