package exec

import (
	"errors"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// LookupJoin is a lookup join (planner.Join with Lookup): each left row,
// as it arrives, reads the right table's current row by its primary key,
// from the table's own stored rows. It keeps no state, and the table's
// later changes change nothing it has output; a left row's retraction
// reads the table again, so over a table that changed in between it
// retracts a row it did not add (as in Flink, a lookup join is for
// append-only streams). Watermarks pass through.
type LookupJoin struct {
	kind  planner.JoinKind
	keys  []Evaluator
	cond  Evaluator
	nl    int
	table *Materialize
	out   Operator
	outB  *vec.Batch
	cand  *vec.Batch
	kv    []*vec.Vec
}

var _ Operator = (*LookupJoin)(nil)

// NewLookupJoin returns the lookup join of plan p feeding out; SetTable
// gives it the table before the first row.
func NewLookupJoin(p *planner.Join, out Operator, errs *RowErrors) *LookupJoin {
	lt, rt := catalog.Types(p.Left.Columns()), catalog.Types(p.Right.Columns())
	ts := append(append([]types.T{}, lt...), rt...)
	j := &LookupJoin{kind: p.Kind, nl: len(lt), out: out, outB: vec.NewBatch(ts, 64), cand: vec.NewBatch(ts, 64)}
	for _, k := range p.LookupKeys {
		j.keys = append(j.keys, Compile(k, errs))
	}
	if p.Cond != nil {
		j.cond = Compile(p.Cond, errs)
	}
	return j
}

// SetTable sets the table the join reads.
func (j *LookupJoin) SetTable(m *Materialize) { j.table = m }

func (j *LookupJoin) Push(b *vec.Batch) error {
	if j.table == nil {
		return errors.New("exec: lookup join without its table")
	}
	j.kv = j.kv[:0]
	for _, k := range j.keys {
		j.kv = append(j.kv, k.Eval(b))
	}
	// The matches, one candidate row per left row that found one; then
	// the residual condition over all of them at once.
	j.cand.Reset()
	found := make([]int, 0, b.N) // cand row of left row i, or -1
	for i := 0; i < b.N; i++ {
		null := false
		for _, v := range j.kv {
			null = null || v.IsNull(i)
		}
		if null {
			found = append(found, -1)
			continue
		}
		n := j.cand.N
		ok, err := j.table.Lookup(j.kv, i, j.cand.Cols[j.nl:])
		if err != nil {
			return err
		}
		if !ok {
			found = append(found, -1)
			continue
		}
		for c := 0; c < j.nl; c++ {
			j.cand.Cols[c].AppendFrom(&b.Cols[c], i)
		}
		j.cand.EndRow(b.DiffAt(i))
		found = append(found, n)
	}
	var keep *vec.Vec
	if j.cond != nil && j.cand.N > 0 {
		keep = j.cond.Eval(j.cand)
	}
	j.outB.Reset()
	for i := 0; i < b.N; i++ {
		k := found[i]
		if k >= 0 && (keep == nil || keep.Bool[k] && !keep.IsNull(k)) {
			j.outB.AppendRow(j.cand, k, b.DiffAt(i))
			continue
		}
		if j.kind == planner.LeftJoin {
			for c := range j.outB.Cols {
				if c < j.nl {
					j.outB.Cols[c].AppendFrom(&b.Cols[c], i)
				} else {
					j.outB.Cols[c].AppendNull()
				}
			}
			j.outB.EndRow(b.DiffAt(i))
		}
	}
	if j.outB.N == 0 {
		return nil
	}
	return j.out.Push(j.outB)
}

func (j *LookupJoin) OnWatermark(wm int64) error { return j.out.OnWatermark(wm) }
func (j *LookupJoin) OnBarrier(id uint64) error  { return j.out.OnBarrier(id) }
func (j *LookupJoin) Close() error               { return nil }
