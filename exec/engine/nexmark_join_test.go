package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/wire/slt"
)

// nexPerson, nexAuction and nexFullBid are the generated rows the join
// references read: every column a join query names.
type nexPerson struct {
	id, ts            int64
	name, city, state string
}

type nexAuction struct {
	id, initialBid, reserve, ts, expires, seller, category int64
	itemName, description, extra                           string
}

type nexFullBid struct {
	auction, bidder, price, ts int64
	channel, url, extra        string
}

// nexmarkInput is the three streams of one seed, as the generator makes
// them: the join references' input.
type nexmarkInput struct {
	persons  []nexPerson
	auctions []nexAuction
	bids     []nexFullBid
}

// nexmarkGenerate runs the connector's generator for one source's DDL,
// outside the engine, and returns its rows and a column reader.
func nexmarkGenerate(t *testing.T, ddl string) (n int, i64 func(string) []int64, str func(string) []string) {
	t.Helper()
	st, err := parser.ParseOne(ddl)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := (&planner.Planner{}).Relation(st.(*parser.CreateRelation))
	if err != nil {
		t.Fatal(err)
	}
	rel = rel.Physical() // without p_time, which the engine fills
	g, err := nexmark.New(rel)
	if err != nil {
		t.Fatal(err)
	}
	b := vec.NewBatch(catalog.Types(rel.Columns), 0)
	for p := g.Next(); p >= 0; p = g.Next() {
		g.Fill(b, p, 1024)
	}
	col := func(name string) *vec.Vec {
		i := rel.ColumnIndex(name)
		if i < 0 {
			t.Fatalf("%s has no column %q", ddl, name)
		}
		return &b.Cols[i]
	}
	return b.N, func(c string) []int64 { return col(c).I64 }, func(c string) []string { return col(c).Str }
}

// nexmarkStreams generates person.sql, auction.sql and bid.sql.
func nexmarkStreams(t *testing.T, person, auction, bid string) nexmarkInput {
	t.Helper()
	var in nexmarkInput
	n, i64, str := nexmarkGenerate(t, person)
	for r := range n {
		in.persons = append(in.persons, nexPerson{id: i64("id")[r], ts: i64("date_time")[r],
			name: str("name")[r], city: str("city")[r], state: str("state")[r]})
	}
	n, i64, str = nexmarkGenerate(t, auction)
	for r := range n {
		in.auctions = append(in.auctions, nexAuction{id: i64("id")[r], initialBid: i64("initial_bid")[r],
			reserve: i64("reserve")[r], ts: i64("date_time")[r], expires: i64("expires")[r], seller: i64("seller")[r],
			category: i64("category")[r], itemName: str("item_name")[r], description: str("description")[r], extra: str("extra")[r]})
	}
	n, i64, str = nexmarkGenerate(t, bid)
	for r := range n {
		in.bids = append(in.bids, nexFullBid{auction: i64("auction")[r], bidder: i64("bidder")[r], price: i64("price")[r],
			ts: i64("date_time")[r], channel: str("channel")[r], url: str("url")[r], extra: str("extra")[r]})
	}
	return in
}

