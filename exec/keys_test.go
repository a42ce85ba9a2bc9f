package exec

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state/keys"
	"github.com/streamsql/streamsql/state/memory"
)

// TestStateKeys pins the aggregate's state layout (see Aggregate's doc
// comment) in testdata/state_keys: a tumbling window of 10 s over a
// retracting input grouped by (k BIGINT, s VARCHAR), with COUNT(*),
// COUNT(DISTINCT v) and MAX(v). Commands: `push` rows "k s v ts_seconds
// diff", `flush` (write back, as before a checkpoint), `watermark
// seconds`; `state` prints every key in hex with its meaning.
func TestStateKeys(t *testing.T) {
	cols := []catalog.Column{{Name: "k", Type: types.BigInt}, {Name: "s", Type: types.Varchar},
		{Name: "v", Type: types.BigInt}, {Name: "ts", Type: types.Ts}}
	scan := &planner.Scan{Rel: &catalog.Relation{Name: "in", Columns: cols, EventTime: 3}}
	ref := func(i int) planner.Expr { return &planner.ColRef{Idx: i, Name: cols[i].Name, T: cols[i].Type} }
	agg := &planner.Aggregate{Input: scan, Window: &planner.Window{Kind: planner.Tumble, Time: 3, Size: 10e6, Slide: 10e6},
		Keys: []planner.Expr{ref(0), ref(1)}, KeyNames: []string{"k", "s"},
		Aggs: []planner.AggCall{{Func: planner.AggCountStar, T: types.BigInt},
			{Func: planner.AggCount, Distinct: true, Arg: ref(2), T: types.BigInt},
			{Func: planner.AggMax, Arg: ref(2), T: types.BigInt}}}
	backend, _ := memory.Open("")
	store := backend.Namespace(1)
	op := NewAggregate(agg, store, discardOp{}, nil)
	datadriven.RunTest(t, "testdata/state_keys", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "push":
			b := vec.NewBatch([]types.T{types.BigInt, types.Varchar, types.BigInt, types.Ts}, 4)
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				f := strings.Fields(line)
				k, _ := strconv.ParseInt(f[0], 10, 64)
				v, _ := strconv.ParseInt(f[2], 10, 64)
				ts, _ := strconv.ParseInt(f[3], 10, 64)
				diff, _ := strconv.ParseInt(f[4], 10, 64)
				b.Cols[0].AppendI64(k)
				b.Cols[1].AppendStr(f[1])
				b.Cols[2].AppendI64(v)
				b.Cols[3].AppendI64(ts * 1e6)
				b.EndRow(diff)
			}
			if err := op.Push(b); err != nil {
				return "error: " + err.Error() + "\n"
			}
			return "ok\n"
		case "flush":
			if err := op.Flush(); err != nil {
				return "error: " + err.Error() + "\n"
			}
			return "ok\n"
		case "watermark":
			s, _ := strconv.ParseInt(strings.TrimSpace(d.Input), 10, 64)
			if err := op.OnWatermark(s * 1e6); err != nil {
				return "error: " + err.Error() + "\n"
			}
			return "ok\n"
		case "state":
			var out strings.Builder
			it := store.NewIter(nil, nil)
			for ok := it.First(); ok; ok = it.Next() {
				fmt.Fprintf(&out, "%s\n  = %s\n", hex.EncodeToString(it.Key()), describeKey(it.Key(), it.Value()))
			}
			if err := it.Close(); err != nil {
				return "error: " + err.Error() + "\n"
			}
			if out.Len() == 0 {
				return "(empty)\n"
			}
			return out.String()
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// describeKey spells out an aggregate state key and its value.
func describeKey(k, v []byte) string {
	end, rest, _ := keys.DecodeInt64(k)
	group := vec.NewBatch([]types.T{types.BigInt, types.Varchar}, 1)
	rest, err := decodeRow(rest, group.Cols)
	if err != nil || len(rest) == 0 {
		return "undecodable"
	}
	head := fmt.Sprintf("window_end=%ds k=%s s=%s", end/1e6, group.Cols[0].Text(0), group.Cols[1].Text(0))
	if rest[0] == tagAcc {
		acc := make([]aggVal, 3)
		rows, err := decodeAcc(v, acc)
		if err != nil {
			return head + " acc: undecodable"
		}
		return fmt.Sprintf("%s | acc rows=%d count=%d count_distinct=%d", head, rows, acc[0].n, acc[1].n)
	}
	agg, val := int(rest[1]), rest[2:]
	if agg == 2 {
		val = invert(val)
	}
	x := vec.New(types.BigInt, 1)
	if _, err := decodeValue(val, &x); err != nil {
		return head + " multiset: undecodable"
	}
	n, _ := binary.Varint(v)
	return fmt.Sprintf("%s | multiset agg=%d value=%s count=%d", head, agg, x.Text(0), n)
}
