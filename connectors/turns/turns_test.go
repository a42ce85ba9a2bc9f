package turns

import (
	"slices"
	"testing"
)

// TestTurns: 10 positions over 4 partitions give 3, 3, 2, 2; partitions
// are read least-read first, and the cursor ends exactly at MaxRows.
func TestTurns(t *testing.T) {
	c := New(4, 10)
	if q := []int64{c.Quota(0), c.Quota(1), c.Quota(2), c.Quota(3)}; !slices.Equal(q, []int64{3, 3, 2, 2}) {
		t.Fatalf("quotas %v", q)
	}
	var order []int
	for p := c.Next(); p >= 0; p = c.Next() {
		order = append(order, p)
		c.Parts[p] += int64(c.Take(p, 2))
	}
	if !slices.Equal(order, []int{0, 1, 2, 3, 0, 1}) || c.Pos() != 10 || !c.Done() || !c.Bounded() {
		t.Errorf("order %v, pos %d, done %v", order, c.Pos(), c.Done())
	}
	u := New(2, 0)
	if u.Done() || u.Bounded() || u.Take(1, 5) != 5 || u.Next() != 0 {
		t.Error("an unbounded cursor ends")
	}
}
