package parser

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// posMap maps byte offsets in text we rewrote for TiDB back to 1-based
// positions in the user's query string, so TiDB's errors and node offsets
// point at what the user typed.
type posMap struct {
	segs []seg
	// tvfs are the positions of the window table functions in FROM, each
	// rewritten to a subquery grouped by its window call, which starts
	// there (see windowTVF).
	tvfs []int
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
	// winArgs: the tokens rewritten are a window function's argument.
	winArgs bool
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

// edit replaces src[from:to] with text (an insertion when from == to).
type edit struct {
	from, to int
	text     string
	// sub, when set, is rewritten text of the statement that follows
	// text, its positions kept, and then its suffix.
	sub *subEdit
}

// ed is a plain edit.
func ed(from, to int, text string) edit { return edit{from: from, to: to, text: text} }

// subEdit is an edit's rewritten part.
type subEdit struct {
	r      *rewriter
	suffix string
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

// GraceFunc is what `GRACE <interval>` inside a window function's
// arguments becomes: grace('10 SECOND').
const GraceFunc = "grace"

// ParamFunc is what a parameter $n becomes: streamsql_param(n), bound by
// the planner to the value the client supplies.
const ParamFunc = "streamsql_param"

// NoLimit is the count that stands for LIMIT ALL (and for no LIMIT before
// an OFFSET) in the text handed to TiDB.
const NoLimit = "18446744073709551615"

// MaxParams is the most parameters a statement may have, PostgreSQL's
// limit (the protocol counts them in an int16).
const MaxParams = 65535

// afterTable are the words that may follow a FROM item where an alias
// could stand.
var afterTable = map[string]bool{"on": true, "using": true, "where": true, "join": true, "left": true, "right": true,
	"full": true, "inner": true, "cross": true, "natural": true, "group": true, "order": true, "limit": true,
	"union": true, "having": true, "emit": true, "window": true, "offset": true, "except": true, "intersect": true}

// FullJoinWord is what FULL [OUTER] JOIN becomes for TiDB, which reads it
// as a join with StraightJoin set.
const FullJoinWord = "STRAIGHT_JOIN"

// CastFunc is the function CAST(x AS type) and x::type are rewritten to,
// as CastFunc(x, 'TYPE'), because TiDB knows only MySQL's cast targets.
const CastFunc = "streamsql_cast"

// DistinctFunc marks x IS DISTINCT FROM y, rewritten to
// x <=> DistinctFunc() <=> y; x IS NOT DISTINCT FROM y is x <=> y.
const DistinctFunc = "streamsql_distinct"

// ExtractFunc is what EXTRACT(field FROM x) becomes: ExtractFunc('field', x).
const ExtractFunc = "streamsql_extract"

// DivFunc is what div( becomes where a function call can stand: TiDB reads
// DIV only as MySQL's operator a DIV b.
const DivFunc = "streamsql_div"

// ConcatFunc is what the function concat( becomes, since TiDB gives the
// operator a || b as concat(a, b): PostgreSQL's concat skips NULLs, its
// || does not.
const ConcatFunc = "streamsql_concat"

// exprStart are the keywords after which a function call, not an operand,
// comes.
var exprStart = map[string]bool{"select": true, "where": true, "and": true, "or": true, "not": true, "when": true,
	"then": true, "else": true, "by": true, "on": true, "having": true, "distinct": true, "all": true, "in": true,
	"like": true, "between": true, "values": true, "set": true, "return": true, "is": true, "case": true}

// RegexFunc is what x ~ 'pattern' (and !~, ~*, !~*, OPERATOR(pg_catalog.~))
// is rewritten to: RegexFunc(x, 'pattern', 'i' for the case-insensitive
// ones or ”), the negated ones under NOT.
const RegexFunc = "streamsql_regex"

// rewriteTokens copies toks[from:to] of the statement into r, rewriting what
// TiDB cannot parse:
//   - interval arguments of window functions become strings ('5 SECOND');
//   - SESSION( becomes SESSION_WINDOW(;
//   - every other interval literal becomes INTERVAL µs MICROSECOND;
//   - LIMIT ALL, and OFFSET without LIMIT, get the count NoLimit;
//   - CAST(x AS type) and x::type become streamsql_cast(x, 'type'), and so
//     does the typed literal TIMESTAMP 'text';
//   - E'...', U&'...' and continued strings (and U&"..." names)
//     become plain ones;
//   - unquoted names fold to lower case, so a name's original text (the
//     O of TiDB's names) is the one PostgreSQL would use.
func (r *rewriter) rewriteTokens(toks []token, from, to int) error {
	if from >= to {
		return nil
	}
	toks = toks[from:to]
	r.src = foldIdents(r.src, toks)
	var edits []edit
	// match[i] is the index of the parenthesis matching toks[i].
	match := make(map[int]int)
	var stack []int
	depth := make([]int, len(toks)) // parentheses around toks[i]
	for i, t := range toks {
		depth[i] = len(stack)
		switch {
		case t.is("("):
			stack = append(stack, i)
		case t.is(")") && len(stack) > 0:
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			match[open], match[i] = i, open
			depth[i] = len(stack)
		}
	}
	// limited[d] says the SELECT at depth d has a LIMIT clause already.
	limited := map[int]bool{}
	var windowArgs []int // token indexes where window-function arguments start
	if r.winArgs {
		windowArgs = append(windowArgs, 0)
	}
	// A cast's operand and last token, so that x::a::b casts x::a.
	castStart, castEnd := -1, -2
	bm := bracketMatch(toks)
	// typeEnd is the index of the last token of the type of the CAST
	// being read, whose brackets are the type's, not subscripts.
	typeEnd := -1
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if i > typeEnd {
			if ok, err := r.arraySyntax(toks, i, match, bm, castStart, castEnd, &edits); err != nil {
				return err
			} else if ok {
				continue
			}
		}
		next := func(k int) token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return token{}
		}
		if t.kind == tIdent && orderedAggs[strings.ToLower(t.text)] && next(1).is("(") {
			if err := r.aggOrder(toks, i, match, &edits); err != nil {
				return err
			}
		}
		switch {
		case t.is("select"):
			limited[depth[i]] = false
		case t.is("limit"), t.is("offset") && (next(1).is("-") || next(1).kind == tNumber):
			// PostgreSQL's LIMIT ALL, OFFSET without LIMIT and the
			// errors of negative counts, which TiDB cannot read. (An
			// offset not before a count is a column, such as Kafka's.)
			what := strings.ToUpper(t.text)
			if next(1).is("-") && next(2).kind == tNumber {
				k := sqlerr.InvalidLimit
				if what == "OFFSET" {
					k = sqlerr.InvalidOffset
				}
				return sqlerr.At(k, r.base+next(1).pos+1, "%s must not be negative", what)
			}
			if what == "OFFSET" && !limited[depth[i]] {
				edits = append(edits, ed(t.pos, t.pos, "LIMIT "+NoLimit+" "))
			}
			if what == "LIMIT" && next(1).is("all") {
				edits = append(edits, ed(next(1).pos, next(1).end, NoLimit))
				i++
			}
			limited[depth[i]] = true
		case t.kind == tParam:
			n, err := strconv.Atoi(t.val)
			if err != nil || n < 1 || n > MaxParams {
				return sqlerr.At(sqlerr.UndefinedParameter, r.base+t.pos+1, "there is no parameter %s", t.text)
			}
			edits = append(edits, ed(t.pos, t.end, ParamFunc+"("+t.val+")"))
		case t.kind == tIdent && (strings.EqualFold(t.text, "first_value") || strings.EqualFold(t.text, "last_value")) && next(1).is("("):
			// Without OVER, Flink's aggregates FIRST_VALUE(x) and
			// LAST_VALUE(x), which TiDB reads only as window functions.
			if close, ok := match[i+1]; ok && (close+1 >= len(toks) || !toks[close+1].is("over")) {
				edits = append(edits, ed(t.pos, t.end, strings.ToLower(t.text)+AggSuffix))
			}
		case t.kind == tIdent && percentileFuncs[strings.ToLower(t.text)] && next(1).is("("):
			// percentile_cont(f) WITHIN GROUP (ORDER BY x) is
			// approx_percentile(x, f, 'cont'), an aggregate TiDB reads.
			close, ok := match[i+1]
			if !ok || close+5 >= len(toks) || !toks[close+1].is("within") || !toks[close+2].is("group") || !toks[close+3].is("(") ||
				!toks[close+4].is("order") || !toks[close+5].is("by") {
				continue
			}
			end, ok := match[close+3]
			if !ok {
				continue
			}
			x := [2]int{close + 6, end}
			if k := end - 1; k > x[0] && (toks[k].is("asc") || toks[k].is("desc")) {
				if toks[k].is("desc") {
					return sqlerr.At(sqlerr.FeatureNotSupported, r.base+toks[k].pos+1, "%s WITHIN GROUP (ORDER BY ... DESC) is not supported yet", strings.ToUpper(t.text))
				}
				x[1] = k
			}
			kind := map[string]string{"percentile_cont": "cont", "percentile_disc": "disc", "approx_percentile": "cont"}[strings.ToLower(t.text)]
			fsub := &rewriter{src: r.src, base: r.base}
			if err := fsub.rewriteTokens(toks, i+2, close); err != nil {
				return err
			}
			xsub := &rewriter{src: r.src, base: r.base}
			if err := xsub.rewriteTokens(toks, x[0], x[1]); err != nil {
				return err
			}
			sub := &rewriter{src: r.src, base: r.base}
			sub.insert(PercentileFunc+"(", t.pos)
			sub.merge(xsub)
			sub.insert(", ", toks[i+2].pos)
			sub.merge(fsub)
			sub.insert(", '"+kind+"')", toks[end].pos)
			edits = append(edits, edit{from: t.pos, to: toks[end].end, sub: &subEdit{sub, ""}})
			i = end
		case t.is("(") && next(1).is("values") && next(2).is("(") && fromItem(toks, i, depth):
			es, end, err := r.valuesList(toks, i, match)
			if err != nil {
				return err
			}
			edits = append(edits, es...)
			i = end
		case t.is("table") && next(1).is("(") && next(3).is("(") && tvfKinds[strings.ToLower(next(2).text)],
			t.kind == tIdent && next(1).is("(") && (strings.EqualFold(t.text, "tumble") || strings.EqualFold(t.text, "hop")) && fromItem(toks, i, depth):
			e, end, err := r.windowTVF(toks, i, match)
			if err != nil {
				return err
			}
			edits = append(edits, e)
			i = end
		case t.kind == tIdent && windowFuncs[strings.ToLower(t.text)] && next(1).is("("):
			if strings.EqualFold(t.text, "session") {
				edits = append(edits, ed(t.pos, t.end, SessionFunc))
			}
			if end, ok := match[i+1]; ok {
				windowArgs = append(windowArgs, i+2)
				topLevel(toks[:end], i+2, ",", func(k int) { windowArgs = append(windowArgs, k+1) })
			}
		case t.is("grace") && slices.Contains(windowArgs, i):
			switch {
			case next(1).is("interval"):
				_, lit, n, err := intervalLiteral(toks[i+1:])
				if err != nil {
					return sqlerr.WithPos(err, r.base+toks[i+1].pos+1)
				}
				if n == 0 {
					continue
				}
				edits = append(edits, ed(t.pos, toks[i+n].end, GraceFunc+"('"+lit+"')"))
				i += n
			case next(1).kind == tString:
				edits = append(edits, ed(t.pos, toks[i+1].end, GraceFunc+"("+quoteString(toks[i+1].val)+")"))
				i++
			}
		case t.is("full") && (next(1).is("join") || next(1).is("outer") && next(2).is("join")):
			// TiDB has no FULL JOIN; STRAIGHT_JOIN, which PostgreSQL does
			// not have, stands for it (see FullJoinWord).
			end := next(1).end
			if next(1).is("outer") {
				end = next(2).end
			}
			edits = append(edits, ed(t.pos, end, FullJoinWord))
		case t.is("for") && next(1).is("system_time") && next(2).is("as") && next(3).is("of"):
			// Flink's lookup join, t FOR SYSTEM_TIME AS OF x [AS] alias,
			// is TiDB's stale read, t [AS] alias AS OF TIMESTAMP x.
			e := i + 4
			for e < len(toks) && toks[e].kind == tIdent && (e == i+4 || toks[e-1].is(".")) {
				if e+1 < len(toks) && toks[e+1].is(".") {
					e += 2
					continue
				}
				e++
			}
			if e == i+4 {
				return sqlerr.At(sqlerr.Syntax, r.base+toks[min(e, len(toks)-1)].pos+1, "FOR SYSTEM_TIME AS OF needs a column of the stream (its PROCTIME() attribute)")
			}
			at := toks[e-1].end
			switch {
			case e+1 < len(toks) && toks[e].is("as") && toks[e+1].kind == tIdent:
				at = toks[e+1].end
			case e < len(toks) && (toks[e].kind == tIdent || toks[e].kind == tQuoted) && !afterTable[strings.ToLower(toks[e].text)]:
				at = toks[e].end
			}
			edits = append(edits, ed(t.pos, toks[e-1].end, ""),
				ed(at, at, " AS OF TIMESTAMP "+r.src[toks[i+4].pos:toks[e-1].end]))
			i = e - 1
		case t.is("filter") && next(1).is("(") && next(2).is("where") && i > 0 && toks[i-1].is(")"):
			// agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END): the
			// rows c rejects give NULL, which every aggregate skips
			// (COUNT(*) counts a 1 instead).
			op, ok1 := match[i-1]
			end, ok2 := match[i+1]
			if !ok1 || !ok2 || op == 0 || toks[op-1].kind != tIdent {
				continue
			}
			sub := &rewriter{src: r.src, base: r.base}
			if err := sub.rewriteTokens(toks, i+3, end); err != nil {
				return err
			}
			if orderedAggs[strings.ToLower(toks[op-1].text)] {
				// These keep NULLs (array_agg's, an ordered first_value's):
				// the filter is an argument of theirs.
				edits = append(edits, edit{from: toks[i-1].pos, to: toks[i-1].pos, text: ", " + AggFilterFunc + "(", sub: &subEdit{sub, ")"}},
					edit{from: t.pos, to: toks[end].end})
				i = end
				continue
			}
			arg := op + 1
			if toks[arg].is("distinct") {
				arg++
			}
			if toks[arg].is("*") && arg+1 == i-1 {
				edits = append(edits, edit{from: toks[arg].pos, to: toks[arg].end, text: "CASE WHEN (", sub: &subEdit{sub, ") THEN 1 END"}})
			} else {
				// The first argument ends at a comma (string_agg's
				// separator follows) or an ORDER BY inside the call.
				argEnd := i - 1
				topLevel(toks[:i-1], arg, ",", func(k int) { argEnd = min(argEnd, k) })
				topLevel(toks[:i-1], arg, "order", func(k int) {
					if toks[k+1].is("by") {
						argEnd = min(argEnd, k)
					}
				})
				edits = append(edits, edit{from: toks[arg].pos, to: toks[arg].pos, text: "CASE WHEN (", sub: &subEdit{sub, ") THEN "}},
					edit{from: toks[argEnd].pos, to: toks[argEnd].pos, text: " END "})
			}
			edits = append(edits, edit{from: t.pos, to: toks[end].end})
			i = end
		case t.is("as") && next(1).kind == tIdent && labelKeywords[strings.ToLower(next(1).text)] &&
			(i+2 == len(toks) || next(2).is(",") || next(2).is(")") || next(2).is("from")):
			// A keyword may be a column label after AS in PostgreSQL
			// (SQLAlchemy's get_columns writes AS DEFAULT, AS generated);
			// TiDB reads these reserved ones only quoted.
			edits = append(edits, ed(toks[i+1].pos, toks[i+1].end, `"`+strings.ToLower(next(1).text)+`"`))
			i++
		case jsonOpAt(toks, i, match):
			op, n := jsonOperator(toks, i)
			start := castOperand(toks, i, match)
			if i == castEnd+1 {
				start = castStart
			}
			last, err := r.jsonOp(toks, i, n, start, op, match, &edits)
			if err != nil {
				return err
			}
			i = last
			castStart, castEnd = start, i
		case t.is("similar") && next(1).is("to"):
			last, err := r.similar(toks, i, castStart, castEnd, match, &edits)
			if err != nil {
				return err
			}
			i = last
		case (t.is("~") || t.is("!") && next(1).is("~") || t.is("operator") && next(1).is("(") && regexOperator(toks, i+2, match[i+1])) &&
			castOperand(toks, i, match) >= 0: // not ~x, a bitwise NOT
			start := castOperand(toks, i, match)
			if i == castEnd+1 {
				start = castStart
			}
			// || binds as tightly and from the left: a || b ~ p is
			// (a || b) ~ p.
			for start > 1 && toks[start-1].is("||") {
				s := castOperand(toks, start-1, match)
				if s < 0 {
					break
				}
				start = s
			}
			last, err := r.regex(toks, i, start, match, &edits)
			if err != nil {
				return err
			}
			i = last
		case t.is("is") && (next(1).is("distinct") && next(2).is("from") || next(1).is("not") && next(2).is("distinct") && next(3).is("from")):
			// x IS [NOT] DISTINCT FROM y, which TiDB does not read: the
			// null-safe x <=> y, and x <=> DistinctFunc() <=> y for the
			// negation (TiDB's <=> is left-associative, so the planner
			// finds x and y around the marker without our finding where
			// x starts).
			last, op := i+2, " <=> "+DistinctFunc+"() <=> "
			if next(1).is("not") {
				last, op = i+3, " <=> "
			}
			edits = append(edits, ed(t.pos, toks[last].end, op))
			i = last
		case t.is("<=") && next(1).is(">") && next(1).pos == t.end:
			// MySQL's <=>, which PostgreSQL has not.
			return sqlerr.At(sqlerr.UndefinedFunction, r.base+t.pos+1, "operator does not exist: <=>")
		case t.is("extract") && next(1).is("(") && (next(2).kind == tIdent || next(2).kind == tQuoted || next(2).kind == tString) && next(3).is("from"):
			// EXTRACT(field FROM x), whose fields PostgreSQL reads by name
			// at run time (TiDB knows only MySQL's units): ExtractFunc('field', x).
			edits = append(edits, ed(t.pos, next(3).end, ExtractFunc+"("+quoteString(next(2).val)+", "))
			i += 3
		case t.is("div") && next(1).is("(") && (i == 0 || toks[i-1].kind == tPunct && !toks[i-1].is(")") ||
			toks[i-1].kind == tIdent && exprStart[strings.ToLower(toks[i-1].text)]):
			edits = append(edits, ed(t.pos, t.end, DivFunc))
		case t.is("concat") && next(1).is("("):
			edits = append(edits, ed(t.pos, t.end, ConcatFunc))
		case t.is("straight_join"):
			return sqlerr.At(sqlerr.Syntax, r.base+t.pos+1, "syntax error at or near %q", t.text)
		case (t.is("timestamp") || t.is("timestamptz") || t.is("date") || t.is("jsonb") || t.is("json")) && next(1).kind == tString:
			// The typed literal TIMESTAMP '...' is a cast of the string,
			// as in PostgreSQL (TiDB's own reading has an internal name).
			edits = append(edits, ed(t.pos, toks[i+1].end, CastFunc+"("+quoteString(toks[i+1].val)+", '"+strings.ToUpper(t.text)+"')"))
			i++
		case t.kind == tString && t.text != quoteString(t.val):
			// E'...', U&'...' and strings continued on another line,
			// read by the lexer, as one string TiDB reads verbatim.
			edits = append(edits, ed(t.pos, t.end, quoteString(t.val)))
		case t.kind == tQuoted && t.text[0] != '"' && t.text[0] != '`':
			// U&"..."
			edits = append(edits, ed(t.pos, t.end, `"`+strings.ReplaceAll(t.val, `"`, `""`)+`"`))
		case t.is("escape") && next(1).kind == tString && utf8.RuneCountInString(next(1).val) > 1:
			return sqlerr.At(sqlerr.InvalidEscape, r.base+next(1).pos+1, "invalid escape string")
		case t.is("escape") && next(1).kind == tString && len(next(1).val) > 1:
			return sqlerr.At(sqlerr.FeatureNotSupported, r.base+next(1).pos+1, "an ESCAPE character outside ASCII is not supported")
		case t.is("substring") && next(1).is("("):
			// SQL's substring(s FOR n), which TiDB reads only after a
			// FROM: substring(s FROM 1 FOR n).
			end, ok := match[i+1]
			if !ok {
				continue
			}
			from, fr := -1, -1
			topLevel(toks[:end], i+2, "from", func(k int) { from = k })
			topLevel(toks[:end], i+2, "for", func(k int) { fr = k })
			if fr >= 0 && from < 0 {
				edits = append(edits, ed(toks[fr].pos, toks[fr].pos, "FROM 1 "))
			}
		case t.is("cast") && next(1).is("("):
			end, ok := match[i+1]
			if !ok {
				continue
			}
			as := -1
			topLevel(toks[:end], i+2, "as", func(k int) { as = k })
			if as < 0 {
				continue
			}
			ti := as + 1 // the type, after pg_catalog. if qualified
			if ti+2 < end && toks[ti].is("pg_catalog") && toks[ti+1].is(".") {
				ti += 2
			}
			if ti+1 == end && isOIDType(toks[ti]) {
				typeEnd = max(typeEnd, end)
				edits = append(edits, ed(t.pos, toks[i+1].end, CastFunc+"("),
					ed(toks[as].pos, toks[end].pos, ", '"+strings.ToLower(toks[ti].text)+"'"))
				continue
			}
			typ, err := typeText(toks[ti:end])
			if err != nil {
				return err
			}
			typeEnd = max(typeEnd, end)
			edits = append(edits, ed(t.pos, toks[i+1].end, CastFunc+"("),
				ed(toks[as].pos, toks[end].pos, ", '"+typ+"'"))
		case t.is("::"):
			start := arrayOperand(toks, i, match, bm)
			if i == castEnd+1 {
				start = castStart
			}
			if start < 0 {
				return sqlerr.At(sqlerr.Syntax, r.base+t.pos+1, "syntax error at or near \"::\"")
			}
			ti := i + 1 // the type, after pg_catalog. if qualified
			if ti+2 < len(toks) && toks[ti].is("pg_catalog") && toks[ti+1].is(".") {
				ti += 2
			}
			if ti < len(toks) && isOIDType(toks[ti]) {
				// OID types the planner resolves itself (a name's OID),
				// and their arrays (regtype[]).
				typ, end := strings.ToLower(toks[ti].text), ti
				if ti+2 < len(toks) && toks[ti+1].is("[") && toks[ti+2].is("]") {
					typ, end = typ+"[]", ti+2
				}
				edits = append(edits, ed(toks[start].pos, toks[start].pos, CastFunc+"("),
					ed(t.pos, toks[end].end, ", '"+typ+"')"))
				i = end
				castStart, castEnd = start, i
				continue
			}
			tc := &cursor{s: span{toks: toks[ti:]}}
			typ, err := tc.colType()
			if err != nil {
				return sqlerr.WithPos(err, r.base+toks[min(ti, len(toks)-1)].pos+1)
			}
			k := ti + tc.i
			edits = append(edits, ed(toks[start].pos, toks[start].pos, CastFunc+"("),
				ed(t.pos, toks[k-1].end, ", '"+typ.String()+"')"))
			i = k - 1
			castStart, castEnd = start, i
		case t.is("at") && next(1).is("time") && next(2).is("zone") && i+3 < len(toks) && i > 0:
			// x AT TIME ZONE z is PostgreSQL's timezone(z, x).
			start := castOperand(toks, i, match)
			if i == castEnd+1 {
				start = castStart
			}
			if start > 0 && toks[start].kind == tString && (toks[start-1].is("timestamp") || toks[start-1].is("timestamptz") || toks[start-1].is("date")) {
				start-- // a typed literal
			}
			z := toks[i+3]
			if start < 0 || z.kind != tString {
				return sqlerr.At(sqlerr.FeatureNotSupported, r.base+t.pos+1, "AT TIME ZONE takes a column, literal or parenthesized expression and a zone name in quotes")
			}
			edits = append(edits, ed(toks[start].pos, toks[start].pos, "timezone("+quoteString(z.val)+", "),
				ed(t.pos, z.end, ")"))
			i += 3
		case t.is("interval"):
			x, lit, n, err := intervalLiteral(toks[i:])
			if err != nil {
				return sqlerr.WithPos(err, r.base+t.pos+1)
			}
			if n == 0 {
				continue
			}
			inWindow := false
			for _, a := range windowArgs {
				inWindow = inWindow || a == i
			}
			// TiDB reads an interval only in date arithmetic: x + INTERVAL,
			// x - INTERVAL and INTERVAL + x. Anywhere else (a comparison,
			// a product, a column) it is a cast of its µs, as in
			// PostgreSQL an interval is a value.
			prev := func(k int) token {
				if i-k >= 0 {
					return toks[i-k]
				}
				return token{}
			}
			operandEnd := func(t token) bool {
				return t.kind == tIdent && !isKeywordBefore(t) || t.kind == tNumber || t.kind == tString || t.kind == tQuoted || t.is(")")
			}
			dateArith := (prev(1).is("+") || prev(1).is("-")) && operandEnd(prev(2)) || next(n).is("+") && !next(n+1).is("interval") ||
				next(n).is("preceding") || next(n).is("following")
			frame := next(n).is("preceding") || next(n).is("following")
			switch {
			case inWindow:
				edits = append(edits, ed(t.pos, toks[i+n-1].end, "'"+lit+"'"))
			case dateArith && (x.Fixed() || frame && x.Months == 0):
				// A length of time (a frame's offset counts its days as 24
				// hours): TiDB's date arithmetic.
				// A negative count is quoted: TiDB reads -n as a unary
				// minus, not as the constant the interval must be.
				us, err := Duration(x, lit)
				if err != nil {
					return sqlerr.WithPos(err, r.base+t.pos+1)
				}
				count := itoa(us)
				if us < 0 {
					count = "'" + count + "'"
				}
				edits = append(edits, ed(t.pos, toks[i+n-1].end, "INTERVAL "+count+" MICROSECOND"))
			case frame:
				return sqlerr.At(sqlerr.FeatureNotSupported, r.base+t.pos+1, "a RANGE frame's offset must be a fixed length of time, not months")
			default:
				// Every interval literal is read here, by one reader, so
				// INTERVAL '5' SECONDS means the same everywhere; with
				// months or days it is a value of its own.
				edits = append(edits, ed(t.pos, toks[i+n-1].end, CastFunc+"('"+lit+"', 'INTERVAL')"))
			}
			i += n - 1
		}
	}
	// An insertion sorts before a replacement starting where it does: a
	// cast wraps the parameter it stands in front of.
	sort.SliceStable(edits, func(a, b int) bool {
		if edits[a].from != edits[b].from {
			return edits[a].from < edits[b].from
		}
		return edits[a].to < edits[b].to
	})
	cursor := toks[0].pos
	for _, e := range edits {
		r.copy(cursor, e.from)
		r.insert(e.text, e.from)
		if e.sub != nil {
			r.merge(e.sub.r)
			r.insert(e.sub.suffix, e.from)
		}
		cursor = e.to
	}
	r.copy(cursor, toks[len(toks)-1].end)
	return nil
}

