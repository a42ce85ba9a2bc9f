package file

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// collect is a kafka.Output that keeps the keys delivered and the last
// position.
type collect struct {
	mu   sync.Mutex
	keys []int64
	bad  int64
	pos  int64
}

func (c *collect) Partitions(int) {}

func (c *collect) Deliver(p int, rows *vec.Batch, next int64, n kafka.Counts) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < rows.N; i++ {
		c.keys = append(c.keys, rows.Cols[0].I64[i])
	}
	c.bad += n.Bad
	c.pos = next
	return nil
}

func newSource(t *testing.T, dir, path, format string) *Source {
	t.Helper()
	rel := &catalog.Relation{Name: "s", Kind: parser.KindSource, EventTime: -1,
		Columns: []catalog.Column{{Name: "k", Type: types.BigInt}},
		Options: map[string]string{"connector": "file", "path": path, "format": format, "poll_interval": "1h"}}
	s, err := NewSource(rel, Dirs{Data: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run reads until Ends says every file present is read, then stops.
func run(t *testing.T, s *Source, from map[int]int64) *collect {
	t.Helper()
	out := &collect{pos: -1}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, from, out) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if _, err := s.Ends(wctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out
}

func write(t *testing.T, path, text string, appendTo bool) {
	t.Helper()
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(text)
	f.Close()
}

// TestSourceResumes reads files in name order, waits for an unfinished
// line, and resumes from a delivered position exactly where it stopped.
func TestSourceResumes(t *testing.T) {
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			line := func(k string) string {
				if format == "json" {
					return `{"k": ` + k + "}\n"
				}
				return k + "\n"
			}
			write(t, filepath.Join(dir, "2.in"), line("3")+line("x")+line("4")+"\r\n"+line("5")[:1], false)
			write(t, filepath.Join(dir, "1.in"), line("1")+line("2"), false)
			s := newSource(t, dir, "*.in", format)
			out := run(t, s, nil)
			if got := fmtKeys(out.keys); got != "[1 2 3 4]" || out.bad != 1 {
				t.Fatalf("first run: keys %s bad %d, want [1 2 3 4] and 1 bad", got, out.bad)
			}
			// The rest of the unfinished line, and a file after.
			write(t, filepath.Join(dir, "2.in"), line("5")[1:]+line("6"), true)
			write(t, filepath.Join(dir, "3.in"), line("7")[:len(line("7"))-1], false) // no newline: the last file's line waits
			out2 := run(t, newSource(t, dir, "*.in", format), map[int]int64{0: out.pos})
			if got := fmtKeys(out2.keys); got != "[5 6]" {
				t.Fatalf("resumed: keys %s, want [5 6]", got)
			}
			write(t, filepath.Join(dir, "4.in"), line("8"), false)
			out3 := run(t, newSource(t, dir, "*.in", format), map[int]int64{0: out2.pos})
			if got := fmtKeys(out3.keys); got != "[7 8]" {
				t.Fatalf("resumed again: keys %s, want [7 8] (a finished file's last line without a newline counts)", got)
			}
			// The checkpointed file gone: refused, not guessed.
			os.Remove(filepath.Join(dir, "4.in"))
			err := newSource(t, dir, "*.in", format).Run(context.Background(), map[int]int64{0: out3.pos}, &collect{})
			if err == nil || !strings.Contains(err.Error(), "no longer") {
				t.Fatalf("resuming at a removed file: %v", err)
			}
		})
	}
}

func fmtKeys(k []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range k {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	return b.String() + "]"
}
