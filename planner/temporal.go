package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// clock is what NOW() means in the statement being planned: in an ad-hoc
// query or an INSERT, the statement's time; in a view, the engine's clock
// as it moves, which only a temporal filter may compare a row with.
type clock struct {
	streaming bool
	now       int64
}

func (p *Planner) clockFor(mode Mode) *clock {
	now := p.Now
	if now == 0 {
		now = time.Now().UnixMicro()
	}
	return &clock{streaming: mode == Streaming, now: now}
}

// now binds NOW() and CURRENT_TIMESTAMP[(p)] (a TIMESTAMPTZ, as in
// PostgreSQL), and LOCALTIMESTAMP[(p)] and CURRENT_DATE, the session's
// wall-clock time and day then, which only a statement may read.
func (b *binder) now(n *ast.FuncCallExpr) (Expr, error) {
	name := strings.ToUpper(b.written(n, n.FnName.L))
	local := name == "LOCALTIMESTAMP" || name == "CURRENT_DATE"
	if name != "CURRENT_TIMESTAMP" && !local {
		name += "()"
	}
	prec := 6
	switch {
	case len(n.Args) > 1:
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function %s with %d arguments does not exist", name, len(n.Args))
	case len(n.Args) == 1:
		v, ok := n.Args[0].(*test_driver.ValueExpr)
		if !ok || v.Datum.GetInt64() < 0 || v.Datum.GetInt64() > 6 {
			return nil, b.errAt(sqlerr.InvalidParameter, n.Args[0], "%s's precision must be a constant from 0 to 6", name)
		}
		prec = int(v.Datum.GetInt64())
	}
	t := types.T{Kind: types.TimestampTZ, Prec: prec}
	zone := b.zone
	if zone == nil {
		zone = time.UTC
	}
	switch c := b.clock; {
	case c == nil:
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s is not allowed here", name)
	case !c.streaming && name == "CURRENT_DATE":
		return &Const{T: types.Dt, I: vec.DateOfTimestamp(vec.ToLocal(c.now, zone))}, nil
	case !c.streaming && local:
		return &Const{T: types.T{Kind: types.Timestamp, Prec: prec}, I: vec.TruncateMicros(vec.ToLocal(c.now, zone), prec)}, nil
	case !c.streaming:
		return &Const{T: t, I: vec.TruncateMicros(c.now, prec)}, nil
	case local:
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s is not allowed in a view: compare the row with NOW() in WHERE (a temporal filter)", name)
	case !b.nowOK:
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "%s in a view is allowed only in WHERE, compared with a column as a temporal filter (WHERE ts > NOW() - INTERVAL '1' HOUR): anywhere else its value would change with no row changing", name)
	}
	return &Call{Fn: FnNow, T: t}, nil
}

// TemporalFilter keeps each row in the output while the engine's clock is
// within the row's bounds: from max(From) (inclusive) until min(Until)
// (exclusive), each a TIMESTAMP over the row; no From means since ever, no
// Until for ever. It is what WHERE x > NOW() - INTERVAL '1' HOUR plans to
// in a view, as Materialize's mz_now() and RisingWave's now() work: a row
// enters when its condition becomes true and is retracted when the clock
// makes it false, so the state is the rows still to enter or leave.
type TemporalFilter struct {
	Input       Node
	From, Until []Expr
	// Conds are the conditions as written, for EXPLAIN.
	Conds []Expr
}

func (n *TemporalFilter) Columns() []catalog.Column { return n.Input.Columns() }
func (n *TemporalFilter) Inputs() []Node            { return []Node{n.Input} }
func (n *TemporalFilter) EventTime() int            { return n.Input.EventTime() }
func (n *TemporalFilter) AppendOnly() bool          { return false }
func (n *TemporalFilter) String() string {
	s := make([]string, len(n.Conds))
	for i, c := range n.Conds {
		s[i] = c.String()
	}
	return "TemporalFilter " + strings.Join(s, " AND ")
}

// temporal splits a view's WHERE into the conjuncts that compare a row
// with NOW(), as a TemporalFilter's bounds, and the others. A conjunct
// that uses NOW() any other way is an error at where.
func (b *binder) temporal(pred Expr, where ast.Node) (rest Expr, tf *TemporalFilter, err error) {
	for _, c := range splitAnd(pred) {
		if !hasNow(c) {
			rest = and(rest, c)
			continue
		}
		if tf == nil {
			tf = &TemporalFilter{}
		}
		if err := tf.add(c); err != nil {
			return nil, nil, b.errAt(sqlerr.FeatureNotSupported, where, "%v", err)
		}
	}
	return rest, tf, nil
}