// percentileFuncs are the ordered-set aggregates written with WITHIN GROUP.
var percentileFuncs = map[string]bool{"percentile_cont": true, "percentile_disc": true, "approx_percentile": true}

// AggSuffix marks FIRST_VALUE and LAST_VALUE called as aggregates (no
// OVER): first_value_agg(x), an ordinary call to TiDB.
const AggSuffix = "_agg"

// PercentileFunc is what an ordered-set percentile becomes:
// approx_percentile(x, fraction, 'cont' | 'disc').
const PercentileFunc = "approx_percentile"

// orderedAggs are the aggregates TiDB reads as plain functions that may
// take DISTINCT and an ORDER BY inside the call: those whose result
// depends on the order of their rows, and bool_and, bool_or and every,
// whose DISTINCT TiDB cannot read either.
var orderedAggs = map[string]bool{"string_agg": true, "array_agg": true, "first_value": true, "last_value": true,
	"bool_and": true, "bool_or": true, "every": true,
	"json_agg": true, "jsonb_agg": true}

// AggOrderFunc is what each ORDER BY key inside an aggregate call
// becomes, an argument after the call's own: AggOrderFunc(key, 'DESC
// NULLS FIRST') (the modifiers as written, ” for none).
const AggOrderFunc = "streamsql_agg_order"

