package exec

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The regular-expression builtins' kernels (see planner/regexfuncs.go).
func init() {
	registerKernel("regexp_like", regexKernel("regexp_like", func(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error {
		out.Bool[i] = r.matches(args[0].Str[i])
		return nil
	}))
	registerKernel("regexp_replace", regexKernel("regexp_replace", regexpReplace))
	registerKernel("regexp_count", regexKernel("regexp_count", func(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error {
		s := args[0].Str[i]
		pos, err := startArg(args, 2, i, s)
		if err != nil {
			return err
		}
		count := int64(0)
		if pos >= 0 {
			r.each(s, pos, func([]int) bool { count++; return true })
		}
		out.I64[i] = count
		return nil
	}))
	registerKernel("regexp_instr", regexKernel("regexp_instr", func(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error {
		s := args[0].Str[i]
		loc, sub, err := nthMatch(r, args, i, 2, 3, 6)
		if err != nil {
			return err
		}
		end := int64(0)
		if len(args) > 4 {
			if end = args[4].I64[i]; end != 0 && end != 1 {
				return badParam("endoption", end)
			}
		}
		out.I64[i] = 0
		if loc != nil && 2*sub < len(loc) && loc[2*sub] >= 0 {
			at := loc[2*sub+int(end)]
			out.I64[i] = int64(utf8.RuneCountInString(s[:at])) + 1
		}
		return nil
	}))
	registerKernel("regexp_substr", regexKernel("regexp_substr", func(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error {
		loc, sub, err := nthMatch(r, args, i, 2, 3, 5)
		if err != nil {
			return err
		}
		setGroup(out, i, args[0].Str[i], loc, sub)
		return nil
	}))
	registerKernel("similar_to_escape", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		for i := 0; i < n; i++ {
			if out.IsNull(i) {
				continue
			}
			esc := `\`
			if len(args) > 1 {
				esc = args[1].Str[i]
			}
			re, err := planner.SimilarToRegex(args[0].Str[i], esc)
			if err != nil {
				out.SetNull(i)
				ctx.report(i, func() *sqlerr.Error { return err })
				continue
			}
			out.Str[i] = re
		}
	}))
	registerKernel("regexp_extract", regexKernel("regexp_extract", func(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error {
		g := int64(0) // Flink's default: the whole match
		if len(args) > 2 {
			g = args[2].I64[i]
		}
		if g < 0 || g > int64(r.Groups) {
			out.SetNull(i)
			return nil
		}
		s := args[0].Str[i]
		setGroup(out, i, s, r.first(s), int(g))
		return nil
	}))
}

// setGroup sets out's row i to group g of match loc in s, NULL when there
// is no match or the group did not take part in it.
func setGroup(out *vec.Vec, i int, s string, loc []int, g int) {
	if loc == nil || 2*g >= len(loc) || loc[2*g] < 0 {
		out.SetNull(i)
		return
	}
	out.Str[i] = s[loc[2*g]:loc[2*g+1]]
}

func badParam(name string, v int64) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameter, "invalid value for parameter %q: %d", name, v)
}

// startArg is the byte offset where the 1-based character position in
// args[k] (1 when there is no such argument) starts in s, -1 past its end.
func startArg(args []*vec.Vec, k, i int, s string) (int, *sqlerr.Error) {
	if len(args) <= k || args[k].Type.Kind == types.String {
		return 0, nil
	}
	start := args[k].I64[i]
	if start <= 0 {
		return 0, badParam("start", start)
	}
	off := 0
	for n := int64(1); n < start; n++ {
		if off == len(s) {
			return -1, nil
		}
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	return off, nil
}

// nthMatch finds the match of regexp_instr or regexp_substr that the
// start (args[startK]) and N (args[nK]) arguments choose, and the
// subexpression args[subK] asks for (0 when none).
func nthMatch(r *pgRegex, args []*vec.Vec, i, startK, nK, subK int) ([]int, int, *sqlerr.Error) {
	s := args[0].Str[i]
	pos, err := startArg(args, startK, i, s)
	if err != nil {
		return nil, 0, err
	}
	nth := int64(1)
	if len(args) > nK {
		if nth = args[nK].I64[i]; nth <= 0 {
			return nil, 0, badParam("n", nth)
		}
	}
	sub := int64(0)
	if len(args) > subK {
		if sub = args[subK].I64[i]; sub < 0 {
			return nil, 0, badParam("subexpr", sub)
		}
	}
	if sub == 1 && r.Groups == 0 {
		sub = 0 // PostgreSQL's: a pattern without groups is its own first
	}
	if pos < 0 || sub > int64(r.Groups) {
		return nil, 0, nil
	}
	var found []int
	r.each(s, pos, func(loc []int) bool {
		nth--
		if nth == 0 {
			found = loc
			return false
		}
		return true
	})
	return found, int(sub), nil
}

// regexpReplace is regexp_replace(s, p, r [, flags]) and regexp_replace(s,
// p, r, start [, N [, flags]]).
func regexpReplace(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error {
	s, repl := args[0].Str[i], args[2].Str[i]
	pos, err := startArg(args, 3, i, s)
	if err != nil {
		return err
	}
	nth := int64(1) // the first match, or all of them with g
	if r.Global {
		nth = 0
	}
	if len(args) > 4 {
		if nth = args[4].I64[i]; nth < 0 {
			return badParam("n", nth)
		}
	}
	out.Str[i] = s
	if pos < 0 {
		return nil
	}
	var b strings.Builder
	done, k := 0, int64(0)
	r.each(s, pos, func(loc []int) bool {
		k++
		if nth != 0 && k < nth {
			return true
		}
		b.WriteString(s[done:loc[0]])
		expandReplacement(&b, repl, s, loc)
		done = loc[1]
		return nth == 0
	})
	if k == 0 || k < nth {
		return nil
	}
	b.WriteString(s[done:])
	out.Str[i] = b.String()
	return nil
}

// expandReplacement writes PostgreSQL's replacement text: \1 to \9 are the
// subexpressions' matches, \& the whole match and \\ a backslash; any
// other backslash is itself.
func expandReplacement(b *strings.Builder, repl, s string, loc []int) {
	for {
		k := strings.IndexByte(repl, '\\')
		if k < 0 || k+1 == len(repl) {
			b.WriteString(repl)
			return
		}
		b.WriteString(repl[:k])
		switch c := repl[k+1]; {
		case c >= '1' && c <= '9' || c == '&':
			g := 0
			if c != '&' {
				g = int(c - '0')
			}
			if 2*g < len(loc) && loc[2*g] >= 0 {
				b.WriteString(s[loc[2*g]:loc[2*g+1]])
			}
			repl = repl[k+2:]
		case c == '\\':
			b.WriteByte('\\')
			repl = repl[k+2:]
		default:
			b.WriteByte('\\')
			repl = repl[k+1:]
		}
	}
}

// regexBody computes row i of a regex builtin with its compiled pattern;
// an error sets the row NULL.
type regexBody func(r *pgRegex, args []*vec.Vec, i int, out *vec.Vec) *sqlerr.Error

// regexKernel builds the kernel of the builtin fn: a constant pattern
// (and flags) compiles once, others once per distinct value in a small
// cache.
func regexKernel(fn string, body regexBody) kernelMaker {
	return func(consts []*planner.Const) kernel {
		c := &regexCache{fn: fn}
		flagsK := planner.RegexFlagsArg(fn, len(consts))
		if p := consts[1]; p != nil && !p.Null && (flagsK < 0 || consts[flagsK] != nil && !consts[flagsK].Null) {
			flags := ""
			if flagsK >= 0 {
				flags = consts[flagsK].S
			}
			c.fixed, c.fixedErr = c.compile(p.S, flags)
			c.constant = true
		}
		return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			for i := 0; i < n; i++ {
				if out.IsNull(i) {
					continue
				}
				r, err := c.fixed, c.fixedErr
				if !c.constant {
					flags := ""
					if flagsK >= 0 {
						flags = args[flagsK].Str[i]
					}
					r, err = c.get(args[1].Str[i], flags)
				}
				if err == nil {
					err = body(r, args, i, out)
				}
				if err != nil {
					out.SetNull(i)
					ctx.report(i, func() *sqlerr.Error { return err })
				}
			}
		}
	}
}

// regexCache holds the compiled patterns of a call.
type regexCache struct {
	fn       string
	constant bool
	fixed    *pgRegex
	fixedErr *sqlerr.Error
	seen     map[[2]string]regexEntry
}

type regexEntry struct {
	r   *pgRegex
	err *sqlerr.Error
}

// maxCachedRegexes bounds a computed pattern's cache, which starts over
// when full.
const maxCachedRegexes = 64

func (c *regexCache) compile(p, flags string) (*pgRegex, *sqlerr.Error) {
	r, err := planner.CompileRegex(p, flags, c.fn)
	if err != nil {
		return nil, err
	}
	return &pgRegex{Regex: r, fast: newFastRegex(r)}, nil
}

func (c *regexCache) get(p, flags string) (*pgRegex, *sqlerr.Error) {
	key := [2]string{p, flags}
	if e, ok := c.seen[key]; ok {
		return e.r, e.err
	}
	if c.seen == nil || len(c.seen) >= maxCachedRegexes {
		c.seen = map[[2]string]regexEntry{}
	}
	r, err := c.compile(p, flags)
	c.seen[key] = regexEntry{r, err}
	return r, err
}

// pgRegex matches as PostgreSQL does, also from an offset into the text,
// where the text before it still counts: ^ does not match there, and \b
// sees the character before.
type pgRegex struct {
	*planner.Regex
	// from finds the leftmost match after a first character; at is the
	// match that starts after a first character (see find).
	from, at *regexp.Regexp
	// fast, when not nil, finds the same matches as RE.
	fast *fastRegex
}

// first is the leftmost match in s, as submatch index pairs (which the
// next call may reuse).
func (r *pgRegex) first(s string) []int {
	if r.fast != nil {
		return r.fast.find(s)
	}
	return r.RE.FindStringSubmatchIndex(s)
}

// matches reports whether s holds a match.
func (r *pgRegex) matches(s string) bool {
	if r.fast != nil {
		return r.fast.find(s) != nil
	}
	return r.RE.MatchString(s)
}

// find is the leftmost match at or after byte offset pos.
func (r *pgRegex) find(s string, pos int) []int {
	if pos == 0 {
		return r.first(s)
	}
	if r.from == nil {
		// The character before pos is matched by (?s:.), so the RE sees it
		// and the start of the text is not where it begins.
		r.from = regexp.MustCompile(`^(?s:.)(?s:.*?)(` + r.Src + `)`)
		r.at = regexp.MustCompile(`^(?s:.)(` + r.Src + `)`)
		if r.Longest {
			r.at.Longest()
		}
	}
	_, w := utf8.DecodeLastRuneInString(s[:pos])
	base := pos - w
	m := r.from.FindStringSubmatchIndex(s[base:])
	if m == nil {
		return nil
	}
	if r.Longest {
		// from found where the leftmost match starts; at finds the longest
		// one there.
		start := base + m[2]
		_, w := utf8.DecodeLastRuneInString(s[:start])
		base = start - w
		m = r.at.FindStringSubmatchIndex(s[base:])
	}
	loc := m[2:]
	for k := range loc {
		if loc[k] >= 0 {
			loc[k] += base
		}
	}
	return loc
}

// each calls fn with the matches at or after pos in turn, as
// PostgreSQL's g flag finds them: the next search starts where a match
// ends, one character later after an empty one; fn returns false to stop.
func (r *pgRegex) each(s string, pos int, fn func(loc []int) bool) {
	for pos <= len(s) {
		loc := r.find(s, pos)
		if loc == nil || !fn(loc) {
			return
		}
		pos = loc[1]
		if loc[0] == loc[1] {
			if pos == len(s) {
				return
			}
			_, w := utf8.DecodeRuneInString(s[pos:])
			pos += w
		}
	}
}

// fastRegex matches, without RE2, the regexes that contain a literal every
// match holds (found with strings.Index) within a bounded distance of the
// match's start, and whose every repetition is of one character class
// that what follows it cannot start with, so the greedy choice is the
// only one: Nexmark q21's (&|^)channel_id=([^&]*), say. Alternatives are
// of a literal, nothing or ^ each. It finds what RE2 would.
type fastRegex struct {
	items   []fastItem
	lit     string // the literal searched for
	back    int    // the most bytes a match can start before it
	groups  int
	longest bool
	caps    []int // the match's submatches (reused)
	best    []int // the best alternative's, under longest
}

type fastKind uint8

const (
	fastLit fastKind = iota
	fastClass
	fastBegin // ^ (the start of the text)
	fastEnd   // $
	fastEmpty
	fastOpen // a group's start
	fastClose
	fastAlt
)

type fastItem struct {
	kind     fastKind
	lit      string
	cls      *runeClass
	min, max int // of a class; max -1 is unbounded
	group    int
	alts     []fastItem
}

// runeClass is a character class: a bitmap for ASCII, ranges above it.
type runeClass struct {
	ascii  [2]uint64
	ranges []rune // lo, hi pairs
}

func newRuneClass(r []rune) *runeClass {
	c := &runeClass{}
	for k := 0; k < len(r); k += 2 {
		lo, hi := r[k], r[k+1]
		for x := lo; x <= hi && x < utf8.RuneSelf; x++ {
			c.ascii[x/64] |= 1 << (x % 64)
		}
		if hi >= utf8.RuneSelf {
			c.ranges = append(c.ranges, max(lo, utf8.RuneSelf), hi)
		}
	}
	return c
}

func (c *runeClass) has(r rune) bool {
	if r < utf8.RuneSelf {
		return c.ascii[r/64]&(1<<(r%64)) != 0
	}
	for k := 0; k < len(c.ranges); k += 2 {
		if r >= c.ranges[k] && r <= c.ranges[k+1] {
			return true
		}
	}
	return false
}

// intersects reports whether c and d share a character.
func (c *runeClass) intersects(d *runeClass) bool {
	if c.ascii[0]&d.ascii[0] != 0 || c.ascii[1]&d.ascii[1] != 0 {
		return true
	}
	for k := 0; k < len(c.ranges); k += 2 {
		for j := 0; j < len(d.ranges); j += 2 {
			if c.ranges[k] <= d.ranges[j+1] && d.ranges[j] <= c.ranges[k+1] {
				return true
			}
		}
	}
	return false
}

// newFastRegex returns the fast matcher of r, or nil when r is not one it
// can run.
func newFastRegex(r *planner.Regex) *fastRegex {
	re, err := syntax.Parse(r.Src, syntax.Perl)
	if err != nil {
		return nil
	}
	f := &fastRegex{groups: r.Groups, longest: r.Longest}
	if !f.flatten(re.Simplify(), false) || !f.deterministic() || !f.pickLiteral() {
		return nil
	}
	alts := 0
	for _, it := range f.items {
		if it.kind == fastAlt {
			alts++
		}
	}
	if alts > 1 { // match keeps one alternative's submatches
		return nil
	}
	f.caps = make([]int, 2*(f.groups+1))
	f.best = make([]int, len(f.caps))
	return f
}

// flatten appends re's items, reporting false for what it cannot run.
func (f *fastRegex) flatten(re *syntax.Regexp, inAlt bool) bool {
	if re.Flags&syntax.FoldCase != 0 && (re.Op == syntax.OpLiteral) {
		return false
	}
	switch re.Op {
	case syntax.OpLiteral:
		f.items = append(f.items, fastItem{kind: fastLit, lit: string(re.Rune)})
	case syntax.OpEmptyMatch:
		f.items = append(f.items, fastItem{kind: fastEmpty})
	case syntax.OpBeginText:
		f.items = append(f.items, fastItem{kind: fastBegin})
	case syntax.OpEndText:
		if inAlt {
			return false
		}
		f.items = append(f.items, fastItem{kind: fastEnd})
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		f.items = append(f.items, fastItem{kind: fastClass, cls: classOf(re), min: 1, max: 1})
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		sub := re.Sub[0]
		oneRune := sub.Op == syntax.OpLiteral && len(sub.Rune) == 1 && sub.Flags&syntax.FoldCase == 0
		if inAlt || re.Flags&syntax.NonGreedy != 0 || (sub.Op != syntax.OpCharClass && sub.Op != syntax.OpAnyChar && sub.Op != syntax.OpAnyCharNotNL && !oneRune) {
			return false
		}
		lo, hi := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, -1
		case syntax.OpPlus:
			lo, hi = 1, -1
		case syntax.OpQuest:
			lo, hi = 0, 1
		}
		f.items = append(f.items, fastItem{kind: fastClass, cls: classOf(sub), min: lo, max: hi})
	case syntax.OpConcat:
		if inAlt {
			return false
		}
		for _, s := range re.Sub {
			if !f.flatten(s, false) {
				return false
			}
		}
	case syntax.OpCapture:
		if inAlt {
			return false
		}
		f.items = append(f.items, fastItem{kind: fastOpen, group: re.Cap})
		if !f.flatten(re.Sub[0], false) {
			return false
		}
		f.items = append(f.items, fastItem{kind: fastClose, group: re.Cap})
	case syntax.OpAlternate:
		if inAlt {
			return false
		}
		alt := fastItem{kind: fastAlt}
		for _, s := range re.Sub {
			n := len(f.items)
			if !f.flatten(s, true) || len(f.items) != n+1 || f.items[n].kind == fastClass {
				return false
			}
			alt.alts = append(alt.alts, f.items[n])
			f.items = f.items[:n]
		}
		f.items = append(f.items, alt)
	default:
		return false
	}
	return true
}

func classOf(re *syntax.Regexp) *runeClass {
	switch re.Op {
	case syntax.OpAnyChar:
		return newRuneClass([]rune{0, utf8.MaxRune})
	case syntax.OpAnyCharNotNL:
		return newRuneClass([]rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune})
	case syntax.OpLiteral:
		return newRuneClass([]rune{re.Rune[0], re.Rune[0]})
	}
	return newRuneClass(re.Rune)
}

// first is the set of characters item it can start with, and whether it
// can match nothing.
func (it *fastItem) first() (*runeClass, bool) {
	switch it.kind {
	case fastLit:
		r, _ := utf8.DecodeRuneInString(it.lit)
		return newRuneClass([]rune{r, r}), false
	case fastClass:
		return it.cls, it.min == 0
	case fastAlt:
		u := &runeClass{}
		empty := false
		for k := range it.alts {
			c, e := it.alts[k].first()
			u.ascii[0] |= c.ascii[0]
			u.ascii[1] |= c.ascii[1]
			u.ranges = append(u.ranges, c.ranges...)
			empty = empty || e
		}
		return u, empty
	}
	return &runeClass{}, true
}

// deterministic reports whether every repetition's greedy choice is the
// only one: nothing that can follow it starts with its characters.
func (f *fastRegex) deterministic() bool {
	for k, it := range f.items {
		if it.kind != fastClass || it.min == it.max {
			continue
		}
		for _, next := range f.items[k+1:] {
			if next.kind == fastBegin {
				return false
			}
			c, empty := next.first()
			if c.intersects(it.cls) {
				return false
			}
			if !empty || next.kind == fastEnd {
				break
			}
		}
	}
	return true
}

// pickLiteral chooses the longest top-level literal, which every match
// holds, and how far before it a match can start.
func (f *fastRegex) pickLiteral() bool {
	best := -1
	for k, it := range f.items {
		if it.kind == fastLit && (best < 0 || len(it.lit) > len(f.items[best].lit)) {
			best = k
		}
	}
	if best < 0 {
		return false
	}
	for _, it := range f.items[:best] {
		switch it.kind {
		case fastLit:
			f.back += len(it.lit)
		case fastClass:
			if it.max < 0 {
				return false
			}
			w := 4
			if len(it.cls.ranges) == 0 {
				w = 1
			}
			f.back += w * it.max
		case fastAlt:
			w := 0
			for _, a := range it.alts {
				w = max(w, len(a.lit))
			}
			f.back += w
		}
	}
	f.lit = f.items[best].lit
	return true
}

// find is the leftmost match in s (its submatches, reused by the next
// call), or nil.
func (f *fastRegex) find(s string) []int {
	from := 0 // where a match may start
	for at := 0; ; {
		k := strings.Index(s[at:], f.lit)
		if k < 0 {
			return nil
		}
		k += at
		for p := max(from, k-f.back); p <= k; p++ {
			if p > 0 && p < len(s) && !utf8.RuneStart(s[p]) {
				continue
			}
			for g := range f.caps {
				f.caps[g] = -1
			}
			if e := f.match(s, f.items, p); e >= 0 {
				f.caps[0], f.caps[1] = p, e
				return f.caps
			}
		}
		from, at = k+1, k+1
	}
}

// match matches items at pos, returning where the match ends or -1.
func (f *fastRegex) match(s string, items []fastItem, pos int) int {
	for k := range items {
		it := &items[k]
		switch it.kind {
		case fastLit:
			if !strings.HasPrefix(s[pos:], it.lit) {
				return -1
			}
			pos += len(it.lit)
		case fastClass:
			n := 0
			for (it.max < 0 || n < it.max) && pos < len(s) {
				r, w := rune(s[pos]), 1
				if r >= utf8.RuneSelf {
					r, w = utf8.DecodeRuneInString(s[pos:])
				}
				if !it.cls.has(r) {
					break
				}
				pos += w
				n++
			}
			if n < it.min {
				return -1
			}
		case fastBegin:
			if pos != 0 {
				return -1
			}
		case fastEnd:
			if pos != len(s) {
				return -1
			}
		case fastOpen:
			f.caps[2*it.group] = pos
		case fastClose:
			f.caps[2*it.group+1] = pos
		case fastAlt:
			end := -1
			for a := range it.alts {
				e := f.match(s, it.alts[a:a+1], pos)
				if e < 0 {
					continue
				}
				if e = f.match(s, items[k+1:], e); e < 0 || e <= end {
					continue
				}
				end = e
				if !f.longest {
					return end
				}
				copy(f.best, f.caps)
			}
			if end >= 0 {
				copy(f.caps, f.best)
			}
			return end
		}
	}
	return pos
}