// sltText is a VARCHAR as an .slt file holds it: (empty) for "".
func sltText(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// nexmarkJoinReference answers the join queries of testdata/nexmark over
// in, in plain Go, as the engine's views end once every event is in:
//
//   - Regular joins are unbounded, so every pair of rows that ever
//     matched is joined; an aggregate over a join counts them all.
//   - The windows of q5, q7 and q8 are computed before their joins. In a
//     view without EMIT ON WINDOW CLOSE they update, so every window
//     counts, open ones included (the rows Flink ends a bounded run with,
//     its last watermark firing every window). In a view that closes
//     them (closed[q]), a window counts only once the watermark of its
//     input has passed its end: the last event time of that stream minus
//     4 s (the sources' delay), the earlier of the two for q8's join.
func nexmarkJoinReference(in nexmarkInput, closed map[string]bool) map[string][]string {
	out := map[string][]string{}
	persons := map[int64]nexPerson{}
	for _, p := range in.persons {
		persons[p.id] = p
	}
	auctions := map[int64]nexAuction{}
	for _, a := range in.auctions {
		auctions[a.id] = a
	}
	// counts says whether a window ending at end counts for query q, whose
	// input's watermark ends at wm.
	counts := func(q string, end, wm int64) bool { return !closed[q] || end <= wm }
	last := func(ts []int64) int64 { return slices.Max(ts) }
	var bidTimes, personTimes, auctionTimes []int64
	for _, b := range in.bids {
		bidTimes = append(bidTimes, b.ts)
	}
	for _, p := range in.persons {
		personTimes = append(personTimes, p.ts)
	}
	for _, a := range in.auctions {
		auctionTimes = append(auctionTimes, a.ts)
	}
	bidWM := last(bidTimes) - 4*sec

	// q3: sellers in OR, ID or CA of category-10 auctions.
	for _, a := range in.auctions {
		p, ok := persons[a.seller]
		if ok && a.category == 10 && (p.state == "OR" || p.state == "ID" || p.state == "CA") {
			out["q3"] = append(out["q3"], fmt.Sprintf("%s %s %s %d", sltText(p.name), p.city, p.state, a.id))
		}
	}

	// q4: the average, per category, of each auction's top bid among the
	// bids made while it was open (both ends included).
	type acc struct{ sum, n int64 }
	final := map[int64]int64{} // auction id -> top price
	for _, b := range in.bids {
		a, ok := auctions[b.auction]
		if !ok || b.ts < a.ts || b.ts > a.expires {
			continue
		}
		if p, ok := final[a.id]; !ok || b.price > p {
			final[a.id] = b.price
		}
	}
	avg := map[int64]*acc{}
	for id, p := range final {
		c := auctions[id].category
		if avg[c] == nil {
			avg[c] = &acc{}
		}
		avg[c].sum += p
		avg[c].n++
	}
	for c, s := range avg {
		out["q4"] = append(out["q4"], fmt.Sprintf("%d %s", c, pgAvg(s.sum, s.n)))
	}

	// q9: each auction's winning bid, the highest made while it was open,
	// the earliest of equal prices (a tie on both would let ROW_NUMBER
	// choose: the reference refuses such data).
	win9 := map[int64]nexFullBid{}
	for _, b := range in.bids {
		a, ok := auctions[b.auction]
		if !ok || b.ts < a.ts || b.ts > a.expires {
			continue
		}
		w, ok := win9[a.id]
		switch {
		case ok && w.price == b.price && w.ts == b.ts:
			panic(fmt.Sprintf("q9: two bids on auction %d at one price and time: the reference cannot rank them", a.id))
		case !ok || b.price > w.price || b.price == w.price && b.ts < w.ts:
			win9[a.id] = b
		}
	}
	for id, b := range win9 {
		a := auctions[id]
		out["q9"] = append(out["q9"], fmt.Sprintf("%d %s %s %d %d %s %s %d %d %s %d %d %d %s %s",
			a.id, sltText(a.itemName), sltText(a.description), a.initialBid, a.reserve, ts(a.ts), ts(a.expires), a.seller, a.category, sltText(a.extra),
			b.auction, b.bidder, b.price, ts(b.ts), sltText(b.extra)))
	}

	// q5: in each 10-second window sliding by 2 seconds, the auctions with
	// the most bids (all of them on a tie), with their count.
	type win struct{ auction, start int64 }
	bids := map[win]int64{}
	for _, b := range in.bids {
		for s := floorTo(b.ts, 2*sec); s > b.ts-10*sec; s -= 2 * sec {
			if counts("q5", s+10*sec, bidWM) {
				bids[win{b.auction, s}]++
			}
		}
	}
	maxn := map[int64]int64{}
	for w, n := range bids {
		maxn[w.start] = max(maxn[w.start], n)
	}
	for w, n := range bids {
		if n >= maxn[w.start] {
			out["q5"] = append(out["q5"], fmt.Sprintf("%d %d", w.auction, n))
		}
	}

	// q7: the bids whose price is the top price of a 10-second tumbling
	// window ending at e, made within [e - 10 s, e].
	top := map[int64]int64{} // window end -> top price
	for _, b := range in.bids {
		e := floorTo(b.ts, 10*sec) + 10*sec
		if !counts("q7", e, bidWM) {
			continue
		}
		if p, ok := top[e]; !ok || b.price > p {
			top[e] = b.price
		}
	}
	for e, p := range top {
		for _, b := range in.bids {
			if b.price == p && b.ts >= e-10*sec && b.ts <= e {
				out["q7"] = append(out["q7"], fmt.Sprintf("%d %d %d %s %s", b.auction, b.price, b.bidder, ts(b.ts), b.extra))
			}
		}
	}

	// q8: persons who opened an auction in the 10-second tumbling window
	// they joined in.
	wm := min(last(personTimes), last(auctionTimes)) - 4*sec
	type seller struct{ id, start int64 }
	sold := map[seller]bool{}
	for _, a := range in.auctions {
		if s := floorTo(a.ts, 10*sec); counts("q8", s+10*sec, wm) {
			sold[seller{a.seller, s}] = true
		}
	}
	for _, p := range in.persons {
		if s := floorTo(p.ts, 10*sec); counts("q8", s+10*sec, wm) && sold[seller{p.id, s}] {
			out["q8"] = append(out["q8"], fmt.Sprintf("%d %s %s", p.id, sltText(p.name), ts(s)))
		}
	}

	// q13: every bid, enriched from side_input's row for auction % 10000
	// (side_input holds every key of [0, sideInputRows), its value the
	// key's text, before the first bid arrives).
	for _, b := range in.bids {
		out["q13"] = append(out["q13"], fmt.Sprintf("%d %d %d %s %d", b.auction, b.bidder, b.price, ts(b.ts), b.auction%sideInputRows))
	}

	// q20: bids on category-10 auctions, with their auction's columns.
	for _, b := range in.bids {
		a, ok := auctions[b.auction]
		if !ok || a.category != 10 {
			continue
		}
		out["q20"] = append(out["q20"], fmt.Sprintf("%d %d %d %s %s %s %s %s %s %d %d %s %s %d %d %s",
			b.auction, b.bidder, b.price, b.channel, b.url, ts(b.ts), sltText(b.extra),
			sltText(a.itemName), sltText(a.description), a.initialBid, a.reserve, ts(a.ts), ts(a.expires), a.seller, a.category, sltText(a.extra)))
	}
	for _, rows := range out {
		slices.Sort(rows)
	}
	return out
}

// nexmarkJoinQueries are the join queries of testdata/nexmark: the
// sources each reads (the .sql files before its own), and its column
// types as an .slt query gives them.
var nexmarkJoinQueries = []struct {
	name, types string
	sources     []string
}{
	{"q3", "TTTI", []string{"person", "auction"}},
	{"q4", "IR", []string{"auction", "bid"}},
	{"q5", "II", []string{"bid"}},
	{"q7", "IIITT", []string{"bid"}},
	{"q8", "ITT", []string{"person", "auction"}},
	{"q9", "ITTIITTIITIIITT", []string{"auction", "bid"}},
	{"q13", "IIITT", []string{"bid", "side_input"}},
	{"q20", "IIITTTTTTIITTIIT", []string{"auction", "bid"}},
}

// nexmarkClosed says which join queries' views close their windows (EMIT
// ON WINDOW CLOSE), as their files have it.
func nexmarkClosed(t *testing.T) map[string]bool {
	t.Helper()
	closed := map[string]bool{}
	for _, q := range nexmarkJoinQueries {
		for _, st := range sqlStatements(readNexmark(t, q.name)) { // without the comments above it
			closed[q.name] = closed[q.name] || strings.Contains(st, "EMIT ON WINDOW CLOSE")
		}
	}
	return closed
}

func readNexmark(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nexmarkDir, name+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nexmarkJoinSLT is a join query's .slt file: its sources, its view,
// FLUSH, and the view's rows as the reference computed them. A source
// file may hold several statements (side_input.sql), each a record.
func nexmarkJoinSLT(sources []string, files map[string]string, view, name, types string, rows []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s over the nexmark streams of %s.sql. Generated by TestNexmarkJoins\n", name, strings.Join(sources, ".sql, "))
	b.WriteString("# (exec/engine/nexmark_join_test.go) from its Go reference: do not edit.\n\n")
	for _, s := range sources {
		for _, st := range sqlStatements(files[s]) {
			fmt.Fprintf(&b, "statement ok\n%s\n\n", st)
		}
	}
	fmt.Fprintf(&b, "statement ok\n%s\n\nstatement ok\nFLUSH\n\n", strings.TrimSpace(view))
	fmt.Fprintf(&b, "query %s rowsort\nSELECT * FROM %s\n----\n", types, name)
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.String()
}

// sqlStatements splits a .sql file at the semicolons that end its lines,
// dropping the comment lines before each statement.
func sqlStatements(file string) []string {
	var out []string
	var cur []string
	flush := func() {
		if st := strings.TrimSpace(strings.Join(cur, "\n")); st != "" {
			out = append(out, st)
		}
		cur = nil
	}
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") && len(cur) == 0 {
			continue
		}
		if l := strings.TrimRight(line, " \t"); strings.HasSuffix(l, ";") {
			cur = append(cur, strings.TrimSuffix(l, ";"))
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// sideInputRows is how many rows q13's side input has: Flink's
// side_input.txt, as bin/side_input_gen.sh makes it (--num 10000).
const sideInputRows = 10000

// sideInputSQL is side_input.sql: the table q13 looks bids up in, with
// SideInputGenerator's rows, each key of [0, sideInputRows) and its text.
// Flink reads them from a CSV file; we have no INSERT ... SELECT to make
// them, so TestNexmarkJoins writes them out (-rewrite).
func sideInputSQL() string {
	var b strings.Builder
	b.WriteString("-- Q13's side input: the keys 0 to 9,999, each with its text as its value, as\n")
	b.WriteString("-- Flink's SideInputGenerator writes side_input.txt (--num 10000). Flink reads\n")
	b.WriteString("-- that file with its filesystem connector and declares no key; a lookup join\n")
	b.WriteString("-- here reads a table by its PRIMARY KEY. Generated by TestNexmarkJoins\n")
	b.WriteString("-- (exec/engine/nexmark_join_test.go, -rewrite): do not edit.\n")
	b.WriteString("CREATE TABLE side_input (\"key\" BIGINT PRIMARY KEY, value VARCHAR);\n")
	b.WriteString("INSERT INTO side_input VALUES")
	for k := range sideInputRows {
		sep := ","
		if k == sideInputRows-1 {
			sep = ";"
		}
		if k%20 == 0 {
			b.WriteString("\n ")
		}
		fmt.Fprintf(&b, " (%d, '%d')%s", k, k, sep)
	}
	b.WriteString("\n")
	return b.String()
}

// TestNexmarkJoinReference checks what needs no joins in the engine: the
// three streams are one stream's kinds (the bids' auctions and bidders,
// the auctions' sellers are the generated ids), every query's file
// parses, and the reference gives every query rows to check.
func TestNexmarkJoinReference(t *testing.T) {
	in := nexmarkStreams(t, readNexmark(t, "person"), readNexmark(t, "auction"), readNexmark(t, "bid"))
	if len(in.persons) != 40 || len(in.auctions) != 120 || len(in.bids) != 1840 {
		t.Fatalf("%d persons, %d auctions, %d bids from 2,000 events, want 40, 120, 1,840", len(in.persons), len(in.auctions), len(in.bids))
	}
	for i, p := range in.persons {
		if p.id != 1000+int64(i) {
			t.Fatalf("person %d has id %d, want %d", i, p.id, 1000+i)
		}
	}
	want := nexmarkJoinReference(in, nexmarkClosed(t))
	for _, q := range nexmarkJoinQueries {
		t.Logf("%s: %d rows", q.name, len(want[q.name]))
		if len(want[q.name]) == 0 {
			t.Errorf("the reference gives no rows for %s: the test would prove nothing", q.name)
		}
		for _, f := range append(slices.Clone(q.sources), q.name) {
			for _, st := range sqlStatements(readNexmark(t, f)) {
				if _, err := parser.ParseOne(st); err != nil {
					t.Errorf("%s.sql: %v", f, err)
				}
			}
		}
	}
}

// TestNexmarkJoins checks every join query in testdata/nexmark against
// the Go reference, as TestNexmark does the others: the .slt files must
// hold the reference's rows (-rewrite writes them), and the engine must
// pass them.
func TestNexmarkJoins(t *testing.T) {
	side := filepath.Join(nexmarkDir, "side_input.sql")
	if rewriting() {
		if err := os.WriteFile(side, []byte(sideInputSQL()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(side); err != nil || string(got) != sideInputSQL() {
		t.Fatalf("%s is not sideInputSQL's (%v): run go test ./exec/engine/ -run TestNexmarkJoins -rewrite", side, err)
	}
	files := map[string]string{}
	for _, f := range []string{"person", "auction", "bid", "side_input"} {
		files[f] = readNexmark(t, f)
	}
	want := nexmarkJoinReference(nexmarkStreams(t, files["person"], files["auction"], files["bid"]), nexmarkClosed(t))
	for _, q := range nexmarkJoinQueries {
		t.Run(q.name, func(t *testing.T) {
			if len(want[q.name]) == 0 {
				t.Fatalf("the reference gives no rows for %s: the test would prove nothing", q.name)
			}
			path := filepath.Join(nexmarkDir, q.name+".slt")
			content := nexmarkJoinSLT(q.sources, files, readNexmark(t, q.name), q.name, q.types, want[q.name])
			if rewriting() {
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != content {
				t.Fatalf("%s does not hold the reference's rows (%v): run go test ./exec/engine/ -run TestNexmarkJoins -rewrite", path, err)
			}
			addr := startServer(t)
			r := &slt.Runner{Connect: func(ctx context.Context) (*pgx.Conn, error) {
				return pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
			}}
			if err := r.RunFile(context.Background(), path); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d rows, as the reference has them", len(want[q.name]))
		})
	}
}