// AggFilterFunc is what FILTER (WHERE c) of an ordered aggregate becomes:
// a last argument AggFilterFunc(c).
const AggFilterFunc = "streamsql_agg_filter"

// AggDistinctFunc is what DISTINCT becomes in the call of an aggregate
// TiDB reads as a plain function: a first argument AggDistinctFunc().
const AggDistinctFunc = "streamsql_agg_distinct"

// aggOrder rewrites the DISTINCT and ORDER BY of the call at toks[i] of
// an ordered aggregate, which TiDB reads only in GROUP_CONCAT:
// string_agg(DISTINCT x, ',' ORDER BY k DESC) is
// string_agg(AggDistinctFunc(), x, ',', AggOrderFunc(k, 'DESC')).
func (r *rewriter) aggOrder(toks []token, i int, match map[int]int, edits *[]edit) error {
	close, ok := match[i+1]
	if !ok || close == i+2 {
		return nil
	}
	if toks[i+2].is("distinct") {
		*edits = append(*edits, ed(toks[i+2].pos, toks[i+2].end, AggDistinctFunc+"(),"))
	}
	order := -1
	topLevel(toks[:close], i+2, "order", func(k int) {
		if order < 0 && toks[k+1].is("by") {
			order = k
		}
	})
	if order < 0 {
		return nil
	}
	if close+1 < len(toks) && toks[close+1].is("over") {
		return sqlerr.At(sqlerr.FeatureNotSupported, r.base+toks[order].pos+1, "aggregate ORDER BY is not implemented for window functions")
	}
	if order == i+2 || toks[order-1].is(",") || toks[order-1].is("distinct") {
		return sqlerr.At(sqlerr.Syntax, r.base+toks[order].pos+1, "syntax error at or near \"ORDER\"")
	}
	*edits = append(*edits, ed(toks[order].pos, toks[order+1].end, ","))
	var ks [][2]int
	from := order + 2
	topLevel(toks[:close], from, ",", func(k int) { ks = append(ks, [2]int{from, k}); from = k + 1 })
	ks = append(ks, [2]int{from, close})
	for _, k := range ks {
		a, b := k[0], k[1]
		e, mods := b, ""
		if e-2 > a && toks[e-2].is("nulls") && (toks[e-1].is("first") || toks[e-1].is("last")) {
			mods, e = " NULLS "+strings.ToUpper(toks[e-1].text), e-2
		}
		if e-1 > a && (toks[e-1].is("asc") || toks[e-1].is("desc")) {
			mods, e = strings.ToUpper(toks[e-1].text)+mods, e-1
		}
		if e <= a {
			return sqlerr.At(sqlerr.Syntax, r.base+toks[min(a, len(toks)-1)].pos+1, "syntax error at or near %q", toks[min(a, len(toks)-1)].text)
		}
		*edits = append(*edits, ed(toks[a].pos, toks[a].pos, AggOrderFunc+"("))
		if e < b {
			*edits = append(*edits, ed(toks[e].pos, toks[b-1].end, ", '"+strings.TrimSpace(mods)+"')"))
		} else {
			*edits = append(*edits, ed(toks[b-1].end, toks[b-1].end, ", '')"))
		}
	}
	return nil
}

