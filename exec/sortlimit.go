package exec

import (
	"slices"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
)

// SortLimit is an ad-hoc query's ORDER BY and LIMIT below other operators
// (a subquery's: FROM (SELECT ... ORDER BY x LIMIT 3)): it takes its whole
// input and, at the pipeline's Finish, outputs the rows in order, cut to
// the limit. A Sort and the Limit over it are one operator each; a Limit
// alone keeps the rows in the order they came.
type SortLimit struct {
	keys          []planner.SortKey
	offset, count int64 // count < 0: no limit
	out           Operator
	rows          finalRows
}

// NewSort returns the operator for a Sort, NewLimit for a Limit.
func NewSort(n *planner.Sort, out Operator) *SortLimit {
	return &SortLimit{keys: n.Keys, count: -1, out: out}
}

func NewLimit(n *planner.Limit, out Operator) *SortLimit {
	return &SortLimit{offset: n.Offset, count: n.Count, out: out}
}

func (o *SortLimit) Push(b *vec.Batch) error { return o.rows.Push(b) }

// Finish outputs the rows, sorted and cut.
func (o *SortLimit) Finish() error {
	b := o.rows.rows()
	if b == nil || b.N == 0 {
		return nil
	}
	idx := make([]int, b.N)
	for i := range idx {
		idx[i] = i
	}
	if len(o.keys) > 0 {
		slices.SortStableFunc(idx, func(x, y int) int { return CompareRows(b, o.keys, x, y) })
	}
	lo := min(o.offset, int64(len(idx)))
	hi := int64(len(idx))
	if o.count >= 0 {
		hi = min(hi, lo+o.count)
	}
	out := vec.NewBatch(b.Types(), int(hi-lo))
	for _, i := range idx[lo:hi] {
		out.AppendRow(b, i, 1)
	}
	return pushOut(o.out, out)
}

// discard is where the input of a LIMIT 0 would go: nowhere, as its
// scans are never fed.
type discard struct{}

func (discard) Push(*vec.Batch) error   { return nil }
func (discard) OnWatermark(int64) error { return nil }
func (discard) OnBarrier(uint64) error  { return nil }
func (discard) Close() error            { return nil }

func (o *SortLimit) OnWatermark(int64) error   { return nil }
func (o *SortLimit) OnBarrier(id uint64) error { return o.out.OnBarrier(id) }
func (o *SortLimit) Close() error              { return nil }