// add takes one conjunct x op NOW() [± interval] (either way round) as a
// bound: x > NOW() + c holds while now < x - c, and so on.
func (tf *TemporalFilter) add(c Expr) error {
	bad := fmt.Errorf("NOW() in a view must be compared with an expression over the row, as in ts > NOW() - INTERVAL '1' HOUR (a temporal filter), not in %s", c)
	call, ok := c.(*Call)
	if !ok || len(call.Args) != 2 {
		return bad
	}
	fn, x, nowSide := call.Fn, call.Args[0], call.Args[1]
	if hasNow(x) {
		x, nowSide = nowSide, x
		fn = map[Func]Func{FnLt: FnGt, FnLe: FnGe, FnGt: FnLt, FnGe: FnLe, FnEq: FnEq}[fn]
	}
	off, ok := nowOffset(nowSide)
	if c := monthsConst(nowSide); !ok && c != nil {
		return fmt.Errorf("a temporal filter's interval must be a fixed length of time (the row's bounds move with the clock by it), not months: %s", c)
	}
	if k := x.Type().Kind; !ok || hasNow(x) || k != types.Timestamp && k != types.TimestampTZ {
		return bad
	}
	// bound is x - off (+ 1µs for the strict and inclusive ends), an
	// instant as the clock is.
	bt := types.T{Kind: x.Type().Kind, Prec: 6}
	bound := func(plus int64) Expr {
		return &Call{Fn: FnAdd, Args: []Expr{x, &Const{T: types.Ival, I: plus - off}}, T: bt}
	}
	switch fn {
	case FnGt:
		tf.Until = append(tf.Until, bound(0))
	case FnGe:
		tf.Until = append(tf.Until, bound(1))
	case FnLt:
		tf.From = append(tf.From, bound(1))
	case FnLe:
		tf.From = append(tf.From, bound(0))
	case FnEq:
		tf.From, tf.Until = append(tf.From, bound(0)), append(tf.Until, bound(1))
	default:
		return bad
	}
	tf.Conds = append(tf.Conds, c)
	return nil
}

// nowOffset reads NOW() [± constant interval], possibly cast to another
// TIMESTAMP precision, as its offset from now in µs.
func nowOffset(e Expr) (int64, bool) {
	switch x := e.(type) {
	case *Call:
		switch {
		case x.Fn == FnNow:
			return 0, true
		case (x.Fn == FnAdd || x.Fn == FnSub) && len(x.Args) == 2:
			a, k := x.Args[0], x.Args[1]
			if x.Fn == FnAdd && !hasNow(a) {
				a, k = k, a
			}
			c, ok := k.(*Const)
			if !ok || c.Null || c.T.Kind != types.Interval {
				return 0, false
			}
			off, ok := nowOffset(a)
			us, fixed := c.FixedLength()
			if x.Fn == FnSub {
				return off - us, ok && fixed
			}
			return off + us, ok && fixed
		}
	case *Cast:
		if x.T.Kind == types.Timestamp || x.T.Kind == types.TimestampTZ {
			return nowOffset(x.X)
		}
	}
	return 0, false
}

// monthsConst is an INTERVAL constant with months that e adds to or
// subtracts from NOW(), or nil.
func monthsConst(e Expr) *Const {
	var found *Const
	walkCalls(e, func(c *Call) {
		for _, a := range c.Args {
			if k, ok := a.(*Const); ok && !k.Null && k.T.Kind == types.Interval && k.Interval().Months != 0 {
				found = k
			}
		}
	})
	return found
}

// hasNow reports whether e calls NOW() in a view.
func hasNow(e Expr) bool {
	found := false
	walkCalls(e, func(c *Call) { found = found || c.Fn == FnNow })
	return found
}

// walkCalls calls f on every Call in e.
func walkCalls(e Expr, f func(*Call)) {
	switch x := e.(type) {
	case *Call:
		f(x)
		for _, a := range x.Args {
			walkCalls(a, f)
		}
	case *Case:
		for _, w := range x.Whens {
			walkCalls(w.Cond, f)
			walkCalls(w.Then, f)
		}
		if x.Else != nil {
			walkCalls(x.Else, f)
		}
	case *Cast:
		walkCalls(x.X, f)
	}
}

// procTime binds PROCTIME() in a query, as Flink's q12 writes it in a
// view (SELECT *, PROCTIME() AS p_time FROM bid): the input's one
// processing-time column, which a source declares as p_time AS PROCTIME().
func (b *binder) procTime(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 0 {
		return nil, b.errAt(sqlerr.UndefinedFunction, n, "function PROCTIME with %d arguments does not exist", len(n.Args))
	}
	found := -1
	for i, c := range b.cols {
		if c.ProcTime {
			if found >= 0 {
				return nil, b.errAt(sqlerr.AmbiguousColumn, n, "PROCTIME() is ambiguous: the input has processing-time columns %s and %s; name one", b.refName(found), b.refName(i))
			}
			found = i
		}
	}
	if found < 0 {
		return nil, b.errAt(sqlerr.FeatureNotSupported, n, "PROCTIME() reads the input's processing-time column, and it has none: declare one in CREATE SOURCE, as p_time AS PROCTIME()")
	}
	return &ColRef{Idx: found, Name: b.refName(found), T: b.cols[found].Type}, nil
}