// merge appends another rewriter's text, its positions kept.
func (r *rewriter) merge(o *rewriter) {
	at := r.out.Len()
	for _, sg := range o.m.segs {
		r.m.segs = append(r.m.segs, seg{out: at + sg.out, orig: sg.orig, inserted: sg.inserted})
	}
	r.m.tvfs = append(r.m.tvfs, o.m.tvfs...)
	r.out.WriteString(o.out.String())
}

// tvfKinds are the window table functions of Flink's TABLE(...) form.
var tvfKinds = map[string]bool{"tumble": true, "hop": true, "cumulate": true, "session": true}

// fromItem reports whether toks[i] stands where a FROM item does: after
// FROM or JOIN, or after a comma of a FROM list.
func fromItem(toks []token, i int, depth []int) bool {
	if i == 0 {
		return false
	}
	if p := toks[i-1]; p.is("from") || p.is("join") {
		return true
	}
	if !toks[i-1].is(",") {
		return false
	}
	for k := i - 2; k >= 0; k-- {
		if depth[k] != depth[i] {
			continue
		}
		switch t := toks[k]; {
		case t.is("from"):
			return true
		case t.is("select"), t.is("where"), t.is("group"), t.is("having"), t.is("order"), t.is("on"), t.is("("):
			return false
		}
	}
	return false
}

