package exec

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/internal/pgtest"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The fast matcher finds what RE2 finds, for the patterns it takes, over
// generated strings of the characters the patterns name.
func TestFastRegexAgreesWithRE2(t *testing.T) {
	patterns := []struct {
		p    string
		fast bool
	}{
		{`(&|^)channel_id=([^&]*)`, true},
		{`channel_id=(\d+)`, true},
		{`/[a-z]{3}_`, true},
		{`a|ab`, true},
		{`x(a|)b*$`, true},
		{`^ab[^b]*`, true},
		{`(é|^)bc+`, true},
		{`(é|^)b+c`, false}, // no bound on where a match starts before c
		{`[a-c]?=b`, true},
		{`ab?b`, false},   // b? then b: not decided by the next character
		{`a*a`, false},    // nor here
		{`(?i)ab`, false}, // case folding
		{`a.*?b`, false},  // non-greedy
		{`\mab`, false},   // a word boundary
	}
	alphabet := []string{"a", "b", "c", "&", "=", "_", "/", "é", "x", "channel_id=", "1", "9", "^"}
	r := rand.New(rand.NewPCG(7, 8))
	var strs []string
	for range 3000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		strs = append(strs, b.String())
	}
	for _, c := range patterns {
		re, err := planner.CompileRegex(c.p, "", "regexp_like")
		if err != nil {
			t.Fatalf("%s: %v", c.p, err)
		}
		f := newFastRegex(re)
		if (f != nil) != c.fast {
			t.Errorf("%s: fast matcher %v, want %v", c.p, f != nil, c.fast)
			continue
		}
		if f == nil {
			continue
		}
		for _, s := range strs {
			want := re.RE.FindStringSubmatchIndex(s)
			if got := f.find(s); !slices.Equal(got, want) {
				t.Errorf("%s on %q: fast %v, RE2 %v", c.p, s, got, want)
				break
			}
		}
	}
}

// regexTokens are the pieces random patterns are made of.
var regexTokens = []string{"a", "b", "é", "x", ".", "^", "$", "*", "+", "?", "*?", "+?", "{2}", "{1,3}", "|", "(", ")",
	"(?:", "[ab]", "[^a]", "[[:alpha:]]", `\d`, `\w`, `\s`, `\y`, `\mb`, `a\M`, "[a-é]", `\.`, "-", "1", " "}

