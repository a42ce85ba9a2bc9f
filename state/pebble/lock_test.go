package pebble

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/streamsql/streamsql/state/durable"
)

// TestOpenLockedElsewhere: a directory another process has open is refused
// with an error that says so, not fcntl's "resource temporarily
// unavailable". The other process is this test binary, re-run to hold it.
func TestOpenLockedElsewhere(t *testing.T) {
	if dir := os.Getenv("STREAMSQL_TEST_HOLD"); dir != "" {
		b, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("locked\n")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes it
		b.Close()
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenLockedElsewhere$")
	cmd.Env = append(os.Environ(), "STREAMSQL_TEST_HOLD="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the holder did not open %s: %q, %v", dir, line, err)
	}
	_, err := Open(dir, Options{})
	want := "data directory " + dir + " is in use by another streamsql server (lock file " + filepath.Join(dir, "LOCK") + ")"
	if !errors.Is(err, durable.ErrInUse) || err.Error() != want {
		t.Fatalf("open while held: %v, want %q", err, want)
	}
}