// windowTVF rewrites a window table function in FROM, at toks[i], in
// Flink's form, TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)) (HOP and
// CUMULATE with slide and size, SESSION(TABLE t PARTITION BY k, ...,
// gap)), or RisingWave's, TUMBLE(t, ts, size) and HOP(t, ts, slide,
// size), each argument perhaps named (DATA => ...). It becomes a subquery
// grouped by the window function, (SELECT * FROM t GROUP BY TUMBLE(ts,
// size)[, k]) AS t, which the planner reads as the table function, not as
// a grouping: the call's position is recorded in tvfs. It returns the
// edit and the index of the function's last token.
func (r *rewriter) windowTVF(toks []token, i int, match map[int]int) (edit, int, error) {
	start, kind, open := i, i, i+1
	flink := toks[i].is("table")
	if flink {
		kind, open = i+2, i+3
	}
	end, ok := match[open]
	if !ok {
		return edit{}, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[open].pos+1, "syntax error at or near %q", toks[open].text)
	}
	last := end
	if flink {
		if last, ok = match[i+1]; !ok || last != end+1 {
			return edit{}, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[min(end+1, len(toks)-1)].pos+1, "syntax error: TABLE(%s(...)) takes one window function", strings.ToUpper(toks[kind].text))
		}
	}
	name := strings.ToUpper(toks[kind].text)
	// The arguments, each without a name => before it.
	var args [][2]int
	from := open + 1
	cut := func(to int) {
		if to-from >= 3 && toks[from].kind == tIdent && toks[from+1].is("=") && toks[from+2].is(">") {
			from += 3
		}
		args = append(args, [2]int{from, to})
		from = to + 1
	}
	topLevel(toks[:end], open+1, ",", cut)
	cut(end)
	if len(args) < 3 {
		return edit{}, 0, sqlerr.At(sqlerr.UndefinedFunction, r.base+toks[kind].pos+1, "%s in FROM takes a table, its time column and the window's sizes: %s", name, tvfUsage(name, flink))
	}
	bad := func(k int, what string) error {
		return sqlerr.At(sqlerr.Syntax, r.base+toks[min(k, len(toks)-1)].pos+1, "the first argument of %s in FROM must be %s: %s", name, what, tvfUsage(name, flink))
	}
	// The table: TABLE name [PARTITION BY cols] in Flink's form.
	tbl, part := args[0], [2]int{}
	if flink {
		if !toks[tbl[0]].is("table") {
			return edit{}, 0, bad(tbl[0], "TABLE name")
		}
		tbl[0]++
		for k := tbl[0]; k+1 < tbl[1]; k++ {
			if toks[k].is("partition") && toks[k+1].is("by") {
				part, tbl[1] = [2]int{k + 2, tbl[1]}, k
				break
			}
		}
	}
	if tbl[1] <= tbl[0] || (toks[tbl[0]].kind != tIdent && toks[tbl[0]].kind != tQuoted) || toks[tbl[1]-1].is(")") {
		return edit{}, 0, bad(tbl[0], "a table's name")
	}
	if part[1] > part[0] && name != "SESSION" {
		return edit{}, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[part[0]-2].pos+1, "only SESSION takes PARTITION BY")
	}
	col := args[1]
	if flink {
		if !toks[col[0]].is("descriptor") || col[1]-col[0] < 3 || !toks[col[0]+1].is("(") || !toks[col[1]-1].is(")") {
			return edit{}, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[col[0]].pos+1, "the second argument of %s in FROM must be DESCRIPTOR(time column): %s", name, tvfUsage(name, flink))
		}
		col = [2]int{col[0] + 2, col[1] - 1}
	}
	sub := &rewriter{src: r.src, base: r.base}
	at := toks[start].pos
	sub.insert("(SELECT * FROM ", at)
	if err := sub.rewriteTokens(toks, tbl[0], tbl[1]); err != nil {
		return edit{}, 0, err
	}
	sub.insert(" GROUP BY ", at)
	sub.m.tvfs = append(sub.m.tvfs, r.base+toks[kind].pos+1)
	fn := strings.ToLower(name)
	if fn == "session" {
		fn = SessionFunc
	}
	sub.insert(fn+"(", toks[kind].pos)
	parts := append([][2]int{col}, args[2:]...)
	for k, a := range parts {
		if k > 0 {
			sub.insert(", ", toks[a[0]].pos)
		}
		sub.winArgs = k > 0
		if err := sub.rewriteTokens(toks, a[0], a[1]); err != nil {
			return edit{}, 0, err
		}
	}
	sub.winArgs = false
	sub.insert(")", toks[end].pos)
	if part[1] > part[0] {
		sub.insert(", ", toks[part[0]].pos)
		if err := sub.rewriteTokens(toks, part[0], part[1]); err != nil {
			return edit{}, 0, err
		}
	}
	suffix := ")"
	// A derived table needs a name; the table function's is its table's.
	if n := last + 1; n >= len(toks) || !toks[n].is("as") && (toks[n].kind != tIdent && toks[n].kind != tQuoted || afterTable[strings.ToLower(toks[n].text)]) {
		alias := toks[tbl[1]-1]
		suffix += " AS " + r.src[alias.pos:alias.end]
	}
	return edit{from: at, to: toks[last].end, sub: &subEdit{sub, suffix}}, last, nil
}

