package slt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// writeFiles writes name → text files under a temporary directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var errNoServer = errors.New("no server")

// noServer is a Connector that always fails, so every statement and query that runs fails: which records
// failed shows which ran.
func noServer(context.Context) (*pgx.Conn, error) { return nil, errNoServer }

func failedLines(t *testing.T, err error) []string {
	t.Helper()
	var fs Failures
	if !errors.As(err, &fs) {
		t.Fatalf("got %v, want Failures", err)
	}
	var lines []string
	for _, f := range fs {
		lines = append(lines, fmt.Sprintf("%s:%d", filepath.Base(f.Path), f.Line))
	}
	return lines
}

// TestRunFlow checks which records run: conditions, includes in name order, and halt in an included file
// stopping the whole run.
func TestRunFlow(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.slt": `statement ok
SELECT 1

skipif streamsql
statement ok
SKIPPED

onlyif streamsql
statement ok
SELECT 2

onlyif other
statement ok
SKIPPED

include inc/*.slt

statement ok
AFTER HALT
`,
		"inc/a.slt": "statement ok\nSELECT 'a'\n",
		"inc/b.slt": "statement ok\nSELECT 'b'\n\nhalt\n\nstatement ok\nAFTER HALT\n",
	})
	var log strings.Builder
	r := &Runner{Connect: noServer, Log: &log}
	err := r.RunFile(t.Context(), filepath.Join(dir, "main.slt"))
	got := failedLines(t, err)
	want := []string{"main.slt:1", "main.slt:9", "a.slt:1", "b.slt:1"}
	if !slices.Equal(got, want) {
		t.Errorf("failed %v, want %v", got, want)
	}
	if !strings.Contains(err.Error(), `cannot open connection "default": no server`) {
		t.Errorf("the report does not say the connection failed:\n%v", err)
	}
	for _, want := range []string{"main.slt:5: skip: SKIPPED", "main.slt:16: include " + filepath.Join(dir, "inc/b.slt"), "b.slt:4: halt"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log does not contain %q:\n%s", want, log.String())
		}
	}
}

func TestRunIncludeErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.slt": "include missing/*.slt\n\ninclude bad.inc\n\ninclude main.slt\n",
		"bad.inc":  "frobnicate\n",
	})
	err := RunFile(t.Context(), filepath.Join(dir, "main.slt"), noServer)
	report := err.Error()
	for _, want := range []string{
		"main.slt:1: include missing/*.slt: no file matches",
		"main.slt:3: include bad.inc: " + filepath.Join(dir, "bad.inc") + `:1: unknown directive "frobnicate"`,
		"main.slt:5: include main.slt: includes nested more than 16 deep",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report does not contain %q:\n%s", want, report)
		}
	}
}

func TestRunParseError(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.slt": "statement ok\nSELECT 1\n\nbogus\n"})
	err := RunFile(t.Context(), filepath.Join(dir, "main.slt"), noServer)
	var fs Failures
	if errors.As(err, &fs) || err == nil || !strings.HasSuffix(err.Error(), `main.slt:4: unknown directive "bogus"`) {
		t.Fatalf("got %v, want the parse error alone", err)
	}
}

func TestRunCancelled(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.slt": "statement ok\nSELECT 1\n"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := RunFile(ctx, filepath.Join(dir, "main.slt"), noServer)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestRewriteFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.slt": "one\ntwo\nthree\r\nfour\n"})
	path := filepath.Join(dir, "a.slt")
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	edits := []edit{{start: 0, end: 1, lines: []string{"ONE", "ONE BIS"}}, {start: 2, end: 4, lines: []string{"END"}}}
	if err := rewriteFile(path, edits); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if got, want := string(data), "ONE\nONE BIS\ntwo\nEND\n"; got != want {
		t.Errorf("rewritten %q, want %q", got, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a temporary file was left behind: %v", entries)
	}
}

// TestRunTimeout runs a file on a server that accepts connections and
// queries but never answers one: with no Timeout set, each record still
// fails by DefaultTimeout (lowered here), named by its line, and the run
// ends instead of hanging.
func TestRunTimeout(t *testing.T) {
	defer func(d time.Duration) { defaultTimeout = d }(defaultTimeout)
	defaultTimeout = 200 * time.Millisecond
	addr := silentServer(t)
	path := filepath.Join(writeFiles(t, map[string]string{"hang.slt": "statement ok\nSELECT 1\n\nquery I\nSELECT 2\n----\n2\n"}), "hang.slt")
	r := &Runner{Connect: func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.Connect(ctx, "postgres://u@"+addr+"/db?sslmode=disable")
	}}
	done := make(chan error, 1)
	go func() { done <- r.RunFile(t.Context(), path) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end: a record that gets no answer must fail by the timeout")
	}
	if got := failedLines(t, err); !slices.Equal(got, []string{"hang.slt:1", "hang.slt:4"}) {
		t.Fatalf("failed records %v, want hang.slt:1 and hang.slt:4; %v", got, err)
	}
	if !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("the report does not say the records timed out: %v", err)
	}
}

// silentServer is a Postgres server that lets a client in and then never
// answers: it reads what the client sends and drops it.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { nc.Close() })
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				be := pgproto3.NewBackend(nc, nc)
				msg, err := be.ReceiveStartupMessage()
				if _, ok := msg.(*pgproto3.StartupMessage); err != nil || !ok {
					return // a CancelRequest: ignored
				}
				be.Send(&pgproto3.AuthenticationOk{})
				be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
				be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
				if be.Flush() != nil {
					return
				}
				io.Copy(io.Discard, nc)
			}()
		}
	}()
	return ln.Addr().String()
}
