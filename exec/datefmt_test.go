//go:build unix

package exec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/internal/pgtest"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// dateEdges are timestamps (µs) to format besides random ones: before
// 1970, leap days, year 1, BC, 9999 and 10000, with and without a fraction.
var dateEdges = func() []int64 {
	var out []int64
	for _, s := range []string{"0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1970-01-01 00:00:00",
		"1969-12-31 23:59:59.999999", "2024-02-29 12:34:56.789", "2000-02-29 00:00:00", "1900-03-01 11:59:59.5",
		"2023-12-31 12:00:00.000001", "0001-12-31 23:00:00 BC", "0044-03-15 00:00:00 BC", "1582-10-10 01:02:03",
		"2021-01-01 00:00:00.001", "1999-12-31 23:59:59", "10000-01-01 00:00:00.5", "4714-11-24 00:00:00 BC"} {
		us, ok := vec.ParseTimestamp(s)
		if !ok {
			panic(s)
		}
		out = append(out, us)
	}
	return out
}()

// randomTimestamps are dateEdges, each followed by a time 1 µs and one
// 61 s later (rows that may share a formatted string), and n seeded
// timestamps of years 1–9999.
func randomTimestamps(rng *rand.Rand, n int) []int64 {
	lo, _ := vec.ParseTimestamp("0001-01-01 00:00:00")
	hi, _ := vec.ParseTimestamp("9999-12-31 23:59:59.999999")
	var out []int64
	for _, us := range dateEdges {
		out = append(out, us, us+1, us+61e6)
	}
	for range n {
		us := lo + rng.Int64N(hi-lo)
		if rng.IntN(3) == 0 {
			us -= us % 1e6 // whole seconds too
		}
		out = append(out, us)
	}
	return out
}

// toCharTokens are the pieces random to_char patterns are made of.
var toCharTokens = []string{"YYYY", "yyyy", "YYY", "YY", "Y", "y", "Y,YYY", "MM", "Month", "MONTH", "month", "Mon",
	"MON", "mon", "DD", "DDD", "D", "Day", "DAY", "day", "Dy", "DY", "dy", "HH", "HH12", "HH24", "hh24", "MI", "SS",
	"SSSS", "MS", "US", "FF1", "FF3", "FF6", "Q", "AM", "pm", "A.M.", "p.m.", "BC", "ad", "B.C.", "a.d.",
	"-", ":", " ", "/", ".", ",", "é", `"T"`, `"at \"x\""`, "x", "!"}

// TestToCharAgainstPostgres formats edge and random timestamps with
// hand-written and random to_char patterns and compares every string with
// PostgreSQL's to_char.
func TestToCharAgainstPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rng := rand.New(rand.NewPCG(18, 2))
	stamps := randomTimestamps(rng, 300)
	texts := make([]string, len(stamps))
	for i, us := range stamps {
		texts[i] = string(vec.AppendTimestamp(nil, us))
	}
	patterns := []string{"YYYY-MM-DD HH24:MI:SS", "YYYY-MM-DD HH24:MI:SS.MS", "YYYY-MM-DD HH24:MI:SS.US",
		"FMMonth FMDD, YYYY FMHH12:MI AM", "Day Dy DAY dy D DDD Q", "DDth ddTH FMDDth FMDDDth HH12th Qth",
		`"quoted" YYYY "a\"b" \"`, "FMYYYY FMMM FMDD FMHH24 FMMI FMSS FMMS FMUS", "Y,YYY y,yyy YYY YY Y",
		"TZ tz FX HH24", "FMx FMFMDD DDSP", "MONTHS Dayy Yyyy Mm Am", "BC AD b.c. a.d. A.M. p.m."}
	for range 100 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			if rng.IntN(5) == 0 {
				b.WriteString("FM")
			}
			tok := toCharTokens[rng.IntN(len(toCharTokens))]
			b.WriteString(tok)
			if rng.IntN(8) == 0 && tok[0] >= 'A' && !strings.ContainsAny(tok, ".,\"") && tok != "x" && tok != "é" {
				b.WriteString([]string{"TH", "th"}[rng.IntN(2)])
			}
		}
		patterns = append(patterns, b.String())
	}
	checked := 0
	for _, p := range patterns {
		f := &dateFormatter{fn: planner.FnToChar} // as the engine formats: a row may reuse the last one's string
		dp, err := f.pattern(p)
		if err != nil {
			t.Fatalf("to_char pattern %q: %v", p, err)
		}
		rows, err := conn.Query(t.Context(), "SELECT to_char(x::timestamp, $2) FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i", texts, p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for i, us := range stamps {
			if got := f.format(dp, us); got != want[i] {
				t.Errorf("to_char(%s, %q) = %q, PostgreSQL %q", texts[i], p, got, want[i])
			}
			checked++
		}
	}
	t.Logf("%d patterns, %d strings as PostgreSQL's", len(patterns), checked)
}

