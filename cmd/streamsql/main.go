// Command streamsql is the streaming SQL engine: `streamsql serve` runs the
// server psql connects to, `streamsql test` runs sqllogictest files.
package main

import (
	"context"
	"crypto/tls"
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
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/wire"
	"github.com/streamsql/streamsql/wire/httpserve"
)

const usage = `streamsql: a streaming SQL engine you reach with psql.

Usage:
  streamsql serve [--listen 127.0.0.1:4566] [--data-dir ./streamsql-data] [--state pebble|memory] [--checkpoint-interval 1s] [--state-cache-size N] [--force-empty] [--skip-unrestorable] [--http 127.0.0.1:6566|'']
  streamsql test [--addr host:port [--allow-nonempty]] [-v] [--rewrite] [--timeout 60s] PATH...   run .slt files (each on a fresh server unless --addr)
  streamsql dev-kafka [--port 9092] [--topics a,b] [--partitions 4]   an in-memory Kafka broker, for development only
  streamsql bench [--query q5agg,q5upd|all] [--state memory|pebble|all] [--events N] [--events-for q5upd=N,...] [--checkpoint-interval 1s] [--queries DIR]   Nexmark and Kafka queries (built in, from testdata/nexmark) as fast as possible
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
	case "bench":
		err = bench(os.Args[2:], os.Stdout)
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
	var fileDirs []string
	fs.Func("file-dir", "a directory file sources and sinks may read and write besides --data-dir (repeatable)", func(v string) error {
		fileDirs = append(fileDirs, v)
		return nil
	})
	stateKind := fs.String("state", "pebble", "state backend: pebble (on disk) or memory")
	interval := fs.Duration("checkpoint-interval", defaultCheckpointInterval, "how often to checkpoint state")
	cacheGroups := fs.Int("state-cache-size", exec.DefaultCacheGroups, "groups each stateful operator caches in front of the state backend")
	subBytes := fs.Int64("subscription-buffer-bytes", 64<<20, "bytes of changes all subscriptions may hold for clients that have not read them; past it the one holding the most is ended (53000)")
	password := fs.String("password", os.Getenv("STREAMSQL_PASSWORD"), "password every client must give (default $STREAMSQL_PASSWORD); turns on password authentication")
	usersFile := fs.String("users-file", "", "file of name:password (or name:SCRAM-SHA-256$... verifier) lines; turns on password authentication")
	authMethod := fs.String("auth-method", "scram-sha-256", "password exchange: scram-sha-256 or md5")
	insecure := fs.Bool("insecure", false, "allow a non-loopback --listen address without passwords (anyone who reaches the port can run anything)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate to offer TLS with (with --tls-key)")
	tlsKey := fs.String("tls-key", "", "PEM private key for --tls-cert")
	authDelay := fs.Duration("auth-delay", 100*time.Millisecond, "delay before answering a failed password, doubling with each consecutive failure from an address up to --auth-delay-max; 0 turns it off")
	authDelayMax := fs.Duration("auth-delay-max", 5*time.Second, "longest delay after failed passwords from one address")
	forceEmpty := fs.Bool("force-empty", false, "start even if the data directory has lost its checkpoint, from an empty catalog (discards the insert logs that follow the lost checkpoint)")
	skipUnrestorable := fs.Bool("skip-unrestorable", false, "start even if a table's stored CREATE can no longer be applied, skipping the table and dropping its rows (saved in skipped.sql)")
	writeTimeout := fs.Duration("client-write-timeout", 30*time.Second, "close a connection whose client accepts nothing written to it for this long (it stopped reading); 0 waits without limit")
	maxMsg := fs.Int("max-message-size", 64<<20, "largest client message in bytes; a larger one ends the connection with 08P01")
	httpAddr := fs.String("http", httpserve.DefaultAddr, "address serving /metrics, /healthz and /readyz, '' for none; a non-loopback one needs passwords or --insecure, as --listen does")
	logFormat := fs.String("log-format", "text", "log lines as text (key=value) or json, on stderr")
	logLevel := fs.String("log-level", "info", "least level logged: debug (also each connection), info (DDL, recovery, status changes), warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	wcfg := wire.Config{Addr: *listen, Insecure: *insecure, MaxMessageSize: *maxMsg, AuthDelay: *authDelay, AuthDelayMax: *authDelayMax, ClientWriteTimeout: *writeTimeout}
	if *authDelay == 0 {
		wcfg.AuthDelay = -1 // off; the zero Config means the default
	}
	if *writeTimeout <= 0 {
		wcfg.ClientWriteTimeout = -1
	}
	var err error
	switch {
	case *password != "" && *usersFile != "":
		return fmt.Errorf("give --password or --users-file, not both")
	case *password != "":
		if wcfg.Auth, err = wire.PasswordAuth(*password, *authMethod); err != nil {
			return err
		}
	case *usersFile != "":
		if wcfg.Auth, err = wire.LoadUsers(*usersFile, *authMethod); err != nil {
			return err
		}
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fmt.Errorf("loading TLS key pair: %w", err)
		}
		wcfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if err := wcfg.CheckExposure(ln.Addr()); err != nil {
		ln.Close()
		return fmt.Errorf("%w (flags: --password, --users-file, --insecure)", err)
	}
	defer ln.Close()
	if err := setLogger(os.Stderr, *logFormat, *logLevel); err != nil {
		return err
	}
	httpAsked := false
	fs.Visit(func(f *flag.Flag) { httpAsked = httpAsked || f.Name == "http" })
	hs, err := startHTTP(*httpAddr, httpAsked, &wcfg)
	if err != nil {
		return err
	}
	if hs != nil {
		defer hs.Close()
	}
	if err := durable.MkdirAll(*dataDir); err != nil {
		return err
	}
	// Held until the process ends: a second server on this directory
	// would lose this one's writes (or its own).
	lock, err := durable.Lock(*dataDir)
	if err != nil {
		return err
	}
	defer lock.Close()
	backend, err := openBackend(*stateKind, *dataDir)
	if err != nil {
		return err
	}
	defer backend.Close()
	eng, err := engine.Open(backend, engine.Options{Dir: *dataDir, CheckpointInterval: *interval, CacheGroups: *cacheGroups, SubscriptionBufferBytes: *subBytes, Crash: crashPoint(), ForceEmpty: *forceEmpty, SkipUnrestorable: *skipUnrestorable, FileDirs: fileDirs})
	if err != nil {
		return err
	}
	var weng wire.Engine = eng
	if hs != nil {
		if err := hs.Ready(eng.Collector()); err != nil {
			return err
		}
		hs.SetOverview(func() any { return eng.Overview() })
		weng = hs.Meter(eng)
	}
	srv := wire.NewServer(weng, wcfg)
	slog.Info("streamsql listening", "addr", ln.Addr().String(), "state", *stateKind, "auth", wcfg.Auth != nil, "tls", wcfg.TLS != nil,
		"connect", fmt.Sprintf("psql -h %s -p %d -U streamsql", host(ln.Addr()), port(ln.Addr())))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
		// Stopping is bounded even if a disk hangs: the insert log already
		// holds every acknowledged INSERT, so exiting loses none of them.
		time.AfterFunc(shutdownTimeout, func() {
			slog.Error("shutdown did not finish: exiting without a final checkpoint (the next start replays the insert log)", "after", shutdownTimeout)
			os.Exit(1)
		})
		srv.Close()
	}()
	err = srv.Serve(ln)
	if hs != nil {
		hs.Close() // no scrape of an engine that is closing
	}
	// SIGTERM or SIGINT: a final checkpoint, so a restart replays nothing.
	if cerr := eng.Close(); err == nil {
		err = cerr
	}
	slog.Info("streamsql stopped", "err", err)
	return err
}

// defaultCheckpointInterval is serve's --checkpoint-interval, which bench
// runs with too.
const defaultCheckpointInterval = time.Second

// shutdownTimeout bounds how long serve takes to stop after SIGTERM.
const shutdownTimeout = 30 * time.Second

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

// setLogger sets the server's logger from --log-format and --log-level:
// text is the standard logger's lines (time, level, message, key=value),
// json one object a line.
func setLogger(w io.Writer, format, level string) error {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	switch format {
	case "text":
		slog.SetLogLoggerLevel(lv)
	case "json":
		slog.SetDefault(slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})))
	default:
		return fmt.Errorf("--log-format %q: want text or json", format)
	}
	return nil
}

// discard is a logger for test servers.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// quiet logs warnings and errors only: for the commands that run engines
// in process (test, bench's runs), whose info lines are not what the user
// asked for.
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
