package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeRefusesExposure: `serve` on a non-loopback address without
// passwords exits at once with an error naming the flags that fix it, and
// checks its password flags before opening any state.
func TestServeRefusesExposure(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:0"}, "refusing to serve"},
		{[]string{"--listen", "127.0.0.1:0", "--password", "x", "--users-file", "f"}, "not both"},
		{[]string{"--listen", "127.0.0.1:0", "--password", "x", "--auth-method", "plain"}, "plain"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert", "c.pem"}, "go together"},
		{[]string{"--listen", "127.0.0.1:0", "--users-file", filepath.Join(dir, "missing")}, "no such file"},
	} {
		args := append([]string{"serve", "--state", "memory", "--data-dir", filepath.Join(dir, "data")}, c.args...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: %v\n%s", c.args, err, out)
		}
	}
}

// TestServeRefusesLockedDataDir: a second server on a data directory in use
// exits at once, saying so, on either backend (the memory backend used to
// run beside the first, and the two lost each other's writes).
func TestServeRefusesLockedDataDir(t *testing.T) {
	bin := buildBinary(t)
	for _, backend := range []string{"memory", "pebble"} {
		dir := t.TempDir()
		s := start(t, bin, backend, dir, "")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--state", backend, "--data-dir", dir).CombinedOutput()
		cancel()
		want := "data directory " + dir + " is in use by another streamsql server (lock file " + filepath.Join(dir, "LOCK") + ")"
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), want) {
			t.Errorf("%s: second server: %v\n%s\nwant %q", backend, err, out, want)
		}
		s.cmd.Process.Kill()
		<-s.done
	}
}
