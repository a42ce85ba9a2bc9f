// Package catalog describes the named relations a server knows: tables,
// sources, views and materialized views, with their schemas and the plans
// that feed them. It is plain data; exec owns the running dataflows.
package catalog

import (
	"slices"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner/types"
)

// Column is one column of a relation or a result.
type Column struct {
	Name    string
	Type    types.T
	NotNull bool
	// Metadata names the record metadata a source column is filled from
	// (METADATA FROM '...'), or is "" for a column of the record's value.
	Metadata string
	// ProcTime marks a processing-time attribute (name AS PROCTIME()):
	// the engine fills it as it ingests a row; connectors never see it.
	ProcTime bool
}

// Relation is a named stream or view.
type Relation struct {
	ID      uint64
	Name    string
	Kind    parser.RelKind
	Columns []Column
	// EventTime is the index of the event-time column that the stream's
	// watermark applies to, or -1 when the stream has none.
	EventTime int
	// WatermarkDelay is how far the watermark trails the largest event time
	// seen, in microseconds (tables and sources).
	WatermarkDelay int64
	PrimaryKey     []int
	Options        map[string]string
	// AppendOnly streams never retract a row; operators over them take
	// faster paths.
	AppendOnly bool
	// SQL is the statement that created the relation, for DESCRIBE and
	// the durable catalog.
	SQL string
	// Query is the plan of a view (nil otherwise); for a plain VIEW it is
	// inlined into every query that reads it.
	Query any
	// EmitOnClose is set for materialized views that emit final rows only.
	EmitOnClose bool
	// Time holds a table's or source's event-time options.
	Time TimeOptions
	// LateOf names the table or source whose late rows this system table
	// keeps (late_rows = 'keep'); such a table is created and dropped with
	// it and is not in the stored catalog itself.
	LateOf string
	// Functions are the IDs of the SQL functions a view's plan inlined,
	// which cannot be dropped or replaced while it stands.
	Functions []uint64
	// Schema is pg_catalog or information_schema for a system relation,
	// whose rows the engine computes from its catalog when a query scans
	// it (planner.SystemRows); "" for the engine's own relations.
	Schema string
}

// TimeOptions are the WITH options of a table or source that govern its
// event time. Durations are in microseconds.
type TimeOptions struct {
	// KeepLate copies every row that arrives behind the watermark into the
	// system table <name>_late (late_rows = 'keep').
	KeepLate bool
	// MaxFuture, when positive, bounds how far ahead of the clock an event
	// time may be; FutureClamp clamps such rows to the bound instead of
	// dropping them (future_rows = 'clamp' | 'drop').
	MaxFuture   int64
	FutureClamp bool
	// IdleTimeout, when positive, is how long a partition may go without
	// a row before it stops holding the watermark back (idle_timeout).
	IdleTimeout int64
	// IdleAdvance moves the watermark on with processing time while every
	// partition is idle, so the last windows close when traffic stops
	// (idle_watermark = 'advance'; the default, 'hold', keeps it still).
	IdleAdvance bool
}

// ProcTimeCols lists the indexes of the processing-time columns.
func (r *Relation) ProcTimeCols() []int {
	var out []int
	for i, c := range r.Columns {
		if c.ProcTime {
			out = append(out, i)
		}
	}
	return out
}

// Physical is the relation as its connector sees it: without the columns
// the engine fills (AS PROCTIME()), EventTime renumbered to match. It is r
// itself when there are none.
func (r *Relation) Physical() *Relation {
	if !slices.ContainsFunc(r.Columns, func(c Column) bool { return c.ProcTime }) {
		return r
	}
	p := *r
	p.Columns = nil
	for i, c := range r.Columns {
		if c.ProcTime {
			if i < r.EventTime {
				p.EventTime--
			}
			continue
		}
		p.Columns = append(p.Columns, c)
	}
	return &p
}

// Types lists the types of cols, as vec.NewBatch takes them.
func Types(cols []Column) []types.T {
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = c.Type
	}
	return ts
}

// ColumnIndex returns the index of the named column, or -1.
func (r *Relation) ColumnIndex(name string) int {
	for i, c := range r.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Lookup resolves relation names for the planner.
type Lookup interface {
	Relation(name string) (*Relation, bool)
}

// Function is a SQL function (CREATE FUNCTION ... LANGUAGE SQL): one
// expression over its parameters, which the planner inlines into every
// call, so a plan never calls it.
type Function struct {
	// ID orders functions among the relations: it is allotted from the
	// same sequence, so a restart recreates each after what it uses.
	ID   uint64
	Name string
	// Params are the parameters in order; a Name is "" for one the body
	// reads only as $n.
	Params []Column
	Ret    types.T
	// Volatility is 'i', 's' or 'v' (pg_proc.provolatile); Strict
	// functions are NULL when an argument is.
	Volatility byte
	Strict     bool
	// Body is the bound body, a planner.Expr over the parameters as
	// columns 0..n-1, of type Ret.
	Body any
	// Uses are the IDs of the SQL functions the body inlined.
	Uses []uint64
	// SQL is the CREATE FUNCTION statement, for the durable catalog.
	SQL string
}

// ParamTypes lists the types of f's parameters.
func (f *Function) ParamTypes() []types.T { return Types(f.Params) }

// Functions is implemented by a Lookup that holds SQL functions.
type Functions interface {
	// Functions lists the SQL functions named name (its overloads).
	Functions(name string) []*Function
	// AllFunctions lists every SQL function, by ID.
	AllFunctions() []*Function
}
