package planner

import (
	"errors"
	"fmt"
)

// GroupKey returns the output columns that identify a view's rows: for a
// view that aggregates, the columns that output its group key and its
// window bounds, when the select list outputs every key. It returns nil
// when rows have no such key (a view that does not aggregate, or leaves a
// key out), and an empty non-nil slice for a global aggregate's one row.
func GroupKey(n Node) []int {
	var proj *Project
	for {
		switch x := n.(type) {
		case *Filter:
			n = x.Input
			continue
		case *Project:
			if proj != nil {
				return nil
			}
			proj = x
			n = x.Input
			continue
		case *Aggregate:
			return aggKey(x, proj)
		}
		return nil
	}
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
	walk = func(n Node) {
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
	case aggs != 1:
		return fmt.Errorf("parallelism splits the groups of one GROUP BY, and this view has %d", aggs)
	case !keyed:
		return errors.New("parallelism splits groups by their key, and this GROUP BY has none besides the window")
	}
	return nil
}
