package vec

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// TestNumericKeyOrder checks on generated values that the key form sorts
// as the values compare (equal values by display scale), that the form
// without scale makes equal values equal, and that keys decode to the
// text they came from.
func TestNumericKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []string{"0", "0.00", "1", "1.0", "1.00", "-1", "-1.0", "10", "0.1", "-0.1", "9.99", "-9.99", "100", "0.001",
		"12345678901234567890123456789.5", "-12345678901234567890123456789.5", "9223372036854775808"}
	for len(vals) < 200 {
		s := strconv.FormatInt(r.Int64N(2000000)-1000000, 10)
		if k := r.IntN(6); k > 0 {
			s += "." + strconv.FormatInt(100000+r.Int64N(100000), 10)[1:2+r.IntN(4)]
		}
		vals = append(vals, s)
	}
	canon := make([]string, len(vals))
	for i, s := range vals {
		var d apd.Decimal
		if ParseNumeric(s, &d) != NumOK {
			t.Fatalf("%q does not parse", s)
		}
		canon[i] = NumericText(&d)
	}
	for _, a := range canon {
		ka := AppendNumericKey(nil, a, true)
		back, rest, err := DecodeNumericKey(ka)
		if err != nil || back != a || len(rest) != 0 {
			t.Fatalf("%q decodes to %q, %v", a, back, err)
		}
		for _, b := range canon {
			kb := AppendNumericKey(nil, b, true)
			want := CompareNumericText(a, b)
			var da, db apd.Decimal
			ParseNumeric(a, &da)
			ParseNumeric(b, &db)
			if want == 0 {
				want = NumericScale(&da) - NumericScale(&db)
			}
			if got := bytes.Compare(ka, kb); sign(got) != sign(want) {
				t.Fatalf("key order of %q and %q: %d, want %d", a, b, got, want)
			}
			eq := bytes.Equal(AppendNumericKey(nil, a, false), AppendNumericKey(nil, b, false))
			if eq != (CompareNumericText(a, b) == 0) {
				t.Fatalf("match keys of %q and %q equal = %v", a, b, eq)
			}
		}
	}
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
