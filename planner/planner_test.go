package planner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

// cat is a catalog built by the test file's `create` commands.
type cat map[string]*catalog.Relation

func (c cat) Relation(name string) (*catalog.Relation, bool) { r, ok := c[name]; return r, ok }

// TestPlans runs the files of testdata: `create` adds tables, sources and
// views; `plan` prints a query's plan tree with output columns, or the
// error; `reads` prints the columns of its Scan that it reads (ScanReads).
func TestPlans(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) { runPlans(t, path) })
}

func runPlans(t *testing.T, path string) {
	c := cat{}
	p := &planner.Planner{Cat: c}
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		st, err := parser.ParseOne(d.Input)
		if err != nil {
			return errText(err)
		}
		switch d.Cmd {
		case "create":
			var rel *catalog.Relation
			switch st := st.(type) {
			case *parser.CreateRelation:
				rel, err = p.Relation(st)
			case *parser.CreateView:
				rel, err = p.View(st)
			default:
				t.Fatalf("create: unexpected %T", st)
			}
			if err != nil {
				return errText(err)
			}
			c[rel.Name] = rel
			return describe(rel)
		case "plan", "reads", "key":
			var n planner.Node
			switch st := st.(type) {
			case *parser.Select:
				n, err = p.Query(st.Query, planner.AdHoc, false)
			case *parser.CreateView:
				var rel *catalog.Relation
				if rel, err = p.View(st); err == nil {
					n = rel.Query.(planner.Node)
				}
			}
			if err != nil {
				return errText(err)
			}
			if d.Cmd == "reads" {
				return reads(n)
			}
			if d.Cmd == "key" {
				// The view key a Materialize would take (planner.GroupKey).
				k := planner.GroupKey(n)
				if k == nil {
					return "key: none\n"
				}
				return fmt.Sprintf("key: %v\n", k)
			}
			return planner.Explain(n) + describeCols(n.Columns(), n.EventTime(), n.AppendOnly())
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// reads names the columns of the plan's Scan that it reads.
func reads(n planner.Node) string {
	bottom := n
	for len(bottom.Inputs()) == 1 {
		bottom = bottom.Inputs()[0]
	}
	scan, ok := bottom.(*planner.Scan)
	if !ok {
		return fmt.Sprintf("no scan: %v\n", planner.ScanReads(n))
	}
	var names []string
	for i, r := range planner.ScanReads(n) {
		if r {
			names = append(names, scan.Rel.Columns[i].Name)
		}
	}
	return scan.Rel.Name + ": " + strings.Join(names, ", ") + "\n"
}

func describe(r *catalog.Relation) string {
	return fmt.Sprintf("%s %s\n", r.Kind, r.Name) + describeCols(r.Columns, r.EventTime, r.AppendOnly)
}

func describeCols(cols []catalog.Column, et int, appendOnly bool) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.Type.String()
		if i == et {
			parts[i] += " (event time)"
		}
	}
	mode := "retracting"
	if appendOnly {
		mode = "append-only"
	}
	return fmt.Sprintf("columns: %s; %s\n", strings.Join(parts, ", "), mode)
}

func errText(err error) string {
	if e, ok := sqlerr.As(err); ok {
		return fmt.Sprintf("error (kind %d, pos %d): %s\n", e.Kind, e.Pos, e.Msg)
	}
	return "internal error: " + err.Error() + "\n"
}
