// Package exec runs plans: vectorized expressions, operators that pass
// columnar changelog batches, and the dataflows that drive them.
package exec

import (
	"math"
	"math/bits"
	"time"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// Evaluator computes an expression for every row of a batch. The returned
// vector is owned by the evaluator (or is a column of b) and is valid
// until the next Eval; evaluators are not safe for concurrent use.
type Evaluator interface {
	Eval(b *vec.Batch) *vec.Vec
}

// Compile turns a planned expression into an evaluator. A value that
// fails in one row (an overflow, a division by zero, a failed conversion)
// is NULL and is reported to errs, which decides whether the statement
// fails (see RowErrors), but only if the row uses the value: a CASE branch
// the row does not take, or a coalesce argument after a non-NULL one, is
// computed with the rest of the batch and its errors there are dropped, as
// PostgreSQL does not evaluate it for that row.
func Compile(e planner.Expr, errs *RowErrors) Evaluator {
	return compile(e, &evalCtx{errs: errs})
}

// evalCtx is what the evaluators of one compiled expression share: where
// row errors go, and which rows of the batch use the value being computed.
type evalCtx struct {
	errs *RowErrors
	// live is nil when every row uses the value, else true for the rows
	// that do; a CASE or coalesce sets it while it computes an argument.
	live []bool
}

// report records the error of row i, if the row uses the value.
func (c *evalCtx) report(i int, mk func() *sqlerr.Error) {
	if c.live != nil && !c.live[i] {
		return
	}
	c.errs.report(mk)
}

// lazy reports whether computing e only over some rows can matter: it
// may report an error, and errors are collected.
func (c *evalCtx) lazy(es ...planner.Expr) bool {
	if c.errs == nil {
		return false
	}
	for _, e := range es {
		if e != nil && mayFail(e) {
			return true
		}
	}
	return false
}

// mayFail reports whether evaluating e can report a row error.
func mayFail(e planner.Expr) bool {
	switch e := e.(type) {
	case *planner.Cast:
		return true
	case *planner.Case:
		for _, w := range e.Whens {
			if mayFail(w.Cond) || mayFail(w.Then) {
				return true
			}
		}
		return e.Else != nil && mayFail(e.Else)
	case *planner.Call:
		if e.B != nil && e.B.MayFail {
			return true
		}
		switch e.Fn {
		case planner.FnAdd, planner.FnSub, planner.FnMul, planner.FnDiv, planner.FnMod, planner.FnNeg, planner.FnAbs, planner.FnPow:
			return true
		case planner.FnSubstr:
			if len(e.Args) > 2 {
				return true // a negative length
			}
		case planner.FnToChar, planner.FnDateFormat:
			if _, ok := e.Args[1].(*planner.Const); !ok {
				return true // a pattern that is not a constant may be bad
			}
		case planner.FnExtract:
			// A field the argument's type has not fails each row.
			t := e.Args[len(e.Args)-1].Type()
			if f, ok := e.Args[0].(*planner.Const); !ok {
				return true
			} else if _, err := planner.DateField(f.S, t); err != nil {
				return true
			}
		case planner.FnLike, planner.FnNotLike:
			// A pattern that ends in its escape character fails the rows
			// whose match reaches it.
			p, ok := e.Args[1].(*planner.Const)
			if !ok || !p.Null && compileLike(p.S, likeEscape(e)).bad {
				return true
			}
		}
		for _, a := range e.Args {
			if mayFail(a) {
				return true
			}
		}
	}
	return false
}

func compile(e planner.Expr, ctx *evalCtx) Evaluator {
	switch e := e.(type) {
	case *planner.ColRef:
		return colEval(e.Idx)
	case *planner.Const:
		return newConst(e)
	case *planner.Cast:
		x := compile(e.X, ctx)
		if k, ok := x.(*constEval); ok && k.c.Null {
			return newConst(&planner.Const{T: e.T, Null: true})
		}
		return &castEval{x: x, out: vec.New(e.T, 0), ctx: ctx, zone: e.Zone}
	case *planner.Case:
		c := &caseEval{out: vec.New(e.T, 0), ctx: ctx}
		var later []planner.Expr
		for i, w := range e.Whens {
			c.conds = append(c.conds, compile(w.Cond, ctx))
			c.thens = append(c.thens, compile(w.Then, ctx))
			if i > 0 {
				later = append(later, w.Cond)
			}
			later = append(later, w.Then)
		}
		if e.Else != nil {
			c.els = compile(e.Else, ctx)
			later = append(later, e.Else)
		}
		c.lazy = ctx.lazy(later...)
		c.condv = make([]*vec.Vec, len(c.conds))
		c.thenv = make([]*vec.Vec, len(c.thens))
		return c
	case *planner.Call:
		c := &callEval{fn: e.Fn, out: vec.New(e.T, 0), ctx: ctx}
		for _, a := range e.Args {
			c.args = append(c.args, compile(a, ctx))
		}
		if e.Fn == planner.FnCoalesce || e.Fn == planner.FnAnd || e.Fn == planner.FnOr {
			c.lazy = ctx.lazy(e.Args[1:]...)
		}
		if e.Fn == planner.FnIn || e.Fn == planner.FnNotIn {
			c.lazy = ctx.lazy(e.Args[2:]...)
		}
		if e.Fn == planner.FnLike || e.Fn == planner.FnNotLike {
			if p, ok := e.Args[1].(*planner.Const); ok && !p.Null {
				c.like = compileLike(p.S, likeEscape(e))
			}
		}
		if e.Fn == planner.FnToChar || e.Fn == planner.FnDateFormat {
			c.dates = &dateFormatter{fn: e.Fn, ts: vec.New(types.Ts, 0)}
			if len(e.Args) == 3 {
				c.dates.zone, _ = vec.LoadZone(e.Args[2].(*planner.Const).S) // the planner's session zone
			}
			if p, ok := e.Args[1].(*planner.Const); ok && !p.Null {
				c.dates.fixed, _ = c.dates.pattern(p.S) // the planner checked it; a bad one fails each row
			}
		}
		if e.Fn == planner.FnBuiltin {
			c.kernel, c.strict = builtinKernel(e), !e.B.NonStrict
		}
		return fold(c, e)
	}
	panic("exec: unknown expression type")
}

// likeEscape is the escape character of LIKE call e: backslash unless
// a third argument names another ("" for none).
func likeEscape(e *planner.Call) string {
	if len(e.Args) == 3 {
		return e.Args[2].(*planner.Const).S
	}
	return `\`
}

// fold computes a call of constants once, as PostgreSQL does at plan
// time: a NULL operand of a function that is NULL on any NULL argument
// makes it NULL without computing the others (so (k * k) + NULL fails in
// no row), as a true operand does an OR and a false one an AND; and a
// call whose arguments are all constant is its value, if computing it
// does not fail (if it does, each row fails as it would).
func fold(c *callEval, e *planner.Call) Evaluator {
	strict := true
	switch e.Fn {
	case planner.FnAnd, planner.FnOr, planner.FnIsNull, planner.FnIsNotNull, planner.FnCoalesce,
		planner.FnIsDistinct, planner.FnIsNotDistinct, planner.FnIn, planner.FnNotIn, planner.FnGreatest, planner.FnLeast, planner.FnNullIf:
		strict = false
	case planner.FnBuiltin:
		if e.B.Volatile {
			return c
		}
		strict = !e.B.NonStrict
	}
	// NULL [NOT] IN (list) is NULL: each NULL = item folds to NULL, as
	// PostgreSQL's planner folds them, items unevaluated.
	if e.Fn == planner.FnIn || e.Fn == planner.FnNotIn {
		if k, ok := c.args[0].(*constEval); ok && k.c.Null {
			return newConst(&planner.Const{T: e.T, Null: true})
		}
	}
	consts := len(c.args) > 0
	for _, a := range c.args {
		k, ok := a.(*constEval)
		if ok && k.c.Null && strict {
			return newConst(&planner.Const{T: e.T, Null: true})
		}
		// true OR x is true and false AND x false, whatever x is.
		if ok && !k.c.Null && (e.Fn == planner.FnOr && k.c.B || e.Fn == planner.FnAnd && !k.c.B) {
			return newConst(&planner.Const{T: e.T, B: k.c.B})
		}
		consts = consts && ok && k.c.Param == 0
	}
	if !consts {
		return c
	}
	ctx := c.ctx
	c.ctx = &evalCtx{errs: NewRowErrors(true)}
	v := c.Eval(&vec.Batch{N: 1})
	if c.ctx.errs.Err() != nil {
		c.ctx = ctx
		return c
	}
	k := planner.ConstAt(v, 0)
	k.T = e.T
	return newConst(k)
}

type colEval int

func (c colEval) Eval(b *vec.Batch) *vec.Vec { return &b.Cols[c] }

// newConst evaluates to c in every row.
func newConst(c *planner.Const) *constEval { return &constEval{c: c, out: vec.New(c.T, 0)} }

type constEval struct {
	c   *planner.Const
	out vec.Vec
}

func (c *constEval) Eval(b *vec.Batch) *vec.Vec {
	if c.out.Len() == b.N {
		return &c.out
	}
	c.out.Reset()
	for i := 0; i < b.N; i++ {
		switch {
		case i > 0 && c.c.T.Kind == types.Numeric:
			c.out.AppendFrom(&c.out, 0) // read from its text once
		case c.c.Null:
			c.out.AppendNull()
		case c.c.T.Kind == types.Bool:
			c.out.AppendBool(c.c.B)
		case c.c.T.Kind == types.Float64:
			c.out.AppendF64(c.c.F)
		case c.c.T.Kind == types.Interval:
			c.out.AppendInterval(c.c.Interval())
		case c.c.T.InStr():
			c.out.AppendStr(c.c.S)
		default:
			c.out.AppendI64(c.c.I)
		}
	}
	return &c.out
}

type castEval struct {
	x    Evaluator
	out  vec.Vec
	ctx  *evalCtx
	zone *time.Location
}

func (c *castEval) Eval(b *vec.Batch) *vec.Vec {
	x := c.x.Eval(b)
	c.out.Reset()
	for i := 0; i < b.N; i++ {
		if r := planner.CastValueIn(x, i, &c.out, c.zone); r != planner.CastOK {
			c.out.AppendNull()
			c.ctx.report(i, func() *sqlerr.Error { return planner.CastError(r, x.Type, c.out.Type, x.Text(i)) })
		}
	}
	return &c.out
}

type caseEval struct {
	conds, thens []Evaluator
	els          Evaluator
	out          vec.Vec
	ctx          *evalCtx
	// lazy: a branch or a later WHEN may fail, so each is computed with
	// the rows that reach it marked live, open and take.
	lazy         bool
	open, take   []bool
	condv, thenv []*vec.Vec
}

func (c *caseEval) Eval(b *vec.Batch) *vec.Vec {
	n := b.N
	parent := c.ctx.live
	if c.lazy {
		// open: the rows no WHEN has taken yet (of those that use the
		// CASE); take: the rows taking the branch being computed.
		c.open, c.take = grow(c.open, n), grow(c.take, n)
		for i := range c.open {
			c.open[i] = parent == nil || parent[i]
		}
	}
	conds, thens := c.condv, c.thenv
	for k := range c.conds {
		if c.lazy {
			c.ctx.live = c.open
		}
		cv := c.conds[k].Eval(b)
		conds[k] = cv
		if c.lazy {
			for i, o := range c.open {
				t := o && cv.Bool[i] && !cv.IsNull(i)
				c.take[i] = t
				c.open[i] = o && !t
			}
			c.ctx.live = c.take
		}
		thens[k] = c.thens[k].Eval(b)
	}
	var els *vec.Vec
	if c.els != nil {
		if c.lazy {
			c.ctx.live = c.open
		}
		els = c.els.Eval(b)
	}
	c.ctx.live = parent
	c.out.Reset()
rows:
	for r := 0; r < n; r++ {
		for i, cv := range conds {
			if !cv.IsNull(r) && cv.Bool[r] {
				c.out.AppendFrom(thens[i], r)
				continue rows
			}
		}
		if els != nil {
			c.out.AppendFrom(els, r)
		} else {
			c.out.AppendNull()
		}
	}
	return &c.out
}

type callEval struct {
	fn   planner.Func
	args []Evaluator
	out  vec.Vec
	like *likeMatcher
	// dates formats to_char and DATE_FORMAT.
	dates *dateFormatter
	// kernel computes a FnBuiltin call; strict unless its builtin is not.
	kernel kernel
	strict bool
	vals   []*vec.Vec
	ctx    *evalCtx
	// lazy: a coalesce whose later arguments may fail computes each with
	// live marking the rows whose earlier arguments were all NULL; an AND
	// (OR) whose right side may fail computes it with live marking the
	// rows whose left side is not false (true), as PostgreSQL evaluates
	// the right side only for them; an [NOT] IN list whose later items
	// may fail computes each for the rows no earlier item equals.
	lazy bool
	open []bool
}

// resize makes out n rows long with a fresh null mask, reusing memory.
func resize(out *vec.Vec, n int) {
	out.Null = nil
	switch out.Type.Phys() {
	case types.Bool:
		out.Bool = grow(out.Bool, n)
	case types.Float64:
		out.F64 = grow(out.F64, n)
	case types.Numeric, types.Interval:
		out.Str = grow(out.Str, n)
		out.I64 = grow(out.I64, n)
	case types.String:
		out.Str = grow(out.Str, n)
	default:
		out.I64 = grow(out.I64, n)
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// nullsFrom sets out's null mask to the union of the inputs' masks.
func nullsFrom(out *vec.Vec, n int, in ...*vec.Vec) {
	for _, v := range in {
		if v.Null == nil {
			continue
		}
		if out.Null == nil {
			out.Null = make([]bool, n)
		}
		for i, isNull := range v.Null[:n] {
			out.Null[i] = out.Null[i] || isNull
		}
	}
}

func (c *callEval) Eval(b *vec.Batch) *vec.Vec {
	c.vals = c.vals[:0]
	if c.lazy && (c.fn == planner.FnAnd || c.fn == planner.FnOr) {
		if out := c.evalLogicLazy(b); out != nil {
			return out
		}
	} else if c.lazy {
		parent := c.ctx.live
		c.open = grow(c.open, b.N)
		for i := range c.open {
			c.open[i] = parent == nil || parent[i]
		}
		in := c.fn == planner.FnIn || c.fn == planner.FnNotIn
		for k, a := range c.args {
			if k > 0 {
				c.ctx.live = c.open
			}
			v := a.Eval(b)
			c.vals = append(c.vals, v)
			switch {
			case !in:
				// coalesce: a row stays open while its arguments are NULL.
				for i, o := range c.open {
					c.open[i] = o && v.IsNull(i)
				}
			case k > 0:
				// x [NOT] IN (list) is a chain of = OR (<> AND): a row
				// stays open until an item equals x.
				x := c.vals[0]
				for i, o := range c.open {
					c.open[i] = o && (x.IsNull(i) || v.IsNull(i) || cmpAt(x, i, v, i) != 0)
				}
			}
		}
		c.ctx.live = parent
	} else {
		for _, a := range c.args {
			c.vals = append(c.vals, a.Eval(b))
		}
	}
	n := b.N
	out := &c.out
	resize(out, n)
	args := c.vals
	switch c.fn {
	case planner.FnAnd, planner.FnOr:
		logic(c.fn, out, args[0], args[1], n)
		return out
	case planner.FnIsNull, planner.FnIsNotNull:
		want := c.fn == planner.FnIsNull
		for i := 0; i < n; i++ {
			out.Bool[i] = args[0].IsNull(i) == want
		}
		return out
	case planner.FnIsDistinct, planner.FnIsNotDistinct:
		distinct(c.fn == planner.FnIsDistinct, out, args[0], args[1], n)
		return out
	case planner.FnCoalesce:
		for i := 0; i < n; i++ {
			set := false
			for _, a := range args {
				if !a.IsNull(i) {
					copyValue(out, i, a, i)
					set = true
					break
				}
			}
			if !set {
				out.SetNull(i)
			}
		}
		return out
	case planner.FnIn, planner.FnNotIn:
		in(c.fn == planner.FnNotIn, out, args, n)
		return out
	case planner.FnBuiltin:
		if c.strict {
			nullsFrom(out, n, args...)
		}
		c.kernel(out, args, n, c.ctx)
		return out
	}
	nullsFrom(out, n, args...)
	switch c.fn {
	case planner.FnAdd, planner.FnSub, planner.FnMul, planner.FnDiv, planner.FnMod:
		arith(c.fn, out, args[0], args[1], n, c.ctx)
	case planner.FnNeg:
		if out.Type.Kind == types.Interval {
			negInterval(out, args[0], n, c.ctx)
		} else if out.Type.Kind == types.Numeric {
			numericUnary(c.fn, out, args, n, c.ctx)
		} else if out.Type.Kind == types.Float64 {
			for i := 0; i < n; i++ {
				out.F64[i] = -args[0].F64[i]
			}
		} else {
			// In two's complement only the least value has no negation.
			lo, x := int64(math.MinInt64), args[0].I64
			if out.Type.Kind == types.Int32 {
				lo = math.MinInt32
			}
			for i := 0; i < n; i++ {
				out.I64[i] = -x[i]
				if x[i] == lo {
					overflow(out, i, c.ctx)
				}
			}
		}
	case planner.FnEq, planner.FnNe, planner.FnLt, planner.FnLe, planner.FnGt, planner.FnGe:
		compare(c.fn, out, args[0], args[1], n)
	case planner.FnNot:
		for i := 0; i < n; i++ {
			out.Bool[i] = !args[0].Bool[i]
		}
	case planner.FnLike, planner.FnNotLike:
		want := c.fn == planner.FnLike
		for i := 0; i < n; i++ {
			m := c.like
			if m == nil {
				esc := `\`
				if len(args) == 3 {
					esc = args[2].Str[i]
				}
				m = compileLike(args[1].Str[i], esc)
			}
			if !m.bad {
				out.Bool[i] = m.match(args[0].Str[i]) == want
				continue
			}
			if out.IsNull(i) {
				continue // a NULL text or pattern: no match is tried
			}
			r, bad := m.matchChecked(args[0].Str[i])
			if bad {
				out.SetNull(i)
				c.ctx.report(i, func() *sqlerr.Error {
					return sqlerr.New(sqlerr.InvalidEscape, "LIKE pattern must not end with escape character")
				})
				continue
			}
			out.Bool[i] = r == want
		}
	case planner.FnConcat:
		for i := 0; i < n; i++ {
			out.Str[i] = args[0].Str[i] + args[1].Str[i]
		}
	case planner.FnLower, planner.FnUpper:
		f := vec.ToUpper
		if c.fn == planner.FnLower {
			f = vec.ToLower
		}
		for i := 0; i < n; i++ {
			out.Str[i] = f(args[0].Str[i])
		}
	case planner.FnLength:
		for i := 0; i < n; i++ {
			out.I64[i] = int64(utf8.RuneCountInString(args[0].Str[i]))
		}
	case planner.FnSubstr:
		for i := 0; i < n; i++ {
			count := int64(-1)
			if len(args) > 2 {
				if count = args[2].I64[i]; count < 0 && !out.IsNull(i) {
					out.SetNull(i)
					c.ctx.report(i, func() *sqlerr.Error {
						return sqlerr.New(sqlerr.SubstringError, "negative substring length not allowed")
					})
					continue
				}
			}
			out.Str[i] = substr(args[0].Str[i], args[1].I64[i], count)
		}
	case planner.FnAbs, planner.FnFloor, planner.FnCeil, planner.FnRound:
		numeric(c.fn, out, args, n, c.ctx)
	case planner.FnGreatest, planner.FnLeast:
		out.Null = nil
		greatest := c.fn == planner.FnGreatest
		for i := 0; i < n; i++ {
			best := -1
			for k, a := range args {
				if a.IsNull(i) {
					continue
				}
				if best < 0 {
					best = k
					continue
				}
				d := cmpAt(a, i, args[best], i)
				if d > 0 && greatest || d < 0 && !greatest {
					best = k
				}
			}
			if best < 0 {
				out.SetNull(i)
			} else {
				copyValue(out, i, args[best], i)
			}
		}
	case planner.FnNullIf:
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.SetNull(i)
				continue
			}
			if out.Null != nil {
				out.Null[i] = false
			}
			if !args[1].IsNull(i) && cmpAt(args[0], i, args[1], i) == 0 {
				out.SetNull(i)
			} else {
				copyValue(out, i, args[0], i)
			}
		}
	case planner.FnPow:
		// x ^ y is power(x, y): PostgreSQL's dpow, errors and all.
		x, y := args[0].F64, args[1].F64
		for i := 0; i < n; i++ {
			v, e := power(x[i], y[i])
			out.F64[i] = v
			if e != 0 && !out.IsNull(i) {
				mathFail(out, i, e, c.ctx)
			}
		}
	case planner.FnExtract:
		extractFields(out, args, n, c.ctx)
	case planner.FnDateTrunc:
		unit, ts := args[0].Str, args[1].I64
		if len(args) == 3 {
			dateTruncIn(out, unit, ts, args[2].Str, n, c.ctx)
			break
		}
		for i := 0; i < n; i++ {
			if !out.IsNull(i) {
				out.I64[i] = dateTrunc(unit[i], ts[i])
			}
		}
	case planner.FnToChar, planner.FnDateFormat:
		c.dates.eval(out, args[0], args[1], n, c.ctx)
	default:
		panic("exec: function not implemented")
	}
	return out
}

// dateTrunc is date_trunc(unit, ts) of a timestamp in µs. Weeks start on
// Monday; centuries and millennia on their year 1, as in PostgreSQL.
func dateTrunc(unit string, us int64) int64 {
	floor := func(d int64) int64 { return planner.FloorDiv(us, d) * d }
	t := time.UnixMicro(us).UTC()
	y := t.Year()
	date := func(y int, m time.Month) int64 { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).UnixMicro() }
	switch unit {
	case "microseconds":
		return us
	case "milliseconds":
		return floor(1e3)
	case "second":
		return floor(1e6)
	case "minute":
		return floor(60e6)
	case "hour":
		return floor(3600e6)
	case "day":
		return floor(86400e6)
	case "week":
		// 1970-01-05 was a Monday.
		const day, week = int64(86400e6), int64(7 * 86400e6)
		return planner.FloorDiv(us-4*day, week)*week + 4*day
	case "month":
		return date(y, t.Month())
	case "quarter":
		return date(y, (t.Month()-1)/3*3+1)
	case "year":
		return date(y, 1)
	case "decade":
		return date(y-((y%10)+10)%10, 1)
	case "century":
		return date(centuryStart(y, 100), 1)
	case "millennium":
		return date(centuryStart(y, 1000), 1)
	}
	panic("exec: unknown date_trunc unit " + unit)
}

// centuryStart is the first year of the span of n years holding y, counted
// from year 1 (2000 is in the century that began in 1901).
func centuryStart(y, n int) int {
	if y > 0 {
		return (y-1)/n*n + 1
	}
	return -((-y) / n * n) - n + 1
}

// copyValue sets out[i] = src[j] (not its null flag).
func copyValue(out *vec.Vec, i int, src *vec.Vec, j int) {
	switch out.Type.Phys() {
	case types.Bool:
		out.Bool[i] = src.Bool[j]
	case types.Float64:
		out.F64[i] = src.F64[j]
	case types.Numeric, types.Interval:
		out.Str[i], out.I64[i] = src.Str[j], src.I64[j]
	case types.String:
		out.Str[i] = src.Str[j]
	default:
		out.I64[i] = src.I64[j]
	}
}

// cmpAt compares a[i] with b[j] (same type, both non-NULL).
func cmpAt(a *vec.Vec, i int, b *vec.Vec, j int) int { return vec.Compare(a, i, b, j) }

func compare(fn planner.Func, out, a, b *vec.Vec, n int) {
	if a.Type.InI64() && (a.Type.Kind != types.Interval || fixedLengths(a, n) && fixedLengths(b, n)) {
		x, y, o := a.I64[:n], b.I64[:n], out.Bool[:n]
		switch fn {
		case planner.FnEq:
			for i := range o {
				o[i] = x[i] == y[i]
			}
		case planner.FnNe:
			for i := range o {
				o[i] = x[i] != y[i]
			}
		case planner.FnLt:
			for i := range o {
				o[i] = x[i] < y[i]
			}
		case planner.FnLe:
			for i := range o {
				o[i] = x[i] <= y[i]
			}
		case planner.FnGt:
			for i := range o {
				o[i] = x[i] > y[i]
			}
		case planner.FnGe:
			for i := range o {
				o[i] = x[i] >= y[i]
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		c := cmpAt(a, i, b, i)
		var r bool
		switch fn {
		case planner.FnEq:
			r = c == 0
		case planner.FnNe:
			r = c != 0
		case planner.FnLt:
			r = c < 0
		case planner.FnLe:
			r = c <= 0
		case planner.FnGt:
			r = c > 0
		case planner.FnGe:
			r = c >= 0
		}
		out.Bool[i] = r
	}
}

// evalLogicLazy computes the operands of an AND (OR) whose right side
// may fail: the right side with live marking the rows the left side
// leaves open (NULL, or true for AND, false for OR), as PostgreSQL
// evaluates it only for them, into c.vals. When the left side decides
// every row it skips the right side and returns the result.
func (c *callEval) evalLogicLazy(b *vec.Batch) *vec.Vec {
	n := b.N
	parent := c.ctx.live
	x := c.args[0].Eval(b)
	decides := c.fn == planner.FnOr
	c.open = grow(c.open, n)
	open, xb := c.open[:n], x.Bool[:n]
	any := false
	switch {
	case parent == nil && x.Null == nil:
		for i, v := range xb {
			open[i] = v != decides
			any = any || open[i]
		}
	case parent == nil:
		xn := x.Null[:n]
		for i, v := range xb {
			open[i] = v != decides || xn[i]
			any = any || open[i]
		}
	default:
		for i, v := range xb {
			open[i] = parent[i] && (v != decides || x.IsNull(i))
			any = any || open[i]
		}
	}
	if !any && parent == nil {
		// Every row is decided, by the same value.
		resize(&c.out, n)
		for i := range c.out.Bool[:n] {
			c.out.Bool[i] = decides
		}
		return &c.out
	}
	c.ctx.live = open
	y := c.args[1].Eval(b)
	c.ctx.live = parent
	c.vals = append(c.vals, x, y)
	return nil
}

// distinct is x IS DISTINCT FROM y (want true) or IS NOT DISTINCT FROM:
// = where both are values, and NULL is not distinct from NULL only.
func distinct(want bool, out, a, b *vec.Vec, n int) {
	if a.Null == nil && b.Null == nil && a.Type.InI64() {
		x, y, o := a.I64[:n], b.I64[:n], out.Bool[:n]
		for i := range o {
			o[i] = (x[i] != y[i]) == want
		}
		return
	}
	for i := 0; i < n; i++ {
		an, bn := a.IsNull(i), b.IsNull(i)
		d := an != bn
		if !an && !bn {
			d = cmpAt(a, i, b, i) != 0
		}
		out.Bool[i] = d == want
	}
}

// logic is SQL's three-valued AND/OR.
func logic(fn planner.Func, out, a, b *vec.Vec, n int) {
	if a.Null == nil && b.Null == nil {
		x, y, o := a.Bool[:n], b.Bool[:n], out.Bool[:n]
		if fn == planner.FnAnd {
			for i := range o {
				o[i] = x[i] && y[i]
			}
		} else {
			for i := range o {
				o[i] = x[i] || y[i]
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		an, bn := a.IsNull(i), b.IsNull(i)
		av, bv := a.Bool[i] && !an, b.Bool[i] && !bn
		if fn == planner.FnAnd {
			switch {
			case !an && !av || !bn && !bv:
				out.Bool[i] = false
			case an || bn:
				out.SetNull(i)
			default:
				out.Bool[i] = true
			}
			continue
		}
		switch {
		case av || bv:
			out.Bool[i] = true
		case an || bn:
			out.SetNull(i)
		default:
			out.Bool[i] = false
		}
	}
}

func in(not bool, out *vec.Vec, args []*vec.Vec, n int) {
	x := args[0]
	for i := 0; i < n; i++ {
		if x.IsNull(i) {
			out.SetNull(i)
			continue
		}
		found, sawNull := false, false
		for _, a := range args[1:] {
			if a.IsNull(i) {
				sawNull = true
			} else if cmpAt(x, i, a, i) == 0 {
				found = true
				break
			}
		}
		switch {
		case found:
			out.Bool[i] = !not
		case sawNull:
			out.SetNull(i)
		default:
			out.Bool[i] = not
		}
	}
}

func arith(fn planner.Func, out, a, b *vec.Vec, n int, errs *evalCtx) {
	if (out.Type.Kind == types.Interval || b.Type.Kind == types.Interval) && intervalArith(fn, out, a, b, n, errs) {
		return
	}
	if out.Type.Kind == types.Numeric {
		numericArith(fn, out, a, b, n, errs)
		return
	}
	if out.Type.Kind == types.Float64 {
		x, y, o := a.F64[:n], b.F64[:n], out.F64[:n]
		for i := range o {
			switch fn {
			case planner.FnAdd:
				o[i] = x[i] + y[i]
			case planner.FnSub:
				o[i] = x[i] - y[i]
			case planner.FnMul:
				o[i] = x[i] * y[i]
			case planner.FnDiv, planner.FnMod:
				if y[i] == 0 {
					divByZero(out, i, errs)
				} else if fn == planner.FnDiv {
					o[i] = x[i] / y[i]
				} else {
					o[i] = math.Mod(x[i], y[i])
				}
			}
		}
		// A finite operation that gives an infinity overflowed, and a
		// product or quotient of nonzero finite operands that gives 0
		// underflowed, as PostgreSQL 15's float8 says.
		under := fn == planner.FnMul || fn == planner.FnDiv
		for i, v := range o {
			if math.IsInf(v, 0) && !math.IsInf(x[i], 0) && !math.IsInf(y[i], 0) && !out.IsNull(i) {
				o[i] = 0
				out.SetNull(i)
				errs.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.NumericOutOfRange, "value out of range: overflow") })
			} else if under && v == 0 && x[i] != 0 && y[i] != 0 && !math.IsInf(y[i], 0) && !out.IsNull(i) {
				out.SetNull(i)
				errs.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.NumericOutOfRange, "value out of range: underflow") })
			}
		}
		return
	}
	x, y, o := a.I64[:n], b.I64[:n], out.I64[:n]
	// Each loop computes every row and ORs into bad a word whose sign bit
	// (or, for *, any bit) is set where a row overflowed: no branches in
	// the common case. Only then does a second pass find the rows.
	var bad int64
	switch fn {
	case planner.FnAdd:
		for i := range o {
			s := x[i] + y[i]
			bad |= (s ^ x[i]) & (s ^ y[i])
			o[i] = s
		}
		bad >>= 63
	case planner.FnSub:
		for i := range o {
			s := x[i] - y[i]
			bad |= (x[i] ^ y[i]) & (s ^ x[i])
			o[i] = s
		}
		bad >>= 63
	case planner.FnMul:
		for i := range o {
			hi, lo := bits.Mul64(uint64(x[i]), uint64(y[i]))
			// The signed high word must be the low word's sign.
			h := int64(hi) - x[i]>>63&y[i] - y[i]>>63&x[i]
			bad |= h ^ int64(lo)>>63
			o[i] = int64(lo)
		}
	case planner.FnDiv, planner.FnMod:
		for i := range o {
			switch {
			case y[i] == 0:
				o[i] = 0
				divByZero(out, i, errs)
			case y[i] == -1:
				// MinInt64 / -1 overflows (and traps on some CPUs).
				if fn == planner.FnDiv {
					o[i] = -x[i]
					if x[i] == math.MinInt64 {
						bad = -1
					}
				} else {
					o[i] = 0
				}
			case fn == planner.FnDiv:
				o[i] = x[i] / y[i]
			default:
				o[i] = x[i] % y[i]
			}
		}
	}
	t := out.Type
	if bad == 0 && t.Kind != types.Int64 {
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch t.Kind {
		case types.Int32:
			lo, hi = math.MinInt32, math.MaxInt32
		case types.Decimal:
			p := types.Pow10[min(t.Prec, types.MaxDecimalPrec)]
			lo, hi = -p+1, p-1
		case types.Date:
			lo, hi = vec.MinDate, vec.MaxDate
		case types.Timestamp, types.TimestampTZ:
			lo, hi = vec.MinTimestamp, vec.MaxTimestamp
		}
		// Negative exactly where v < lo (v - lo) or v > hi (hi - v):
		// with lo ≤ 0 ≤ hi neither difference wraps then.
		for _, v := range o {
			bad |= (hi - v) | (v - lo)
		}
		bad >>= 63
	}
	exact := bad == 0
	if exact {
		return
	}
	for i := range o {
		if out.IsNull(i) {
			continue
		}
		var v int64
		ok := true
		switch fn {
		case planner.FnAdd:
			v, ok = vec.AddInt64(x[i], y[i])
		case planner.FnSub:
			v, ok = vec.SubInt64(x[i], y[i])
		case planner.FnMul:
			v, ok = vec.MulInt64(x[i], y[i])
		case planner.FnDiv:
			v, ok = o[i], !(x[i] == math.MinInt64 && y[i] == -1)
		default:
			v = o[i]
		}
		if !ok || !vec.InRange(v, t) {
			overflow(out, i, errs)
		}
	}
}

// overflow makes out[i] NULL and reports it out of range, unless the row
// is NULL anyway: a NULL operand's slot holds a placeholder value, which
// may well overflow (abs(k - NULL) with k the least BIGINT).
func overflow(out *vec.Vec, i int, errs *evalCtx) {
	if out.IsNull(i) {
		return
	}
	if out.I64 != nil {
		out.I64[i] = 0
	}
	out.SetNull(i)
	t := out.Type
	errs.report(i, func() *sqlerr.Error {
		if t.Kind == types.Decimal && t.Prec >= types.MaxDecimalPrec {
			// A computed DECIMAL has no precision of the user's; this is
			// the representation's limit.
			return sqlerr.New(sqlerr.NumericOutOfRange, "value overflows numeric format: a DECIMAL holds at most %d digits", types.MaxDecimalPrec)
		}
		if t.Temporal() || t.Kind == types.Interval {
			return sqlerr.New(sqlerr.DatetimeOverflow, "%s", planner.OutOfRange(t))
		}
		return sqlerr.New(sqlerr.NumericOutOfRange, "%s", planner.OutOfRange(t))
	})
}

// divByZero makes out[i] NULL and reports the division by zero, unless
// the row is NULL anyway.
func divByZero(out *vec.Vec, i int, errs *evalCtx) {
	if out.IsNull(i) {
		return
	}
	out.SetNull(i)
	errs.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.DivisionByZero, "division by zero") })
}

func numeric(fn planner.Func, out *vec.Vec, args []*vec.Vec, n int, errs *evalCtx) {
	x := args[0]
	if x.Type.Kind == types.Numeric {
		numericUnary(fn, out, args, n, errs)
		return
	}
	switch out.Type.Kind {
	case types.Float64:
		for i := 0; i < n; i++ {
			v := x.F64[i]
			switch fn {
			case planner.FnAbs:
				v = math.Abs(v)
			case planner.FnFloor:
				v = math.Floor(v)
			case planner.FnCeil:
				v = math.Ceil(v)
			case planner.FnRound:
				if len(args) == 1 {
					// Halves to even, as PostgreSQL's round(float8) (rint).
					v = math.RoundToEven(v)
					break
				}
				p := math.Pow(10, float64(args[1].I64[i]))
				v = math.Round(v*p) / p
			}
			out.F64[i] = v
		}
	default:
		scale := 0
		if x.Type.Kind == types.Decimal {
			scale = x.Type.Scale
		}
		unit := types.Pow10[scale]
		for i := 0; i < n; i++ {
			v := x.I64[i]
			switch fn {
			case planner.FnAbs:
				if v == math.MinInt64 || v == math.MinInt32 && x.Type.Kind == types.Int32 {
					out.I64[i] = 0
					overflow(out, i, errs)
					continue
				}
				if v < 0 {
					v = -v
				}
			case planner.FnFloor:
				q := v / unit
				if v%unit < 0 {
					q--
				}
				v = q
			case planner.FnCeil:
				q := v / unit
				if v%unit > 0 {
					q++
				}
				v = q
			case planner.FnRound:
				q, r := v/unit, v%unit
				if 2*r >= unit {
					q++
				} else if 2*r <= -unit {
					q--
				}
				v = q
			}
			out.I64[i] = v
		}
	}
}

// substr is SQL's 1-based SUBSTRING(s FROM start [FOR count]) on characters.
func substr(s string, start, count int64) string {
	r := []rune(s)
	from := start - 1
	to := int64(len(r))
	if count >= 0 {
		to = min(to, from+count)
	}
	from = max(from, 0)
	if from >= to || from >= int64(len(r)) {
		return ""
	}
	return string(r[from:to])
}
