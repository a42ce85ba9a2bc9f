package exec

import (
	"math/rand/v2"
	"testing"
)

// TestLikeMatchers checks the compiled LIKE matcher against pgMatchText,
// the port of PostgreSQL's, over random patterns and texts: both agree
// on every pattern that does not end in its escape character, and
// pgMatchText finds that error exactly where PostgreSQL's does (cases
// checked against PostgreSQL 15).
func TestLikeMatchers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := []string{"a", "b", "%", "_", `\`, "#", "é"}
	gen := func(n int) string {
		s := ""
		for range rng.IntN(n) {
			s += alpha[rng.IntN(len(alpha))]
		}
		return s
	}
	for range 20000 {
		p, s := gen(7), gen(6)
		for _, esc := range []string{`\`, "#", ""} {
			m := compileLike(p, esc)
			if m.bad {
				continue
			}
			var e byte
			if esc != "" {
				e = esc[0]
			}
			want := pgMatchText(s, p, e, esc != "") == likeTrue
			if got := m.match(s); got != want {
				t.Fatalf("%q LIKE %q ESCAPE %q: compiled %v, PostgreSQL's matcher %v", s, p, esc, got, want)
			}
		}
	}
	for _, c := range []struct {
		s, p string
		want int // likeTrue, likeFalse (or likeAbort: false) or likeBadEscape
	}{
		{"x", `a\`, likeFalse}, {"a", `a\`, likeAbort}, {"ab", `a\`, likeBadEscape}, {"", `\`, likeAbort},
		{"x", `\`, likeBadEscape}, {"", `%\`, likeAbort}, {"ab", `%\`, likeBadEscape}, {"xa", `%_\`, likeBadEscape},
		{"abc", `%x\`, likeAbort}, {"ax", `%x\`, likeAbort}, {"axb", `%x\`, likeBadEscape}, {"a%", `a\%`, likeTrue},
	} {
		got := pgMatchText(c.s, c.p, '\\', true)
		if got == likeAbort {
			got = likeFalse
		}
		want := c.want
		if want == likeAbort {
			want = likeFalse
		}
		if got != want {
			t.Errorf("%q LIKE %q: %d, want %d (0 false, 1 true, 3 the escape error)", c.s, c.p, got, want)
		}
	}
}
