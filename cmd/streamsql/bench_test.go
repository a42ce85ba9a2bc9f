package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBench runs `streamsql bench` on small streams, both backends, and
// writes its table into a Markdown file's marked section: an EMIT ON
// WINDOW CLOSE query, an updating one and the Kafka one (a broker in a
// child process), each at a count --events-for gives it over --events. It
// runs outside the repository: the queries are built into the binary.
func TestBench(t *testing.T) {
	bin := buildBinary(t)
	md := filepath.Join(t.TempDir(), "B.md")
	os.WriteFile(md, []byte("# B\n<!-- nexmark:begin -->\nold\n<!-- nexmark:end -->\nafter\n"), 0o644)
	cmd := exec.Command(bin, "bench", "--query", "q7agg,tumblekeysupd,kafkakeys", "--state", "all", "--events", "1000000",
		"--events-for", "q7agg=20000,tumblekeysupd=20000,kafkakeys=20000", "--update", md)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	// kafkakeys counts the records of its topic, the 18,400 bids among
	// 20,000 events; it has no generator or batch latency of its own.
	row := regexp.MustCompile(`(?m)^\| (q7agg \| (memory|pebble) \| 20000 \| [\d.]+[MK]? \| [\d.]+[MK]? \| [^|]+ \| [\d.]+[MK]? \| \S+ / \S+|` +
		`tumblekeysupd \| (memory|pebble) \| 20000 \| [\d.]+[MK]? \| [\d.]+[MK]? \| — \| [\d.]+[MK]? \| \S+ / \S+|` +
		`kafkakeys \| (memory|pebble) \| 18400 \| [\d.]+[MK]? \| [\d.]+[MK]? \| — \| — \| —) \| [\d.]+ MiB \| [\d.]+ MiB \|$`)
	if n := len(row.FindAllString(string(out), -1)); n != 6 {
		t.Errorf("%d result rows, want 6:\n%s", n, out)
	}
	b, _ := os.ReadFile(md)
	if s := string(b); strings.Contains(s, "old") || !strings.Contains(s, "`streamsql bench --query q7agg") || !strings.Contains(s, "checkpoints every 1s") || !strings.HasSuffix(s, "<!-- nexmark:end -->\nafter\n") || len(row.FindAllString(s, -1)) != 6 {
		t.Errorf("updated file:\n%s", s)
	}
	for _, args := range [][]string{{"--query", "q99"}, {"--query", "q0,q99"}, {"--events-for", "q99=10"}, {"--events-for", "q0=0"}} {
		want := "unknown query"
		if args[1] == "q0=0" {
			want = "not query=N"
		}
		if out, err := exec.Command(bin, append([]string{"bench"}, args...)...).CombinedOutput(); err == nil || !strings.Contains(string(out), want) {
			t.Errorf("%v: %v %s", args, err, out)
		}
	}
}
