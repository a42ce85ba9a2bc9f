package planner

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
