package exec

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
)

// The string builtins' kernels (see planner/strfuncs.go). Lengths and
// positions count characters, as PostgreSQL's do in UTF-8; a result that
// is a piece of an argument is a substring of it, without a copy.
func init() {
	registerKernel("replace", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		s, from, to := args[0].Str, args[1].Str, args[2].Str
		for i := 0; i < n; i++ {
			if from[i] == "" {
				out.Str[i] = s[i] // PostgreSQL replaces nothing for an empty pattern
				continue
			}
			out.Str[i] = strings.ReplaceAll(s[i], from[i], to[i])
		}
	}))
	registerKernel("reverse", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			r := []rune(s)
			for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
				r[a], r[b] = r[b], r[a]
			}
			out.Str[i] = string(r)
		}
	}))
	registerKernel("split_part", func(consts []*planner.Const) kernel {
		if sep, field := consts[1], consts[2]; sep != nil && field != nil && len(sep.S) == 1 && field.I != 0 {
			// The common case, a constant one-byte separator and field,
			// scans with IndexByte (or from the end with LastIndexByte,
			// exact when occurrences cannot overlap).
			c, k := sep.S[0], field.I
			return func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
				for i, s := range args[0].Str[:n] {
					out.Str[i] = splitPartByte(s, c, k)
				}
			}
		}
		return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			s, sep, field := args[0].Str, args[1].Str, args[2].I64
			for i := 0; i < n; i++ {
				if field[i] == 0 {
					if !out.IsNull(i) {
						out.SetNull(i)
						ctx.report(i, func() *sqlerr.Error { return sqlerr.New(sqlerr.InvalidParameter, "field position must not be zero") })
					}
					continue
				}
				out.Str[i] = splitPart(s[i], sep[i], field[i])
			}
		}
	})
	registerKernel("split_index", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		s, sep, index := args[0].Str, args[1].Str, args[2].I64
		for i := 0; i < n; i++ {
			if v, ok := splitIndex(s[i], sep[i], index[i]); ok {
				out.Str[i] = v
			} else {
				out.SetNull(i)
			}
		}
	}))
	pad := func(left bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			s, length := args[0].Str, args[1].I64
			for i := 0; i < n; i++ {
				fill := " "
				if len(args) > 2 {
					fill = args[2].Str[i]
				}
				if length[i] > maxAlloc/utf8.UTFMax && fill != "" {
					if !out.IsNull(i) {
						out.SetNull(i)
						ctx.report(i, tooLarge)
					}
					continue
				}
				out.Str[i] = padText(s[i], int(length[i]), fill, left)
			}
		})
	}
	registerKernel("lpad", pad(true))
	registerKernel("rpad", pad(false))
	registerKernel("left", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		s, k := args[0].Str, args[1].I64
		for i := 0; i < n; i++ {
			if k[i] < 0 {
				out.Str[i] = s[i][:charOffset(s[i], utf8.RuneCountInString(s[i])+int(k[i]))]
			} else {
				out.Str[i] = s[i][:charOffset(s[i], int(min(k[i], int64(len(s[i])))))]
			}
		}
	}))
	registerKernel("right", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		s, k := args[0].Str, args[1].I64
		for i := 0; i < n; i++ {
			switch {
			case k[i] == math.MinInt32:
				// PostgreSQL's -n wraps to itself in an int4, a count
				// no character is under: the whole string.
				out.Str[i] = s[i]
			case k[i] < 0:
				out.Str[i] = s[i][charOffset(s[i], int(min(-k[i], int64(len(s[i]))))):]
			default:
				out.Str[i] = s[i][charOffset(s[i], utf8.RuneCountInString(s[i])-int(min(k[i], int64(len(s[i]))))):]
			}
		}
	}))
	registerKernel("strpos", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			out.I64[i] = strpos(args[0].Str[i], args[1].Str[i])
		}
	}))
	registerKernel("position", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			out.I64[i] = strpos(args[1].Str[i], args[0].Str[i])
		}
	}))
	registerKernel("quote_ident", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			out.Str[i] = quoteIdent(s)
		}
	}))
	registerKernel("quote_literal", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			out.Str[i] = quoteLiteral(s)
		}
	}))
	registerKernel("quote_nullable", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			if args[0].IsNull(i) {
				out.Str[i] = "NULL"
			} else {
				out.Str[i] = quoteLiteral(s)
			}
		}
	}))
	registerKernel("initcap", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		// Words are runs of ASCII letters and digits, and only those
		// change case, as in PostgreSQL under the C locale (the engine's
		// collation: text compares by bytes).
		var b []byte
		for i, s := range args[0].Str[:n] {
			b = append(b[:0], s...)
			word := false
			for k, c := range b {
				lower, upper := c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z'
				switch {
				case word && upper:
					b[k] = c + 'a' - 'A'
				case !word && lower:
					b[k] = c - 'a' + 'A'
				}
				word = lower || upper || c >= '0' && c <= '9'
			}
			out.Str[i] = string(b)
		}
	}))
	registerKernel("repeat", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		s, count := args[0].Str, args[1].I64
		for i := 0; i < n; i++ {
			switch {
			case count[i] <= 0 || s[i] == "":
				out.Str[i] = ""
			case count[i] > (maxAlloc-4)/int64(len(s[i])):
				if !out.IsNull(i) {
					out.SetNull(i)
					ctx.report(i, tooLarge)
				}
			default:
				out.Str[i] = strings.Repeat(s[i], int(count[i]))
			}
		}
	}))
	registerKernel("md5", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			sum := md5.Sum([]byte(s))
			out.Str[i] = hex.EncodeToString(sum[:])
		}
	}))
	registerKernel("sha256", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			sum := sha256.Sum256([]byte(s))
			out.Str[i] = hex.EncodeToString(sum[:])
		}
	}))
	trim := func(f func(s, cutset string) string) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			for i, s := range args[0].Str[:n] {
				cut := " "
				if len(args) > 1 {
					cut = args[1].Str[i]
				}
				out.Str[i] = f(s, cut)
			}
		})
	}
	registerKernel("btrim", trim(strings.Trim))
	registerKernel("ltrim", trim(strings.TrimLeft))
	registerKernel("rtrim", trim(strings.TrimRight))
	registerKernel("ascii", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i, s := range args[0].Str[:n] {
			r, _ := utf8.DecodeRuneInString(s)
			if s == "" {
				r = 0
			}
			out.I64[i] = int64(r)
		}
	}))
	registerKernel("chr", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		for i, c := range args[0].I64[:n] {
			if c > 0 && c <= unicode.MaxRune && (c < 0xD800 || c > 0xDFFF) {
				out.Str[i] = string(rune(c))
				continue
			}
			if out.IsNull(i) {
				continue
			}
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error {
				switch {
				case c == 0:
					return sqlerr.New(sqlerr.ProgramLimitExceeded, "null character not permitted")
				case c < 0:
					return sqlerr.New(sqlerr.InvalidParameter, "character number must be positive")
				case c > unicode.MaxRune:
					return sqlerr.New(sqlerr.ProgramLimitExceeded, "requested character too large for encoding: %d", c)
				}
				return sqlerr.New(sqlerr.ProgramLimitExceeded, "requested character not valid for encoding: %d", c)
			})
		}
	}))
	registerKernel("starts_with", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			out.Bool[i] = strings.HasPrefix(args[0].Str[i], args[1].Str[i])
		}
	}))
	registerKernel("translate", func(consts []*planner.Const) kernel {
		var fixed *translation
		if consts[1] != nil && consts[2] != nil && !consts[1].Null && !consts[2].Null {
			fixed = newTranslation(consts[1].S, consts[2].S)
		}
		return func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			for i, s := range args[0].Str[:n] {
				t := fixed
				if t == nil {
					t = newTranslation(args[1].Str[i], args[2].Str[i])
				}
				out.Str[i] = t.apply(s)
			}
		}
	})
	registerKernel("concat", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			out.Str[i] = join(args, i, "")
		}
	}))
	registerKernel("concat_ws", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.SetNull(i)
				continue
			}
			out.Str[i] = join(args[1:], i, args[0].Str[i])
		}
	}))
	registerKernel("format", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		var buf []byte
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.SetNull(i)
				continue
			}
			var err *sqlerr.Error
			var null bool
			if buf, null, err = format(buf[:0], args, i); err != nil || null {
				out.SetNull(i)
				if err != nil {
					ctx.report(i, func() *sqlerr.Error { return err })
				}
				continue
			}
			out.Str[i] = string(buf)
		}
	}))
}

