package vec

import (
	"bufio"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestParseIntervalPostgres reads each text of testdata/interval_in as
// PostgreSQL 15 did when the file was made: the same output text, or an
// error of the same SQLSTATE (22007 bad text, 22015 a field out of
// range, 22008 the value out of range).
func TestParseIntervalPostgres(t *testing.T) {
	f, err := os.Open("testdata/interval_in")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, '|')
		in, err := strconv.Unquote(`"` + strings.ReplaceAll(line[:i], `"`, `\"`) + `"`)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		want := line[i+1:]
		x, err := ParseInterval(in)
		got := string(AppendIntervalText(nil, x))
		switch {
		case errors.Is(err, ErrIntervalSyntax):
			got = "error 22007"
		case errors.Is(err, ErrIntervalField):
			got = "error 22015"
		case errors.Is(err, ErrIntervalRange):
			got = "error 22008"
		}
		if got != want {
			t.Errorf("%q: got %s, PostgreSQL %s", in, got, want)
		}
		n++
	}
	if n < 300 {
		t.Fatalf("only %d cases", n)
	}
}

// TestIntervalTextRoundTrip: an interval's text reads back as itself
// wherever its hours fit (PostgreSQL's reader overflows past
// 2562047788 hours of its own output), and its keys decode to it, or,
// span-only, to an equal interval.
func TestIntervalTextRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		x := Interval{Months: int32(rng.Uint32()) >> rng.IntN(32), Days: int32(rng.Uint32()) >> rng.IntN(32), Micros: rng.Int64() >> rng.IntN(64)}
		if i%2 == 0 {
			x.Months, x.Days = -x.Months, -x.Days
		}
		s := string(AppendIntervalText(nil, x))
		if x.Micros/3600e6 < 2562047788 && x.Micros/3600e6 > -2562047788 {
			if back, err := ParseInterval(s); err != nil || back != x {
				t.Fatalf("%+v prints %q, reads back as %+v, %v", x, s, back, err)
			}
		}
		back, rest, err := DecodeIntervalKey(AppendIntervalKey(nil, x, false))
		if err != nil || back != x || len(rest) != 0 {
			t.Fatalf("%+v: key decodes to %+v, %v", x, back, err)
		}
		back, _, err = DecodeIntervalKey(AppendIntervalKey(nil, x, true))
		if err != nil || CompareIntervals(back, x) != 0 {
			t.Fatalf("%+v: span-only key decodes to %+v, %v", x, back, err)
		}
		y := Interval{Months: int32(rng.Uint32()), Days: int32(rng.Uint32()), Micros: int64(rng.Uint64())}
		ka, kb := string(AppendIntervalKey(nil, x, false)), string(AppendIntervalKey(nil, y, false))
		if c := CompareIntervals(x, y); c != 0 && (c < 0) != (ka < kb) {
			t.Fatalf("keys of %+v and %+v sort apart from the values", x, y)
		}
	}
	if _, err := ParseInterval(string(AppendIntervalText(nil, Interval{Micros: math.MinInt64}))); err == nil {
		t.Fatal("the least µs read back: PostgreSQL's reader overflows there")
	}
}

// TestIntervalTags: every tag, from a table or made, reads back.
func TestIntervalTags(t *testing.T) {
	for m := int32(-500); m <= 500; m++ {
		for _, d := range []int32{-401, -400, -32, -31, -1, 0, 1, 31, 32, 400, 401} {
			if got := IntervalOfTag(IntervalTag(m, d), 7); got != (Interval{m, d, 7}) {
				t.Fatalf("tag of %d months %d days reads as %+v", m, d, got)
			}
		}
	}
	if IntervalTag(0, 0) != "" {
		t.Fatal("a length of time alone has a tag")
	}
}
