package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// crashFileDDL adds a file source (three files of JSON lines in the data
// directory, every 97th line bad) and two file sinks to the crash
// scenario: a SIGKILL between batches or a checkpoint's steps must neither
// lose nor double a line read, and each sink file must hold every change
// once (recovery truncates it to the checkpointed length).
const crashFileDDL = `
CREATE SOURCE files_in (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'file', path = 'in/*.jsonl', format = 'json');
CREATE MATERIALIZED VIEW file_keys AS
  SELECT id % 7 AS k, COUNT(*) AS n, MAX(id / 7) + 1 AS mx, COUNT(DISTINCT id) AS d FROM files_in GROUP BY id % 7;
CREATE SINK file_keys_out FROM file_keys WITH (connector = 'file', path = 'out/keys.jsonl', format = 'json', deletes = 'op');
CREATE SOURCE files_in2 (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'file', path = 'in/*.jsonl', format = 'json');
CREATE MATERIALIZED VIEW file_rows AS SELECT id, ts FROM files_in2 WHERE id % 5 = 0;
CREATE SINK file_rows_out FROM file_rows WITH (connector = 'file', path = 'out/rows.csv', format = 'csv');
CREATE SINK t_keys_out FROM t_keys WITH (connector = 'file', path = 'out/t_keys.jsonl', format = 'json', deletes = 'op');
`

// crashFileLines is how many lines the source's files hold.
const crashFileLines = 12000

// writeCrashFiles writes the file source's input into the data directory.
func writeCrashFiles(t *testing.T, dir string) {
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	for f := 0; f < 3; f++ {
		var b strings.Builder
		for i := f * crashFileLines / 3; i < (f+1)*crashFileLines/3; i++ {
			if i%97 == 0 {
				fmt.Fprintf(&b, "{\"id\": %d, \"ts\": \"never\"}\n", i)
				continue
			}
			fmt.Fprintf(&b, "{\"id\": %d, \"ts\": \"2024-01-01 00:%02d:%02d.%03d\"}\n", i, i/60000, i/1000%60, i%1000)
		}
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("part-%d.jsonl", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fileSinkResults reads the sink files: the op logs folded into the rows
// they leave (each with its count, which is 1 unless a change was doubled
// or lost), and the rows file's line count, distinct lines and sorted
// content's first and last line. t_keys_out is written across the lives,
// as the INSERTs come: its lines after a checkpoint are cut at recovery.
func fileSinkResults(dir string) ([]string, error) {
	keys, err := foldOps(filepath.Join(dir, "out", "keys.jsonl"))
	if err != nil {
		return nil, err
	}
	tkeys, err := foldOps(filepath.Join(dir, "out", "t_keys.jsonl"))
	if err != nil {
		return nil, err
	}
	rows, err := os.ReadFile(filepath.Join(dir, "out", "rows.csv"))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(rows), "\n"), "\n")
	slices.Sort(lines)
	distinct := len(slices.Compact(slices.Clone(lines)))
	return []string{keys, tkeys,
		fmt.Sprintf("lines %d distinct %d first %s last %s\n", len(lines), distinct, lines[0], lines[len(lines)-1])}, nil
}

// foldOps folds a deletes = 'op' sink file into the rows it leaves.
func foldOps(path string) (string, error) {
	ops, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	net := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(string(ops), "\n"), "\n") {
		var c struct {
			Op  string          `json:"op"`
			Row json.RawMessage `json:"row"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return "", fmt.Errorf("%s line %q: %w", path, line, err)
		}
		if c.Op == "delete" {
			net[string(c.Row)]--
		} else {
			net[string(c.Row)]++
		}
	}
	var left []string
	for r, n := range net {
		if n != 0 {
			left = append(left, fmt.Sprintf("%s x%d", r, n))
		}
	}
	slices.Sort(left)
	return strings.Join(left, "\n") + "\n", nil
}

// checkFileInvariants checks the file sinks against what the files hold.
func checkFileInvariants(t *testing.T, res []string) {
	t.Helper()
	var keys strings.Builder
	rows := 0
	for k := 0; k < 7; k++ {
		n, mx := 0, 0
		for i := k; i < crashFileLines; i += 7 {
			if i%97 != 0 {
				n, mx = n+1, i/7+1
			}
		}
		fmt.Fprintf(&keys, "{\"k\":%d,\"n\":%d,\"mx\":%d,\"d\":%d} x1\n", k, n, mx, n)
	}
	for i := 0; i < crashFileLines; i += 5 {
		if i%97 != 0 {
			rows++
		}
	}
	if got := res[len(res)-3]; got != keys.String() {
		t.Errorf("file sink keys.jsonl folded:\n%s\nwant (every change once):\n%s", got, keys.String())
	}
	if got := res[len(res)-1]; !strings.HasPrefix(got, fmt.Sprintf("lines %d distinct %d ", rows, rows)) {
		t.Errorf("file sink rows.csv: %s, want %d lines, all distinct", got, rows)
	}
	var tkeys strings.Builder
	for k := 0; k < 5; k++ {
		n := crashInserts / 5
		fmt.Fprintf(&tkeys, "{\"k\":%d,\"n\":%d,\"mx\":%d,\"d\":%d} x1\n", k, n, n, n)
	}
	if got := res[len(res)-2]; got != tkeys.String() {
		t.Errorf("file sink t_keys.jsonl folded:\n%s\nwant (every change once):\n%s", got, tkeys.String())
	}
}

// resultLabel names result i of a scenario: a final query, or a sink file.
func resultLabel(i int) string {
	if i < len(finalQueries) {
		return finalQueries[i]
	}
	return []string{"file sink keys.jsonl folded", "file sink t_keys.jsonl folded", "file sink rows.csv"}[i-len(finalQueries)]
}