// valuesList rewrites (VALUES (a, b), (c, d)) [AS] name [(x, y)] in FROM,
// at toks[i], to (SELECT a AS x, b AS y UNION ALL SELECT c, d) AS name:
// TiDB reads no VALUES list as a relation. The columns are named column1,
// column2, ... unless the alias lists names, as in PostgreSQL. It returns
// the edits and the index of the last token they cover.
func (r *rewriter) valuesList(toks []token, i int, match map[int]int) ([]edit, int, error) {
	end, ok := match[i]
	if !ok {
		return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[i].pos+1, "syntax error at or near \"(\"")
	}
	// The rows: ( ... ) separated by commas.
	var rows [][][2]int
	for k := i + 2; k < end; {
		if !toks[k].is("(") {
			return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[k].pos+1, "syntax error at or near %q", toks[k].text)
		}
		close, ok := match[k]
		if !ok || close >= end {
			return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[k].pos+1, "syntax error at or near \"(\"")
		}
		var vals [][2]int
		from := k + 1
		topLevel(toks[:close], k+1, ",", func(c int) { vals = append(vals, [2]int{from, c}); from = c + 1 })
		vals = append(vals, [2]int{from, close})
		if len(rows) > 0 && len(vals) != len(rows[0]) {
			return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[k].pos+1, "VALUES lists must all be the same length")
		}
		rows = append(rows, vals)
		k = close + 1
		if k < end && toks[k].is(",") {
			k++
		}
	}
	// The alias and its column names.
	last := end
	a := end + 1
	if a < len(toks) && toks[a].is("as") {
		a++
	}
	if a >= len(toks) || toks[a].kind != tIdent && toks[a].kind != tQuoted || afterTable[strings.ToLower(toks[a].text)] {
		return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[i].pos+1, "VALUES in FROM must have an alias: (VALUES ...) AS v(x, y)")
	}
	last = a
	names := make([]string, len(rows[0]))
	for c := range names {
		names[c] = fmt.Sprintf("column%d", c+1)
	}
	var edits []edit
	if a+1 < len(toks) && toks[a+1].is("(") {
		close, ok := match[a+1]
		if !ok {
			return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[a+1].pos+1, "syntax error at or near \"(\"")
		}
		c := 0
		for k := a + 2; k < close; k++ {
			if toks[k].is(",") {
				continue
			}
			if c >= len(names) {
				return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[k].pos+1, "VALUES has %d columns available but more are named", len(names))
			}
			names[c] = toks[k].text
			c++
		}
		edits = append(edits, ed(toks[a+1].pos, toks[close].end, ""))
		last = close
	}
	sub := &rewriter{src: r.src, base: r.base}
	at := toks[i].pos
	sub.insert("(SELECT ", at)
	for ri, row := range rows {
		if ri > 0 {
			sub.insert(" UNION ALL SELECT ", toks[row[0][0]].pos)
		}
		for c, v := range row {
			if c > 0 {
				sub.insert(", ", toks[v[0]].pos)
			}
			if v[1] <= v[0] {
				return nil, 0, sqlerr.At(sqlerr.Syntax, r.base+toks[v[0]].pos+1, "syntax error at or near %q", toks[v[0]].text)
			}
			if err := sub.rewriteTokens(toks, v[0], v[1]); err != nil {
				return nil, 0, err
			}
			if ri == 0 {
				sub.insert(" AS "+names[c], toks[v[1]-1].end)
			}
		}
	}
	edits = append([]edit{{from: at, to: toks[end].end, sub: &subEdit{sub, ")"}}}, edits...)
	return edits, last, nil
}

