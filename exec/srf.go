package exec

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec/jsonb"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// srfIter generates one set-returning call's rows for one input row at a
// time, so that a long series streams in batches instead of being built
// whole.
type srfIter interface {
	// start begins row i's rows; an error means the row has none.
	start(args []*vec.Vec, i int) *sqlerr.Error
	// next appends the next row's values, one per output column, and
	// reports false, appending nothing, when there are no more.
	next(out []vec.Vec) bool
}

// srfMakers build a call's iterator, by function name.
var srfMakers = map[string]func(c planner.SRFCall) srfIter{}

// maxSetBatch bounds the rows a ProjectSet pushes at once.
const maxSetBatch = 1024

// ProjectSet outputs each input row once per row of its set-returning
// calls, zipped (planner.ProjectSet). It keeps no state: a retraction
// gives the retraction of every row the insertion gave.
type ProjectSet struct {
	n      *planner.ProjectSet
	args   [][]Evaluator
	iters  []srfIter
	strict []bool
	nin    int
	buf    *vec.Batch
	out    Operator
	errs   *RowErrors
}

// NewProjectSet builds the operator of n.
func NewProjectSet(n *planner.ProjectSet, out Operator, errs *RowErrors) *ProjectSet {
	p := &ProjectSet{n: n, out: out, errs: errs, nin: len(n.Input.Columns())}
	for _, c := range n.Calls {
		ev := make([]Evaluator, len(c.Args))
		for i, a := range c.Args {
			ev[i] = Compile(a, errs)
		}
		p.args = append(p.args, ev)
		p.iters = append(p.iters, srfMakers[c.F.Name](c))
		p.strict = append(p.strict, !c.F.NonStrict)
	}
	cols := n.Columns()
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = c.Type
	}
	p.buf = vec.NewBatch(ts, 0)
	return p
}

func (p *ProjectSet) Push(b *vec.Batch) error {
	argv := make([][]*vec.Vec, len(p.args))
	for k, ev := range p.args {
		argv[k] = make([]*vec.Vec, len(ev))
		for j, e := range ev {
			argv[k][j] = e.Eval(b)
		}
	}
	if err := p.errs.Err(); err != nil {
		return err
	}
	live := make([]bool, len(p.iters))
	p.buf.Reset()
	for i := 0; i < b.N; i++ {
		for k, it := range p.iters {
			live[k] = true
			if p.strict[k] {
				for _, a := range argv[k] {
					if a.IsNull(i) {
						live[k] = false
					}
				}
			}
			if live[k] {
				if err := it.start(argv[k], i); err != nil {
					p.errs.report(func() *sqlerr.Error { return err })
					live[k] = false
				}
			}
		}
		if err := p.errs.Err(); err != nil {
			return err
		}
		d := b.DiffAt(i)
		for r := int64(1); ; r++ {
			col, any := p.nin, false
			for k, it := range p.iters {
				w := len(p.n.Calls[k].Cols)
				if live[k] && !it.next(p.buf.Cols[col:col+w]) {
					live[k] = false
				}
				if !live[k] {
					for c := col; c < col+w; c++ {
						p.buf.Cols[c].AppendNull()
					}
				} else {
					any = true
				}
				col += w
			}
			if !any && !(r == 1 && p.n.Outer) {
				// Nothing this round: drop the NULLs just appended.
				for c := p.nin; c < col; c++ {
					p.buf.Cols[c].Truncate(p.buf.N)
				}
				break
			}
			for c := 0; c < p.nin; c++ {
				p.buf.Cols[c].AppendFrom(&b.Cols[c], i)
			}
			if p.n.Ordinality {
				if any {
					p.buf.Cols[col].AppendI64(r)
				} else {
					p.buf.Cols[col].AppendNull()
				}
			}
			p.buf.EndRow(d)
			if p.buf.N >= maxSetBatch {
				if err := p.out.Push(p.buf); err != nil {
					return err
				}
				p.buf.Reset()
			}
			if !any {
				break
			}
		}
	}
	if p.buf.N == 0 {
		return nil
	}
	return p.out.Push(p.buf)
}

func (p *ProjectSet) OnWatermark(wm int64) error { return p.out.OnWatermark(wm) }
func (p *ProjectSet) OnBarrier(id uint64) error  { return p.out.OnBarrier(id) }
func (p *ProjectSet) Close() error               { return nil }

// listIter yields the rows start put in vals, for functions whose rows
// are no more than their argument holds.
type listIter struct {
	vals []vec.Vec
	k    int
	fill func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error
}

