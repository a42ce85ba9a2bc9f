//go:build unix

// Package pgtest starts a real PostgreSQL server for tests that check streamsql against the
// reference engine of its dialect (the sqllogictest runner's tests, the differential test).
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL server a test started, with trust authentication for the user slt.
type Server struct {
	Port int
}

// URL is the connection string of database db.
func (pg *Server) URL(db string) string {
	return fmt.Sprintf("postgres://slt@127.0.0.1:%d/%s?sslmode=disable", pg.Port, db)
}

// unavailable skips a test that needs PostgreSQL where it cannot run, but
// fails it under CI (CI=true), whose .ci/run installs PostgreSQL: there a
// skipped oracle would be a test that cannot fail.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// Start initializes a cluster in a temporary directory and starts PostgreSQL on a free port of
// 127.0.0.1, as the postgres user when the test runs as root. It skips the test when PostgreSQL is not
// installed or cannot be run, and stops the server when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	bin := postgresBin()
	if bin == "" {
		unavailable(t, "PostgreSQL is not installed (apt-get install postgresql)")
	}

	var attr *syscall.SysProcAttr
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, fmt.Sprintf("running as root and there is no postgres user to run PostgreSQL as: %v", err))
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}

	// Not t.TempDir: its parent is private to the user running the test, which the server may not be.
	dir, err := os.MkdirTemp("", "slt-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")

	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "slt", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Dir, initdb.SysProcAttr = dir, attr
	if out, err := initdb.CombinedOutput(); err != nil {
		if errors.Is(err, syscall.EPERM) {
			unavailable(t, fmt.Sprintf("cannot run initdb as the postgres user: %v", err))
		}
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	server := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-h", "127.0.0.1",
		"-p", strconv.Itoa(port), "-c", "fsync=off", "-c", "full_page_writes=off")
	server.Dir, server.SysProcAttr = dir, attr
	logs, err := server.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	// The server's log is kept to explain its exit; the goroutine ends when the server closes stderr.
	logged := make(chan struct{})
	var logTail []string
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			logTail = append(logTail, sc.Text())
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-logged
		exited <- server.Wait()
	}()
	t.Cleanup(func() {
		_ = server.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("postgres did not stop; killing it")
			_ = server.Process.Kill()
			<-exited
		}
	})

	pg := &Server{Port: port}
	deadline := time.Now().Add(60 * time.Second)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		conn, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return pg
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not accept connections within a minute: %v", err)
		}
		select {
		case err := <-exited:
			<-logged
			t.Fatalf("postgres exited: %v\n%s", err, strings.Join(logTail, "\n"))
		case <-time.After(min(time.Duration(attempt+1)*10*time.Millisecond, 200*time.Millisecond)):
		}
	}
}

// postgresBin returns the bin directory of the newest PostgreSQL installed the Debian way, or "".
func postgresBin() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVersion := "", -1
	for _, m := range matches {
		bin := filepath.Dir(m)
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
		if err != nil {
			v = 0
		}
		if _, err := os.Stat(filepath.Join(bin, "postgres")); err == nil && v > bestVersion {
			best, bestVersion = bin, v
		}
	}
	return best
}
