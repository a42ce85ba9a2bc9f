package planner

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// The regular-expression functions of PostgreSQL 15, and Flink's
// regexp_extract. x ~ p and its forms are regexp_like (see regex).
func init() {
	text, i32, boolean := types.Varchar, types.Int, types.Boolean
	sig := func(ret types.T, args ...types.T) Sig { return Sig{Args: args, Ret: ret} }
	reg := func(name string, sigs ...Sig) {
		RegisterBuiltin(&Builtin{Name: name, Sigs: sigs, MayFail: true, Check: checkRegexArgs})
	}
	reg("regexp_like", sig(boolean, text, text), sig(boolean, text, text, text))
	reg("regexp_replace", sig(text, text, text, text), sig(text, text, text, text, text),
		sig(text, text, text, text, i32), sig(text, text, text, text, i32, i32), sig(text, text, text, text, i32, i32, text))
	reg("regexp_count", sig(i32, text, text), sig(i32, text, text, i32), sig(i32, text, text, i32, text))
	reg("regexp_instr", sig(i32, text, text), sig(i32, text, text, i32), sig(i32, text, text, i32, i32),
		sig(i32, text, text, i32, i32, i32), sig(i32, text, text, i32, i32, i32, text), sig(i32, text, text, i32, i32, i32, text, i32))
	reg("regexp_substr", sig(text, text, text), sig(text, text, text, i32), sig(text, text, text, i32, i32),
		sig(text, text, text, i32, i32, text), sig(text, text, text, i32, i32, text, i32))
	reg("regexp_extract", sig(text, text, text), sig(text, text, text, i32))
	RegisterBuiltin(&Builtin{Name: "similar_to_escape", Sigs: []Sig{sig(text, text), sig(text, text, text)}, MayFail: true})
}

// RegexFlagsArg is the index of the flags argument of a call of a regex
// builtin with n arguments, or -1 when it has none.
func RegexFlagsArg(name string, n int) int {
	switch {
	case name == "regexp_like" && n == 3, name == "regexp_replace" && n == 4, name == "regexp_count" && n == 4:
		return n - 1
	case name == "regexp_replace" && n == 6, name == "regexp_substr" && n >= 5, name == "regexp_instr" && n >= 6:
		return map[string]int{"regexp_replace": 5, "regexp_substr": 4, "regexp_instr": 5}[name]
	}
	return -1
}

// checkRegexArgs compiles a constant pattern (with constant flags) when
// the call is planned, so a bad one fails the statement before any row.
func checkRegexArgs(fn *Builtin, args []Expr) (int, error) {
	p, ok := args[1].(*Const)
	if !ok || p.Null || p.Param != 0 {
		return 0, nil
	}
	flags := ""
	k := RegexFlagsArg(fn.Name, len(args))
	if k >= 0 {
		f, ok := args[k].(*Const)
		if !ok || f.Param != 0 {
			return 0, nil
		}
		if f.Null {
			return 0, nil
		}
		flags = f.S
	}
	if _, err := CompileRegex(p.S, flags, fn.Name); err != nil {
		if err.Kind == sqlerr.InvalidParameter {
			return k, err
		}
		return 1, err
	}
	return 0, nil
}

// Regex is a PostgreSQL regular expression (an ARE and its flags) as Go's
// RE2 runs it.
type Regex struct {
	// RE matches as PostgreSQL would from the start of the text.
	RE *regexp.Regexp
	// Src is RE's text, for the variants that match from an offset.
	Src string
	// Longest is set for the REs PostgreSQL calls greedy, which match the
	// longest string at the leftmost position (RE.Longest is set).
	Longest bool
	// Global is the g flag: regexp_replace replaces every match.
	Global bool
	// Groups is the number of parenthesized subexpressions.
	Groups int
}

// reOpts are PostgreSQL's regex flags that change how the RE reads.
type reOpts struct {
	icase    bool
	nlStop   bool // . and [^...] do not match a newline
	nlAnchor bool // ^ and $ match at newlines
	expanded bool // whitespace and # comments are ignored
	literal  bool
	global   bool
}

func regexErr(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidRegex, "invalid regular expression: "+format, args...)
}