func newListIter(c planner.SRFCall, fill func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error) *listIter {
	it := &listIter{fill: fill}
	for _, col := range c.Cols {
		it.vals = append(it.vals, vec.New(col.Type, 0))
	}
	return it
}

func (it *listIter) start(args []*vec.Vec, i int) *sqlerr.Error {
	for j := range it.vals {
		it.vals[j].Reset()
	}
	it.k = 0
	if err := it.fill(args, i, it.vals); err != nil {
		for j := range it.vals {
			it.vals[j].Reset()
		}
		return err
	}
	return nil
}

func (it *listIter) next(out []vec.Vec) bool {
	if it.k >= it.vals[0].Len() {
		return false
	}
	for j := range out {
		out[j].AppendFrom(&it.vals[j], it.k)
	}
	it.k++
	return true
}

func init() {
	srfMakers["unnest"] = func(c planner.SRFCall) srfIter {
		return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
			if err := vec.DecodeArray(args[0].Str[i], &vals[0]); err != nil {
				return sqlerr.New(sqlerr.Internal, "unnest: %v", err)
			}
			return nil
		})
	}
	srfMakers["generate_subscripts"] = func(c planner.SRFCall) srfIter {
		elems := vec.New(c.Args[0].Type().ElemType(), 0)
		return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
			elems.Reset()
			if err := vec.DecodeArray(args[0].Str[i], &elems); err != nil {
				return sqlerr.New(sqlerr.Internal, "generate_subscripts: %v", err)
			}
			if args[1].I64[i] != 1 {
				return nil
			}
			n := int64(elems.Len())
			for k := int64(1); k <= n; k++ {
				if len(args) == 3 && args[2].Bool[i] {
					vals[0].AppendI64(n + 1 - k)
				} else {
					vals[0].AppendI64(k)
				}
			}
			return nil
		})
	}
	srfMakers["pg_options_to_table"] = func(c planner.SRFCall) srfIter {
		opts := vec.New(types.Varchar, 0)
		return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
			opts.Reset()
			if err := vec.DecodeArray(args[0].Str[i], &opts); err != nil {
				return sqlerr.New(sqlerr.Internal, "pg_options_to_table: %v", err)
			}
			for k := 0; k < opts.Len(); k++ {
				if opts.IsNull(k) {
					continue
				}
				name, value, ok := strings.Cut(opts.Str[k], "=")
				vals[0].AppendStr(name)
				if ok {
					vals[1].AppendStr(value)
				} else {
					vals[1].AppendNull()
				}
			}
			return nil
		})
	}
	srfMakers["generate_series"] = func(c planner.SRFCall) srfIter {
		switch c.Cols[0].Type.Kind {
		case types.Numeric:
			return &numSeries{}
		case types.Timestamp, types.TimestampTZ:
			return &tsSeries{}
		}
		return &intSeries{}
	}
	for _, prefix := range []string{"jsonb", "json"} {
		fn := prefix + "_array_elements"
		elems := func(text bool) func(c planner.SRFCall) srfIter {
			return func(c planner.SRFCall) srfIter {
				name := fn
				if text {
					name += "_text"
				}
				return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
					s := args[0].Str[i]
					var err *sqlerr.Error
					ok := jsonb.Elems(s, func(e string) bool {
						if !text {
							vals[0].AppendStr(e)
							return true
						}
						t, notNull, e2 := jsonb.Text(e)
						if e2 != nil {
							err = sqlerr.New(sqlerr.InvalidText, "%v", e2)
							return false
						}
						if notNull {
							vals[0].AppendStr(t)
						} else {
							vals[0].AppendNull()
						}
						return true
					})
					if !ok {
						return jsonKindErr(name, s, prefix == "jsonb")
					}
					return err
				})
			}
		}
		srfMakers[fn] = elems(false)
		srfMakers[fn+"_text"] = elems(true)
		each := func(name string, text bool) func(c planner.SRFCall) srfIter {
			return func(c planner.SRFCall) srfIter {
				return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
					s := args[0].Str[i]
					var err *sqlerr.Error
					ok := jsonb.Members(s, func(qkey, val string) bool {
						k, e := jsonb.Unquote(qkey)
						if e != nil {
							err = sqlerr.New(sqlerr.InvalidText, "%v", e)
							return false
						}
						vals[0].AppendStr(k)
						if len(vals) == 1 {
							return true
						}
						if !text {
							vals[1].AppendStr(val)
							return true
						}
						t, notNull, e2 := jsonb.Text(val)
						if e2 != nil {
							err = sqlerr.New(sqlerr.InvalidText, "%v", e2)
							return false
						}
						if notNull {
							vals[1].AppendStr(t)
						} else {
							vals[1].AppendNull()
						}
						return true
					})
					if !ok {
						return jsonKindErr(name, s, false)
					}
					return err
				})
			}
		}
		srfMakers[prefix+"_each"] = each(prefix+"_each", false)
		srfMakers[prefix+"_each_text"] = each(prefix+"_each_text", true)
		srfMakers[prefix+"_object_keys"] = each(prefix+"_object_keys", false)
	}
	srfMakers["string_to_table"] = func(c planner.SRFCall) srfIter {
		return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
			if args[0].IsNull(i) {
				return nil
			}
			s := args[0].Str[i]
			nullStr, withNull := "", len(args) == 3 && !args[2].IsNull(i)
			if withNull {
				nullStr = args[2].Str[i]
			}
			add := func(p string) {
				if withNull && p == nullStr {
					vals[0].AppendNull()
				} else {
					vals[0].AppendStr(p)
				}
			}
			switch {
			case s == "":
			case args[1].IsNull(i):
				for len(s) > 0 {
					_, w := utf8.DecodeRuneInString(s)
					add(s[:w])
					s = s[w:]
				}
			case args[1].Str[i] == "":
				add(s)
			default:
				for _, p := range strings.Split(s, args[1].Str[i]) {
					add(p)
				}
			}
			return nil
		})
	}
	srfMakers["regexp_matches"] = func(c planner.SRFCall) srfIter {
		rc := &regexCache{fn: "regexp_matches"}
		groups := vec.New(types.Varchar, 0)
		return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
			flags := ""
			if len(args) == 3 {
				flags = args[2].Str[i]
			}
			r, err := rc.get(args[1].Str[i], flags)
			if err != nil {
				return err
			}
			s := args[0].Str[i]
			add := func(loc []int) bool {
				groups.Reset()
				if r.Groups == 0 {
					groups.AppendStr(s[loc[0]:loc[1]])
				}
				for g := 1; g <= r.Groups; g++ {
					if 2*g+1 < len(loc) && loc[2*g] >= 0 {
						groups.AppendStr(s[loc[2*g]:loc[2*g+1]])
					} else {
						groups.AppendNull()
					}
				}
				vals[0].AppendStr(vec.ArrayOf(&groups))
				return true
			}
			if r.Global {
				r.each(s, 0, add)
			} else if loc := r.first(s); loc != nil {
				add(loc)
			}
			return nil
		})
	}
	srfMakers["regexp_split_to_table"] = func(c planner.SRFCall) srfIter {
		rc := &regexCache{fn: "regexp_split_to_table"}
		return newListIter(c, func(args []*vec.Vec, i int, vals []vec.Vec) *sqlerr.Error {
			flags := ""
			if len(args) == 3 {
				flags = args[2].Str[i]
			}
			r, err := rc.get(args[1].Str[i], flags)
			if err != nil {
				return err
			}
			s := args[0].Str[i]
			// PostgreSQL ignores an empty match at the start or end of the
			// text and right after a match.
			prev := 0
			r.each(s, 0, func(loc []int) bool {
				if loc[0] == loc[1] && (loc[0] == 0 || loc[0] == len(s) || loc[0] == prev) {
					return true
				}
				if loc[0] >= len(s) {
					return false
				}
				vals[0].AppendStr(s[prev:loc[0]])
				prev = loc[1]
				return true
			})
			vals[0].AppendStr(s[prev:])
			return nil
		})
	}
}