// tvfUsage shows how a window table function is called.
func tvfUsage(name string, flink bool) string {
	sizes := map[string]string{"TUMBLE": "size", "HOP": "slide, size", "CUMULATE": "step, size", "SESSION": "gap"}[name]
	if flink {
		t := "TABLE t"
		if name == "SESSION" {
			t += " [PARTITION BY k]"
		}
		return fmt.Sprintf("TABLE(%s(%s, DESCRIPTOR(ts), %s))", name, t, sizes)
	}
	return fmt.Sprintf("%s(t, ts, %s)", name, sizes)
}

// foldIdents lower-cases the unquoted identifiers (and keywords) of toks
// in src, as PostgreSQL folds them, so that the names TiDB returns keep
// their case only where the user quoted them. Only ASCII letters fold, as
// in PostgreSQL, so no offset moves.
func foldIdents(src string, toks []token) string {
	b := []byte(src)
	for _, t := range toks {
		if t.kind != tIdent {
			continue
		}
		for i := t.pos; i < t.end; i++ {
			if 'A' <= b[i] && b[i] <= 'Z' {
				b[i] += 'a' - 'A'
			}
		}
	}
	return string(b)
}

// topLevel calls fn with the index of every token from `from` on that is
// the keyword or punctuation kw outside any parentheses.
func topLevel(toks []token, from int, kw string, fn func(k int)) {
	depth := 0
	for k := from; k < len(toks); k++ {
		switch {
		case toks[k].is("("):
			depth++
		case toks[k].is(")"):
			depth--
		case depth == 0 && toks[k].is(kw):
			fn(k)
		}
	}
}

// regexOperator reports whether toks[from:to] is pg_catalog.~ or ~ (and
// the negated and case-insensitive forms), as OPERATOR(...) holds it.
func regexOperator(toks []token, from, to int) bool {
	if from+1 < to && toks[from].is("pg_catalog") && toks[from+1].is(".") {
		from += 2
	}
	var op strings.Builder
	for _, t := range toks[from:to] {
		op.WriteString(t.text)
	}
	switch op.String() {
	case "~", "!~", "~*", "!~*":
		return true
	}
	return false
}

// likeOperators are PostgreSQL's operator names for LIKE and ILIKE.
var likeOperators = map[string]string{"~~": "LIKE", "~~*": "ILIKE", "!~~": "NOT LIKE", "!~~*": "NOT ILIKE"}

// regex rewrites the regular-expression match whose operator starts at
// toks[i], and whose left operand at toks[start], into a RegexFunc call
// (~~ and its forms into LIKE and ILIKE). COLLATE after the right operand,
// which psql adds, is dropped (every string compares in C collation).
// It returns the index of the last token it rewrote.
func (r *rewriter) regex(toks []token, i, start int, match map[int]int, edits *[]edit) (int, error) {
	end := i // the operator's last token
	if toks[i].is("operator") {
		end = match[i+1]
	} else {
		for end+1 < len(toks) && (toks[end+1].is("~") || toks[end+1].is("*")) && toks[end+1].pos == toks[end].end {
			end++
		}
	}
	var op strings.Builder
	for _, t := range toks[i : end+1] {
		op.WriteString(t.text)
	}
	o := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(op.String()), "operator("), "pg_catalog."), ")")
	if word, ok := likeOperators[o]; ok {
		*edits = append(*edits, ed(toks[i].pos, toks[end].end, " "+word+" "))
		return end, nil
	}
	if o != "~" && o != "~*" && o != "!~" && o != "!~*" {
		return 0, sqlerr.At(sqlerr.Syntax, r.base+toks[i].pos+1, "syntax error at or near %q", o)
	}
	operand := end + 1
	last := regexOperand(toks, operand, match) - 1
	if last < operand {
		return 0, sqlerr.At(sqlerr.Syntax, r.base+toks[min(operand, len(toks)-1)].pos+1, "syntax error: the operator %s needs a right operand", o)
	}
	sub := &rewriter{src: r.src, base: r.base}
	if err := sub.rewriteTokens(toks, operand, last+1); err != nil {
		return 0, err
	}
	if last+2 < len(toks) && toks[last+1].is("collate") {
		last += 2
		if last+2 < len(toks) && toks[last+1].is(".") {
			last += 2
		}
	}
	flags := "''"
	if strings.HasSuffix(o, "*") {
		flags = "'i'"
	}
	pre := RegexFunc + "("
	if strings.HasPrefix(o, "!") {
		pre = "NOT " + pre
	}
	insertBefore(edits, ed(toks[start].pos, toks[start].pos, pre))
	*edits = append(*edits, edit{from: toks[i].pos, to: toks[last].end, text: ", ", sub: &subEdit{sub, ", " + flags + ")"}})
	return last, nil
}

// similar rewrites x [NOT] SIMILAR TO p [ESCAPE e], SIMILAR at toks[i],
// into RegexFunc(x, similar_to_escape(p [, e]), no flags), the regular
// expression PostgreSQL reads it as. castStart and castEnd are the last
// cast's operand and end, as rewriteTokens tracks them. It returns the
// index of the last token it rewrote.
func (r *rewriter) similar(toks []token, i, castStart, castEnd int, match map[int]int, edits *[]edit) (int, error) {
	op := i
	if i > 0 && toks[i-1].is("not") {
		op = i - 1
	}
	start := castOperand(toks, op, match)
	if op == castEnd+1 {
		start = castStart
	}
	operand := i + 2
	end := regexOperand(toks, operand, match)
	if start < 0 || end == operand {
		return 0, sqlerr.At(sqlerr.Syntax, r.base+toks[i].pos+1, "syntax error at or near \"SIMILAR\"")
	}
	sub := &rewriter{src: r.src, base: r.base}
	sub.insert("similar_to_escape(", toks[operand].pos)
	p := &rewriter{src: r.src, base: r.base}
	if err := p.rewriteTokens(toks, operand, end); err != nil {
		return 0, err
	}
	sub.merge(p)
	last := end - 1
	if end < len(toks) && toks[end].is("escape") {
		eend := regexOperand(toks, end+1, match)
		if eend == end+1 {
			return 0, sqlerr.At(sqlerr.Syntax, r.base+toks[end].pos+1, "syntax error at or near \"ESCAPE\"")
		}
		e := &rewriter{src: r.src, base: r.base}
		if err := e.rewriteTokens(toks, end+1, eend); err != nil {
			return 0, err
		}
		sub.insert(", ", toks[end].pos)
		sub.merge(e)
		last = eend - 1
	}
	sub.insert("), '')", toks[last].end)
	pre := RegexFunc + "("
	if op < i {
		pre = "NOT " + pre
	}
	insertBefore(edits, ed(toks[start].pos, toks[start].pos, pre))
	*edits = append(*edits, edit{from: toks[op].pos, to: toks[last].end, text: ", ", sub: &subEdit{sub, ""}})
	return last, nil
}

