package engine

import (
	"fmt"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// lateNS is the namespace (under the table's or source's id) of the rows
// late_rows = 'keep' keeps.
const lateNS = 255

// lateColumn is the column a late-rows table adds: the watermark the row
// arrived behind.
const lateColumn = "arrival_watermark"

// createLateTable creates <name>_late, the system table of src's late rows
// (late_rows = 'keep'). It shares src's dataflow, so its rows are written,
// and views over it updated, under the same lock as src's rows; it is not
// in the stored catalog, since src's CREATE statement recreates it.
func (e *Engine) createLateTable(src *entry) error {
	if src.rel.ColumnIndex(lateColumn) >= 0 {
		return sqlerr.New(sqlerr.DuplicateObject, "late_rows = 'keep' adds a column %q to %s_late, and %s already has one", lateColumn, src.rel.Name, src.rel.Name)
	}
	cols := append(slices.Clone(src.rel.Columns), catalog.Column{Name: lateColumn, Type: types.Ts})
	for i := range cols {
		cols[i].NotNull = false
	}
	rel := &catalog.Relation{ID: src.rel.ID, Name: src.rel.Name + "_late", Kind: parser.KindTable, Columns: cols,
		EventTime: -1, AppendOnly: true, LateOf: src.rel.Name, Options: map[string]string{},
		SQL: fmt.Sprintf("-- the rows of %s that arrived behind its watermark (late_rows = 'keep')", src.rel.Name)}
	x := &entry{rel: rel, df: src.df, mat: exec.NewMaterialize(e.ns(src.rel.ID, lateNS), catalog.Types(cols), exec.Layout{AppendOnly: true})}
	x.out = &x.mat.Out
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.rels[rel.Name]; ok {
		return sqlerr.New(sqlerr.DuplicateObject, "relation %q already exists, and late_rows = 'keep' needs the name for the late rows of %s", rel.Name, src.rel.Name)
	}
	e.rels[rel.Name] = x
	src.lateTable = x
	return nil
}

// keepLate writes the rows of b at late (row indexes) into the late-rows
// table, with the watermark they arrived behind. The caller holds df.mu.
func (df *dataflow) keepLate(b *vec.Batch, late []int, wm int64) error {
	lt := df.root.lateTable
	if lt == nil || len(late) == 0 {
		return nil
	}
	if df.lateBuf == nil {
		df.lateBuf = vec.NewBatch(catalog.Types(lt.rel.Columns), len(late))
	}
	out := df.lateBuf
	out.Reset()
	for _, r := range late {
		for c := range b.Cols {
			out.Cols[c].AppendFrom(&b.Cols[c], r)
		}
		out.Cols[len(b.Cols)].AppendI64(wm)
		out.EndRow(1)
	}
	return lt.mat.Push(out)
}

// limitFuture applies max_future: a row whose event time is more than
// max_future ahead of the clock is counted, then dropped or clamped to the
// bound (future_rows), so that one bad timestamp cannot push the watermark
// past every row still to come. Processing time makes this the one rule
// that a replay after a crash may judge differently. The caller holds df.mu.
func (df *dataflow) limitFuture(b *vec.Batch) *vec.Batch {
	rel := df.root.rel
	bound := df.clock().UnixMicro() + rel.Time.MaxFuture
	col := &b.Cols[rel.EventTime]
	future := func(i int) bool { return !col.IsNull(i) && col.I64[i] > bound }
	dropped := 0
	for i := 0; i < b.N; i++ {
		if !future(i) {
			continue
		}
		df.future.Add(1)
		if rel.Time.FutureClamp {
			col.I64[i] = bound
		} else {
			dropped++
		}
	}
	if dropped == 0 {
		return b
	}
	out := vec.NewBatch(catalog.Types(rel.Columns), b.N-dropped)
	for r := 0; r < b.N; r++ {
		if !future(r) {
			out.AppendRow(b, r, b.DiffAt(r))
		}
	}
	return out
}
