package engine

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/wire"
)

// opNode is one operator of a running view's plan with its figures, as
// EXPLAIN ANALYZE prints it and the dashboard draws it.
type opNode struct {
	// Parent is the index of the node this one feeds, -1 for the root.
	Parent int
	Depth  int
	// Kind is the node's first word (Aggregate, Join, ...); Label the
	// whole of its EXPLAIN line.
	Kind, Label string
	// Run is false for a node with no operator of its own (a lookup
	// join's table).
	Run bool
	Fig exec.OpFigures
}

// viewOps walks x's plan, the root first, under x's dataflow lock (the
// state figures need it). With flush, the held-back changes go on and
// the state is written back first, as SHOW MATERIALIZED VIEWS does, so
// the figures are as of now; a scrape or the dashboard's poll passes
// false, to add no write-backs. ok is false once the view was dropped.
func viewOps(x *entry, flush bool) (nodes []opNode, matRows int64, ok bool) {
	root := x.rel.Query.(planner.Node)
	x.df.locked(func() {
		if x.dropped {
			return
		}
		ok = true
		if flush && x.failure() == "" {
			x.df.emit()
			x.pipe.Flush()
		}
		matRows = x.mat.Rows()
		var walk func(n planner.Node, parent, depth int)
		walk = func(n planner.Node, parent, depth int) {
			label := n.String()
			kind, _, _ := strings.Cut(label, " ")
			f, run := x.pipe.Figures(n)
			nodes = append(nodes, opNode{Parent: parent, Depth: depth, Kind: kind, Label: label, Run: run, Fig: f})
			me := len(nodes) - 1
			for _, in := range n.Inputs() {
				walk(in, me, depth+1)
			}
		}
		walk(root, -1, 0)
	})
	return nodes, matRows, ok
}

// explainAnalyze runs EXPLAIN ANALYZE of a materialized view: its plan,
// each operator with the rows it took in and sent on, the time spent in
// it (not in the operators it feeds) and its state, all since the view
// started in this process.
func (e *Engine) explainAnalyze(st *parser.Explain, w wire.ResultWriter) error {
	x, ok := e.lookup(st.Name)
	if !ok {
		return sqlerr.At(sqlerr.UndefinedTable, st.Pos, "relation %q does not exist", st.Name)
	}
	if x.rel.Kind != parser.KindMaterializedView || x.pipe == nil {
		return sqlerr.At(sqlerr.WrongObjectType, st.Pos, "%q is a %s, not a materialized view: EXPLAIN ANALYZE shows a running view's operators", st.Name, x.rel.Kind.Noun())
	}
	nodes, rows, ok := viewOps(x, true)
	if !ok {
		return sqlerr.At(sqlerr.UndefinedTable, st.Pos, "relation %q was dropped", st.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Materialize %s  (rows=%d changes in=%d)\n", x.rel.Name, rows, x.pipe.RowsOut())
	for _, n := range nodes {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", n.Depth+1), n.Label)
		if n.Run {
			b.WriteString("  (" + figures(n, st.Timing) + ")")
		}
		b.WriteByte('\n')
	}
	if why := x.failed.Load(); why != nil {
		fmt.Fprintf(&b, "Failed: %s\n", *why)
	}
	return e.explainText(b.String(), w)
}

// figures is a node's annotation: "rows in=10 out=4, time=0.120 ms,
// state: 4 keys, 96 bytes, 4 cached".
func figures(n opNode, timing bool) string {
	f := n.Fig
	var s string
	if n.Kind == "Scan" {
		s = fmt.Sprintf("rows=%d", f.RowsIn)
	} else {
		s = fmt.Sprintf("rows in=%d out=%d", f.RowsIn, f.RowsOut)
		if timing {
			s += fmt.Sprintf(", time=%.3f ms", float64(f.Time.Microseconds())/1000)
		}
	}
	if f.Replicas > 1 {
		s += fmt.Sprintf(", replicas=%d", f.Replicas)
	}
	if f.Stateful {
		s += fmt.Sprintf(", state: %d keys, %d bytes, %d cached", f.Keys, f.Bytes, f.Cached)
	}
	return s
}