// setFlags applies PostgreSQL's flag letters; embedded says they come
// from (?...) in the pattern, where g is not one.
func (o *reOpts) setFlags(flags string, fn string, embedded bool) *sqlerr.Error {
	for _, c := range flags {
		switch c {
		case 'c':
			o.icase = false
		case 'i':
			o.icase = true
		case 'm', 'n':
			o.nlStop, o.nlAnchor = true, true
		case 'p':
			o.nlStop, o.nlAnchor = true, false
		case 'w':
			o.nlStop, o.nlAnchor = false, true
		case 's':
			o.nlStop, o.nlAnchor = false, false
		case 'q':
			o.literal = true
		case 't':
			o.expanded = false
		case 'x':
			o.expanded = true
		case 'b', 'e':
			return regexErr("basic and extended regular expressions (flag %c) are not supported; the default advanced syntax is", c)
		case 'g':
			if !embedded {
				if fn != "regexp_replace" && fn != "regexp_matches" {
					return sqlerr.New(sqlerr.InvalidParameter, "%s() does not support the \"global\" option", fn)
				}
				o.global = true
				continue
			}
			fallthrough
		default:
			if embedded {
				return regexErr("invalid embedded option")
			}
			return sqlerr.New(sqlerr.InvalidParameter, "invalid regular expression option: %q", string(c))
		}
	}
	return nil
}

// CompileRegex translates PostgreSQL regular expression pattern, with its
// flags as fn (the function) takes them, into RE2 and compiles it. What
// RE2 cannot do (back references, lookaround) is refused with 2201B.
func CompileRegex(pattern, flags, fn string) (*Regex, *sqlerr.Error) {
	var o reOpts
	o.expanded = false
	if err := o.setFlags(flags, fn, false); err != nil {
		return nil, err
	}
	p := pattern
	switch {
	case strings.HasPrefix(p, "***="):
		p, o.literal = p[4:], true
	case strings.HasPrefix(p, "***:"):
		p = p[4:]
	}
	if !o.literal && strings.HasPrefix(p, "(?") && !strings.HasPrefix(p, "(?:") && !strings.HasPrefix(p, "(?=") && !strings.HasPrefix(p, "(?!") && !strings.HasPrefix(p, "(?<") {
		end := strings.IndexByte(p, ')')
		if end < 0 {
			return nil, regexErr("invalid embedded option")
		}
		if err := o.setFlags(p[2:end], fn, true); err != nil {
			return nil, err
		}
		p = p[end+1:]
	}
	var src string
	greed := 1
	groups := 0
	if o.literal {
		src = regexp.QuoteMeta(p)
	} else {
		t := &reTranslator{p: p, o: &o, frames: []greedFrame{{branches: 1}}}
		if err := t.run(); err != nil {
			return nil, err
		}
		src, greed, groups = t.out.String(), t.greed(), t.groups
	}
	prefix := ""
	if !o.nlStop {
		prefix += "s"
	}
	if o.nlAnchor {
		prefix += "m"
	}
	if o.icase {
		prefix += "i"
	}
	if prefix != "" {
		src = "(?" + prefix + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, goRegexErr(err)
	}
	r := &Regex{RE: re, Src: src, Longest: greed >= 0, Global: o.global, Groups: groups}
	if r.Longest {
		re.Longest()
	}
	return r, nil
}

// goRegexErr words RE2's complaint as PostgreSQL's where they agree.
func goRegexErr(err error) *sqlerr.Error {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return regexErr("%v", err)
	}
	if msg, ok := goRegexMessages[se.Code]; ok {
		return regexErr("%s", msg)
	}
	return regexErr("%s", se.Code)
}

// goRegexMessages are PostgreSQL's words for RE2's syntax errors.
var goRegexMessages = map[syntax.ErrorCode]string{
	syntax.ErrMissingParen: "parentheses () not balanced", syntax.ErrUnexpectedParen: "parentheses () not balanced",
	syntax.ErrMissingBracket: "brackets [] not balanced", syntax.ErrInvalidRepeatSize: "invalid repetition count(s)",
	syntax.ErrMissingRepeatArgument: "quantifier operand invalid", syntax.ErrInvalidRepeatOp: "quantifier operand invalid",
	syntax.ErrInvalidCharRange: "invalid character range", syntax.ErrInvalidCharClass: "invalid character class",
}