// TestRegexAgainstPostgres runs the regex builtins over generated strings
// with hand-written and random patterns, and compares each value, and
// each pattern's error, with PostgreSQL's.
func TestRegexAgainstPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rng := rand.New(rand.NewPCG(18, 3))
	alphabet := []string{"a", "b", "A", "B", "x", "é", "日", "1", " ", "-", ".", "\n", "&", "="}
	strs := []string{"", "a", "ab", "aab", "ba", "a b", "é", "x\ny"}
	for len(strs) < 200 {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		strs = append(strs, b.String())
	}
	patterns := []string{"a", "a|ab", "(a|b)+", "^a", "b$", "(&|^)x=([^&]*)", "a*", "", "(a)(b)?", `\mab`, `b\M`, `\ya`,
		"[[:digit:]]+", `\w+\s`, "é.", "(?i)A", "(?n)^b", ".+?", "a{2,}", "[^a-b]", "((a)|b)*", `\.`, "***=a.", "x?b"}
	for range 100 {
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			b.WriteString(regexTokens[rng.IntN(len(regexTokens))])
		}
		patterns = append(patterns, b.String())
	}
	in := vec.NewBatch([]types.T{types.Varchar}, len(strs))
	for _, s := range strs {
		in.Cols[0].AppendStr(s)
		in.EndRow(1)
	}
	x := &planner.ColRef{Idx: 0, Name: "x", T: types.Varchar}
	str := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	num := func(v int64) planner.Expr { return &planner.Const{T: types.Int, I: v} }
	type call struct {
		sql string
		e   func(p planner.Expr) planner.Expr
	}
	calls := []call{
		{"regexp_like(x, $2)", func(p planner.Expr) planner.Expr { return builtinCall(t, "regexp_like", types.Boolean, x, p) }},
		{"regexp_like(x, $2, 'i')", func(p planner.Expr) planner.Expr { return builtinCall(t, "regexp_like", types.Boolean, x, p, str("i")) }},
		{`regexp_replace(x, $2, '<\&\1>', 'g')`, func(p planner.Expr) planner.Expr {
			return builtinCall(t, "regexp_replace", types.Varchar, x, p, str(`<\&\1>`), str("g"))
		}},
		{"regexp_replace(x, $2, '#', 2)", func(p planner.Expr) planner.Expr {
			return builtinCall(t, "regexp_replace", types.Varchar, x, p, str("#"), num(2))
		}},
		{"regexp_count(x, $2)", func(p planner.Expr) planner.Expr { return builtinCall(t, "regexp_count", types.Int, x, p) }},
		{"regexp_count(x, $2, 2)", func(p planner.Expr) planner.Expr { return builtinCall(t, "regexp_count", types.Int, x, p, num(2)) }},
		{"regexp_substr(x, $2)", func(p planner.Expr) planner.Expr { return builtinCall(t, "regexp_substr", types.Varchar, x, p) }},
		{"regexp_substr(x, $2, 1, 2, '', 1)", func(p planner.Expr) planner.Expr {
			return builtinCall(t, "regexp_substr", types.Varchar, x, p, num(1), num(2), str(""), num(1))
		}},
		{"regexp_instr(x, $2, 1, 1, 1)", func(p planner.Expr) planner.Expr {
			return builtinCall(t, "regexp_instr", types.Int, x, p, num(1), num(1), num(1))
		}},
	}
	text := func(v *vec.Vec, i int) string {
		switch {
		case v.IsNull(i):
			return "NULL"
		case v.Type.Kind == types.Bool:
			return map[bool]string{true: "true", false: "false"}[v.Bool[i]]
		case v.Type.Kind == types.String:
			return v.Str[i]
		}
		return strconv.FormatInt(v.I64[i], 10)
	}
	checked, refused, failed, differ := 0, 0, 0, 0
	for _, p := range patterns {
		_, ourErr := planner.CompileRegex(p, "", "regexp_like")
		for _, c := range calls {
			rows, err := conn.Query(t.Context(), "SELECT coalesce(("+c.sql+")::text, 'NULL') FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i", strs, p)
			var want []string
			if err == nil {
				want, err = pgx.CollectRows(rows, pgx.RowTo[string])
			}
			if err != nil || ourErr != nil {
				switch {
				case ourErr != nil && strings.Contains(ourErr.Msg, "not supported"):
					refused++
				case err == nil:
					t.Errorf("%q: we fail (%v), PostgreSQL does not", p, ourErr)
				case ourErr == nil:
					t.Errorf("%q: PostgreSQL fails (%v), we do not", p, err)
				default:
					failed++
				}
				break
			}
			out := Compile(c.e(str(p)), NewRowErrors(true)).Eval(in)
			for i, s := range strs {
				if got := text(out, i); got != want[i] {
					if differ++; differ <= 20 {
						t.Errorf("%s with $2 = %q, x = %q: %q, PostgreSQL %q", c.sql, p, s, got, want[i])
					}
				}
				checked++
			}
		}
	}
	t.Logf("%d patterns, %d values as PostgreSQL's, %d calls fail in both, %d refused (RE2 cannot), %d differ",
		len(patterns), checked, failed, refused, differ)

	// SIMILAR TO's patterns become the AREs PostgreSQL makes of them.
	similarTokens := []string{"a", "b", "é", "%", "_", "(", ")", "|", "*", "+", "[ab]", "[^]a]", "[]", "#%", `#"`, "##", ".", `\`, "^", "$", "{2}"}
	for range 150 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(similarTokens[rng.IntN(len(similarTokens))])
		}
		p := b.String()
		var want string
		pgErr := conn.QueryRow(t.Context(), "SELECT similar_to_escape($1, '#')", p).Scan(&want)
		got, err := planner.SimilarToRegex(p, "#")
		if (err != nil) != (pgErr != nil) || err == nil && got != want {
			t.Errorf("similar_to_escape(%q, '#') = %q (%v), PostgreSQL %q (%v)", p, got, err, want, pgErr)
			continue
		}
		if err != nil {
			continue
		}
		rows, qErr := conn.Query(t.Context(), "SELECT x SIMILAR TO $2 ESCAPE '#' FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i", strs, p)
		var match []bool
		if qErr == nil {
			match, qErr = pgx.CollectRows(rows, pgx.RowTo[bool])
		}
		re, err := planner.CompileRegex(got, "", "regexp_like")
		if (err != nil) != (qErr != nil) {
			t.Errorf("%q SIMILAR TO %q: we fail (%v), PostgreSQL fails (%v)", strs, p, err, qErr)
			continue
		}
		for i, x := range strs {
			if err == nil && re.RE.MatchString(x) != match[i] {
				t.Errorf("%q SIMILAR TO %q ESCAPE '#': PostgreSQL says %v", x, p, match[i])
			}
		}
	}
}
