package exec

import (
	"regexp"
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
		out.Bool[i] = r.RE.MatchString(args[0].Str[i])
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
	return &pgRegex{Regex: r}, nil
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
}

// first is the leftmost match in s, as submatch index pairs.
func (r *pgRegex) first(s string) []int { return r.RE.FindStringSubmatchIndex(s) }

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
