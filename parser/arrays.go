package parser

import (
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// The array syntax TiDB cannot read becomes calls the planner binds:
//   - ARRAY[a, b] is ArrayFunc(a, b);
//   - ARRAY(SELECT ...) is ArraySubFunc((SELECT ...));
//   - x[i] is SubscriptFunc(x, i), x[lo:hi] SliceFunc(x, lo, hi);
//   - x op ANY (arr), SOME and ALL, where arr is no subquery, is
//     x op AnyFunc(arr) (AllFunc);
//   - a @> b, a <@ b and a && b are ContainsFunc(a, b), ContainedFunc(a, b)
//     and OverlapFunc(a, b).
const (
	ArrayFunc     = "streamsql_array"
	ArraySubFunc  = "streamsql_array_sub"
	SubscriptFunc = "streamsql_subscript"
	SliceFunc     = "streamsql_slice"
	AnyFunc       = "streamsql_any"
	AllFunc       = "streamsql_all"
	ContainsFunc  = "streamsql_contains"
	ContainedFunc = "streamsql_contained"
	OverlapFunc   = "streamsql_overlap"
	// SRFFunc is a set-returning function in FROM: f(args) [WITH
	// ORDINALITY] [[AS] a[(c1, ...)]] becomes
	// (SELECT SRFFunc(f(args), 'o' or '', 'a' or '', 'c1', ...)) AS a,
	// which the planner reads back as the function's rows (planner/srf.go).
	SRFFunc = "streamsql_srf"
)

// bracketMatch pairs each [ with its ].
func bracketMatch(toks []token) map[int]int {
	m := map[int]int{}
	var stack []int
	for i, t := range toks {
		switch {
		case t.is("["):
			stack = append(stack, i)
		case t.is("]") && len(stack) > 0:
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			m[open], m[i] = i, open
		}
	}
	return m
}

// arrayOperand returns the index of the first token of the operand that
// ends just before toks[i]: castOperand's, or an ARRAY[...] or subscripted
// expression ending in ].
func arrayOperand(toks []token, i int, match, bm map[int]int) int {
	if i > 0 && toks[i-1].is("]") {
		open, ok := bm[i-1]
		if !ok {
			return -1
		}
		if open > 0 && toks[open-1].is("array") {
			return open - 1
		}
		return arrayOperand(toks, open, match, bm)
	}
	if i > 1 && toks[i-1].is(")") {
		if open, ok := match[i-1]; ok && open > 0 && toks[open-1].is("array") {
			return open - 1
		}
	}
	return castOperand(toks, i, match)
}

// arrayOperandEnd returns the index after the operand starting at toks[k]
// (regexOperand's, or ARRAY[...] or ARRAY(...)), with any subscripts.
func arrayOperandEnd(toks []token, k int, match, bm map[int]int) int {
	if k >= len(toks) {
		return k
	}
	var end int
	if toks[k].is("array") && k+1 < len(toks) && (toks[k+1].is("[") || toks[k+1].is("(")) {
		close, ok := bm[k+1]
		if toks[k+1].is("(") {
			close, ok = match[k+1]
		}
		if !ok {
			return k
		}
		end = close + 1
	} else {
		end = regexOperand(toks, k, match)
	}
	for end < len(toks) && toks[end].is("[") {
		close, ok := bm[end]
		if !ok {
			break
		}
		end = close + 1
	}
	return end
}

// compareOps are the operators ANY and ALL may follow.
var compareOps = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// arraySyntax rewrites the array construct at toks[i], if there is one,
// appending its edits; it reports whether it did. Tokens inside the
// construct are left for the caller's loop to rewrite.
func (r *rewriter) arraySyntax(toks []token, i int, match, bm map[int]int, castStart, castEnd int, edits *[]edit) (bool, error) {
	t := toks[i]
	next := func(k int) token {
		if i+k < len(toks) {
			return toks[i+k]
		}
		return token{}
	}
	switch {
	case t.kind == tIdent && SetReturning[strings.ToLower(t.text)] && next(1).is("(") && fromItemAt(toks, i, match):
		return true, r.fromFunction(toks, i, match, edits)
	case t.is("cardinality") && next(1).is("("):
		// A keyword to TiDB.
		*edits = append(*edits, ed(t.pos, t.end, "`cardinality`"))
		return true, nil
	case t.is("array") && next(1).is("["):
		close, ok := bm[i+1]
		if !ok {
			return false, sqlerr.At(sqlerr.Syntax, r.base+next(1).pos+1, "syntax error at or near \"[\"")
		}
		if next(2).is("[") {
			return false, sqlerr.At(sqlerr.FeatureNotSupported, r.base+next(2).pos+1, "arrays of more than one dimension are not supported")
		}
		*edits = append(*edits, ed(t.pos, next(1).end, ArrayFunc+"("), ed(toks[close].pos, toks[close].end, ")"))
		return true, nil
	case t.is("array") && next(1).is("(") && (next(2).is("select") || next(2).is("with") || next(2).is("values")):
		close, ok := match[i+1]
		if !ok || !next(2).is("select") {
			return false, sqlerr.At(sqlerr.FeatureNotSupported, r.base+t.pos+1, "ARRAY(...) takes a plain SELECT for now")
		}
		// ARRAY(SELECT x FROM ...) is ArraySubFunc((SELECT array_agg(x)
		// FROM ...)): the subquery's rows as one array, which the planner
		// makes '{}' for none; a subquery that groups, limits or is DISTINCT
		// would change meaning under the aggregate, so it is refused.
		from, order := -1, -1
		for k := i + 3; k < close; k++ {
			if depthAt(toks, i+1, k) != 1 {
				continue
			}
			switch {
			case toks[k].is("from") && from < 0:
				from = k
			case toks[k].is("order") && k+1 < close && toks[k+1].is("by") && order < 0:
				order = k
			case toks[k].is("group") || toks[k].is("having") || toks[k].is("limit") || toks[k].is("distinct") ||
				toks[k].is("union") || toks[k].is("except") || toks[k].is("intersect") || toks[k].is("offset") || toks[k].is(","):
				if from < 0 || !toks[k].is(",") {
					return false, sqlerr.At(sqlerr.FeatureNotSupported, r.base+toks[k].pos+1, "ARRAY(SELECT ...) of one column without GROUP BY, DISTINCT, LIMIT or set operations, for now")
				}
			}
		}
		if from < 0 {
			from = close
		}
		if order >= 0 && from == close {
			from = order
		}
		*edits = append(*edits, ed(t.pos, t.end, ArraySubFunc+"("), ed(next(2).end, next(2).end, " array_agg("),
			ed(toks[from].pos, toks[from].pos, ") "))
		if order >= 0 {
			// The aggregate's order is its own: the ORDER BY goes.
			*edits = append(*edits, ed(toks[order].pos, toks[close].pos, ""))
		}
		*edits = append(*edits, ed(toks[close].end, toks[close].end, ")"))
		return true, nil
	case t.is("[") && i > 0 && (toks[i-1].is("]") || toks[i-1].is(")") || toks[i-1].kind == tIdent && !reserved[strings.ToLower(toks[i-1].text)] && !toks[i-1].is("array") ||
		toks[i-1].kind == tQuoted || toks[i-1].kind == tParam):
		close, ok := bm[i]
		if !ok {
			return false, sqlerr.At(sqlerr.Syntax, r.base+t.pos+1, "syntax error at or near \"[\"")
		}
		start := arrayOperand(toks, i, match, bm)
		if i == castEnd+1 {
			start = castStart
		}
		if start < 0 {
			return false, nil
		}
		colon := -1
		depth := 0
		for k := i + 1; k < close; k++ {
			switch {
			case toks[k].is("(") || toks[k].is("["):
				depth++
			case toks[k].is(")") || toks[k].is("]"):
				depth--
			case toks[k].is(":") && depth == 0:
				colon = k
			}
		}
		if colon < 0 {
			insertBefore(edits, ed(toks[start].pos, toks[start].pos, SubscriptFunc+"("))
			*edits = append(*edits, ed(t.pos, t.end, ", "), ed(toks[close].pos, toks[close].end, ")"))
			return true, nil
		}
		lo, hi := ", ", ", "
		if colon == i+1 {
			lo, hi = ", NULL", ", "
		}
		if colon == close-1 {
			hi = ", NULL"
		}
		insertBefore(edits, ed(toks[start].pos, toks[start].pos, SliceFunc+"("))
		*edits = append(*edits, ed(t.pos, t.end, lo), ed(toks[colon].pos, toks[colon].end, hi), ed(toks[close].pos, toks[close].end, ")"))
		return true, nil
	case (t.is("any") || t.is("some") || t.is("all")) && next(1).is("(") && i > 0 && compareOps[toks[i-1].text] &&
		!next(2).is("select") && !next(2).is("with") && !next(2).is("values") && !(next(2).is("(") && i+3 < len(toks) && toks[i+3].is("select")):
		fn := AnyFunc
		if t.is("all") {
			fn = AllFunc
		}
		*edits = append(*edits, ed(t.pos, t.end, fn))
		return true, nil
	case t.is("@") && next(1).is(">") && next(1).pos == t.end,
		t.is("<") && next(1).is("@") && next(1).pos == t.end,
		t.is("&&"):
		fn, opEnd := ContainsFunc, i+1
		switch {
		case t.is("<"):
			fn = ContainedFunc
		case t.is("&&"):
			fn, opEnd = OverlapFunc, i
		}
		start := arrayOperand(toks, i, match, bm)
		if i == castEnd+1 {
			start = castStart
		}
		for start > 1 && toks[start-1].is("||") {
			s := arrayOperand(toks, start-1, match, bm)
			if s < 0 {
				break
			}
			start = s
		}
		end := arrayOperandEnd(toks, opEnd+1, match, bm)
		if start < 0 || end <= opEnd+1 {
			return false, sqlerr.At(sqlerr.Syntax, r.base+t.pos+1, "syntax error at or near %q", r.src[t.pos:toks[opEnd].end])
		}
		insertBefore(edits, ed(toks[start].pos, toks[start].pos, fn+"("))
		*edits = append(*edits, ed(t.pos, toks[opEnd].end, ", "), ed(toks[end-1].end, toks[end-1].end, ")"))
		return true, nil
	}
	return false, nil
}

// SetReturning are the set-returning functions a FROM item may call.
var SetReturning = map[string]bool{
	"unnest": true, "generate_series": true, "regexp_matches": true, "string_to_table": true, "regexp_split_to_table": true,
	"jsonb_array_elements": true, "jsonb_array_elements_text": true, "jsonb_each": true, "jsonb_each_text": true, "jsonb_object_keys": true,
	"json_array_elements": true, "json_array_elements_text": true, "json_each": true, "json_each_text": true, "json_object_keys": true,
	"generate_subscripts": true, "pg_options_to_table": true,
}

// fromItemAt reports whether the function call at toks[i] (maybe after
// pg_catalog.) is a FROM item: right after FROM, JOIN, LATERAL, or a
// comma of a FROM list.
func fromItemAt(toks []token, i int, match map[int]int) bool {
	if i > 1 && toks[i-1].is(".") && toks[i-2].is("pg_catalog") {
		i -= 2
	}
	if i == 0 {
		return false
	}
	switch p := toks[i-1]; {
	case p.is("from"), p.is("join"), p.is("lateral"):
		return true
	case !p.is(","):
		return false
	}
	// A comma: of a FROM list when the clause it is in, at this depth, is
	// FROM (an ON condition of a join in it included).
	for k := i - 2; k >= 0; k-- {
		t := toks[k]
		switch {
		case t.is(")"):
			open, ok := match[k]
			if !ok {
				return false
			}
			k = open
		case t.is("("):
			return false
		case t.is("from"):
			return true
		case t.is("select"), t.is("where"), t.is("group"), t.is("having"), t.is("order"), t.is("limit"), t.is("window"),
			t.is("values"), t.is("set"), t.is("returning"), t.is("into"), t.is("by"):
			return false
		}
	}
	return false
}

// fromFunction writes the FROM item f(args) [WITH ORDINALITY] [[AS]
// a[(c1, ...)]] at toks[i] as SRFFunc's subquery; the arguments are left
// for the caller's loop to rewrite.
func (r *rewriter) fromFunction(toks []token, i int, match map[int]int, edits *[]edit) error {
	close, ok := match[i+1]
	if !ok {
		return sqlerr.At(sqlerr.Syntax, r.base+toks[i+1].pos+1, "syntax error at or near \"(\"")
	}
	start := toks[i].pos
	if i > 1 && toks[i-1].is(".") && toks[i-2].is("pg_catalog") {
		start = toks[i-2].pos
	}
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	k, end := close+1, close
	flags := ""
	if k+1 < len(toks) && toks[k].is("with") && toks[k+1].is("ordinality") {
		flags, end, k = "o", k+1, k+2
	}
	if k < len(toks) && toks[k].is("as") {
		k++
	}
	alias := ""
	var cols []string
	if k < len(toks) && (toks[k].kind == tIdent && !afterTable[strings.ToLower(toks[k].text)] && !toks[k].is("with") || toks[k].kind == tQuoted) {
		alias, end = identVal(toks[k]), k
		if k+1 < len(toks) && toks[k+1].is("(") {
			cl, ok := match[k+1]
			if !ok {
				return sqlerr.At(sqlerr.Syntax, r.base+toks[k+1].pos+1, "syntax error at or near \"(\"")
			}
			for j := k + 2; j < cl; j++ {
				switch {
				case (toks[j].kind == tIdent || toks[j].kind == tQuoted) && (j == k+2 || toks[j-1].is(",")):
					cols = append(cols, identVal(toks[j]))
				case toks[j].is(",") && j > k+2:
				default:
					return sqlerr.At(sqlerr.Syntax, r.base+toks[j].pos+1, "syntax error at or near %q", toks[j].text)
				}
			}
			end = cl
		}
	}
	tail := ", " + lit(flags) + ", " + lit(alias)
	for _, c := range cols {
		tail += ", " + lit(c)
	}
	name := alias
	if name == "" {
		name = strings.ToLower(toks[i].text)
	}
	*edits = append(*edits, ed(start, toks[i].pos, "(SELECT "+SRFFunc+"("),
		ed(toks[close].end, toks[end].end, tail+")) AS "+`"`+strings.ReplaceAll(name, `"`, `""`)+`"`))
	return nil
}

// depthAt is how many parentheses opened at or after toks[open] are still
// open at toks[k].
func depthAt(toks []token, open, k int) int {
	d := 0
	for j := open; j < k; j++ {
		switch {
		case toks[j].is("("):
			d++
		case toks[j].is(")"):
			d--
		}
	}
	return d
}
