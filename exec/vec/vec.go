// Package vec holds the columnar batches that flow between operators. A
// batch is a set of typed column vectors plus a diff per row, so every
// stream is a changelog (+1 insert, -1 retract) and the hot path touches
// flat slices instead of boxed values.
package vec

import "github.com/streamsql/streamsql/planner/types"

// Vec is one column. Exactly one of the value slices is used, chosen by
// Type (see types.Kind). Null, when non-nil, marks NULL rows; a NULL row's
// value slot holds the zero value.
type Vec struct {
	Type types.T
	I64  []int64
	F64  []float64
	Str  []string
	Bool []bool
	Null []bool
}

// New returns an empty vector of type t with room for n rows.
func New(t types.T, n int) Vec {
	v := Vec{Type: t}
	v.Grow(n)
	return v
}

// Grow makes room for n more rows without reallocating.
func (v *Vec) Grow(n int) {
	switch {
	case v.Type.Kind == types.Bool:
		if cap(v.Bool)-len(v.Bool) < n {
			b := make([]bool, len(v.Bool), len(v.Bool)+n)
			copy(b, v.Bool)
			v.Bool = b
		}
	case v.Type.Kind == types.Float64:
		if cap(v.F64)-len(v.F64) < n {
			b := make([]float64, len(v.F64), len(v.F64)+n)
			copy(b, v.F64)
			v.F64 = b
		}
	case v.Type.Kind == types.Numeric, v.Type.Kind == types.Interval:
		if cap(v.Str)-len(v.Str) < n {
			b := make([]string, len(v.Str), len(v.Str)+n)
			copy(b, v.Str)
			v.Str = b
		}
		if cap(v.I64)-len(v.I64) < n {
			b := make([]int64, len(v.I64), len(v.I64)+n)
			copy(b, v.I64)
			v.I64 = b
		}
	case v.Type.InStr():
		if cap(v.Str)-len(v.Str) < n {
			b := make([]string, len(v.Str), len(v.Str)+n)
			copy(b, v.Str)
			v.Str = b
		}
	default:
		if cap(v.I64)-len(v.I64) < n {
			b := make([]int64, len(v.I64), len(v.I64)+n)
			copy(b, v.I64)
			v.I64 = b
		}
	}
}

// Len returns the number of rows.
func (v *Vec) Len() int {
	switch {
	case v.Type.Kind == types.Bool:
		return len(v.Bool)
	case v.Type.Kind == types.Float64:
		return len(v.F64)
	case v.Type.InStr():
		return len(v.Str)
	}
	return len(v.I64)
}

// IsNull reports whether row i is NULL.
func (v *Vec) IsNull(i int) bool { return v.Null != nil && v.Null[i] }

// SetNull marks row i NULL, materializing the null slice on first use.
func (v *Vec) SetNull(i int) {
	if v.Null == nil {
		v.Null = make([]bool, v.Len())
	}
	v.Null[i] = true
}

// Reset empties v, keeping its capacity.
func (v *Vec) Reset() {
	v.I64, v.F64, v.Str, v.Bool = v.I64[:0], v.F64[:0], v.Str[:0], v.Bool[:0]
	v.Null = nil
}

// Truncate cuts v back to its first n rows.
func (v *Vec) Truncate(n int) {
	v.I64, v.F64, v.Str, v.Bool = v.I64[:min(n, len(v.I64))], v.F64[:min(n, len(v.F64))],
		v.Str[:min(n, len(v.Str))], v.Bool[:min(n, len(v.Bool))]
	if v.Null != nil {
		v.Null = v.Null[:min(n, len(v.Null))]
	}
}

// AppendNull appends a NULL row.
func (v *Vec) AppendNull() {
	n := v.Len()
	switch {
	case v.Type.Kind == types.Bool:
		v.Bool = append(v.Bool, false)
	case v.Type.Kind == types.Float64:
		v.F64 = append(v.F64, 0)
	case v.Type.Kind == types.Numeric, v.Type.Kind == types.Interval:
		v.Str = append(v.Str, "")
		v.I64 = append(v.I64, 0)
	case v.Type.InStr():
		v.Str = append(v.Str, "")
	default:
		v.I64 = append(v.I64, 0)
	}
	if v.Null == nil {
		v.Null = make([]bool, n, n+16)
	}
	v.Null = append(v.Null, true)
}

// notNull extends the null slice, if any, after a non-NULL append.
func (v *Vec) notNull() {
	if v.Null != nil {
		v.Null = append(v.Null, false)
	}
}

// AppendI64 appends a value to an I64-represented vector.
func (v *Vec) AppendI64(x int64) { v.I64 = append(v.I64, x); v.notNull() }

// AppendF64 appends a DOUBLE.
func (v *Vec) AppendF64(x float64) { v.F64 = append(v.F64, x); v.notNull() }

