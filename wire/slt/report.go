package slt

import (
	"fmt"
	"strings"
)

// Failure is one record whose outcome differs from what its file expects.
type Failure struct {
	Path    string
	Line    int    // the line of the record's directive
	SQL     string // the record's SQL, if it has any
	Summary string // one line saying what went wrong
	Detail  string // expected against actual, several lines
}

// Error renders f as "path:line: summary", then the SQL and the detail, indented.
func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s", f.Path, f.Line, f.Summary)
	if f.SQL != "" {
		b.WriteString("\n")
		b.WriteString(indent(f.SQL, "    "))
	}
	if f.Detail != "" {
		b.WriteString("\n")
		b.WriteString(indent(f.Detail, "  "))
	}
	return b.String()
}

// Failures is the error a run returns when records failed, in the order they ran.
type Failures []*Failure

func (fs Failures) Error() string {
	parts := make([]string, 0, len(fs)+1)
	if len(fs) == 1 {
		parts = append(parts, "1 record failed:")
	} else {
		parts = append(parts, fmt.Sprintf("%d records failed:", len(fs)))
	}
	for _, f := range fs {
		parts = append(parts, f.Error())
	}
	return strings.Join(parts, "\n\n")
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// expectedActual renders two descriptions one under the other, their values aligned:
//
//	expected: ok
//	actual:   error: relation "t" does not exist (SQLSTATE 42P01)
func expectedActual(want, got string) string {
	const pad = "          "
	return "expected: " + strings.ReplaceAll(want, "\n", "\n"+pad) + "\n" +
		"actual:   " + strings.ReplaceAll(got, "\n", "\n"+pad)
}

// maxDiffLines bounds how much of a large mismatch a report prints.
const maxDiffLines = 200

// diffLines renders want against got, lines compared up to whitespace: "  " marks a line in both, "- " a
// line only expected and "+ " a line only returned. It prints at most maxDiffLines lines.
func diffLines(want, got []string) string {
	var out []string
	if len(want)*len(got) > 4_000_000 {
		for _, l := range want {
			out = append(out, "- "+l)
		}
		for _, l := range got {
			out = append(out, "+ "+l)
		}
	} else {
		out = lcsDiff(want, got)
	}
	if len(out) > maxDiffLines {
		more := len(out) - maxDiffLines
		out = append(out[:maxDiffLines], fmt.Sprintf("... %d more lines", more))
	}
	return strings.Join(out, "\n")
}

// lcsDiff is a diff through the longest common subsequence of normalized lines.
func lcsDiff(want, got []string) []string {
	a := make([]string, len(want))
	for i, l := range want {
		a[i] = normalize(l)
	}
	b := make([]string, len(got))
	for i, l := range got {
		b[i] = normalize(l)
	}
	// n[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	w := len(b) + 1
	n := make([]int, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				n[i*w+j] = n[(i+1)*w+j+1] + 1
			} else {
				n[i*w+j] = max(n[(i+1)*w+j], n[i*w+j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, "  "+got[j])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || n[(i+1)*w+j] >= n[i*w+j+1]):
			out = append(out, "- "+want[i])
			i++
		default:
			out = append(out, "+ "+got[j])
			j++
		}
	}
	return out
}
