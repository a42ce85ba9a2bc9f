package engine_test

import (
	"github.com/cockroachdb/apd/v3"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire/slt"
)

const nexmarkDir = "../../testdata/nexmark"

// nexBid is one generated bid, as the reference reads it.
type nexBid struct {
	auction, bidder, price, ts int64
	channel, extra, url        string
}

// nexmarkBids generates the bids of bid.sql with the connector's own
// generator, outside the engine: the reference's input.
func nexmarkBids(t *testing.T, ddl string) []nexBid {
	t.Helper()
	n, i64, str := nexmarkGenerate(t, ddl)
	out := make([]nexBid, n)
	for i := range out {
		out[i] = nexBid{i64("auction")[i], i64("bidder")[i], i64("price")[i], i64("date_time")[i], str("channel")[i], str("extra")[i], str("url")[i]}
	}
	return out
}

// q21URL is q21's REGEXP_EXTRACT pattern, for the reference.
var q21URL = regexp.MustCompile(`(&|^)channel_id=([^&]*)`)

func ts(us int64) string { return string(vec.AppendTimestamp(nil, us)) }

const sec = int64(1e6)

func floorTo(x, m int64) int64 {
	if x < 0 {
		return (x - m + 1) / m * m
	}
	return x / m * m
}

// nexmarkReference answers each query over the bids in plain Go: the
// oracle. Windowed views emit on window close, so only windows that end
// by the final watermark (the last event time minus 4 s) count.
func nexmarkReference(bids []nexBid) map[string][]string {
	wm := bids[len(bids)-1].ts - 4*sec
	out := map[string][]string{}
	type key struct{ a, b int64 }
	hop := map[key]int64{}
	top := map[int64]int64{}
	for _, b := range bids {
		out["q0"] = append(out["q0"], fmt.Sprintf("%d %d %d %s %s", b.auction, b.bidder, b.price, ts(b.ts), b.extra))
		out["q1"] = append(out["q1"], fmt.Sprintf("%d %d %s %s", b.auction, b.bidder, vec.AppendDecimal(nil, b.price*908, 3), ts(b.ts)))
		if b.auction%123 == 0 {
			out["q2"] = append(out["q2"], fmt.Sprintf("%d %d", b.auction, b.price))
		}
		dirs := strings.Split(b.url, "/")
		dir := func(i int) string {
			switch {
			case i >= len(dirs):
				return "NULL"
			case dirs[i] == "":
				return "(empty)"
			}
			return dirs[i]
		}
		channelID, known := map[string]string{"apple": "0", "google": "1", "facebook": "2", "baidu": "3"}[strings.ToLower(b.channel)]
		if m := q21URL.FindStringSubmatch(b.url); !known && m != nil {
			channelID, known = m[2], true
		}
		if known {
			out["q21"] = append(out["q21"], fmt.Sprintf("%d %d %d %s %s", b.auction, b.bidder, b.price, b.channel, channelID))
		}
		if p := b.price * 908; p > 1_000_000_000 && p < 50_000_000_000 {
			hour := time.UnixMicro(b.ts).UTC().Hour()
			part := "otherTime"
			switch {
			case hour >= 8 && hour <= 18:
				part = "dayTime"
			case hour <= 6 || hour >= 20:
				part = "nightTime"
			}
			extra := b.extra
			if extra == "" {
				extra = "(empty)"
			}
			out["q14"] = append(out["q14"], fmt.Sprintf("%d %d %s %s %s %s %d", b.auction, b.bidder, vec.AppendDecimal(nil, p, 3), part, ts(b.ts), extra, strings.Count(b.extra, "c")))
		}
		out["q22"] = append(out["q22"], fmt.Sprintf("%d %d %d %s %s %s %s", b.auction, b.bidder, b.price, b.channel, dir(3), dir(4), dir(5)))
		// q10's CSV lines, as RFC 4180 writes them: an empty extra quoted,
		// so that it does not read back as NULL.
		csvExtra := b.extra
		if csvExtra == "" || strings.ContainsAny(csvExtra, ",\"\r\n") {
			csvExtra = `"` + strings.ReplaceAll(csvExtra, `"`, `""`) + `"`
		}
		at := time.UnixMicro(b.ts).UTC()
		out["q10"] = append(out["q10"], fmt.Sprintf("%d,%d,%d,%s,%s,%s,%s", b.auction, b.bidder, b.price, ts(b.ts), csvExtra, at.Format("2006-01-02"), at.Format("15:04")))
		for s := floorTo(b.ts, 2*sec); s > b.ts-10*sec; s -= 2 * sec {
			hop[key{b.auction, s}]++
		}
		w := floorTo(b.ts, 10*sec)
		if p, ok := top[w]; !ok || b.price > p {
			top[w] = b.price
		}
	}
	for k, n := range hop {
		if k.b+10*sec <= wm {
			out["q5agg"] = append(out["q5agg"], fmt.Sprintf("%d %s %s %d", k.a, ts(k.b), ts(k.b+10*sec), n))
		}
	}
	for w, p := range top {
		if w+10*sec <= wm {
			out["q7agg"] = append(out["q7agg"], fmt.Sprintf("%s %s %d", ts(w), ts(w+10*sec), p))
		}
	}
	// Sessions: a bidder's bids less than 10 s apart share a session
	// [first, last + 10 s), closed once the watermark reaches its end.
	type session struct{ first, last, n int64 }
	open := map[int64]*session{}
	emit := func(bidder int64, s *session) {
		if s.last+10*sec <= wm {
			out["q11"] = append(out["q11"], fmt.Sprintf("%d %d %s %s", bidder, s.n, ts(s.first), ts(s.last+10*sec)))
		}
	}
	for _, b := range bids {
		s := open[b.bidder]
		if s != nil && b.ts-s.last < 10*sec {
			s.last, s.n = b.ts, s.n+1
			continue
		}
		if s != nil {
			emit(b.bidder, s)
		}
		open[b.bidder] = &session{b.ts, b.ts, 1}
	}
	for bidder, s := range open {
		emit(bidder, s)
	}
	// q12 as TestNexmark runs it: the processing-time clock stands still
	// while the bids are ingested, so every bid is in one window.
	per := map[int64]int64{}
	for _, b := range bids {
		per[b.bidder]++
	}
	for bidder, n := range per {
		out["q12"] = append(out["q12"], fmt.Sprintf("%d %d %s %s", bidder, n, ts(q12Clock-q12Clock%(10*sec)), ts(q12Clock-q12Clock%(10*sec)+10*sec)))
	}
	nexmarkStats(bids, out)
	nexmarkRanks(bids, out)
	for _, rows := range out {
		slices.Sort(rows)
	}
	return out
}

