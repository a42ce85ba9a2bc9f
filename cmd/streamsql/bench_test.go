package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBench runs `streamsql bench` on a small stream, both backends, and
// writes its table into a Markdown file's marked section. It runs outside
// the repository: the queries are built into the binary.
func TestBench(t *testing.T) {
	bin := buildBinary(t)
	md := filepath.Join(t.TempDir(), "B.md")
	os.WriteFile(md, []byte("# B\n<!-- nexmark:begin -->\nold\n<!-- nexmark:end -->\nafter\n"), 0o644)
	cmd := exec.Command(bin, "bench", "--query", "q7agg", "--state", "all", "--events", "20000", "--update", md)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	row := regexp.MustCompile(`(?m)^\| q7agg \| (memory|pebble) \| 20000 \| [\d.]+[MK]? \| [\d.]+[MK]? \| [^|]+ \| [\d.]+[MK]? \| \S+ / \S+ \| [\d.]+ MiB \| [\d.]+ MiB \|$`)
	if n := len(row.FindAllString(string(out), -1)); n != 2 {
		t.Errorf("%d result rows, want 2:\n%s", n, out)
	}
	b, _ := os.ReadFile(md)
	if s := string(b); strings.Contains(s, "old") || !strings.Contains(s, "`streamsql bench --query q7agg") || !strings.HasSuffix(s, "<!-- nexmark:end -->\nafter\n") || len(row.FindAllString(s, -1)) != 2 {
		t.Errorf("updated file:\n%s", s)
	}
	if out, err := exec.Command(bin, "bench", "--query", "q99").CombinedOutput(); err == nil || !strings.Contains(string(out), "unknown query") {
		t.Errorf("unknown query: %v %s", err, out)
	}
}
