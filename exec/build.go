package exec

import (
	"fmt"

	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/state"
)

// Pipeline is the operators built for one plan, from the entry operator
// (attached to the scanned relation's changelog) down to the output.
type Pipeline struct {
	Entry Operator
	// Source is the relation the plan reads, or nil for a VALUES plan.
	Source *catalog.Relation
	// Inputs are the plan's scans, in plan order (a join's left side
	// first): each relation's changelog goes into its operator. Entry and
	// Source are the first one's.
	Inputs []Input
	// Values are where the plan's constant rows (SELECT without FROM) go:
	// each takes one row of no columns, which the projection above fills.
	Values []Operator
	Aggs   []*Aggregate
	// Others are the stateful operators besides the aggregates (joins,
	// top-N), which Flush, SetCacheSize, Cached and StateStats reach
	// through the Stateful interface.
	Others []Stateful
	// Lookups are the tables lookup joins read, which the caller gives
	// them (LookupJoin.SetTable).
	Lookups []Lookup
	// states counts the stateful operators, which number their namespaces.
	states int
	// finishers are the operators that answer only once their input has
	// ended (an ad-hoc query's), outermost first.
	finishers []interface{ Finish() error }
	// clocked are the temporal filters, which OnProcTime moves.
	clocked []*TemporalFilter
	// Errors collects the expressions' errors on single rows.
	Errors *RowErrors
	// shards is the number of replicas of the aggregate, par their entry
	// when there are more than one.
	shards int
	par    *parallel
	// Probes are the operators' figures, in the order they were built
	// (see probe.go); aggStats are the aggregates', as Aggs are ordered.
	Probes   []Probe
	aggStats []*OpStats
	// root is the plan's top node; replica numbers the replica being
	// built, and replicaScan is the scan below the replicas, which is
	// probed once, in front of them.
	root        planner.Node
	replica     int
	inReplicas  bool
	replicaScan planner.Node
}

// Stateful is an operator with cached state in the backend.
type Stateful interface {
	Operator
	// Flush writes the cached changes to the backend (before a checkpoint).
	Flush() error
	// SetCacheSize bounds the decoded groups (buckets, partitions) cached.
	SetCacheSize(groups int)
	// Cached is how many are cached.
	Cached() int
	// Stats is the operator's state in the backend.
	Stats() state.Stats
}

var (
	_ Stateful = (*Aggregate)(nil)
	_ Stateful = (*Join)(nil)
)

// Input is one scan of a plan: where the relation's rows go.
type Input struct {
	Rel *catalog.Relation
	Op  Operator
}

// Lookup is a lookup join of a plan and the table it reads.
type Lookup struct {
	Rel *catalog.Relation
	J   *LookupJoin
}

// finisher is an operator that answers at its input's end, timed as
// its own work.
type finisher struct {
	op interface{ Finish() error }
	s  *OpStats
}

func (f finisher) Finish() error { return f.s.timed(f.op.Finish) }

// stateOf records st as the state of the operator whose figures s are.
func (p *Pipeline) stateOf(s *OpStats, st Stateful) {
	for i := range p.Probes {
		if p.Probes[i].Stats == s {
			p.Probes[i].State = st
		}
	}
}

// States is the number of stateful operators, whose state is in the
// namespaces 1 to States.
func (p *Pipeline) States() int { return p.states }

// Start runs the operators' start-up work (a global aggregate's first row).
func (p *Pipeline) Start() error {
	for _, a := range p.Aggs {
		if err := a.Start(); err != nil {
			return err
		}
	}
	return nil
}

// Finish tells the operators that wait for the end of their input (an
// ad-hoc query's OVER) that it has come, the innermost first, so that
// each later one gets its input's rows.
func (p *Pipeline) Finish() error {
	for i := len(p.finishers) - 1; i >= 0; i-- {
		if err := p.finishers[i].Finish(); err != nil {
			return err
		}
	}
	return nil
}