// TestDateFormatJava checks DATE_FORMAT against strings Java's
// SimpleDateFormat gives (checked by hand), and its errors.
func TestDateFormatJava(t *testing.T) {
	for _, c := range []struct{ ts, pattern, want string }{
		{"2024-02-29 13:05:09.123456", "yyyy-MM-dd HH:mm:ss", "2024-02-29 13:05:09"},
		{"2024-02-29 13:05:09.123456", "yyyy-MM-dd HH:mm:ss.SSS", "2024-02-29 13:05:09.123"},
		{"2024-02-29 13:05:09.123456", "yyyy-MM-dd", "2024-02-29"},
		{"2024-02-29 13:05:09.123456", "HH:mm", "13:05"},
		{"2017-09-15 23:00:00", "yyMMdd", "170915"},
		{"2024-03-05 00:07:08.005", "y M d H m s S", "2024 3 5 0 7 8 5"},
		{"2024-03-05 00:07:08.005", "h a, hh a", "12 AM, 12 AM"},
		{"2024-03-05 12:07:08", "h:mm a", "12:07 PM"},
		{"2024-03-05 23:07:08", "hh 'o''clock' a", "11 o'clock PM"},
		{"2024-03-05 23:07:08", "E EEE EEEE MMM MMMM", "Tue Tue Tuesday Mar March"},
		{"2024-03-05 23:07:08", "''yyyy'' 'T'HH", "'2024' T23"},
		{"2024-03-05 23:07:08", "yyyyy.MM.dd_é", "02024.03.05_é"},
		{"0005-01-02 03:04:05", "yyyy y yy", "0005 5 05"},
		{"1969-12-31 23:59:59.999", "yyyy-MM-dd'T'HH:mm:ss.SSS", "1969-12-31T23:59:59.999"},
	} {
		us, ok := vec.ParseTimestamp(c.ts)
		if !ok {
			t.Fatal(c.ts)
		}
		p, err := compileDateFormat(c.pattern)
		if err != nil {
			t.Fatalf("DATE_FORMAT pattern %q: %v", c.pattern, err)
		}
		if got := string(p.appendTo(nil, us, zoneOf{})); got != c.want {
			t.Errorf("DATE_FORMAT(%s, %q) = %q, want %q", c.ts, c.pattern, got, c.want)
		}
	}
	for p, want := range map[string]string{
		"yyyy-MM-dd 'T": "unterminated quote", "yyyy-MM-dd bb": "illegal pattern character \"b\"",
		"YYYY": "letter \"Y\" is not supported", "HH:mm z": "letter \"z\" is not supported",
	} {
		if _, err := compileDateFormat(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DATE_FORMAT pattern %q: error %v, want one saying %q", p, err, want)
		}
	}
	if _, err := compileFromChar("IYYY-IW"); err == nil || !strings.Contains(err.Error(), `to_timestamp field "IYYY" is not supported`) {
		t.Errorf("to_timestamp template IYYY-IW: error %v", err)
	}
}

// TestDateFormatIsToChar is a property: DATE_FORMAT(ts, 'yyyy-MM-dd
// HH:mm:ss.SSS') is to_char(ts, 'YYYY-MM-DD HH24:MI:SS.MS') for every
// timestamp, both evaluated as the engine does, over a batch whose second
// half reads its pattern from a column (the per-pattern cache).
func TestDateFormatIsToChar(t *testing.T) {
	stamps := randomTimestamps(rand.New(rand.NewPCG(7, 7)), 5000)
	in := vec.NewBatch([]types.T{types.Ts, types.Varchar, types.Varchar}, len(stamps)+1)
	for _, us := range stamps {
		in.Cols[0].AppendI64(us)
		in.Cols[1].AppendStr("yyyy-MM-dd HH:mm:ss.SSS")
		in.Cols[2].AppendStr("YYYY-MM-DD HH24:MI:SS.MS")
		in.EndRow(1)
	}
	in.Cols[0].AppendNull() // NULL in, NULL out
	in.Cols[1].AppendStr("yyyy")
	in.Cols[2].AppendStr("YYYY")
	in.EndRow(1)
	ts := &planner.ColRef{Idx: 0, Name: "ts", T: types.Ts}
	call := func(fn planner.Func, p planner.Expr) *vec.Vec {
		out := Compile(&planner.Call{Fn: fn, Args: []planner.Expr{ts, p}, T: types.Varchar}, NewRowErrors(true)).Eval(in)
		return out
	}
	for _, form := range []struct{ java, pg planner.Expr }{
		{&planner.Const{T: types.Varchar, S: "yyyy-MM-dd HH:mm:ss.SSS"}, &planner.Const{T: types.Varchar, S: "YYYY-MM-DD HH24:MI:SS.MS"}},
		{&planner.ColRef{Idx: 1, T: types.Varchar}, &planner.ColRef{Idx: 2, T: types.Varchar}},
	} {
		java, pg := call(planner.FnDateFormat, form.java), call(planner.FnToChar, form.pg)
		for i := range stamps {
			if java.IsNull(i) || pg.IsNull(i) || java.Str[i] != pg.Str[i] {
				t.Fatalf("%s: DATE_FORMAT %q, to_char %q", vec.AppendTimestamp(nil, stamps[i]), java.Text(i), pg.Text(i))
			}
		}
		if n := len(stamps); !java.IsNull(n) || !pg.IsNull(n) {
			t.Fatalf("NULL formatted as %q and %q", java.Text(n), pg.Text(n))
		}
	}
}

// BenchmarkDateFormat formats batches of bids' times (1,024 rows, 10 ms
// apart) by a constant DATE_FORMAT pattern, as Nexmark q15–q17 group them.
func BenchmarkDateFormat(b *testing.B) {
	for _, p := range []string{"yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss.SSS"} {
		b.Run(p, func(b *testing.B) {
			in := vec.NewBatch([]types.T{types.Ts}, 1024)
			start, _ := vec.ParseTimestamp("2015-07-15 23:59:55")
			for i := range 1024 {
				in.Cols[0].AppendI64(start + int64(i)*10_000)
				in.EndRow(1)
			}
			ev := Compile(&planner.Call{Fn: planner.FnDateFormat, T: types.Varchar, Args: []planner.Expr{
				&planner.ColRef{Idx: 0, T: types.Ts}, &planner.Const{T: types.Varchar, S: p}}}, nil)
			b.ReportAllocs()
			for b.Loop() {
				ev.Eval(in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/row")
		})
	}
}
