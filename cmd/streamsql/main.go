// Command streamsql is the streaming SQL engine: `streamsql serve` runs the
// server psql connects to, `streamsql test` runs sqllogictest files.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/wire"
)

const usage = `streamsql: a streaming SQL engine you reach with psql.

Usage:
  streamsql serve [--listen 127.0.0.1:4566] [--data-dir ./streamsql-data] [--state pebble|memory] [--checkpoint-interval 1s] [--state-cache-size N]
  streamsql test [--addr host:port] [-v] [--rewrite] PATH...   run .slt files (each on a fresh server unless --addr)
  streamsql dev-kafka [--port 9092] [--topics a,b] [--partitions 4]   an in-memory Kafka broker, for development only
  streamsql version
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "test":
		err = test(os.Args[2:], os.Stdout)
	case "dev-kafka":
		err = devKafka(os.Args[2:])
	case "version":
		fmt.Println("streamsql 0.1 (speaks PostgreSQL 15 wire)")
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "streamsql: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamsql:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", wire.DefaultAddr, "address to listen on")
	dataDir := fs.String("data-dir", "./streamsql-data", "directory for state and catalog")
	stateKind := fs.String("state", "pebble", "state backend: pebble (on disk) or memory")
	interval := fs.Duration("checkpoint-interval", time.Second, "how often to checkpoint state")
	cacheGroups := fs.Int("state-cache-size", exec.DefaultCacheGroups, "groups each stateful operator caches in front of the state backend")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		return err
	}
	backend, err := openBackend(*stateKind, *dataDir)
	if err != nil {
		return err
	}
	defer backend.Close()
	eng, err := engine.Open(backend, engine.Options{Dir: *dataDir, CheckpointInterval: *interval, CacheGroups: *cacheGroups, Crash: crashPoint()})
	if err != nil {
		return err
	}
	srv := wire.NewServer(eng, wire.Config{Addr: *listen})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		eng.Close()
		return err
	}
	slog.Info("streamsql listening", "addr", ln.Addr().String(), "state", *stateKind,
		"connect", fmt.Sprintf("psql -h %s -p %d -U streamsql", host(ln.Addr()), port(ln.Addr())))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err = srv.Serve(ln)
	// SIGTERM or SIGINT: a final checkpoint, so a restart replays nothing.
	if cerr := eng.Close(); err == nil {
		err = cerr
	}
	slog.Info("streamsql stopped", "err", err)
	return err
}

// crashPoint reads STREAMSQL_CRASH=point:n (crash tests only): the n-th
// time the engine passes the named point, the process kills itself with
// SIGKILL, as an outside kill at exactly that moment would.
func crashPoint() func(string) {
	spec := os.Getenv("STREAMSQL_CRASH")
	if spec == "" {
		return nil
	}
	point, nStr, _ := strings.Cut(spec, ":")
	n, err := strconv.Atoi(nStr)
	if err != nil || n < 1 {
		n = 1
	}
	var mu sync.Mutex
	seen := 0
	return func(p string) {
		if p != point {
			return
		}
		mu.Lock()
		seen++
		hit := seen == n
		mu.Unlock()
		if hit {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // wait for the signal to land
		}
	}
}

func host(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	return a.String()
}

func port(a net.Addr) int {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.Port
	}
	return 0
}

// discard is a logger for test servers.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))