// Flush sends the held-back changes on and writes every operator's cached
// state to the backend; the engine calls it before a checkpoint.
func (p *Pipeline) Flush() error {
	if p.par != nil {
		return p.par.run(func(i int) error { return p.par.aggs[i].Flush() })
	}
	if err := p.Emit(); err != nil {
		return err
	}
	for _, a := range p.Aggs {
		if err := a.Flush(); err != nil {
			return err
		}
	}
	for _, o := range p.Others {
		if err := o.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// SetDeferEmit makes the pipeline's emit-on-update aggregates hold their
// changes back until Emit (see Aggregate.SetDeferEmit): for views.
func (p *Pipeline) SetDeferEmit(on bool) {
	for _, a := range p.Aggs {
		a.SetDeferEmit(on)
	}
}

// Emit sends every change the pipeline's aggregates hold back, the
// innermost first, so that each later one gets its input's changes.
func (p *Pipeline) Emit() error {
	if p.par != nil {
		return p.par.run(func(i int) error { return p.aggStats[i].timed(p.par.aggs[i].Emit) })
	}
	for i := len(p.Aggs) - 1; i >= 0; i-- {
		if err := p.aggStats[i].timed(p.Aggs[i].Emit); err != nil {
			return err
		}
	}
	return nil
}

// Pending reports whether an aggregate holds changes back.
func (p *Pipeline) Pending() bool {
	for _, a := range p.Aggs {
		if a.Pending() > 0 {
			return true
		}
	}
	return false
}

// ProcTime reports whether some operator has windows over processing
// time, which the engine then moves with the clock (OnProcTime).
func (p *Pipeline) ProcTime() bool {
	if len(p.clocked) > 0 {
		return true
	}
	for _, a := range p.Aggs {
		if a.ProcTime() {
			return true
		}
	}
	return false
}

// OnProcTime tells the processing-time windows the time (µs): those ending
// by now close.
func (p *Pipeline) OnProcTime(now int64) error {
	if p.par != nil {
		return p.par.run(func(i int) error {
			return p.aggStats[i].timed(func() error { return p.par.aggs[i].OnProcTime(now) })
		})
	}
	// The temporal filters first (innermost first): an aggregate over one
	// then has its rows before its windows close.
	for i := len(p.clocked) - 1; i >= 0; i-- {
		if err := p.clocked[i].OnProcTime(now); err != nil {
			return err
		}
	}
	for i, a := range p.Aggs {
		if err := p.aggStats[i].timed(func() error { return a.OnProcTime(now) }); err != nil {
			return err
		}
	}
	return nil
}

// SetCacheSize bounds each stateful operator's cache of decoded groups.
func (p *Pipeline) SetCacheSize(groups int) {
	if p.par != nil { // in the replicas' own goroutines
		p.par.each(func(i int) error { p.par.aggs[i].SetCacheSize(groups); return nil })
		return
	}
	for _, a := range p.Aggs {
		a.SetCacheSize(groups)
	}
	for _, o := range p.Others {
		o.SetCacheSize(groups)
	}
}

// Close stops the goroutines of a pipeline's replicas.
func (p *Pipeline) Close() error {
	if p.par != nil {
		return p.par.Close()
	}
	return nil
}

// Cached sums the groups the operators hold in their caches.
func (p *Pipeline) Cached() int {
	n := 0
	for _, a := range p.Aggs {
		n += a.Cached()
	}
	for _, o := range p.Others {
		n += o.Cached()
	}
	return n
}

// Late sums the rows the pipeline's windows dropped as late.
func (p *Pipeline) Late() int64 {
	var n int64
	for _, a := range p.Aggs {
		n += a.Late()
	}
	for _, o := range p.Others {
		if l, ok := o.(interface{ Late() int64 }); ok {
			n += l.Late()
		}
	}
	return n
}

// StateStats sums the pipeline's operator state.
func (p *Pipeline) StateStats() state.Stats {
	var s state.Stats
	for _, a := range p.Aggs {
		x := a.Stats()
		s.Keys += x.Keys
		s.Bytes += x.Bytes
	}
	for _, o := range p.Others {
		x := o.Stats()
		s.Keys += x.Keys
		s.Bytes += x.Bytes
	}
	return s
}

// Build constructs the streaming operators for plan n feeding out. ns
// returns the state store of the k-th stateful operator, so namespaces
// are stable for a given plan. errs receives the expressions' errors on
// single rows: strict for a statement, counting for a view.
func Build(n planner.Node, ns func(k int) state.Store, out Operator, errs *RowErrors) (*Pipeline, error) {
	return BuildSharded(n, 1, ns, out, errs)
}

// BuildSharded is Build with the plan's aggregate run as shards replicas
// (see parallel.go; planner.Shardable says whether the plan allows it).
// Replica i keeps its state in namespace k + i.
func BuildSharded(n planner.Node, shards int, ns func(k int) state.Store, out Operator, errs *RowErrors) (*Pipeline, error) {
	if shards > 1 {
		if err := planner.Shardable(n); err != nil {
			return nil, err
		}
	}
	p := &Pipeline{Errors: errs, shards: shards, root: n}
	entry, err := p.build(n, ns, out)
	if err != nil {
		return nil, err
	}
	p.Entry = entry
	if len(p.Inputs) > 0 {
		p.Entry, p.Source = p.Inputs[0].Op, p.Inputs[0].Rel
	}
	return p, nil
}

func (p *Pipeline) build(n planner.Node, ns func(k int) state.Store, out Operator) (Operator, error) {
	switch n := n.(type) {
	case *planner.Scan:
		if p.inReplicas {
			// Probed once in front of the replicas (see Aggregate).
			p.replicaScan = n
			p.Inputs = append(p.Inputs, Input{Rel: n.Rel, Op: out})
			return out, nil
		}
		in := &probeScan{op: out, s: p.probe(n, nil)}
		p.Inputs = append(p.Inputs, Input{Rel: n.Rel, Op: in})
		return in, nil
	case *planner.Join:
		s := p.probe(n, nil)
		if n.Lookup {
			j := NewLookupJoin(n, &probeOut{out, s}, p.Errors)
			p.Lookups = append(p.Lookups, Lookup{Rel: n.Right.(*planner.Scan).Rel, J: j})
			return p.build(n.Left, ns, &probeIn{j, s})
		}
		p.states++
		j := NewJoin(n, ns(p.states), &probeOut{out, s}, p.Errors)
		p.stateOf(s, j)
		p.Others = append(p.Others, j)
		left, err := p.build(n.Left, ns, &probeIn{j.Side(0), s})
		if err != nil {
			return nil, err
		}
		if _, err := p.build(n.Right, ns, &probeIn{j.Side(1), s}); err != nil {
			return nil, err
		}
		return left, nil
	case *planner.TopN:
		p.states++
		s := p.probe(n, nil)
		t, err := NewTopN(n, ns(p.states), &probeOut{out, s})
		if err != nil {
			return nil, err
		}
		p.stateOf(s, t)
		p.Others = append(p.Others, t)
		return p.build(n.Input, ns, &probeIn{t, s})
	case *planner.Filter:
		s := p.probe(n, nil)
		return p.build(n.Input, ns, &probeIn{NewFilter(Compile(n.Pred, p.Errors), &probeOut{out, s}), s})
	case *planner.TemporalFilter:
		p.states++
		s := p.probe(n, nil)
		t, err := NewTemporalFilter(n, ns(p.states), &probeOut{out, s}, p.Errors)
		if err != nil {
			return nil, err
		}
		p.stateOf(s, t)
		p.Others = append(p.Others, t)
		p.clocked = append(p.clocked, t)
		return p.build(n.Input, ns, &probeIn{t, s})
	case *planner.Project:
		exprs := make([]Evaluator, len(n.Exprs))
		for i, e := range n.Exprs {
			exprs[i] = Compile(e, p.Errors)
		}
		s := p.probe(n, nil)
		return p.build(n.Input, ns, &probeIn{NewProject(exprs, &probeOut{out, s}), s})
	case *planner.ProjectSet:
		s := p.probe(n, nil)
		return p.build(n.Input, ns, &probeIn{NewProjectSet(n, &probeOut{out, s}, p.Errors), s})
	case *planner.Aggregate:
		if p.shards > 1 {
			par := &parallel{post: out}
			n0 := len(p.Inputs) // each replica's scan: the input is par
			p.inReplicas = true
			for i := 0; i < p.shards; i++ {
				o := &shardOut{}
				p.states++
				p.replica = i
				s := p.probe(n, nil)
				a := NewAggregate(n, ns(p.states), &probeOut{o, s}, p.Errors)
				p.stateOf(s, a)
				a.shard, a.shards = uint64(i), uint64(p.shards)
				p.Aggs, p.aggStats = append(p.Aggs, a), append(p.aggStats, s)
				entry, err := p.build(n.Input, ns, &probeIn{a, s})
				if err != nil {
					return nil, err
				}
				par.entries, par.outs, par.aggs = append(par.entries, entry), append(par.outs, o), append(par.aggs, a)
			}
			p.replica, p.inReplicas = 0, false
			p.par = par
			var entry Operator = par
			if p.replicaScan != nil {
				entry = &probeScan{op: par, s: p.probe(p.replicaScan, nil)}
			}
			if len(p.Inputs) > n0 {
				p.Inputs = append(p.Inputs[:n0], Input{Rel: p.Inputs[n0].Rel, Op: entry})
			}
			return entry, nil
		}
		p.states++
		s := p.probe(n, nil)
		a := NewAggregate(n, ns(p.states), &probeOut{out, s}, p.Errors)
		p.stateOf(s, a)
		p.Aggs, p.aggStats = append(p.Aggs, a), append(p.aggStats, s)
		return p.build(n.Input, ns, &probeIn{a, s})
	case *planner.Union:
		s := p.probe(n, nil)
		u := NewUnion(len(n.Ins), n.EventTime() >= 0, &probeOut{out, s})
		var entry Operator
		for i, in := range n.Ins {
			e, err := p.build(in, ns, &probeIn{u.Side(i), s})
			if err != nil {
				return nil, err
			}
			if i == 0 {
				entry = e
			}
		}
		return entry, nil
	case *planner.Sort:
		s := p.probe(n, nil)
		o := NewSort(n, &probeOut{out, s})
		p.finishers = append(p.finishers, finisher{o, s})
		return p.build(n.Input, ns, &probeIn{o, s})
	case *planner.Limit:
		if n.Count == 0 {
			// As in PostgreSQL, LIMIT 0 reads nothing, so nothing below
			// it runs (or fails).
			return discard{}, nil
		}
		s := p.probe(n, nil)
		o := NewLimit(n, &probeOut{out, s})
		p.finishers = append(p.finishers, finisher{o, s})
		return p.build(n.Input, ns, &probeIn{o, s})
	case *planner.Replicate:
		s := p.probe(n, nil)
		return p.build(n.Input, ns, &probeIn{NewReplicate(n, &probeOut{out, s}, p.Errors), s})
	case *planner.Windows:
		s := p.probe(n, nil)
		return p.build(n.Input, ns, &probeIn{NewWindows(n, &probeOut{out, s}), s})
	case *planner.Over:
		s := p.probe(n, nil)
		if n.Streaming {
			p.states++
			o := NewOverStream(n, ns(p.states), &probeOut{out, s}, p.Errors)
			p.stateOf(s, o)
			p.Others = append(p.Others, o)
			return p.build(n.Input, ns, &probeIn{o, s})
		}
		o := NewOverBatch(n, &probeOut{out, s}, p.Errors)
		p.finishers = append(p.finishers, finisher{o, s})
		return p.build(n.Input, ns, &probeIn{o, s})
	case *planner.Values:
		p.Values = append(p.Values, out)
		return out, nil
	}
	return nil, fmt.Errorf("exec: cannot stream plan node %T", n)
}