// nexmarkStats adds q15, q16 and q17 to out: per day (q15), per channel and
// day (q16), per auction and day (q17), the bids at three price levels,
// their distinct bidders and auctions (q15, q16), the last minute with a
// bid (q16) and the price's min, max, average and sum (q17). Days and
// minutes are Go's formatting of the bid's time, not the engine's.
func nexmarkStats(bids []nexBid, out map[string][]string) {
	type stats struct {
		n, sum, lo, hi int64
		level          [3]int64
		bidders        [4]map[int64]bool // all bids', then each level's
		auctions       [4]map[int64]bool
		minute         string
	}
	level := func(p int64) int {
		switch {
		case p < 10000:
			return 0
		case p < 1000000:
			return 1
		}
		return 2
	}
	add := func(m map[string]*stats, key string, b nexBid) {
		s := m[key]
		if s == nil {
			s = &stats{lo: b.price, hi: b.price}
			for i := range s.bidders {
				s.bidders[i], s.auctions[i] = map[int64]bool{}, map[int64]bool{}
			}
			m[key] = s
		}
		l := level(b.price)
		s.n, s.sum, s.lo, s.hi = s.n+1, s.sum+b.price, min(s.lo, b.price), max(s.hi, b.price)
		s.level[l]++
		s.bidders[0][b.bidder], s.bidders[l+1][b.bidder] = true, true
		s.auctions[0][b.auction], s.auctions[l+1][b.auction] = true, true
		s.minute = max(s.minute, time.UnixMicro(b.ts).UTC().Format("15:04"))
	}
	counts := func(s *stats, distinct bool) string {
		c := fmt.Sprintf("%d %d %d %d", s.n, s.level[0], s.level[1], s.level[2])
		if distinct {
			for _, set := range [][4]map[int64]bool{s.bidders, s.auctions} {
				c += fmt.Sprintf(" %d %d %d %d", len(set[0]), len(set[1]), len(set[2]), len(set[3]))
			}
		}
		return c
	}
	q15, q16, q17 := map[string]*stats{}, map[string]*stats{}, map[string]*stats{}
	for _, b := range bids {
		day := time.UnixMicro(b.ts).UTC().Format("2006-01-02")
		add(q15, day, b)
		add(q16, b.channel+" "+day, b)
		add(q17, fmt.Sprintf("%d %s", b.auction, day), b)
	}
	for k, s := range q15 {
		out["q15"] = append(out["q15"], k+" "+counts(s, true))
	}
	for k, s := range q16 {
		channel, day, _ := strings.Cut(k, " ")
		out["q16"] = append(out["q16"], fmt.Sprintf("%s %s %s %s", channel, day, s.minute, counts(s, true)))
	}
	for k, s := range q17 {
		out["q17"] = append(out["q17"], fmt.Sprintf("%s %s %d %d %s %d", k, counts(s, false), s.lo, s.hi,
			pgAvg(s.sum, s.n), s.sum))
	}
}

