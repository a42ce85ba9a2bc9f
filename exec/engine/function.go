package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

// SQL functions are catalog entries only: the planner inlines their
// bodies, so nothing runs for them. Each takes an ID from the relations'
// sequence and is stored like them (a 'c' record of its statement), so a
// restart recreates it before every view and function created after it,
// which are the only ones that can use it: one in use can be neither
// dropped nor replaced.

var _ catalog.Functions = (*Engine)(nil)

// Functions implements catalog.Functions for the planner.
func (e *Engine) Functions(name string) []*catalog.Function {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.funcs[name])
}

// AllFunctions lists the SQL functions by ID.
func (e *Engine) AllFunctions() []*catalog.Function {
	e.mu.RLock()
	var out []*catalog.Function
	for _, fs := range e.funcs {
		out = append(out, fs...)
	}
	e.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// createFunction runs CREATE [OR REPLACE] FUNCTION. A replaced function
// takes a new ID, after the functions its new body may use.
func (e *Engine) createFunction(st *parser.CreateFunction) (string, error) {
	e.ddlName = st.Name
	f, err := e.planner(nil, nil).Function(st)
	if err != nil {
		return "", err
	}
	old := planner.SameSignature(e.Functions(f.Name), f.ParamTypes())
	if old != nil {
		if deps := e.functionDependents(old.ID); len(deps) > 0 {
			// Their plans hold its old body inlined, and a materialized
			// view's state was computed with it.
			return "", &sqlerr.Error{Kind: sqlerr.DependentObjects, Pos: st.Pos,
				Msg:    fmt.Sprintf("cannot replace function %s because other objects depend on it", planner.Signature(old)),
				Detail: deps[0] + " depends on function " + planner.Signature(old) + ": their plans hold its body inlined; drop them first"}
		}
	}
	f.ID = e.allocID()
	e.mu.Lock()
	fs := slices.DeleteFunc(e.funcs[f.Name], func(g *catalog.Function) bool { return g == old })
	e.funcs[f.Name] = append(fs, f)
	e.mu.Unlock()
	return "CREATE FUNCTION", nil
}

// dropFunction runs DROP FUNCTION, refused (2BP01) while a view or
// another function uses it.
func (e *Engine) dropFunction(st *parser.DropFunction) (string, string, error) {
	e.ddlName = st.Name
	f, notice, err := planner.FindFunction(e.Functions(st.Name), st)
	if err != nil || f == nil {
		return "DROP FUNCTION", notice, err
	}
	if deps := e.functionDependents(f.ID); len(deps) > 0 && !st.Cascade {
		sig := planner.Signature(f)
		detail := ""
		for i, d := range deps {
			if i > 0 {
				detail += "\n"
			}
			detail += d + " depends on function " + sig
		}
		return "", "", &sqlerr.Error{Kind: sqlerr.DependentObjects, Pos: st.Pos, Detail: detail,
			Msg: fmt.Sprintf("cannot drop function %s because other objects depend on it", sig), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
	}
	notice, err = e.dropCascade(f)
	e.ddlName = st.Name
	if err != nil {
		return "", "", err
	}
	e.removeFunction(f)
	return "DROP FUNCTION", notice, nil
}

// dropCascade drops what depends on f, directly or not: the functions
// and views that inlined it and whatever reads those views, the latest
// created first, so each goes after everything that depends on it. The
// notice is PostgreSQL's ("drop cascades to view v").
func (e *Engine) dropCascade(f *catalog.Function) (string, error) {
	type dep struct {
		id   uint64
		name string
		fn   *catalog.Function
		kind parser.RelKind
	}
	var deps []dep
	seen := map[uint64]bool{f.ID: true}
	fns := []uint64{f.ID}
	var rels []string
	for len(fns) > 0 || len(rels) > 0 {
		e.mu.RLock()
		var nextFns []uint64
		var nextRels []string
		add := func(d dep) bool {
			if seen[d.id] {
				return false
			}
			seen[d.id] = true
			deps = append(deps, d)
			return true
		}
		for n, x := range e.rels {
			if slices.ContainsFunc(fns, func(id uint64) bool { return slices.Contains(x.rel.Functions, id) }) &&
				add(dep{id: x.rel.ID, name: n, kind: x.rel.Kind}) {
				nextRels = append(nextRels, n)
			}
		}
		for _, gs := range e.funcs {
			for _, g := range gs {
				if slices.ContainsFunc(fns, func(id uint64) bool { return slices.Contains(g.Uses, id) }) &&
					add(dep{id: g.ID, name: "function " + planner.Signature(g), fn: g}) {
					nextFns = append(nextFns, g.ID)
				}
			}
		}
		e.mu.RUnlock()
		for _, r := range rels {
			for _, n := range e.dependents(r) {
				if x, ok := e.lookup(n); ok && add(dep{id: x.rel.ID, name: n, kind: x.rel.Kind}) {
					nextRels = append(nextRels, n)
				}
			}
		}
		fns, rels = nextFns, nextRels
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].id > deps[j].id })
	names := make([]string, len(deps))
	for i, d := range deps {
		names[len(deps)-1-i] = d.name
		if d.fn != nil {
			e.removeFunction(d.fn)
			continue
		}
		names[len(deps)-1-i] = d.kind.Noun() + " " + d.name
		if _, _, err := e.drop(&parser.Drop{Kind: d.kind, Name: d.name}); err != nil {
			return "", err
		}
	}
	switch len(names) {
	case 0:
		return "", nil
	case 1:
		return "drop cascades to " + names[0], nil
	}
	return fmt.Sprintf("drop cascades to %d other objects: %s", len(names), strings.Join(names, ", ")), nil
}

// removeFunction takes f out of the catalog.
func (e *Engine) removeFunction(f *catalog.Function) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.funcs[f.Name] = slices.DeleteFunc(e.funcs[f.Name], func(g *catalog.Function) bool { return g == f })
	if len(e.funcs[f.Name]) == 0 {
		delete(e.funcs, f.Name)
	}
}

// functionDependents names the views and functions that inlined SQL
// function id, as PostgreSQL's DETAIL does ("view v", "function
// g(integer)"), sorted.
func (e *Engine) functionDependents(id uint64) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for n, x := range e.rels {
		if slices.Contains(x.rel.Functions, id) {
			out = append(out, x.rel.Kind.Noun()+" "+n)
		}
	}
	for _, fs := range e.funcs {
		for _, f := range fs {
			if slices.Contains(f.Uses, id) {
				out = append(out, "function "+planner.Signature(f))
			}
		}
	}
	sort.Strings(out)
	return out
}