// jsonKindErr is PostgreSQL's complaint about a JSON value of the wrong
// kind for fn.
func jsonKindErr(fn, s string, jsonbElems bool) *sqlerr.Error {
	kind := "a scalar"
	switch jsonb.TypeOf(s) {
	case jsonb.Object:
		kind = "an object"
	case jsonb.Array:
		kind = "an array"
	}
	switch {
	case jsonbElems:
		return sqlerr.New(sqlerr.InvalidParameter, "cannot extract elements from %s", kind)
	case strings.HasSuffix(fn, "_object_keys"):
		return sqlerr.New(sqlerr.InvalidParameter, "cannot call %s on %s", fn, kind)
	case strings.Contains(fn, "_each"):
		return sqlerr.New(sqlerr.InvalidParameter, "cannot call %s on a non-object", fn)
	}
	return sqlerr.New(sqlerr.InvalidParameter, "cannot call %s on %s", fn, kind)
}

// intSeries is generate_series over integers, timestamps (µs) and
// intervals: every step from start while not past stop, stopping before
// an overflow.
type intSeries struct {
	cur, stop, step int64
	done            bool
}

func (s *intSeries) start(args []*vec.Vec, i int) *sqlerr.Error {
	s.cur, s.stop, s.step, s.done = args[0].I64[i], args[1].I64[i], 1, false
	if len(args) == 3 {
		s.step = args[2].I64[i]
	}
	if s.step == 0 {
		s.done = true
		return sqlerr.New(sqlerr.InvalidParameter, "step size cannot equal zero")
	}
	return nil
}

