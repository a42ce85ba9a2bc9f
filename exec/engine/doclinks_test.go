package engine_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocLinks: every link of the README and docs/ (a [text](path#anchor)
// link, or a `path.md` in backquotes) names a file in the repository, and
// an anchor a heading of it, so the documents stay whole in a clone.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs("../../")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{filepath.Join(root, "README.md")}, docs...)
	mdLink := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	quoted := regexp.MustCompile("`([^`\\s]+\\.md)`")
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var targets []string
		for _, m := range mdLink.FindAllStringSubmatch(string(text), -1) {
			targets = append(targets, m[1])
		}
		for _, m := range quoted.FindAllStringSubmatch(string(text), -1) {
			targets = append(targets, m[1])
		}
		name, _ := filepath.Rel(root, f)
		for _, target := range targets {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
			}
			if rel, err := filepath.Rel(root, dest); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links to %s, outside the repository", name, target)
				continue
			}
			body, err := os.ReadFile(dest)
			if err != nil {
				t.Errorf("%s links to %s: %v", name, target, err)
				continue
			}
			if anchor != "" && !hasAnchor(string(body), anchor) {
				t.Errorf("%s links to %s: no heading has the anchor #%s", name, target, anchor)
			}
		}
	}
}

// hasAnchor reports whether a Markdown heading of doc has the anchor
// GitHub gives it: lower case, spaces as '-', other punctuation dropped.
func hasAnchor(doc, anchor string) bool {
	for _, line := range strings.Split(doc, "\n") {
		h, ok := strings.CutPrefix(line, "#")
		if !ok {
			continue
		}
		h = strings.TrimSpace(strings.TrimLeft(h, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		if b.String() == anchor {
			return true
		}
	}
	return false
}
