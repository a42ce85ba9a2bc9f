package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// RankFunc is a ranking function of an OVER window.
type RankFunc uint8

const (
	RowNumber RankFunc = iota // 1, 2, 3, ... (ties in any order)
	Rank                      // ties share a rank; the next skips: 1, 1, 3
	DenseRank                 // ties share a rank; none skipped: 1, 1, 2
)

func (f RankFunc) String() string {
	return [...]string{"row_number", "rank", "dense_rank"}[f]
}

// TopN keeps each partition's rows whose rank by Order is at most Limit:
// a ranking function OVER (PARTITION BY ... ORDER BY ...) under a filter
// on the rank (rn <= N, rn < N, rn = 1, rn BETWEEN a AND b). It is how a
// stream can be ranked at all: only the rows within the bound are output,
// and only they (plus, for a retracting input, the rest of the partition)
// are kept.
//
// Its output is a changelog: as rows arrive and go, a row that enters the
// top N is inserted and one pushed out is retracted, and a row whose rank
// moves is retracted with its old rank and inserted with its new one when
// the rank is output.
//
// Dedup is the case Limit 1 with ROW_NUMBER ordered by a time column:
// ascending keeps each partition's first row, descending its last.
//
// A window top-N (WindowEnd >= 0) is partitioned by a window's bounds:
// its partitions are output once, when the watermark passes the window's
// end, and then dropped, so its output is append-only.
type TopN struct {
	Input     Node
	Func      RankFunc
	Partition []int // input columns
	Order     []SortKey
	// MinRank and Limit bound the ranks that are output: MinRank <= rank
	// <= Limit (MinRank >= 1).
	MinRank, Limit int64
	// RankOut appends the rank as a last BIGINT column named RankName.
	RankOut  bool
	RankName string
	// WindowEnd is the input column that holds the partition's window_end
	// for a window top-N, or -1.
	WindowEnd int
	// Pos is where the ranking function stands in the query, for errors.
	Pos int
}

var _ Node = (*TopN)(nil)

func (n *TopN) Columns() []catalog.Column {
	cols := n.Input.Columns()
	if !n.RankOut {
		return cols
	}
	return append(cols[:len(cols):len(cols)], catalog.Column{Name: n.RankName, Type: types.BigInt, NotNull: true})
}

func (n *TopN) Inputs() []Node { return []Node{n.Input} }

// EventTime of a window top-N is its window_end; any other top-N pairs
// new rows with old ones, so its output has no event time.
func (n *TopN) EventTime() int { return n.WindowEnd }

// AppendOnly: a window top-N outputs each window once; a dedup that keeps
// the first row by processing time never replaces it.
func (n *TopN) AppendOnly() bool {
	if n.WindowEnd >= 0 {
		return true
	}
	return n.KeepsFirst() && n.Input.AppendOnly() && len(n.Order) > 0 && !n.Order[0].Desc && n.Input.Columns()[n.Order[0].Col].ProcTime
}

// KeepsFirst reports a dedup: one row per partition by ROW_NUMBER.
func (n *TopN) KeepsFirst() bool {
	return n.Func == RowNumber && n.MinRank == 1 && n.Limit == 1
}

func (n *TopN) String() string {
	cols := n.Input.Columns()
	var b strings.Builder
	if n.WindowEnd >= 0 {
		b.WriteString("WindowTopN")
	} else if n.KeepsFirst() {
		b.WriteString("Deduplicate")
	} else {
		b.WriteString("TopN")
	}
	fmt.Fprintf(&b, " %s() %s", n.Func, windowOf(cols, n.Partition, n.Order))
	if n.MinRank > 1 {
		fmt.Fprintf(&b, " ranks=%d..%d", n.MinRank, n.Limit)
	} else {
		fmt.Fprintf(&b, " limit=%d", n.Limit)
	}
	if n.RankOut {
		fmt.Fprintf(&b, " rank=%s", n.RankName)
	}
	if !n.Input.AppendOnly() {
		b.WriteString(" retracting")
	}
	return b.String()
}

// windowOf shows a window's PARTITION BY and ORDER BY.
func windowOf(cols []catalog.Column, partition []int, order []SortKey) string {
	part := make([]string, len(partition))
	for i, c := range partition {
		part[i] = cols[c].Name
	}
	ord := make([]string, len(order))
	for i, k := range order {
		ord[i] = cols[k.Col].Name
		if k.Desc {
			ord[i] += " DESC"
		}
	}
	return fmt.Sprintf("partition=[%s] order=[%s]", strings.Join(part, ", "), strings.Join(ord, ", "))
}