// AppendStr appends a VARCHAR, or to a NUMERIC column a value as its
// canonical text.
func (v *Vec) AppendStr(x string) {
	if v.Type.Kind == types.Numeric {
		v.appendNumericText(x)
		return
	}
	v.Str = append(v.Str, x)
	v.notNull()
}

// AppendBool appends a BOOLEAN.
func (v *Vec) AppendBool(x bool) { v.Bool = append(v.Bool, x); v.notNull() }

// AppendFrom appends row i of src, which must have the same kind.
func (v *Vec) AppendFrom(src *Vec, i int) {
	if src.IsNull(i) {
		v.AppendNull()
		return
	}
	switch {
	case v.Type.Kind == types.Bool:
		v.AppendBool(src.Bool[i])
	case v.Type.Kind == types.Float64:
		v.AppendF64(src.F64[i])
	case v.Type.Kind == types.Numeric, v.Type.Kind == types.Interval:
		v.I64 = append(v.I64, src.I64[i])
		v.Str = append(v.Str, src.Str[i])
		v.notNull()
	case v.Type.InStr():
		v.AppendStr(src.Str[i])
	default:
		v.AppendI64(src.I64[i])
	}
}

// Batch is a group of rows in columns. Diff, when non-nil, gives each row's
// multiplicity change (+1 insert, -1 retract, or a larger weight); nil means
// every row is an insert of weight 1, the append-only fast path.
type Batch struct {
	Cols []Vec
	Diff []int64
	N    int
}

// NewBatch returns an empty batch with the given column types.
func NewBatch(ts []types.T, capacity int) *Batch {
	b := &Batch{Cols: make([]Vec, len(ts))}
	for i, t := range ts {
		b.Cols[i] = New(t, capacity)
	}
	return b
}

// DiffAt returns row i's diff.
func (b *Batch) DiffAt(i int) int64 {
	if b.Diff == nil {
		return 1
	}
	return b.Diff[i]
}

// Reset empties b, keeping capacity.
func (b *Batch) Reset() {
	for i := range b.Cols {
		b.Cols[i].Reset()
	}
	b.Diff = b.Diff[:0]
	b.N = 0
}

// Truncate cuts b back to its first n rows, dropping as well the part of
// a row whose appending was cut short (by a panic in a decoder).
func (b *Batch) Truncate(n int) {
	for i := range b.Cols {
		v := &b.Cols[i]
		v.I64, v.F64, v.Str, v.Bool = v.I64[:min(n, len(v.I64))], v.F64[:min(n, len(v.F64))],
			v.Str[:min(n, len(v.Str))], v.Bool[:min(n, len(v.Bool))]
		if v.Null != nil {
			v.Null = v.Null[:min(n, len(v.Null))]
		}
	}
	if b.Diff != nil {
		b.Diff = b.Diff[:min(n, len(b.Diff))]
	}
	b.N = min(n, b.N)
}

// AppendRow appends row i of src with diff d. Columns must match.
func (b *Batch) AppendRow(src *Batch, i int, d int64) {
	for c := range b.Cols {
		b.Cols[c].AppendFrom(&src.Cols[c], i)
	}
	b.appendDiff(d)
}

// appendDiff records the diff of the row just appended.
func (b *Batch) appendDiff(d int64) {
	if b.Diff == nil && d != 1 {
		b.Diff = make([]int64, b.N, b.N+16)
		for i := range b.Diff {
			b.Diff[i] = 1
		}
	}
	if b.Diff != nil {
		b.Diff = append(b.Diff, d)
	}
	b.N++
}

// EndRow finishes a row whose columns were appended one by one.
func (b *Batch) EndRow(d int64) { b.appendDiff(d) }

// Types returns the column types.
func (b *Batch) Types() []types.T {
	ts := make([]types.T, len(b.Cols))
	for i := range b.Cols {
		ts[i] = b.Cols[i].Type
	}
	return ts
}

// CopyTo makes dst an independent copy of b, reusing dst's memory (strings
// are shared: they are immutable).
func (b *Batch) CopyTo(dst *Batch) {
	if len(dst.Cols) != len(b.Cols) {
		dst.Cols = make([]Vec, len(b.Cols))
	}
	for i := range b.Cols {
		s, d := &b.Cols[i], &dst.Cols[i]
		d.Type = s.Type
		d.I64 = append(d.I64[:0], s.I64...)
		d.F64 = append(d.F64[:0], s.F64...)
		d.Str = append(d.Str[:0], s.Str...)
		d.Bool = append(d.Bool[:0], s.Bool...)
		if s.Null == nil {
			d.Null = nil
		} else {
			d.Null = append(d.Null[:0], s.Null...)
		}
	}
	if b.Diff == nil {
		dst.Diff = nil
	} else {
		dst.Diff = append(dst.Diff[:0], b.Diff...)
	}
	dst.N = b.N
}