func (s *intSeries) next(out []vec.Vec) bool {
	if s.done || s.step > 0 && s.cur > s.stop || s.step < 0 && s.cur < s.stop {
		return false
	}
	out[0].AppendI64(s.cur)
	if out[0].Type.Kind == types.Int32 && (s.cur+s.step > 1<<31-1 || s.cur+s.step < -1<<31) {
		s.done = true
	}
	n := s.cur + s.step
	if (s.step > 0) != (n > s.cur) {
		s.done = true // it would overflow
	}
	s.cur = n
	return true
}

// tsSeries is generate_series over timestamps with an interval step, as
// PostgreSQL's: each value the one before plus the step (its months and
// days on the calendar, a TIMESTAMPTZ's in the zone of its last argument),
// while not past stop.
type tsSeries struct {
	cur, stop int64
	step      vec.Interval
	sign      int
	loc       *time.Location
	done      bool
}

func (s *tsSeries) start(args []*vec.Vec, i int) *sqlerr.Error {
	s.cur, s.stop, s.step, s.done, s.loc = args[0].I64[i], args[1].I64[i], args[2].IntervalAt(i), false, nil
	if len(args) == 4 {
		loc, err := vec.LoadZone(args[3].Str[i])
		if err != nil {
			s.done = true
			return sqlerr.New(sqlerr.InvalidParameter, "time zone %q not recognized", args[3].Str[i])
		}
		s.loc = loc
	}
	s.sign = vec.CompareIntervals(s.step, vec.Interval{})
	if s.sign == 0 {
		s.done = true
		return sqlerr.New(sqlerr.InvalidParameter, "step size cannot equal zero")
	}
	return nil
}

func (s *tsSeries) next(out []vec.Vec) bool {
	if s.done || s.sign > 0 && s.cur > s.stop || s.sign < 0 && s.cur < s.stop {
		return false
	}
	out[0].AppendI64(s.cur)
	var ok bool
	if s.loc != nil {
		s.cur, ok = vec.AddIntervalToTimestampTZ(s.cur, s.step, s.loc)
	} else {
		s.cur, ok = vec.AddIntervalToTimestamp(s.cur, s.step)
	}
	s.done = !ok // past the range: PostgreSQL fails there, the series ends
	return true
}

// numSeries is generate_series over NUMERIC, each value cur + step as
// numeric addition gives it (its scale the larger one).
type numSeries struct {
	cur, stop, step apd.Decimal
	done            bool
}

func (s *numSeries) start(args []*vec.Vec, i int) *sqlerr.Error {
	s.done = true
	if args[0].NumericAt(i, &s.cur) != vec.NumOK || args[1].NumericAt(i, &s.stop) != vec.NumOK {
		return sqlerr.New(sqlerr.InvalidParameter, "start and stop values cannot be NaN")
	}
	s.step.SetInt64(1)
	if len(args) == 3 && args[2].NumericAt(i, &s.step) != vec.NumOK {
		return sqlerr.New(sqlerr.InvalidParameter, "step size cannot be NaN")
	}
	if s.step.IsZero() {
		return sqlerr.New(sqlerr.InvalidParameter, "step size cannot equal zero")
	}
	s.done = false
	return nil
}

func (s *numSeries) next(out []vec.Vec) bool {
	if s.done {
		return false
	}
	c := s.cur.Cmp(&s.stop)
	if s.step.Negative && c < 0 || !s.step.Negative && c > 0 {
		return false
	}
	out[0].AppendNumericDecimal(&s.cur)
	var n apd.Decimal
	if vec.NumericArith('+', &n, &s.cur, &s.step) != vec.NumOK {
		s.done = true
	}
	s.cur.Set(&n)
	return true
}
