package engine

import (
	"fmt"
	"slices"
	"sort"

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
	f, err := e.planner(nil).Function(st)
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
	if deps := e.functionDependents(f.ID); len(deps) > 0 {
		sig := planner.Signature(f)
		detail := ""
		for i, d := range deps {
			if i > 0 {
				detail += "\n"
			}
			detail += d + " depends on function " + sig
		}
		msg := fmt.Sprintf("cannot drop function %s because other objects depend on it", sig)
		if st.Cascade {
			msg += ": DROP FUNCTION ... CASCADE is not supported; drop them first"
		}
		return "", "", &sqlerr.Error{Kind: sqlerr.DependentObjects, Pos: st.Pos, Msg: msg, Detail: detail}
	}
	e.mu.Lock()
	e.funcs[f.Name] = slices.DeleteFunc(e.funcs[f.Name], func(g *catalog.Function) bool { return g == f })
	if len(e.funcs[f.Name]) == 0 {
		delete(e.funcs, f.Name)
	}
	e.mu.Unlock()
	return "DROP FUNCTION", "", nil
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
