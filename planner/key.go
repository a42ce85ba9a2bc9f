package planner

import (
	"errors"
	"fmt"
	"slices"
)

// GroupKey returns the output columns that identify a view's rows: for a
// view that aggregates, the columns that output its group key and its
// window bounds, when the select list outputs every key. It returns nil
// when rows have no such key (a view that does not aggregate, or leaves a
// key out), and an empty non-nil slice for a global aggregate's one row.
func GroupKey(n Node) []int {
	top := n
	var proj *Project
	projects := 0
	for {
		switch x := n.(type) {
		case *Filter:
			n = x.Input
			continue
		case *TemporalFilter:
			n = x.Input
			continue
		case *Project:
			proj, projects = x, projects+1
			n = x.Input
			continue
		case *Aggregate:
			if projects > 1 {
				return nil
			}
			return aggKey(x, proj)
		case *TopN:
			return topNKey(x, top)
		}
		return nil
	}
}

// topNKey is a top-N's key, when its rows have one: a ROW_NUMBER's
// partition and rank (one row a rank), or a dedup's partition alone (one
// row a partition), mapped through the projections from the view down to
// it (top is the view's plan).
func topNKey(t *TopN, top Node) []int {
	var key []int
	switch {
	case t.Func != RowNumber:
		return nil
	case t.RankOut:
		key = append(slices.Clone(t.Partition), len(t.Input.Columns()))
	case t.Limit == 1:
		key = slices.Clone(t.Partition)
	default:
		return nil
	}
	// The projections and filters above, innermost last.
	var path []Node
	for n := top; n != Node(t); n = n.Inputs()[0] {
		path = append(path, n)
	}
	for i := len(path) - 1; i >= 0; i-- {
		pr, ok := path[i].(*Project)
		if !ok {
			continue // a filter keeps columns
		}
		out := make([]int, 0, len(key))
		for _, k := range key {
			at := slices.IndexFunc(pr.Exprs, func(e Expr) bool { c, ok := e.(*ColRef); return ok && c.Idx == k })
			if at < 0 {
				return nil // the view does not output it
			}
			out = append(out, at)
		}
		key = out
	}
	return key
}

// aggKey maps an aggregate's key columns through the projection over it.
func aggKey(a *Aggregate, proj *Project) []int {
	nwin := 0
	if a.Window != nil {
		nwin = 2
	}
	nkey := nwin + len(a.Keys)
	if proj == nil {
		out := make([]int, nkey)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := []int{}
	found := make([]bool, nkey)
	for i, e := range proj.Exprs {
		if c, ok := e.(*ColRef); ok && c.Idx < nkey {
			out = append(out, i)
			found[c.Idx] = true
		}
	}
	for i := nwin; i < nkey; i++ {
		if !found[i] {
			return nil
		}
	}
	if nwin > 0 && !found[0] && !found[1] {
		return nil
	}
	return out
}

// Shardable reports whether a view's plan can run WITH (parallelism = n)
// for n > 1: with one aggregate, whose group keys split its groups.
func Shardable(n Node) error {
	aggs, keyed := 0, false
	var walk func(Node)
	joins, temporal := 0, 0
	walk = func(n Node) {
		if _, ok := n.(*Join); ok {
			joins++
		}
		if _, ok := n.(*TemporalFilter); ok {
			temporal++
		}
		if a, ok := n.(*Aggregate); ok {
			aggs++
			keyed = len(a.Keys) > 0
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	switch {
	case joins > 0:
		return errors.New("parallelism is not supported for joins yet")
	case temporal > 0:
		return errors.New("parallelism is not supported with NOW() in WHERE yet")
	case aggs != 1:
		return fmt.Errorf("parallelism splits the groups of one GROUP BY, and this view has %d", aggs)
	case !keyed:
		return errors.New("parallelism splits groups by their key, and this GROUP BY has none besides the window")
	}
	return nil
}

// ScanReads reports which columns of the relation at the plan's Scan the
// plan reads (read[i] for column i): a column counts when any filter,
// projection, group key, window or aggregate argument refers to it, or
// the plan outputs it (SELECT *), so that a source can skip decoding the
// rest. A plan with no Scan reads
// nothing. The Scan's event-time column is not counted unless referred
// to: the watermark's reader adds it.
func ScanReads(n Node) []bool {
	var read []bool
	var mark func(e Expr)
	mark = func(e Expr) {
		switch x := e.(type) {
		case *ColRef:
			if x.Idx < len(read) {
				read[x.Idx] = true
			}
		case *Call:
			for _, a := range x.Args {
				mark(a)
			}
		case *Case:
			for _, w := range x.Whens {
				mark(w.Cond)
				mark(w.Then)
			}
			if x.Else != nil {
				mark(x.Else)
			}
		case *Cast:
			mark(x.X)
		}
	}
	// The nodes from the Scan up: only the lowest one's expressions refer
	// to the Scan's columns; what the others read comes through it.
	var path []Node
	for n != nil {
		path = append(path, n)
		in := n.Inputs()
		if len(in) != 1 {
			break
		}
		n = in[0]
	}
	scan, ok := path[len(path)-1].(*Scan)
	if !ok {
		return nil
	}
	read = make([]bool, len(scan.Rel.Columns))
	if len(path) == 1 {
		for i := range read {
			read[i] = true // the view is the Scan itself
		}
		return read
	}
	// need[i]: the output column i of path[k] is read by what is above it.
	// Everything the view outputs is read.
	var need []bool
	for k, n := range path[:len(path)-1] {
		out := len(n.Columns())
		if k == 0 {
			need = make([]bool, out)
			for i := range need {
				need[i] = true
			}
		}
		in := len(n.Inputs()[0].Columns())
		next := make([]bool, in)
		if k == len(path)-2 {
			next = read
		}
		markIn := func(e Expr) {
			saved := read
			read = next
			mark(e)
			read = saved
		}
		switch x := n.(type) {
		case *Filter:
			copy(next, need)
			markIn(x.Pred)
		case *TemporalFilter:
			copy(next, need)
			for _, e := range append(slices.Clone(x.From), x.Until...) {
				markIn(e)
			}
		case *Project:
			// Every expression counts, needed above or not: exec
			// evaluates them all, and an expression over a NULL it
			// was not given could fail where it did not.
			for _, e := range x.Exprs {
				markIn(e)
			}
		case *Aggregate:
			if x.Window != nil && x.Window.Time < in {
				next[x.Window.Time] = true
			}
			for _, e := range x.Keys {
				markIn(e)
			}
			for _, a := range x.Aggs {
				if a.Arg != nil {
					markIn(a.Arg)
				}
				for _, o := range a.Order {
					markIn(o.X)
				}
				if a.Filter != nil {
					markIn(a.Filter)
				}
			}
		case *Sort:
			copy(next, need)
			for _, sk := range x.Keys {
				next[sk.Col] = true
			}
		case *Limit:
			copy(next, need)
		case *Windows:
			copy(next, need)
			next[x.Window.Time] = true
		case *TopN:
			copy(next, need)
			for _, c := range x.Partition {
				next[c] = true
			}
			for _, k := range x.Order {
				next[k.Col] = true
			}
		default: // any node added later: all of its input
			for i := range next {
				next[i] = true
			}
		}
		need = next
	}
	return read
}