// nexmarkRanks adds q18, each (bidder, auction)'s last bid, and q19, each
// auction's ten highest bids with their ROW_NUMBER. ROW_NUMBER breaks ties
// in an order of its own, so the reference refuses the data if a tie
// decides a row or a rank (a bid at the same time as the pair's last,
// a price shared across a rank that is output).
func nexmarkRanks(bids []nexBid, out map[string][]string) {
	row := func(b nexBid) string {
		return fmt.Sprintf("%d %d %d %s %s %s %s", b.auction, b.bidder, b.price, sltText(b.channel), sltText(b.url), ts(b.ts), sltText(b.extra))
	}
	type pair struct{ bidder, auction int64 }
	last := map[pair]nexBid{}
	for _, b := range bids {
		k := pair{b.bidder, b.auction}
		if l, ok := last[k]; ok && l.ts == b.ts {
			panic(fmt.Sprintf("q18: two bids of %v at one time: the reference cannot rank them", k))
		}
		if l, ok := last[k]; !ok || b.ts > l.ts {
			last[k] = b
		}
	}
	for _, b := range last {
		out["q18"] = append(out["q18"], row(b))
	}
	per := map[int64][]nexBid{}
	for _, b := range bids {
		per[b.auction] = append(per[b.auction], b)
	}
	for _, bs := range per {
		slices.SortStableFunc(bs, func(x, y nexBid) int { return int(min(max(y.price-x.price, -1), 1)) })
		for i, b := range bs {
			if i >= 10 {
				break
			}
			if i+1 < len(bs) && bs[i+1].price == b.price {
				panic(fmt.Sprintf("q19: two bids on auction %d at price %d: the reference cannot rank them", b.auction, b.price))
			}
			out["q19"] = append(out["q19"], fmt.Sprintf("%s %d", row(b), i+1))
		}
	}
}

// q12Clock is processing time (µs) while TestNexmark's q12 ingests bids:
// 2030-01-01 00:00:03 UTC.
const q12Clock = int64(1893456003) * sec

// nexmarkSLT is the .slt file for a query: bid.sql, the query's view,
// FLUSH, and the view's rows as the reference computed them.
func nexmarkSLT(ddl, view, name, types string, rows []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s over the nexmark bid stream of bid.sql. Generated by TestNexmark\n", name)
	b.WriteString("# (exec/engine/nexmark_test.go) from its Go reference: do not edit.\n\n")
	fmt.Fprintf(&b, "statement ok\n%s\n\nstatement ok\n%s\n\nstatement ok\nFLUSH\n\n", strings.TrimSpace(ddl), strings.TrimSpace(view))
	fmt.Fprintf(&b, "query %s rowsort\nSELECT * FROM %s\n----\n", types, name)
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.String()
}

