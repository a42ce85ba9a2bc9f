package vec

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/planner/types"
)

// randNumericText is canonical text of a value that is compact or just
// past it: coefficients around int64's bounds, scales around
// MaxCompactScale.
func randNumericText(r *rand.Rand) string {
	var d apd.Decimal
	switch r.IntN(4) {
	case 0:
		d.SetFinite(r.Int64N(2000)-1000, int32(-r.IntN(4)))
	case 1:
		c := []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, 0, 1, -1}[r.IntN(6)]
		d.SetFinite(c, int32(-r.IntN(MaxCompactScale+3)))
	case 2:
		d.SetFinite(r.Int64()-r.Int64(), int32(-r.IntN(MaxCompactScale+3)))
	default:
		// Past int64: 19 to 30 digits.
		s := strconv.FormatInt(r.Int64N(1e18)+1e17, 10) + strconv.FormatInt(r.Int64N(1e12), 10)
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		d.SetString(s)
		d.Exponent = int32(-r.IntN(40))
	}
	normalize(&d)
	return NumericText(&d)
}

// TestNumericCompact checks the compact form against the text form it
// replaces: the same text back, the same key bytes (what is on disk), the
// same order.
func TestNumericCompact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	v := New(types.Unconstrained, 0)
	var texts []string
	for range 5000 {
		s := randNumericText(r)
		texts = append(texts, s)
		v.AppendStr(s)
	}
	compact := 0
	for i, s := range texts {
		if got := v.NumericString(i); got != s {
			t.Fatalf("row %d: text %q, want %q", i, got, s)
		}
		var d apd.Decimal
		ParseNumeric(s, &d)
		_, _, fits := DecimalCompact(&d)
		if _, _, ok := v.NumericCompact(i); ok != fits {
			t.Fatalf("%q: compact %v, want %v", s, ok, fits)
		} else if ok {
			compact++
		}
		for _, scale := range []bool{true, false} {
			want := AppendNumericKey(nil, s, scale)
			if got := AppendNumericKeyAt(nil, &v, i, scale); !bytes.Equal(got, want) {
				t.Fatalf("%q: key %x, want %x", s, got, want)
			}
		}
		out := New(types.Unconstrained, 0)
		if _, err := DecodeNumericKeyTo(AppendNumericKeyAt(nil, &v, i, true), &out); err != nil || out.NumericString(0) != s {
			t.Fatalf("%q: key decodes to %q, %v", s, out.NumericString(0), err)
		}
		j := r.IntN(len(texts))
		if got, want := CompareNumeric(&v, i, &v, j), CompareNumericText(s, texts[j]); got != want {
			t.Fatalf("compare %q %q: %d, want %d", s, texts[j], got, want)
		}
	}
	if compact < 1000 || compact > 4500 {
		t.Fatalf("%d of 5000 compact: the generator misses a side", compact)
	}
}