// insertBefore adds insertion e ahead of any other edit where it stands:
// a cast of the operand it wraps is inside it.
func insertBefore(edits *[]edit, e edit) {
	at := len(*edits)
	for k, o := range *edits {
		if o.from == e.from {
			at = k
			break
		}
	}
	*edits = slices.Insert(*edits, at, e)
}

// regexOperand returns the index after the right operand of a regular
// expression match that starts at toks[k]: a literal, a parameter, a
// (qualified) name or function call or a parenthesized expression, and
// any casts of it; k when there is none.
func regexOperand(toks []token, k int, match map[int]int) int {
	if k >= len(toks) {
		return k
	}
	switch t := toks[k]; {
	case t.kind == tString || t.kind == tNumber || t.kind == tParam:
		k++
	case t.is("("):
		close, ok := match[k]
		if !ok {
			return k
		}
		k = close + 1
	case t.kind == tIdent && !reserved[strings.ToLower(t.text)] || t.kind == tQuoted:
		k++
		for k+1 < len(toks) && toks[k].is(".") && (toks[k+1].kind == tIdent || toks[k+1].kind == tQuoted) {
			k += 2
		}
		if k < len(toks) && toks[k].is("(") {
			close, ok := match[k]
			if !ok {
				return k
			}
			k = close + 1
		}
	default:
		return k
	}
	for k < len(toks) && toks[k].is("::") {
		ti := k + 1
		if ti+2 < len(toks) && toks[ti].is("pg_catalog") && toks[ti+1].is(".") {
			ti += 2
		}
		tc := &cursor{s: span{toks: toks[ti:]}}
		if _, err := tc.colType(); err != nil {
			return k
		}
		k = ti + tc.i
	}
	return k
}

// isOIDType reports whether t names an OID type the planner resolves
// itself: oid, or a reg type that casts a name to its OID.
func isOIDType(t token) bool {
	return t.is("oid") || t.is("regclass") || t.is("regtype") || t.is("regnamespace") || t.is("regproc") || t.is("regprocedure") || t.is("regrole")
}

// labelKeywords are TiDB's reserved words that clients' catalog queries
// use as column labels after AS.
var labelKeywords = map[string]bool{"default": true, "generated": true, "check": true, "key": true, "index": true, "range": true, "usage": true}

// castOperand finds where the operand of the :: at toks[i] starts: a name
// (possibly qualified), a literal, or a parenthesised group with an
// optional function name before it. It returns -1 when there is none.
func castOperand(toks []token, i int, match map[int]int) int {
	if i == 0 {
		return -1
	}
	k := i - 1
	switch t := toks[k]; {
	case t.is(")"):
		open, ok := match[k]
		if !ok {
			return -1
		}
		if open > 0 && toks[open-1].kind == tIdent && !reserved[strings.ToLower(toks[open-1].text)] {
			return open - 1 // a function call
		}
		return open
	case t.kind == tIdent && reserved[strings.ToLower(t.text)]:
		return -1
	case t.kind == tIdent || t.kind == tQuoted:
		for k >= 2 && toks[k-1].is(".") && (toks[k-2].kind == tIdent || toks[k-2].kind == tQuoted) {
			k -= 2
		}
		return k
	case t.kind == tString || t.kind == tNumber || t.kind == tParam:
		return k
	}
	return -1
}

// reserved words cannot be the operand of ::.
var reserved = map[string]bool{"select": true, "from": true, "where": true, "and": true, "or": true,
	"not": true, "by": true, "on": true, "as": true, "when": true, "then": true, "else": true,
	"case": true, "in": true, "is": true, "having": true, "group": true, "order": true, "like": true}

// typeText checks a type written in SQL and returns its canonical text.
func typeText(toks []token) (string, error) {
	if len(toks) == 0 {
		return "", sqlerr.New(sqlerr.Syntax, "syntax error: expected a type")
	}
	c := &cursor{s: span{toks: toks}}
	t, err := c.colType()
	if err != nil {
		return "", err
	}
	if !c.atEnd() {
		return "", sqlerr.New(sqlerr.Syntax, "syntax error at or near %q in type", c.peek().text)
	}
	return t.String(), nil
}

// intervalLiteral reads an interval literal at toks[0]: INTERVAL 'text'
// with an optional qualifier (INTERVAL '1-2' YEAR TO MONTH, INTERVAL '5'
// SECOND, INTERVAL '1.5' SECOND(3)), or INTERVAL 'n' unit and INTERVAL n
// unit with any unit interval text knows (INTERVAL '5' SECONDS, Flink's
// INTERVAL '10' MILLISECOND). It returns the value, its canonical text,
// and how many tokens it used (0 when toks do not start one).
func intervalLiteral(toks []token) (vec.Interval, string, int, error) {
	if len(toks) < 2 || toks[1].kind != tString && toks[1].kind != tNumber {
		return vec.Interval{}, "", 0, nil
	}
	val := toks[1].val
	text, q, n := val, vec.IntervalFields(0), 2
	prec := -1
	if len(toks) >= 3 && toks[2].kind == tIdent {
		if f, ok := vec.QualifierFields(toks[2].text, ""); ok {
			q, n = f, 3
			last := toks[2].text
			if len(toks) >= 5 && toks[3].is("to") {
				if g, ok := vec.QualifierFields(toks[2].text, toks[4].text); ok {
					q, n, last = g, 5, toks[4].text
				}
			}
			if strings.EqualFold(last, "second") && len(toks) >= n+3 && toks[n].is("(") && toks[n+1].kind == tNumber && toks[n+2].is(")") {
				p, err := strconv.Atoi(toks[n+1].text)
				if err != nil || p < 0 || p > 6 {
					return vec.Interval{}, "", 0, sqlerr.New(sqlerr.InvalidParameter, "INTERVAL(%s) precision must be between 0 and 6", toks[n+1].text)
				}
				prec, n = p, n+3
			}
		} else if vec.IntervalUnitName(toks[2].text) {
			text, n = strings.TrimSpace(val)+" "+toks[2].text, 3
		}
	}
	if toks[1].kind == tNumber && n == 2 {
		return vec.Interval{}, "", 0, nil
	}
	x, err := ParseInterval(text, q)
	if err != nil {
		return x, "", 0, err
	}
	if prec >= 0 {
		x.Micros = vec.RoundIntervalMicros(x.Micros, prec)
	}
	return x, string(vec.AppendIntervalText(nil, x)), n, nil
}

// isKeywordBefore reports an identifier token that is a keyword an
// operand follows (SELECT - INTERVAL ..., WHEN - ...), not an operand.
func isKeywordBefore(t token) bool {
	switch strings.ToLower(t.text) {
	case "select", "where", "when", "then", "else", "and", "or", "not", "on", "by", "having", "return", "as", "in", "is", "between":
		return true
	}
	return false
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