// maxAlloc is PostgreSQL's largest value, 1 GB less a byte: a longer
// result is refused, not built.
const maxAlloc = 1<<30 - 1

func tooLarge() *sqlerr.Error {
	return sqlerr.New(sqlerr.ProgramLimitExceeded, "requested length too large")
}

// splitPart is split_part(s, sep, field), field ≠ 0: the field-th piece of
// s between occurrences of sep, counted from the end when negative (as
// PostgreSQL 14 does, by the occurrences found from the start), "" when
// there is none. An empty sep leaves s one piece.
func splitPart(s, sep string, field int64) string {
	if sep == "" {
		if field == 1 || field == -1 {
			return s
		}
		return ""
	}
	if field < 0 {
		field += int64(strings.Count(s, sep)) + 2
		if field <= 0 {
			return ""
		}
	}
	for ; field > 1; field-- {
		j := strings.Index(s, sep)
		if j < 0 {
			return ""
		}
		s = s[j+len(sep):]
	}
	if j := strings.Index(s, sep); j >= 0 {
		return s[:j]
	}
	return s
}

// splitPartByte is splitPart with a one-byte separator.
func splitPartByte(s string, c byte, field int64) string {
	if field < 0 {
		for ; field < -1; field++ {
			j := strings.LastIndexByte(s, c)
			if j < 0 {
				return ""
			}
			s = s[:j]
		}
		return s[strings.LastIndexByte(s, c)+1:]
	}
	for ; field > 1; field-- {
		j := strings.IndexByte(s, c)
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, c); j >= 0 {
		return s[:j]
	}
	return s
}

