package parser

import (
	"sort"
	"strings"
)

// posMap maps byte offsets in text we rewrote for TiDB back to 1-based
// positions in the user's query string, so TiDB's errors and node offsets
// point at what the user typed.
type posMap struct {
	segs []seg
}

// seg says that output from out on came from orig on; an inserted segment
// maps all its bytes to orig.
type seg struct {
	out, orig int
	inserted  bool
}

func (m posMap) orig(off int) int {
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].out > off }) - 1
	if i < 0 {
		return 1
	}
	s := m.segs[i]
	if s.inserted {
		return s.orig + 1
	}
	return s.orig + off - s.out + 1
}

// rewriter builds the text handed to TiDB from pieces of the statement.
type rewriter struct {
	src  string // the statement
	base int    // the statement's offset in the query string
	out  strings.Builder
	m    posMap
}

// copy appends src[from:to].
func (r *rewriter) copy(from, to int) {
	if from >= to {
		return
	}
	r.m.segs = append(r.m.segs, seg{out: r.out.Len(), orig: r.base + from})
	r.out.WriteString(r.src[from:to])
}

// insert appends text that stands for the source at at.
func (r *rewriter) insert(text string, at int) {
	r.m.segs = append(r.m.segs, seg{out: r.out.Len(), orig: r.base + at, inserted: true})
	r.out.WriteString(text)
}

// windowFuncs are the window functions whose interval arguments TiDB cannot
// read; their arguments are rewritten to interval strings.
var windowFuncs = map[string]bool{
	"tumble": true, "hop": true, "session": true, "cumulate": true,
	"tumble_start": true, "tumble_end": true, "hop_start": true, "hop_end": true,
	"session_start": true, "session_end": true,
}

// SessionFunc is the name SESSION(...) is renamed to, since SESSION is a
// keyword to TiDB.
const SessionFunc = "session_window"

// rewriteTokens copies toks[from:to] of the statement into r, rewriting what
// TiDB cannot parse: interval arguments of window functions become interval
// strings ('5 SECOND'), SESSION( becomes SESSION_WINDOW(, and INTERVAL
// 'n unit' without a unit keyword becomes INTERVAL micros MICROSECOND.
func (r *rewriter) rewriteTokens(toks []token, from, to int) error {
	if from >= to {
		return nil
	}
	cursor := toks[from].pos
	depth := 0
	windowDepth := []int{} // paren depths of open window-function calls
	for i := from; i < to; i++ {
		t := toks[i]
		next := func(k int) token {
			if i+k < to {
				return toks[i+k]
			}
			return token{}
		}
		switch {
		case t.kind == tIdent && windowFuncs[strings.ToLower(t.text)] && next(1).is("("):
			if strings.EqualFold(t.text, "session") {
				r.copy(cursor, t.pos)
				r.insert(SessionFunc, t.pos)
				cursor = t.end
			}
			windowDepth = append(windowDepth, depth+1)
		case t.is("("):
			depth++
		case t.is(")"):
			if n := len(windowDepth); n > 0 && windowDepth[n-1] == depth {
				windowDepth = windowDepth[:n-1]
			}
			depth--
		case t.is("interval"):
			lit, n, err := intervalLiteral(toks[i:to])
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			inWindow := len(windowDepth) > 0 && windowDepth[len(windowDepth)-1] == depth
			micros, err := ParseInterval(lit)
			if err != nil {
				return withPos(err, t.pos+1+r.base)
			}
			switch {
			case inWindow:
				r.copy(cursor, t.pos)
				r.insert("'"+lit+"'", t.pos)
				cursor = toks[i+n-1].end
			case n == 2: // INTERVAL 'n unit' with no unit keyword
				r.copy(cursor, t.pos)
				r.insert("INTERVAL "+itoa(micros)+" MICROSECOND", t.pos)
				cursor = toks[i+n-1].end
			}
			i += n - 1
		}
	}
	r.copy(cursor, toks[to-1].end)
	return nil
}

// intervalLiteral reads INTERVAL 'n' UNIT, INTERVAL n UNIT or INTERVAL
// 'n unit' at toks[0], returning the interval as "n unit" text and how many
// tokens it used (0 when toks do not start an interval literal we handle).
func intervalLiteral(toks []token) (string, int, error) {
	if len(toks) < 2 || toks[1].kind != tString && toks[1].kind != tNumber {
		return "", 0, nil
	}
	val := strings.TrimSpace(toks[1].val)
	if len(toks) >= 3 && toks[2].kind == tIdent {
		if _, ok := unitMicros(toks[2].text); ok {
			return val + " " + strings.ToUpper(toks[2].text), 3, nil
		}
	}
	if toks[1].kind == tString && strings.ContainsAny(val, " \t") {
		return val, 2, nil
	}
	return "", 0, nil
}

func itoa(x int64) string {
	if x == 0 {
		return "0"
	}
	neg := x < 0
	if neg {
		x = -x
	}
	var b [20]byte
	i := len(b)
	for x > 0 {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