// TestNexmark checks every query in testdata/nexmark against the Go
// reference: the .slt files must hold the reference's rows (-rewrite
// writes them), and the engine must pass them.
func TestNexmark(t *testing.T) {
	ddlBytes, err := os.ReadFile(filepath.Join(nexmarkDir, "bid.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ddl := string(ddlBytes)
	bids := nexmarkBids(t, ddl)
	if len(bids) != 1840 {
		t.Fatalf("%d bids from 2,000 events, want 1,840", len(bids))
	}
	want := nexmarkReference(bids)
	types := map[string]string{"q0": "IIITT", "q1": "IIRT", "q2": "II", "q5agg": "ITTI", "q7agg": "TTI", "q11": "IITT",
		"q15": "TIIIIIIIIIIII", "q16": "TTTIIIIIIIIIIII", "q17": "ITIIIIIIRI", "q18": "IIITTTT", "q19": "IIITTTTI", "q14": "IIRTTTI", "q21": "IIITT", "q22": "IIITTTT"}
	t.Run("q12", func(t *testing.T) { testNexmarkQ12(t, ddl, want["q12"]) })
	t.Run("q10", func(t *testing.T) { testNexmarkQ10(t, ddl, want["q10"]) })
	for _, q := range []string{"q0", "q1", "q2", "q5agg", "q7agg", "q11", "q15", "q16", "q17", "q14", "q18", "q19", "q21", "q22"} {
		t.Run(q, func(t *testing.T) {
			if len(want[q]) == 0 {
				t.Fatalf("the reference gives no rows for %s: the test would prove nothing", q)
			}
			view, err := os.ReadFile(filepath.Join(nexmarkDir, q+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(nexmarkDir, q+".slt")
			content := nexmarkSLT(ddl, string(view), q, types[q], want[q])
			if rewriting() {
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != content {
				t.Fatalf("%s does not hold the reference's rows (%v): run go test ./exec/engine/ -run TestNexmark -rewrite", path, err)
			}
			addr := startServer(t)
			r := &slt.Runner{Connect: func(ctx context.Context) (*pgx.Conn, error) {
				return pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
			}}
			if err := r.RunFile(context.Background(), path); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// testNexmarkQ10 runs q10, whose output is its sink's file rather than a
// view's rows: the file must hold the reference's lines, each once (in the
// order the view gave them: its rows so far when the sink was created, in
// the view's order, then the bids after them as they came).
func testNexmarkQ10(t *testing.T, ddl string, want []string) {
	if len(want) == 0 {
		t.Fatal("the reference gives no rows for q10: the test would prove nothing")
	}
	view, err := os.ReadFile(filepath.Join(nexmarkDir, "q10.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	backend, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(backend, engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, serve(t, backend, eng))
	mustExec(t, conn, ddl)
	mustExec(t, conn, string(view))
	mustExec(t, conn, "FLUSH")
	got, err := os.ReadFile(filepath.Join(dir, "q10", "bid.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	want = slices.Sorted(slices.Values(want))
	slices.Sort(lines)
	if !slices.Equal(lines, want) {
		for i := range min(len(lines), len(want)) {
			if lines[i] != want[i] {
				t.Fatalf("q10's file: line %d is %q, want %q (%d lines, want %d)", i+1, lines[i], want[i], len(lines), len(want))
			}
		}
		t.Fatalf("q10's file: %d lines, want %d", len(lines), len(want))
	}
}

// testNexmarkQ12 runs q12 with processing time held at q12Clock while the
// bids are ingested: nothing is emitted until the clock passes the
// window's end, then every bidder's count at once, as the reference has it.
func testNexmarkQ12(t *testing.T, ddl string, want []string) {
	if len(want) == 0 {
		t.Fatal("the reference gives no rows for q12: the test would prove nothing")
	}
	view, err := os.ReadFile(filepath.Join(nexmarkDir, "q12.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(q12Clock)
	addr, eng := startEngineWith(t, clockAt(&now))
	conn := connect(t, addr)
	mustExec(t, conn, ddl)
	mustExec(t, conn, string(view))
	mustExec(t, conn, "FLUSH")
	rows := func() []string {
		var out []string
		for _, vals := range queryValues(t, conn, "SELECT bidder, bid_count, starttime::VARCHAR, endtime::VARCHAR FROM q12") {
			out = append(out, fmt.Sprintf("%d %d %s %s", vals[0], vals[1], vals[2], vals[3]))
		}
		slices.Sort(out)
		return out
	}
	if got := rows(); len(got) != 0 {
		t.Fatalf("q12 emitted %d rows before its window ended", len(got))
	}
	now.Store(q12Clock - q12Clock%(10*sec) + 10*sec - 1000)
	if err := eng.TickProcTime(); err != nil {
		t.Fatal(err)
	}
	if got := rows(); len(got) != 0 {
		t.Fatalf("q12 emitted %d rows a millisecond before its window ended", len(got))
	}
	now.Add(1000)
	if err := eng.TickProcTime(); err != nil {
		t.Fatal(err)
	}
	if got := rows(); !slices.Equal(got, want) {
		t.Fatalf("q12 after its window ended: %d rows, want %d; first rows %q, want %q", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
	t.Logf("%d bidders' counts, as the reference has them", len(want))
}

// pgAvg is PostgreSQL's avg of integers summing to sum over n rows: the
// exact NUMERIC quotient at numeric division's scale.
func pgAvg(sum, n int64) string {
	var x, y, q apd.Decimal
	x.SetInt64(sum)
	y.SetInt64(n)
	vec.NumericArith('/', &q, &x, &y)
	return vec.NumericText(&q)
}
