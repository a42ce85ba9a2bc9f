package exec

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/planner"
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