// greedFrame follows PostgreSQL's rule for whether an RE is greedy: a
// branch is as greedy as its first atom that has a greediness (a
// quantified atom, a parenthesized RE that has one), and an RE of two or
// more branches is greedy. Greediness is 1, -1 (non-greedy) or 0 (none).
type greedFrame struct {
	branches int
	first    int // of the first branch
	pending  int // of the last atom, until it is known whether a quantifier follows
}

// reTranslator writes an ARE as RE2.
type reTranslator struct {
	p      string
	i      int
	o      *reOpts
	out    strings.Builder
	frames []greedFrame
	groups int
	// prevWord: the last atom matches word characters only, so \M after
	// it is a word boundary.
	prevWord bool
}

func (t *reTranslator) top() *greedFrame { return &t.frames[len(t.frames)-1] }

// atom starts a new atom of greediness g, settling the last one's.
func (t *reTranslator) atom(g int) {
	t.settle()
	t.top().pending = g
}

func (t *reTranslator) settle() {
	f := t.top()
	if f.branches == 1 && f.first == 0 {
		f.first = f.pending
	}
	f.pending = 0
}

func (t *reTranslator) greed() int {
	t.settle()
	f := t.frames[0]
	if f.branches > 1 {
		return 1
	}
	return f.first
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lit writes rune r as a literal.
func (t *reTranslator) lit(r rune) {
	t.atom(0)
	t.out.WriteString(quoteRune(r, false))
	t.prevWord = r < utf8.RuneSelf && isWordByte(byte(r))
}

// quoteRune is r as RE2 reads it literally, in a bracket or not.
func quoteRune(r rune, inClass bool) string {
	switch {
	case r < ' ' || r == 0x7f:
		return fmt.Sprintf(`\x{%x}`, r)
	case r < utf8.RuneSelf && !isWordByte(byte(r)) && r != ' ':
		if inClass || strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			return `\` + string(r)
		}
	}
	return string(r)
}

func (t *reTranslator) run() *sqlerr.Error {
	for t.i < len(t.p) {
		c := t.p[t.i]
		if t.o.expanded {
			if strings.IndexByte(" \t\n\r\f\v", c) >= 0 {
				t.i++
				continue
			}
			if c == '#' {
				for t.i < len(t.p) && t.p[t.i] != '\n' {
					t.i++
				}
				continue
			}
		}
		switch c {
		case '\\':
			if err := t.escape(); err != nil {
				return err
			}
		case '[':
			if err := t.bracket(); err != nil {
				return err
			}
		case '(':
			rest := t.p[t.i:]
			switch {
			case strings.HasPrefix(rest, "(?:"):
				t.out.WriteString("(?:")
				t.i += 3
			case strings.HasPrefix(rest, "(?=") || strings.HasPrefix(rest, "(?!") || strings.HasPrefix(rest, "(?<=") || strings.HasPrefix(rest, "(?<!"):
				return regexErr("lookahead and lookbehind constraints are not supported (RE2 has none)")
			case strings.HasPrefix(rest, "(?"):
				return regexErr("quantifier operand invalid")
			default:
				t.out.WriteByte('(')
				t.i++
				t.groups++
			}
			t.settle()
			t.frames = append(t.frames, greedFrame{branches: 1})
			t.prevWord = false
		case ')':
			if len(t.frames) == 1 {
				return regexErr("parentheses () not balanced")
			}
			g := t.greed()
			t.frames = t.frames[:len(t.frames)-1]
			t.top().pending = g
			t.out.WriteByte(')')
			t.i++
			t.prevWord = false
		case '|':
			t.settle()
			t.top().branches++
			t.out.WriteByte('|')
			t.i++
			t.prevWord = false
		case '*', '+', '?':
			t.i++
			g := 1
			t.out.WriteByte(c)
			if t.i < len(t.p) && t.p[t.i] == '?' {
				g = -1
				t.out.WriteByte('?')
				t.i++
			}
			t.top().pending = g
			if c != '+' {
				t.prevWord = false
			}
		case '{':
			if err := t.bound(); err != nil {
				return err
			}
		case '^', '$':
			t.atom(0)
			t.out.WriteByte(c)
			t.i++
			t.prevWord = false
		case '.':
			t.atom(0)
			t.out.WriteByte('.')
			t.i++
			t.prevWord = false
		default:
			r, w := utf8.DecodeRuneInString(t.p[t.i:])
			t.i += w
			t.lit(r)
		}
	}
	if len(t.frames) > 1 {
		return regexErr("parentheses () not balanced")
	}
	return nil
}

// bound reads {m}, {m,} or {m,n}; a { not followed by a digit is itself.
func (t *reTranslator) bound() *sqlerr.Error {
	rest := t.p[t.i+1:]
	if rest == "" || rest[0] < '0' || rest[0] > '9' {
		t.i++
		t.lit('{')
		return nil
	}
	end := strings.IndexByte(rest, '}')
	if end < 0 {
		return regexErr("braces {} not balanced")
	}
	body := rest[:end]
	lo, hi, comma := strings.Cut(body, ",")
	m, err := strconv.Atoi(lo)
	n := m
	if err == nil && comma && hi != "" {
		n, err = strconv.Atoi(hi)
	}
	if err != nil || m > 255 || n > 255 || n < m {
		return regexErr("invalid repetition count(s)")
	}
	t.out.WriteString("{" + body + "}")
	t.i += end + 2
	g := 1
	if !comma {
		g = t.top().pending // {m} is as greedy as its atom
	}
	if t.i < len(t.p) && t.p[t.i] == '?' {
		if comma {
			g = -1
		}
		t.out.WriteByte('?')
		t.i++
	}
	t.top().pending = g
	if m == 0 {
		t.prevWord = false
	}
	return nil
}

// escape reads the escape at t.i, outside a bracket.
func (t *reTranslator) escape() *sqlerr.Error {
	t.i++
	if t.i == len(t.p) {
		return regexErr("invalid escape \\ sequence")
	}
	c := t.p[t.i]
	switch c {
	case 'd', 'D', 's', 'S', 'w', 'W':
		t.atom(0)
		t.out.WriteString(`\` + string(c))
		t.i++
		t.prevWord = c == 'd' || c == 'w'
		return nil
	case 'm', 'M', 'y', 'Y', 'A', 'Z':
		t.i++
		return t.constraint(c)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return regexErr("back references (\\%c) are not supported (RE2 has none)", c)
	}
	r, err := t.charEscape()
	if err != nil {
		return err
	}
	t.lit(r)
	return nil
}

// constraint writes \m, \M, \y, \Y, \A or \Z (c) as RE2 can: \m and \M
// as \b, where the characters beside them show which side of a word
// they are on.
func (t *reTranslator) constraint(c byte) *sqlerr.Error {
	t.atom(0)
	switch c {
	case 'm':
		if t.i >= len(t.p) || !(isWordByte(t.p[t.i]) || strings.HasPrefix(t.p[t.i:], `\w`) || strings.HasPrefix(t.p[t.i:], `\d`)) {
			return regexErr("\\m is supported before a word character only (RE2 has no lookahead)")
		}
		t.out.WriteString(`\b`)
	case 'M':
		if !t.prevWord {
			return regexErr("\\M is supported after a word character only (RE2 has no lookbehind)")
		}
		t.out.WriteString(`\b`)
	case 'y':
		t.out.WriteString(`\b`)
	case 'Y':
		t.out.WriteString(`\B`)
	case 'A':
		t.out.WriteString(`\A`)
	case 'Z':
		t.out.WriteString(`\z`)
	}
	t.prevWord = false
	return nil
}

// charEscape reads an escape that stands for one character, t.i at the
// character after the backslash.
func (t *reTranslator) charEscape() (rune, *sqlerr.Error) {
	c := t.p[t.i]
	t.i++
	hex := func(max int) (rune, *sqlerr.Error) {
		k := t.i
		for k < len(t.p) && k-t.i < max && strings.IndexByte("0123456789abcdefABCDEF", t.p[k]) >= 0 {
			k++
		}
		if k == t.i {
			return 0, regexErr("invalid escape \\ sequence")
		}
		v, err := strconv.ParseUint(t.p[t.i:k], 16, 32)
		t.i = k
		if err != nil || v > utf8.MaxRune || v == 0 {
			return 0, regexErr("invalid escape \\ sequence")
		}
		return rune(v), nil
	}
	switch c {
	case 'a':
		return 7, nil
	case 'b':
		return 8, nil
	case 'B':
		return '\\', nil
	case 'e':
		return 0x1b, nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'c':
		if t.i == len(t.p) {
			return 0, regexErr("invalid escape \\ sequence")
		}
		r := rune(t.p[t.i]) & 0x1f
		t.i++
		if r == 0 {
			return 0, regexErr("invalid escape \\ sequence")
		}
		return r, nil
	case 'u':
		return hex(4)
	case 'U':
		return hex(8)
	case 'x':
		return hex(8)
	case '0':
		k := t.i
		for k < len(t.p) && k-t.i < 2 && t.p[k] >= '0' && t.p[k] <= '7' {
			k++
		}
		v, _ := strconv.ParseUint("0"+t.p[t.i:k], 8, 32)
		t.i = k
		if v == 0 {
			return 0, regexErr("invalid escape \\ sequence") // text cannot hold NUL
		}
		return rune(v), nil
	}
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return 0, regexErr("invalid escape \\ sequence")
	}
	t.i--
	r, w := utf8.DecodeRuneInString(t.p[t.i:])
	t.i += w
	return r, nil
}

// posixClasses are the [:name:] classes of a bracket expression.
var posixClasses = map[string]bool{"alnum": true, "alpha": true, "blank": true, "cntrl": true, "digit": true, "graph": true,
	"lower": true, "print": true, "punct": true, "space": true, "upper": true, "xdigit": true, "word": true}

// bracket reads a bracket expression at t.i.
func (t *reTranslator) bracket() *sqlerr.Error {
	switch rest := t.p[t.i:]; {
	case strings.HasPrefix(rest, "[[:<:]]"):
		t.i += 7
		return t.constraint('m')
	case strings.HasPrefix(rest, "[[:>:]]"):
		t.i += 7
		return t.constraint('M')
	}
	t.atom(0)
	t.prevWord = false
	t.i++
	t.out.WriteByte('[')
	if t.i < len(t.p) && t.p[t.i] == '^' {
		t.out.WriteByte('^')
		if t.o.nlStop {
			t.out.WriteString(`\n`)
		}
		t.i++
	}
	for first := true; ; first = false {
		if t.i >= len(t.p) {
			return regexErr("brackets [] not balanced")
		}
		c := t.p[t.i]
		if c == ']' && !first {
			t.i++
			t.out.WriteByte(']')
			return nil
		}
		if strings.HasPrefix(t.p[t.i:], "[:") {
			end := strings.Index(t.p[t.i+2:], ":]")
			if end < 0 {
				return regexErr("brackets [] not balanced")
			}
			name := t.p[t.i+2 : t.i+2+end]
			if !posixClasses[name] {
				return regexErr("invalid character class")
			}
			t.out.WriteString("[:" + name + ":]")
			t.i += end + 4
			continue
		}
		if c == '\\' && t.i+1 < len(t.p) && strings.IndexByte("dswDSW", t.p[t.i+1]) >= 0 {
			t.out.WriteString(t.p[t.i : t.i+2])
			t.i += 2
			continue
		}
		lo, err := t.classChar()
		if err != nil {
			return err
		}
		if t.i+1 < len(t.p) && t.p[t.i] == '-' && t.p[t.i+1] != ']' {
			t.i++
			hi, err := t.classChar()
			if err != nil {
				return err
			}
			if hi < lo {
				return regexErr("invalid character range")
			}
			t.out.WriteString(quoteRune(lo, true) + "-" + quoteRune(hi, true))
			continue
		}
		t.out.WriteString(quoteRune(lo, true))
	}
}

// classChar reads one character of a bracket: itself, an escape, or a
// collating element or equivalence class of one character ([.x.], [=x=]).
func (t *reTranslator) classChar() (rune, *sqlerr.Error) {
	rest := t.p[t.i:]
	if strings.HasPrefix(rest, "[.") || strings.HasPrefix(rest, "[=") {
		closer := rest[1:2] + "]"
		end := strings.Index(rest[2:], closer)
		if end < 0 {
			return 0, regexErr("brackets [] not balanced")
		}
		body := rest[2 : 2+end]
		r, w := utf8.DecodeRuneInString(body)
		if w == 0 || w != len(body) {
			return 0, regexErr("invalid collating element")
		}
		t.i += end + 4
		return r, nil
	}
	if rest[0] == '\\' {
		if len(rest) == 1 {
			return 0, regexErr("invalid escape \\ sequence")
		}
		t.i++
		if c := t.p[t.i]; c >= '1' && c <= '9' {
			return 0, regexErr("invalid escape \\ sequence")
		}
		return t.charEscape()
	}
	r, w := utf8.DecodeRuneInString(rest)
	t.i += w
	return r, nil
}

// regex binds x ~ p (parser.RegexFunc(x, p, flags)) as regexp_like(x, p,
// flags), which is what PostgreSQL's operators mean.
func (b *binder) regex(n *ast.FuncCallExpr) (Expr, error) {
	if len(n.Args) != 3 {
		return nil, b.errAt(sqlerr.Internal, n, "regex takes 3 arguments")
	}
	xs := make([]Expr, 3)
	for i, a := range n.Args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		if k := x.Type().Kind; i == 0 && k != types.String && k != types.Null {
			op := "~"
			if f, ok := n.Args[2].(*test_driver.ValueExpr); ok && f.Datum.GetString() == "i" {
				op = "~*"
			}
			return nil, b.errAt(sqlerr.UndefinedFunction, n, "operator does not exist: %s %s text", pgTypeName(x.Type()), op)
		}
		if xs[i], err = b.coerce(x, types.Varchar, a); err != nil {
			return nil, err
		}
	}
	// SIMILAR TO's constant pattern is translated now, so that it compiles
	// once and a bad one fails when planned.
	if c, ok := xs[1].(*Call); ok && c.B != nil && c.B.Name == "similar_to_escape" {
		p, ok1 := c.Args[0].(*Const)
		esc := &Const{T: types.Varchar, S: `\`}
		ok2 := true
		if len(c.Args) == 2 {
			esc, ok2 = c.Args[1].(*Const)
		}
		if ok1 && ok2 && p.Param == 0 && esc.Param == 0 && !p.Null && !esc.Null {
			re, err := SimilarToRegex(p.S, esc.S)
			if err != nil {
				return nil, sqlerr.WithPos(err, b.q.Pos(n.Args[1]))
			}
			xs[1] = &Const{T: types.Varchar, S: re}
		}
	}
	return b.bindBuiltin(builtins["regexp_like"], xs, n)
}

// SimilarToRegex is PostgreSQL's similar_to_escape: the ARE that SQL's
// SIMILAR TO pattern p means, with escape character esc ("" for none).
func SimilarToRegex(p, esc string) (string, *sqlerr.Error) {
	if utf8.RuneCountInString(esc) > 1 {
		return "", sqlerr.New(sqlerr.InvalidEscape, "invalid escape string")
	}
	e, _ := utf8.DecodeRuneInString(esc)
	var b strings.Builder
	b.WriteString("^(?:")
	quotes, afterEscape, inClass, classPos := 0, false, false, 0
	for _, c := range p {
		switch {
		case afterEscape:
			afterEscape = false
			if c == '"' && !inClass {
				// #"...#" marks the part substring(... SIMILAR ...) returns.
				if quotes++; quotes > 2 {
					return "", sqlerr.New(sqlerr.InvalidRegex, "SQL regular expression may not contain more than two escape-double-quote separators")
				}
				b.WriteString([]string{"", "){1,1}?(", "){1,1}(?:"}[quotes])
				continue
			}
			b.WriteByte('\\')
			b.WriteRune(c)
			classPos = 3
		case esc != "" && c == e:
			afterEscape = true
		case c == '[': // in a class too, as PostgreSQL's
			b.WriteRune(c)
			inClass, classPos = true, 1
		case inClass:
			if c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
			// A ] first in the class (after a ^) is itself.
			switch {
			case c == ']' && classPos > 2:
				inClass = false
			case c == '^' && classPos == 1:
				classPos = 2
			default:
				classPos = 3
			}
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteByte('.')
		case c == '(':
			b.WriteString("(?:")
		case c == '\\' || c == '.' || c == '^' || c == '$':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteString(")$")
	return b.String(), nil
}
