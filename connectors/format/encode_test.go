package format

import (
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// TestJSONRoundTrip: what the sink encodes, the source decodes back to the
// same values, for every column type, NULLs and awkward strings included.
func TestJSONRoundTrip(t *testing.T) {
	cols := []catalog.Column{
		{Name: "b", Type: types.Boolean}, {Name: "i", Type: types.Int}, {Name: "l", Type: types.BigInt},
		{Name: "f", Type: types.Double}, {Name: "d", Type: types.DecimalOf(12, 3)},
		{Name: "s", Type: types.Varchar}, {Name: "Ts", Type: types.Ts}, {Name: "quote\"d", Type: types.Varchar},
		{Name: "day", Type: types.Dt}, {Name: "at", Type: types.TsTZ}, {Name: "took", Type: types.Ival},
	}
	ts := catalog.Types(cols)
	rng := rand.New(rand.NewPCG(3, 4))
	strs := []string{"", "plain", "tab\tnew\nline", `back\slash "quote"`, "\x01ctl", "é😀", "{\"json\": 1}"}
	in := vec.NewBatch(ts, 100)
	for r := 0; r < 500; r++ {
		for c := range cols {
			v := &in.Cols[c]
			if rng.IntN(8) == 0 {
				v.AppendNull()
				continue
			}
			switch ts[c].Kind {
			case types.Bool:
				v.AppendBool(rng.IntN(2) == 0)
			case types.Int32:
				v.AppendI64(int64(rng.Int32()) - 1<<30)
			case types.Int64, types.Decimal:
				v.AppendI64(rng.Int64N(1e12) - 5e11)
			case types.Float64:
				v.AppendF64(rng.NormFloat64() * 1e6)
			case types.String:
				v.AppendStr(strs[rng.IntN(len(strs))])
			case types.Timestamp, types.TimestampTZ:
				v.AppendI64(rng.Int64N(4e15))
			case types.Date:
				v.AppendI64(rng.Int64N(vec.MaxDate-vec.MinDate) + vec.MinDate)
			case types.Interval:
				v.AppendInterval(vec.Interval{Months: int32(rng.Uint32()) >> rng.IntN(32), Days: int32(rng.Uint32()) >> rng.IntN(32),
					Micros: rng.Int64() >> rng.IntN(40)})
			}
		}
		in.EndRow(1)
	}
	dec, err := NewDecoder("json", cols, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	out := vec.NewBatch(ts, 100)
	var buf []byte
	for r := 0; r < in.N; r++ {
		buf = AppendJSON(buf[:0], cols, in, r, nil)
		if err := dec.Decode(buf, &Meta{}, out); err != nil {
			t.Fatalf("%s: %v", buf, err)
		}
		for c := range cols {
			a, b := in.Cols[c], out.Cols[c]
			if a.IsNull(r) != b.IsNull(r) || !a.IsNull(r) && a.Text(r) != b.Text(r) {
				t.Fatalf("%s: column %s came back as %q, was %q", buf, cols[c].Name, b.Text(r), a.Text(r))
			}
		}
	}
}
