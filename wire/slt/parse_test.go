package slt

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files with the actual output")

// TestParse parses every testdata/parse/*.slt and compares a dump of its records, or its error, with
// testdata/parse.golden. Run with -rewrite to regenerate the golden file.
func TestParse(t *testing.T) {
	paths, err := filepath.Glob("testdata/parse/*.slt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	var b strings.Builder
	for _, path := range paths {
		fmt.Fprintf(&b, "=== %s\n", path)
		records, err := Parse(path)
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			continue
		}
		for i := range records {
			dumpRecord(&b, &records[i])
		}
	}
	checkGolden(t, "testdata/parse.golden", b.String())
}

func TestParseMissingFile(t *testing.T) {
	if _, err := Parse("testdata/parse/does-not-exist.slt"); !os.IsNotExist(err) {
		t.Fatalf("Parse of a missing file: got %v, want a not-exist error", err)
	}
}

// TestParseSpans checks the line spans a rewrite replaces.
func TestParseSpans(t *testing.T) {
	records, err := Parse("testdata/parse/all.slt")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/parse/all.slt")
	lines := splitLines(string(data))
	for _, r := range records {
		if r.start != r.Line-1 {
			t.Errorf("line %d: start %d", r.Line, r.start)
		}
		if r.end <= r.start || r.end > len(lines) || (r.end < len(lines) && !isBlank(lines[r.end])) {
			t.Errorf("line %d: end %d does not stop at a blank line or the end", r.Line, r.end)
		}
	}
}

func dumpRecord(b *strings.Builder, r *Record) {
	fmt.Fprintf(b, "%d: %s", r.Line, r.Kind)
	for _, c := range r.Conditions {
		if c.Only {
			fmt.Fprintf(b, " onlyif=%s", c.Engine)
		} else {
			fmt.Fprintf(b, " skipif=%s", c.Engine)
		}
	}
	if r.Connection != "" {
		fmt.Fprintf(b, " connection=%s", r.Connection)
	}
	switch r.Kind {
	case KindStatement, KindQuery:
		if r.Types != "" {
			fmt.Fprintf(b, " types=%s sort=%s", r.Types, r.Sort)
		}
		if r.Label != "" {
			fmt.Fprintf(b, " label=%s", r.Label)
		}
		if r.Kind == KindStatement && r.Error == nil && !r.CheckCount {
			b.WriteString(" ok")
		}
		if r.CheckCount {
			fmt.Fprintf(b, " count=%d", r.Count)
		}
		if e := r.Error; e != nil {
			switch {
			case e.Text != "":
				fmt.Fprintf(b, " error-text=%q", e.Text)
			case e.Pattern != nil:
				fmt.Fprintf(b, " error=/%s/", e.Pattern)
			default:
				b.WriteString(" error=any")
			}
		}
		fmt.Fprintf(b, "\n  sql: %q", r.SQL)
		for _, l := range r.Results {
			fmt.Fprintf(b, "\n  | %s", l)
		}
	case KindInclude:
		fmt.Fprintf(b, " %s", r.Glob)
	case KindSortMode:
		fmt.Fprintf(b, " %s", r.Sort)
	case KindHashThreshold:
		fmt.Fprintf(b, " %d", r.Threshold)
	case KindSleep:
		fmt.Fprintf(b, " %s", r.Duration)
	}
	b.WriteString("\n")
}

// checkGolden compares got with the file at path, or writes it there with -rewrite.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *rewrite {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -rewrite to update, then review the diff):\n%s",
			path, strings.Join(lcsDiff(splitLines(string(want)), splitLines(got)), "\n"))
	}
}
