package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestTimestampText holds the text form to PostgreSQL 15's (each value
// checked with psql), years before 1 AD and past 9999 included.
func TestTimestampText(t *testing.T) {
	for _, c := range []struct {
		text string
		iso  time.Time // the same instant by Go's proleptic ISO calendar
	}{
		{"1970-01-01 00:00:00", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0001-01-01 00:00:00", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0001-12-31 23:00:00 BC", time.Date(0, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"0001-12-31 23:59:59.999999 BC", time.Date(0, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"0001-12-31 23:00:00.5 BC", time.Date(0, 12, 31, 23, 0, 0, 5e8, time.UTC)},
		{"0005-02-29 00:00:00 BC", time.Date(-4, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0001-02-29 00:00:00 BC", time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"4713-11-24 00:00:00 BC", time.Date(-4712, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"4714-11-24 00:00:00 BC", time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"10000-01-01 00:00:00", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"294246-12-31 23:59:59.999999", time.Date(294246, 12, 31, 23, 59, 59, 999999000, time.UTC)},
	} {
		us := c.iso.UnixMicro()
		if got := string(AppendTimestamp(nil, us)); got != c.text {
			t.Errorf("%v: prints %q, want %q", c.iso, got, c.text)
		}
		if back, ok := ParseTimestamp(c.text); !ok || back != us {
			t.Errorf("%q reads as %d, %v, want %d", c.text, back, ok, us)
		}
	}
	if MinTimestamp != time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("MinTimestamp is not 4714-11-24 00:00:00 BC")
	}
	// Refused as PostgreSQL refuses them: no year 0, nothing out of range.
	for _, s := range []string{"0000-12-31 00:00:00", "0000-01-01", "4714-11-23 23:59:59 BC", "294247-01-01 00:00:00",
		"999999-01-01 00:00:00", "10000-13-01 00:00:00", "0001-01-01 BCE", "12-01-01 00:00:00", " BC"} {
		if us, ok := ParseTimestamp(s); ok {
			t.Errorf("%q reads as %d, want an error", s, us)
		}
	}
	for _, s := range []string{"0001-12-31 23:00:00 bc", "0001-12-31 23:00:00+00 BC", "0001-12-31T23:00:00 BC", "0001-12-31 BC"} {
		if _, ok := ParseTimestamp(s); !ok {
			t.Errorf("%q does not read, as PostgreSQL reads it", s)
		}
	}
}

// TestTimestampRoundTrip checks, over random and edge values of the whole
// TIMESTAMP range, that the text form is Go's calendar fields in
// PostgreSQL's spelling (era, no year 0) and reads back exactly.
func TestTimestampRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	vals := []int64{MinTimestamp, MaxTimestamp, 0, -1, 1, MinTimestamp + 1, MaxTimestamp - 1}
	for _, iso := range []time.Time{time.Date(0, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(0, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-999, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(-1000, 3, 1, 0, 0, 0, 1000, time.UTC)} {
		us := iso.UnixMicro()
		vals = append(vals, us-1, us, us+1)
	}
	for range 20000 {
		vals = append(vals, MinTimestamp+int64(rng.Uint64N(uint64(MaxTimestamp)+uint64(-MinTimestamp))))
		// and as many within a few thousand years of 1 AD
		vals = append(vals, -62135596800000000+rng.Int64N(2e17)-1e17)
	}
	for _, us := range vals {
		tm := time.UnixMicro(us).UTC()
		y, era := tm.Year(), ""
		if y <= 0 {
			y, era = 1-y, " BC"
		}
		want := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second())
		if f := tm.Nanosecond() / 1000; f != 0 {
			want += fmt.Sprintf(".%06d", f)
			for want[len(want)-1] == '0' {
				want = want[:len(want)-1]
			}
		}
		want += era
		got := string(AppendTimestamp(nil, us))
		if got != want {
			t.Fatalf("%d prints %q, want %q", us, got, want)
		}
		if back, ok := ParseTimestamp(got); !ok || back != us {
			t.Fatalf("%d: %q reads as %d, %v", us, got, back, ok)
		}
	}
}
