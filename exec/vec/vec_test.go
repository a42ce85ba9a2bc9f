package vec

import (
	"testing"

	"github.com/streamsql/streamsql/planner/types"
)

// TestTruncate cuts a batch back past a row whose appending stopped half
// way (as a decoder's panic leaves it): every column, its NULLs and the
// diffs are as long as the rows kept, and the next row lines up.
func TestTruncate(t *testing.T) {
	b := NewBatch([]types.T{types.Int, types.Varchar}, 4)
	for i := range 2 {
		b.Cols[0].AppendI64(int64(i))
		b.Cols[1].AppendStr("x")
		b.EndRow(1)
	}
	b.Cols[0].AppendNull() // half a row, its first NULL
	b.Truncate(2)
	b.Cols[0].AppendI64(7)
	b.Cols[1].AppendNull()
	b.EndRow(-1)
	if b.N != 3 || b.Cols[0].Len() != 3 || b.Cols[1].Len() != 3 || len(b.Diff) != 3 {
		t.Fatalf("after Truncate and a row: N %d, lengths %d %d, diffs %d; want 3", b.N, b.Cols[0].Len(), b.Cols[1].Len(), len(b.Diff))
	}
	if b.Cols[0].IsNull(2) || b.Cols[0].Text(2) != "7" || !b.Cols[1].IsNull(2) || b.DiffAt(1) != 1 || b.DiffAt(2) != -1 {
		t.Errorf("row 2 is %s %s diff %d, want 7 NULL -1", b.Cols[0].Text(2), b.Cols[1].Text(2), b.DiffAt(2))
	}
}