// splitIndex is Flink's SPLIT_INDEX(s, sep, index): the piece at 0-based
// index, as Commons Lang's splitByWholeSeparatorPreserveAllTokens splits
// (an empty s has no pieces, an empty sep splits at each white-space
// character); ok is false when there is no such piece.
func splitIndex(s, sep string, index int64) (string, bool) {
	if index < 0 || s == "" {
		return "", false
	}
	for ; ; index-- {
		j, w := strings.Index(s, sep), len(sep)
		if sep == "" {
			j = strings.IndexFunc(s, javaSpace)
			w = 1
			if j >= 0 {
				_, w = utf8.DecodeRuneInString(s[j:])
			}
		}
		if j < 0 {
			return s, index == 0
		}
		if index == 0 {
			return s[:j], true
		}
		s = s[j+w:]
	}
}

// javaSpace is Java's Character.isWhitespace: Unicode space separators
// other than the no-break ones, and the ASCII controls \t to \r and \x1c
// to \x1f.
func javaSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f':
		return false
	case '\t', '\n', '\v', '\f', '\r', '\x1c', '\x1d', '\x1e', '\x1f', '\u2028', '\u2029':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// charOffset is the byte offset of s's k-th character (0 for k ≤ 0,
// len(s) past the end).
func charOffset(s string, k int) int {
	if k <= 0 {
		return 0
	}
	for j := range s {
		if k == 0 {
			return j
		}
		k--
	}
	return len(s)
}

// strpos is the 1-based character position of sub in s, 0 if absent.
func strpos(s, sub string) int64 {
	j := strings.Index(s, sub)
	if j < 0 {
		return 0
	}
	return int64(utf8.RuneCountInString(s[:j])) + 1
}

// padText is lpad or rpad(s, length, fill): s cut to length characters,
// then filled to length on the left or the right with repeats of fill.
func padText(s string, length int, fill string, left bool) string {
	if length <= 0 {
		return ""
	}
	k := utf8.RuneCountInString(s)
	if k >= length || fill == "" {
		return s[:charOffset(s, length)]
	}
	m := length - k // characters of fill
	var b strings.Builder
	b.Grow(len(s) + m*len(fill))
	if !left {
		b.WriteString(s)
	}
	for ; m >= utf8.RuneCountInString(fill); m -= utf8.RuneCountInString(fill) {
		b.WriteString(fill)
	}
	b.WriteString(fill[:charOffset(fill, m)])
	if left {
		b.WriteString(s)
	}
	return b.String()
}

// join concatenates the non-NULL values of row i of vs, sep between them.
func join(vs []*vec.Vec, i int, sep string) string {
	size, parts, last := 0, 0, ""
	for _, v := range vs {
		if !v.IsNull(i) {
			size += len(v.Str[i])
			parts++
			last = v.Str[i]
		}
	}
	if parts == 1 {
		return last
	}
	var b strings.Builder
	b.Grow(size + max(parts-1, 0)*len(sep))
	first := true
	for _, v := range vs {
		if v.IsNull(i) {
			continue
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		b.WriteString(v.Str[i])
	}
	return b.String()
}

// translation is translate's map of characters: the k-th character of
// from (its first occurrence) becomes the k-th of to, or is deleted when
// to is shorter. ASCII characters map through a table.
type translation struct {
	ascii [utf8.RuneSelf]rune // keep for the character itself, -1 deletes
	other map[rune]rune
	none  bool
}

const keep = -2

func newTranslation(from, to string) *translation {
	t := &translation{other: map[rune]rune{}, none: from == ""}
	for c := range t.ascii {
		t.ascii[c] = keep
	}
	dst := []rune(to)
	k := 0
	for _, r := range from {
		x := rune(-1)
		if k < len(dst) {
			x = dst[k]
		}
		k++
		if r < utf8.RuneSelf {
			if t.ascii[r] == keep {
				t.ascii[r] = x
			}
		} else if _, seen := t.other[r]; !seen {
			t.other[r] = x
		}
	}
	return t
}

func (t *translation) apply(s string) string {
	if t.none {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf {
			if x := t.ascii[r]; x != keep {
				return x
			}
			return r
		}
		if x, ok := t.other[r]; ok {
			return x
		}
		return r
	}, s)
}
