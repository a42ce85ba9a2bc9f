// Package golden runs data-driven golden-file tests for the state packages.
//
// A file is a list of cases in the format of cockroachdb/datadriven, reduced
// to what the encodings need (no arguments parsing, no multi-blank outputs):
//
//	# comment
//	command
//	input line
//	...
//	----
//	output line
//	...
//
// A case ends at a blank line. The test computes each case's output from its
// command and input; with -rewrite the file is regenerated from the computed
// outputs (comments kept), so a change of encoding shows up as a reviewable
// diff of the testdata file. It is a tiny reader of our own so that tests need
// no extra module.
package golden

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files with the computed output")

// Case is one command of a golden file.
type Case struct {
	// Pos is "file:line" of the command, for error messages.
	Pos string
	// Cmd is the command line.
	Cmd string
	// Input is the lines between the command and "----", newline-terminated.
	Input string

	pre    string // comments and blank lines before the command, verbatim
	output string // expected output, newline-terminated
}

// Run checks every case of the file at path against fn, which returns the
// case's output. fn reports expected errors in its output rather than failing
// the test; it calls t.Fatal only for a malformed case.
func Run(t *testing.T, path string, fn func(t *testing.T, c *Case) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases, tail, err := parse(path, string(data))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, c := range cases {
		got := fn(t, c)
		if got != "" && !strings.HasSuffix(got, "\n") {
			got += "\n"
		}
		if *rewrite {
			fmt.Fprintf(&out, "%s%s\n%s----\n%s", c.pre, c.Cmd, c.Input, got)
			continue
		}
		if got != c.output {
			t.Errorf("%s: %s\n%s----\nwant:\n%s----\ngot:\n%s", c.Pos, c.Cmd, c.Input, c.output, got)
		}
	}
	if *rewrite {
		out.WriteString(tail)
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// parse splits a golden file into cases and the trailing comments.
func parse(path, data string) ([]*Case, string, error) {
	lines := strings.SplitAfter(data, "\n")
	var cases []*Case
	var pre strings.Builder
	for i := 0; i < len(lines); {
		line := lines[i]
		text := strings.TrimRight(line, "\n")
		if text == "" || strings.HasPrefix(text, "#") {
			pre.WriteString(line)
			i++
			continue
		}
		c := &Case{Pos: fmt.Sprintf("%s:%d", path, i+1), Cmd: text, pre: pre.String()}
		pre.Reset()
		i++
		for ; i < len(lines) && strings.TrimRight(lines[i], "\n") != "----"; i++ {
			c.Input += ensureNewline(lines[i])
		}
		if i == len(lines) {
			return nil, "", fmt.Errorf("%s: missing ----", c.Pos)
		}
		i++
		for ; i < len(lines) && strings.TrimRight(lines[i], "\n") != ""; i++ {
			c.output += ensureNewline(lines[i])
		}
		cases = append(cases, c)
	}
	return cases, pre.String(), nil
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
