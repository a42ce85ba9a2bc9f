package nexmark

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

const (
	bidCols     = "auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP(3), extra VARCHAR"
	personCols  = "id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR, state VARCHAR, date_time TIMESTAMP(3), extra VARCHAR"
	auctionCols = "id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT, date_time TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR"
)

// relation plans a CREATE SOURCE statement.
func relation(t testing.TB, sql string) *catalog.Relation {
	t.Helper()
	st, err := parser.ParseOne(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	rel, err := (&planner.Planner{}).Relation(st.(*parser.CreateRelation))
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rel
}

func source(cols, opts string) string {
	return fmt.Sprintf("CREATE SOURCE s (%s) WITH (connector = 'nexmark', %s)", cols, opts)
}

func newGen(t testing.TB, cols, opts string) (*Generator, *catalog.Relation) {
	t.Helper()
	rel := relation(t, source(cols, opts))
	g, err := New(rel)
	if err != nil {
		t.Fatalf("New(%s): %v", opts, err)
	}
	return g, rel
}

// drain reads the generator to its end as the engine does (partitions
// taking turns, chunks of chunk events) and returns every row as text,
// with the partition it came from.
func drain(t testing.TB, g *Generator, rel *catalog.Relation, chunk int) (rows []string, parts []int) {
	t.Helper()
	b := vec.NewBatch(catalog.Types(rel.Columns), chunk)
	for !g.Done() {
		p := g.Next()
		b.Reset()
		before := g.Parts[p]
		k := g.Fill(b, p, chunk)
		if k <= 0 || g.Parts[p] != before+int64(k) {
			t.Fatalf("Fill(%d) read %d events, position %d -> %d", p, k, before, g.Parts[p])
		}
		if b.N > k {
			t.Fatalf("Fill read %d events but gave %d rows", k, b.N)
		}
		for i := 0; i < b.N; i++ {
			rows = append(rows, rowText(b, i))
			parts = append(parts, p)
		}
	}
	return rows, parts
}

func rowText(b *vec.Batch, i int) string {
	var s []string
	for c := range b.Cols {
		s = append(s, b.Cols[c].Text(i))
	}
	return strings.Join(s, "|")
}

// readCol reads one column of every row of a bounded generator.
func readCol[T any](t testing.TB, g *Generator, rel *catalog.Relation, name string, get func(v *vec.Vec, i int) T) []T {
	t.Helper()
	c := rel.ColumnIndex(name)
	b := vec.NewBatch(catalog.Types(rel.Columns), 1024)
	var out []T
	for !g.Done() {
		b.Reset()
		g.Fill(b, g.Next(), 1024)
		for i := 0; i < b.N; i++ {
			out = append(out, get(&b.Cols[c], i))
		}
	}
	return out
}

func i64(v *vec.Vec, i int) int64  { return v.I64[i] }
func str(v *vec.Vec, i int) string { return v.Str[i] }

func TestDeterminism(t *testing.T) {
	for _, tc := range []struct{ cols, table string }{
		{bidCols, "bid"}, {personCols, "person"}, {auctionCols, "auction"},
	} {
		t.Run(tc.table, func(t *testing.T) {
			opts := fmt.Sprintf("table = '%s', seed = 7, events = 20000, partitions = 3", tc.table)
			g1, rel := newGen(t, tc.cols, opts)
			g2, _ := newGen(t, tc.cols, opts)
			a, pa := drain(t, g1, rel, 1024)
			b, pb := drain(t, g2, rel, 1024)
			if !slices.Equal(a, b) || !slices.Equal(pa, pb) {
				t.Fatal("two runs with one seed differ")
			}
			// Chunking must not matter: per partition, the rows are the same.
			g3, _ := newGen(t, tc.cols, opts)
			c, pc := drain(t, g3, rel, 77)
			for p := range 3 {
				if !slices.Equal(only(a, pa, p), only(c, pc, p)) {
					t.Fatalf("partition %d: chunk size changes the rows", p)
				}
			}
			// Another seed gives other rows.
			g4, _ := newGen(t, tc.cols, strings.Replace(opts, "seed = 7", "seed = 8", 1))
			d, _ := drain(t, g4, rel, 1024)
			if len(d) != len(a) || slices.Equal(a, d) {
				t.Fatalf("seed 8: %d rows, equal to seed 7's: %v", len(d), slices.Equal(a, d))
			}
			// A generator restored mid-stream, as the engine restores a
			// checkpoint (Parts set on a fresh generator), continues alike.
			g5, _ := newGen(t, tc.cols, opts)
			bt := vec.NewBatch(catalog.Types(rel.Columns), 1024)
			for range 5 {
				bt.Reset()
				g5.Fill(bt, g5.Next(), 1000)
			}
			bt.Reset()
			g5.Fill(bt, 1, 333) // partitions unevenly read
			g6, _ := newGen(t, tc.cols, opts)
			copy(g6.Parts, g5.Parts)
			if g6.Pos() != 5333 {
				t.Fatalf("restored at %d, want 5333", g6.Pos())
			}
			e, pe := drain(t, g5, rel, 1024)
			f, pf := drain(t, g6, rel, 1024)
			if len(e) == 0 || !slices.Equal(e, f) || !slices.Equal(pe, pf) {
				t.Fatalf("restored generator differs (%d vs %d rows)", len(e), len(f))
			}
			// The continuation is the tail of the uninterrupted run's rows.
			for p := range 3 {
				full, tail := only(a, pa, p), only(f, pf, p)
				if !slices.Equal(full[len(full)-len(tail):], tail) {
					t.Fatalf("partition %d: restored rows are not the run's tail", p)
				}
			}
		})
	}
}

func only(rows []string, parts []int, p int) []string {
	var out []string
	for i, r := range rows {
		if parts[i] == p {
			out = append(out, r)
		}
	}
	return out
}

func TestColumnSubset(t *testing.T) {
	// A subset of the columns, in another order, has the same values.
	full, rel := newGen(t, bidCols, "table = 'bid', events = 5000")
	sub, srel := newGen(t, "extra VARCHAR, price BIGINT, auction BIGINT", "table = 'bid', events = 5000")
	a, _ := drain(t, full, rel, 1024)
	b, _ := drain(t, sub, srel, 1024)
	if len(a) != len(b) {
		t.Fatalf("%d rows vs %d", len(a), len(b))
	}
	for i := range a {
		f := strings.Split(a[i], "|")
		if want := f[6] + "|" + f[2] + "|" + f[0]; b[i] != want {
			t.Fatalf("row %d: %q, want %q", i, b[i], want)
		}
	}
}

func TestProportions(t *testing.T) {
	for _, tc := range []struct {
		cols, table string
		want        int
	}{
		{personCols, "person", 1000}, {auctionCols, "auction", 3000}, {bidCols, "bid", 46000},
	} {
		for _, parts := range []int{1, 4} {
			g, rel := newGen(t, tc.cols, fmt.Sprintf("table = '%s', events = 50000, partitions = %d", tc.table, parts))
			rows, _ := drain(t, g, rel, 1024)
			if len(rows) != tc.want {
				t.Errorf("%s, %d partitions: %d rows of 50000 events, want %d", tc.table, parts, len(rows), tc.want)
			}
			if g.Pos() != 50000 || !g.Done() || g.Next() != -1 {
				t.Errorf("%s: at %d, done %v", tc.table, g.Pos(), g.Done())
			}
		}
	}
}

// eventNumbers recovers each row's event number from its date_time (a
// TIMESTAMP(6) column, 100 µs per event by default).
func eventNumbers(ts []int64) []int64 {
	n := make([]int64, len(ts))
	for i, t := range ts {
		n[i] = (t - defaultBaseTime) / 100
	}
	return n
}

func TestIDs(t *testing.T) {
	const events = 200_000
	opts := fmt.Sprintf("events = %d", events)
	pg, prel := newGen(t, "date_time TIMESTAMP, id BIGINT", "table = 'person', "+opts)
	pTimes := readCol(t, pg, prel, "date_time", i64)
	pg, _ = newGen(t, "date_time TIMESTAMP, id BIGINT", "table = 'person', "+opts)
	pIDs := readCol(t, pg, prel, "id", i64)

	ag, arel := newGen(t, "date_time TIMESTAMP, id BIGINT, seller BIGINT", "table = 'auction', "+opts)
	aTimes := readCol(t, ag, arel, "date_time", i64)
	ag, _ = newGen(t, "date_time TIMESTAMP, id BIGINT, seller BIGINT", "table = 'auction', "+opts)
	aIDs := readCol(t, ag, arel, "id", i64)
	ag, _ = newGen(t, "date_time TIMESTAMP, id BIGINT, seller BIGINT", "table = 'auction', "+opts)
	sellers := readCol(t, ag, arel, "seller", i64)

	// Persons and auctions are numbered from 1000, one by one.
	for i, id := range pIDs {
		if id != firstPersonID+int64(i) {
			t.Fatalf("person %d has id %d", i, id)
		}
	}
	for i, id := range aIDs {
		if id != firstAuctionID+int64(i) {
			t.Fatalf("auction %d has id %d", i, id)
		}
	}
	// lastPerson[n] / lastAuction[n]: the newest id generated by event n.
	pn, an := eventNumbers(pTimes), eventNumbers(aTimes)
	newest := func(created []int64, ids []int64, n int64) int64 {
		k := sort.Search(len(created), func(i int) bool { return created[i] > n })
		if k == 0 {
			return 999
		}
		return ids[k-1]
	}
	for i, n := range an {
		if s := sellers[i]; s < firstPersonID || s > newest(pn, pIDs, n)+personIDLead {
			t.Fatalf("auction at event %d: seller %d, newest person %d", n, s, newest(pn, pIDs, n))
		}
	}

	bg, brel := newGen(t, "auction BIGINT, bidder BIGINT, date_time TIMESTAMP", "table = 'bid', "+opts)
	bTimes := readCol(t, bg, brel, "date_time", i64)
	bg, _ = newGen(t, "auction BIGINT, bidder BIGINT, date_time TIMESTAMP", "table = 'bid', "+opts)
	auctions := readCol(t, bg, brel, "auction", i64)
	bg, _ = newGen(t, "auction BIGINT, bidder BIGINT, date_time TIMESTAMP", "table = 'bid', "+opts)
	bidders := readCol(t, bg, brel, "bidder", i64)
	for i, n := range eventNumbers(bTimes) {
		if k := n % 50; k < 4 {
			t.Fatalf("bid at event %d", n)
		}
		lastA, lastP := newest(an, aIDs, n), newest(pn, pIDs, n)
		if a := auctions[i]; a < firstAuctionID || a > lastA+auctionIDLead || a < lastA-numInFlightAuctions {
			t.Fatalf("bid at event %d: auction %d, newest %d", n, a, lastA)
		}
		if p := bidders[i]; p < firstPersonID || p > lastP+personIDLead || p < lastP-numActivePeople {
			t.Fatalf("bid at event %d: bidder %d, newest person %d", n, p, lastP)
		}
	}
}

func TestHotKeys(t *testing.T) {
	g, rel := newGen(t, "auction BIGINT, bidder BIGINT", "table = 'bid', events = 50000")
	auctions := readCol(t, g, rel, "auction", i64)
	g, _ = newGen(t, "auction BIGINT, bidder BIGINT", "table = 'bid', events = 50000")
	bidders := readCol(t, g, rel, "bidder", i64)
	count := func(xs []int64) (top int, distinct int) {
		m := map[int64]int{}
		for _, x := range xs {
			m[x]++
			top = max(top, m[x])
		}
		return top, len(m)
	}
	top, distinct := count(auctions)
	// The hot auction changes every 100 auctions (1666 events); half the
	// bids in between go to it: about 770 bids, 1.7% of all, where a
	// uniform choice of the ~3000 auctions would give 0.03%.
	if share := float64(top) / float64(len(auctions)); share < 0.012 || share > 0.03 {
		t.Errorf("top auction has %.2f%% of %d bids (%d distinct)", 100*share, len(auctions), distinct)
	}
	hot := 0
	for _, a := range auctions {
		if (a-firstAuctionID)%100 == 0 {
			hot++
		}
	}
	if share := float64(hot) / float64(len(auctions)); share < 0.49 || share > 0.53 {
		t.Errorf("%.3f of bids go to hot auctions, want about 0.5", share)
	}
	hot = 0
	for _, p := range bidders {
		if (p-firstPersonID)%100 == 1 {
			hot++
		}
	}
	if share := float64(hot) / float64(len(bidders)); share < 0.74 || share > 0.77 {
		t.Errorf("%.3f of bids come from hot bidders, want about 0.75", share)
	}
}

func TestPrices(t *testing.T) {
	g, rel := newGen(t, "price BIGINT", "table = 'bid', events = 100000, seed = 3")
	prices := readCol(t, g, rel, "price", i64)
	below := 0
	for _, p := range prices {
		if p < 100 || p > 1e8 {
			t.Fatalf("price %d out of [100, 10^8]", p)
		}
		if p < 1e4 {
			below++
		}
	}
	slices.Sort(prices)
	if m := prices[len(prices)/2]; m < 5e4 || m > 2e5 {
		t.Errorf("median price %d, want near 10^5", m)
	}
	// Log-uniform: a third of the prices are below 10^2 dollars.
	if f := float64(below) / float64(len(prices)); f < 0.32 || f > 0.35 {
		t.Errorf("%.3f of prices below 10^4 cents, want 1/3", f)
	}
}

func TestPriceFunction(t *testing.T) {
	r := stream(42)
	for range 1_000_000 {
		x := r.next()
		u := float64(x>>11) * 0x1p-53
		want := math.Round(math.Pow(10, u*6) * 100)
		if got := float64(price(x)); math.Abs(got-want) > max(1, want*1e-12) {
			t.Fatalf("price(%#x) = %v, want %v", x, got, want)
		}
	}
	if p := price(0); p != 100 {
		t.Errorf("price(0) = %d", p)
	}
	if p := price(math.MaxUint64); p != 1e8 {
		t.Errorf("price(max) = %d", p)
	}
}

func TestTimestamps(t *testing.T) {
	for _, tc := range []struct {
		name, cols, opts string
		want             func(n int64) int64
	}{
		{"default", "date_time TIMESTAMP", "", func(n int64) int64 { return defaultBaseTime + n*100 }},
		{"millis", "date_time TIMESTAMP(3)", "", func(n int64) int64 { return defaultBaseTime + n*100/1000*1000 }},
		{"paced", "date_time TIMESTAMP", ", rate = 10", func(n int64) int64 { return defaultBaseTime + n*100 }},
		{"base", "date_time TIMESTAMP", ", base_time = '2024-01-01 00:00:00.5'", func(n int64) int64 { return 1704067200_500000 + n*100 }},
		{"event_rate", "date_time TIMESTAMP", ", event_rate = 3", func(n int64) int64 { return defaultBaseTime + n*1_000_000/3 }},
		{"slow", "date_time TIMESTAMP", ", event_rate = 1", func(n int64) int64 { return defaultBaseTime + n*1_000_000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, rel := newGen(t, tc.cols, "table = 'bid', events = 20000"+tc.opts)
			ts := readCol(t, g, rel, "date_time", i64)
			n := int64(0)
			for i, x := range ts {
				for n%50 < 4 {
					n++
				}
				if want := tc.want(n); x != want {
					t.Fatalf("bid %d (event %d): %s, want %s", i, n, text(x), text(want))
				}
				n++
			}
		})
	}
	// The reference's base time.
	if got := time.UnixMicro(defaultBaseTime).UTC().Format(time.DateTime); got != "2015-07-15 00:00:00" {
		t.Errorf("default base time %s", got)
	}
}

func text(us int64) string { return string(vec.AppendTimestamp(nil, us)) }

func TestOutOfOrder(t *testing.T) {
	g, rel := newGen(t, "date_time TIMESTAMP", "table = 'bid', events = 50000, out_of_order_group_size = 16")
	ts := readCol(t, g, rel, "date_time", i64)
	ns := eventNumbers(ts)
	if slices.IsSorted(ns) {
		t.Fatal("out_of_order_group_size = 16: event times in order")
	}
	for i, n := range ns {
		// Event i is out of place by less than a group.
		if i > 0 && n < ns[i-1]-16 {
			t.Fatalf("event %d after %d", n, ns[i-1])
		}
	}
	slices.Sort(ns)
	var want []int64
	for n := range int64(50000) {
		if n%50 >= 4 {
			want = append(want, n)
		}
	}
	if !slices.Equal(ns, want) {
		t.Fatal("out-of-order bids are not the in-order bids shuffled")
	}
}

func TestPartitions(t *testing.T) {
	const events = 10007
	for _, parts := range []int{1, 3, 7} {
		g, rel := newGen(t, "date_time TIMESTAMP, auction BIGINT", fmt.Sprintf("table = 'bid', events = %d, partitions = %d", events, parts))
		rows, ps := drain(t, g, rel, 100)
		seen := map[int64]bool{}
		for i, r := range rows {
			us, _ := vec.ParseTimestamp(strings.Split(r, "|")[0])
			n := (us - defaultBaseTime) / 100
			if int(n%int64(parts)) != ps[i] {
				t.Fatalf("%d partitions: event %d read from partition %d", parts, n, ps[i])
			}
			seen[n] = true
		}
		if len(seen) != len(rows) || len(rows) != 9203 {
			t.Fatalf("%d partitions: %d rows, %d distinct events", parts, len(rows), len(seen))
		}
		// Each partition's share: events n < 10007 with n mod parts == p.
		for p := range parts {
			if want := int64((events - p + parts - 1) / parts); g.Parts[p] != want {
				t.Errorf("%d partitions: partition %d read %d events, want %d", parts, p, g.Parts[p], want)
			}
		}
	}
	// Partitions take turns: the engine reads the one furthest behind.
	g, rel := newGen(t, "price BIGINT", "table = 'bid', partitions = 3")
	b := vec.NewBatch(catalog.Types(rel.Columns), 16)
	var order []int
	for range 6 {
		p := g.Next()
		order = append(order, p)
		b.Reset()
		g.Fill(b, p, 10)
	}
	if !slices.Equal(order, []int{0, 1, 2, 0, 1, 2}) {
		t.Errorf("partition order %v", order)
	}
	if g.Done() {
		t.Error("unbounded generator done")
	}
}

func TestPersons(t *testing.T) {
	g, rel := newGen(t, personCols, "table = 'person', events = 100000")
	rows, _ := drain(t, g, rel, 1024)
	if len(rows) != 2000 {
		t.Fatalf("%d persons", len(rows))
	}
	size := 0
	for _, r := range rows {
		f := strings.Split(r, "|")
		name, email, card, city, state, extra := f[1], f[2], f[3], f[4], f[5], f[7]
		first, last, _ := strings.Cut(name, " ")
		if !slices.Contains(firstNames[:], first) || !slices.Contains(lastNames[:], last) {
			t.Fatalf("name %q", name)
		}
		local, domain, ok := strings.Cut(email, "@")
		if !ok || len(local) > 6 || !strings.HasSuffix(domain, ".com") || len(domain) > 8 {
			t.Fatalf("email %q", email)
		}
		if len(card) != 19 || strings.Count(card, " ") != 3 || strings.Trim(card, "0123456789 ") != "" {
			t.Fatalf("credit card %q", card)
		}
		if !slices.Contains(usCities[:], city) || !slices.Contains(usStates[:], state) {
			t.Fatalf("city %q state %q", city, state)
		}
		size += 8 + len(name) + len(email) + len(card) + len(city) + len(state) + len(extra)
	}
	if avg := size / len(rows); avg < 190 || avg > 210 {
		t.Errorf("average person %d bytes, want about 200", avg)
	}
}

func TestAuctions(t *testing.T) {
	g, rel := newGen(t, auctionCols, "table = 'auction', events = 100000")
	rows, _ := drain(t, g, rel, 1024)
	if len(rows) != 6000 {
		t.Fatalf("%d auctions", len(rows))
	}
	size := 0
	var lengths []int64
	for _, r := range rows {
		f := strings.Split(r, "|")
		var initial, reserve, seller, category int64
		fmt.Sscan(f[3], &initial)
		fmt.Sscan(f[4], &reserve)
		fmt.Sscan(f[7], &seller)
		fmt.Sscan(f[8], &category)
		open, _ := vec.ParseTimestamp(f[5])
		expires, _ := vec.ParseTimestamp(f[6])
		if initial < 100 || reserve < initial+100 || category < 10 || category > 14 || seller < 1000 {
			t.Fatalf("auction %q", r)
		}
		// Auctions last 1 ms up to twice the 166 ms that 1666 events take.
		if l := expires - open; l < 1000 || l > 2*167_000 || l%1000 != 0 {
			t.Fatalf("auction lasts %d µs: %q", l, r)
		}
		lengths = append(lengths, expires-open)
		if len(f[1]) > 19 || len(f[2]) > 99 || strings.TrimSpace(f[1]) != f[1] {
			t.Fatalf("item_name %q description %q", f[1], f[2])
		}
		size += 8 + len(f[1]) + len(f[2]) + 40 + len(f[9])
	}
	if avg := size / len(rows); avg < 490 || avg > 510 {
		t.Errorf("average auction %d bytes, want about 500", avg)
	}
	slices.Sort(lengths)
	if m := lengths[len(lengths)/2]; m < 150_000 || m > 185_000 {
		t.Errorf("median auction length %d µs, want about 166 ms", m)
	}
}

func TestBids(t *testing.T) {
	g, rel := newGen(t, bidCols, "table = 'bid', events = 100000")
	rows, _ := drain(t, g, rel, 1024)
	hot, size := 0, 0
	urls := map[string]string{}
	for _, r := range rows {
		f := strings.Split(r, "|")
		channel, url, extra := f[3], f[4], f[6]
		if slices.Contains(hotChannels[:], channel) {
			hot++
		} else if !strings.HasPrefix(channel, "channel-") {
			t.Fatalf("channel %q", channel)
		}
		if !strings.HasPrefix(url, "https://www.nexmark.com/") || !strings.Contains(url, "/item.htm?query=1") {
			t.Fatalf("url %q", url)
		}
		// A channel has one URL.
		if u, ok := urls[channel]; ok && u != url {
			t.Fatalf("channel %s: url %q and %q", channel, u, url)
		}
		urls[channel] = url
		if len(extra) < 54 || len(extra) > 81 || strings.Trim(extra, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("extra %q", extra)
		}
		size += 32 + len(extra)
	}
	if share := float64(hot) / float64(len(rows)); share < 0.48 || share > 0.52 {
		t.Errorf("%.3f of bids from hot channels, want 0.5", share)
	}
	if avg := size / len(rows); avg < 95 || avg > 105 {
		t.Errorf("average bid %d bytes, want about 100", avg)
	}
}

func TestWidth(t *testing.T) {
	g, rel := newGen(t, "url VARCHAR(10), extra VARCHAR(5)", "table = 'bid', events = 1000")
	for _, r := range readCol(t, g, rel, "url", str) {
		if r != "https://ww" {
			t.Fatalf("url %q in VARCHAR(10)", r)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		cols, opts string
		kind       sqlerr.Kind
		msg        string
	}{
		{bidCols, "seed = 1", sqlerr.InvalidParameter, "needs a table option"},
		{bidCols, "table = 'bids'", sqlerr.InvalidParameter, "want 'person', 'auction' or 'bid'"},
		{bidCols, "table = 'bid', rows_per_second = 5", sqlerr.InvalidParameter, `unknown nexmark option "rows_per_second"`},
		{bidCols, "table = 'bid', seed = 'x'", sqlerr.InvalidParameter, "want an integer"},
		{bidCols, "table = 'bid', events = '-1'", sqlerr.InvalidParameter, "must not be negative"},
		{bidCols, "table = 'bid', rate = '-5'", sqlerr.InvalidParameter, "must not be negative"},
		{bidCols, "table = 'bid', event_rate = 0", sqlerr.InvalidParameter, "at least 1"},
		{bidCols, "table = 'bid', out_of_order_group_size = 0", sqlerr.InvalidParameter, "at least 1"},
		{bidCols, "table = 'bid', partitions = 0", sqlerr.InvalidParameter, "at least 1"},
		{bidCols, "table = 'bid', partitions = 2000", sqlerr.InvalidParameter, "between 1 and 1024"},
		{bidCols, "table = 'bid', base_time = 'yesterday'", sqlerr.InvalidParameter, "not a timestamp"},
		{personCols, "table = 'bid'", sqlerr.UndefinedColumn, `no column "id"`},
		{"auction BIGINT, seller BIGINT", "table = 'bid'", sqlerr.UndefinedColumn, `no column "seller"`},
		{"price VARCHAR", "table = 'bid'", sqlerr.DatatypeMismatch, "must be BIGINT, not VARCHAR"},
		{"price INT", "table = 'bid'", sqlerr.DatatypeMismatch, "must be BIGINT, not INT"},
		{"date_time BIGINT", "table = 'bid'", sqlerr.DatatypeMismatch, "must be TIMESTAMP"},
		{"name BIGINT", "table = 'person'", sqlerr.DatatypeMismatch, "must be VARCHAR"},
		{"expires VARCHAR", "table = 'auction'", sqlerr.DatatypeMismatch, "must be TIMESTAMP"},
	} {
		_, err := New(relation(t, source(tc.cols, tc.opts)))
		e, ok := sqlerr.As(err)
		if !ok || e.Kind != tc.kind || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("(%s) WITH (%s): %v, want kind %d %q", tc.cols, tc.opts, err, tc.kind, tc.msg)
		}
	}
	// The statement of the brief, and a table name in capitals.
	rel := relation(t, "CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP(3), extra VARCHAR, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'nexmark', table = 'BID', seed = 1, events = 1000000, rate = 0)")
	g, err := New(rel)
	if err != nil || g.Table() != Bid || g.MaxRows != 1_000_000 || g.Rate != 0 {
		t.Fatalf("New: %v", err)
	}
}

func TestNoAllocs(t *testing.T) {
	for _, tc := range []struct{ cols, table string }{
		{bidCols, "bid"}, {personCols, "person"}, {auctionCols, "auction"},
	} {
		g, rel := newGen(t, tc.cols, "table = '"+tc.table+"'")
		b := vec.NewBatch(catalog.Types(rel.Columns), 1024)
		g.Fill(b, 0, 1024)
		allocs := testing.AllocsPerRun(100, func() {
			b.Reset()
			g.Fill(b, 0, 1024)
		})
		// Person rows write email and credit card into 32 KiB arena
		// chunks: one allocation per ~35 chunks of 1024 events.
		if allocs > 0.1 {
			t.Errorf("%s: %.2f allocations per 1024 events", tc.table, allocs)
		}
	}
}

func benchFill(b *testing.B, cols, table string) {
	g, rel := newGen(b, cols, "table = '"+table+"'")
	batch := vec.NewBatch(catalog.Types(rel.Columns), 1024)
	rows := 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		batch.Reset()
		done += g.Fill(batch, 0, min(1024, b.N-done))
		rows += batch.N
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/s, "events/s")
	b.ReportMetric(float64(rows)/s, "rows/s")
}

// BenchmarkFillBid is the bid table with all columns; b.N counts events
// (46 in 50 are bids).
func BenchmarkFillBid(b *testing.B)     { benchFill(b, bidCols, "bid") }
func BenchmarkFillAuction(b *testing.B) { benchFill(b, auctionCols, "auction") }
func BenchmarkFillPerson(b *testing.B)  { benchFill(b, personCols, "person") }
