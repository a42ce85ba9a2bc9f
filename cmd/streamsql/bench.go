package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	nexmarkq "github.com/streamsql/streamsql/testdata/nexmark"
	"github.com/streamsql/streamsql/wire"
)

// benchQueries are the queries `streamsql bench` knows, in the order it
// runs them: the Nexmark ones, each windowed one beside its updating
// (emit-on-update, no EMIT ON WINDOW CLOSE) version, the shapes users
// run, and the Kafka ones (kafkaViews).
var benchQueries = []string{"q0", "q1", "q2", "q3", "q4", "q5", "q5agg", "q5upd", "q7", "q7agg", "q7upd", "q8", "q9", "q10", "q11", "q12", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22",
	"hopbidder", "hopbidderupd", "tumblekeys", "tumblekeysupd", "manykeys", "kafkakeys", "kafkakeysupd"}

// benchSources are the nexmark streams a query reads besides bid alone:
// one source file each (person.sql, auction.sql, bid.sql), all over the
// same events.
var benchSources = map[string][]string{
	"q3":  {"person", "auction"},
	"q4":  {"auction", "bid"},
	"q8":  {"person", "auction"},
	"q9":  {"auction", "bid"},
	"q20": {"auction", "bid"},
}

// benchResult is one query's run on one backend.
type benchResult struct {
	Query, State string
	Events       int64
	Wall, CPU    time.Duration
	// GenNs is the generator's own cost per event, timed alone.
	GenNs      float64
	P50, P99   time.Duration
	PeakRSS    int64 // bytes
	StateBytes int64
	// CheckpointInterval is the engine's, as SHOW checkpoint_interval
	// gives it ("off": checkpoints after DDL only).
	CheckpointInterval string
}

// bench runs Nexmark queries on the nexmark generator, or on its bids
// read from Kafka, as fast as possible. Each query runs in a child process
// of its own, so its peak RSS and CPU time are its own; a Kafka query's
// broker is one more child, shared by the runs that read it.
func bench(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	query := fs.String("query", "all", "queries to run, comma-separated: "+strings.Join(benchQueries, ", ")+"; or all")
	stateKind := fs.String("state", "memory", "state backend: memory, pebble, or all")
	events := fs.Int64("events", 1_000_000, "Nexmark events to generate (all three kinds; 92% are bids; a kafka query's topic holds those bids)")
	eventsFor := fs.String("events-for", "", "per-query event counts overriding --events, as query=N,query=N (e.g. hopbidderupd=300000)")
	interval := fs.Duration("checkpoint-interval", defaultCheckpointInterval, "how often the engine checkpoints, as serve's flag (0: only after DDL)")
	brokers := fs.String("brokers", "", "Kafka broker of a kafka query's topic (internal, with --child)")
	topic := fs.String("topic", "", "topic of a kafka query's records (internal, with --child)")
	dir := fs.String("queries", "", "directory of bid.sql and the query files (default: the copies built into the binary, from testdata/nexmark)")
	child := fs.Bool("child", false, "run one query and print its result as JSON (internal)")
	update := fs.String("update", "", "also write the table into this Markdown file, between <!-- nexmark:begin --> and <!-- nexmark:end -->")
	scrape := fs.Duration("scrape", 0, "read the engine's /metrics this often during each run (0: never), to see that metrics cost the queries nothing")
	profile := fs.String("cpuprofile", "", "write a CPU profile of each run to this path prefix (<prefix>-<query>-<state>.prof), for go tool pprof")
	if err := fs.Parse(args); err != nil {
		return err
	}
	benchScrape = *scrape
	if *child {
		slog.SetDefault(quiet) // a run's DDL lines are not its result
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		r, err := benchOne(*dir, *query, *stateKind, *events, *interval, *brokers, *topic)
		if err != nil {
			return err
		}
		return json.NewEncoder(out).Encode(r)
	}
	queries, states := benchQueries, []string{"memory", "pebble"}
	if *query != "all" {
		queries = nil
		for _, q := range strings.Split(*query, ",") {
			if q = strings.TrimSpace(q); !slices.Contains(benchQueries, q) {
				return fmt.Errorf("unknown query %q (want %s or all)", q, strings.Join(benchQueries, ", "))
			}
			queries = append(queries, q)
		}
	}
	if *stateKind != "all" {
		if *stateKind != "memory" && *stateKind != "pebble" {
			return fmt.Errorf("unknown state %q (want memory, pebble or all)", *stateKind)
		}
		states = []string{*stateKind}
	}
	counts, err := parseEventsFor(*eventsFor)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var broker *benchBroker // started for the first kafka query
	defer func() {
		if broker != nil {
			broker.close()
		}
	}()
	var table strings.Builder
	ckpt := "" // the engines' checkpoint_interval
	if *update != "" {
		out = io.MultiWriter(out, &table)
	}
	fmt.Fprintf(out, "| query | state | events | events/s | events/s per core | peers' published, per core | generator alone, events/s per core | p50 / p99 batch latency | peak RSS | operator state |\n")
	fmt.Fprintf(out, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, q := range queries {
		n := *events
		if c, ok := counts[q]; ok {
			n = c
		}
		var kafkaArgs []string
		if _, ok := kafkaViews[q]; ok {
			if broker == nil {
				if broker, err = startBroker(self); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			topic, records, err := broker.topic(*dir, n)
			if err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
			n = records // the row counts what the engine read
			kafkaArgs = []string{"--brokers", broker.addr, "--topic", topic}
		}
		for _, st := range states {
			cmd := exec.Command(self, "bench", "--child", "--query", q, "--state", st, "--events", fmt.Sprint(n), "--queries", *dir,
				"--checkpoint-interval", interval.String(), "--scrape", scrape.String())
			cmd.Args = append(cmd.Args, kafkaArgs...)
			if *profile != "" {
				cmd.Args = append(cmd.Args, "--cpuprofile", fmt.Sprintf("%s-%s-%s.prof", *profile, q, st))
			}
			cmd.Stderr = os.Stderr
			raw, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("%s on %s: %w", q, st, err)
			}
			var r benchResult
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("%s on %s: %w", q, st, err)
			}
			ckpt = r.CheckpointInterval
			gen, lat := "—", "—"
			if r.GenNs > 0 {
				gen = rate(1e9 / r.GenNs)
			}
			if r.P99 > 0 {
				lat = fmt.Sprintf("%s / %s", r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
			}
			fmt.Fprintf(out, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.Query, r.State, r.Events,
				rate(float64(r.Events)/r.Wall.Seconds()), rate(float64(r.Events)/r.CPU.Seconds()), peer(q), gen,
				lat, mib(r.PeakRSS), mib(r.StateBytes))
		}
	}
	if *update != "" {
		return updateSection(*update, "nexmark", benchHeader(args, ckpt)+table.String())
	}
	return nil
}

// peerFigures are the published Nexmark figures of other engines, events/s
// per core, as issue 7 quotes them (q5's are of the whole query, joins
// included), and the Flink 2.x figures of the joins, a tenth of issue 16's
// targets.
var peerFigures = map[string]string{
	"q0":    "Flink 126K–414K, RisingWave 170K",
	"q3":    "Flink 2.x 200K",
	"q4":    "Flink 2.x 30K",
	"q5":    "Flink 22K–75K, RisingWave 11K–14K",
	"q7":    "Flink 2.x 25K",
	"q8":    "Flink 2.x 150K",
	"q20":   "Flink 2.x 20K",
	"q5agg": "q5: Flink 22K–75K, RisingWave 11K–14K",
	"q5upd": "q5: Flink 22K–75K, RisingWave 11K–14K",
	"q11":   "Flink 34K–46K",
	"q12":   "Flink 48K–194K, RisingWave 92K",
}

// peer is a query's peers' figures, "—" when none are quoted.
func peer(q string) string {
	if f, ok := peerFigures[q]; ok {
		return f
	}
	return "—"
}

// parseEventsFor reads --events-for: query=N pairs, comma-separated.
func parseEventsFor(s string) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		q, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if q = strings.TrimSpace(q); !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("--events-for: %q is not query=N with N > 0", kv)
		}
		if !slices.Contains(benchQueries, q) {
			return nil, fmt.Errorf("--events-for: unknown query %q (want one of %s)", q, strings.Join(benchQueries, ", "))
		}
		counts[q] = n
	}
	return counts, nil
}

// benchHeader says how a table was made: the command, the date and the
// machine.
func benchHeader(args []string, interval string) string {
	host, _ := os.Hostname()
	ckpt := fmt.Sprintf("every figure includes checkpoints every %s into a data directory, as `streamsql serve` takes them", interval)
	if interval == "off" {
		ckpt = "the engines checkpointed after DDL only"
	}
	return fmt.Sprintf("`streamsql bench %s` on %s, %d cores (%s), %s. Events count all three kinds (92%% are bids); "+
		"a kafka query's are the JSON bid records of its topic (the bids among the events asked for); "+
		"events/s per core divides by the engine process's CPU time (a kafka query's broker runs in a process of its own); "+
		"%s; the generator's own cost is timed alone and shown apart; "+
		"latency is from a generated batch's making to its effect on every view.\n\n",
		strings.Join(args, " "), time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), host, runtime.Version(), ckpt)
}

// updateSection replaces what lies between <!-- name:begin --> and
// <!-- name:end --> in the file at path.
func updateSection(path, name, text string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(string(b), begin), strings.Index(string(b), end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s ... %s section", path, strings.TrimSpace(begin), end)
	}
	return os.WriteFile(path, []byte(string(b[:i+len(begin)])+text+string(b[j:])), 0o644)
}

func rate(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.0fK", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// benchOne runs one query in this process: the generator alone first,
// then the query on a fresh engine behind the wire, from CREATE
// MATERIALIZED VIEW to the end of FLUSH. The engine is durable as `serve`
// runs it: a data directory, checkpoints every interval. A kafka
// query (kafkaViews) reads topic from brokers instead of the generator.
func benchOne(dir, query, stateKind string, events int64, interval time.Duration, brokers, topic string) (*benchResult, error) {
	queries := benchFS(dir)
	r := &benchResult{Query: query, State: stateKind, Events: events}
	var sources []string
	streams := []string{"bid"}
	viewFile, kafka := kafkaViews[query]
	if kafka {
		ddl, err := fs.ReadFile(queries, "bid_kafka.sql")
		if err != nil {
			return nil, err
		}
		sources = []string{kafkaSource(string(ddl), brokers, topic)}
	} else {
		viewFile = query
		if s, ok := benchSources[query]; ok {
			streams = s
		}
		for _, name := range streams {
			source, err := generatorSource(queries, name, events)
			if err != nil {
				return nil, err
			}
			ns, err := generatorCost(source)
			if err != nil {
				return nil, err
			}
			sources, r.GenNs = append(sources, source), r.GenNs+ns
		}
	}
	view, err := fs.ReadFile(queries, viewFile+".sql")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "streamsql-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	backend, err := openBackend(stateKind, tmp)
	if err != nil {
		return nil, err
	}
	defer backend.Close()
	eng, err := engine.Open(backend, engine.Options{Dir: tmp, CheckpointInterval: interval})
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	defer scrapeEvery(eng, benchScrape)()
	srv := wire.NewServer(eng, wire.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer srv.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://streamsql@"+srv.Addr().String()+"/streamsql?sslmode=disable")
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	// The updating queries on Pebble take minutes: FLUSH waits for them.
	for _, st := range append([]string{"SET flush_timeout = 0"}, sources...) {
		if _, err := conn.Exec(ctx, st); err != nil {
			return nil, err
		}
	}
	t0, c0 := time.Now(), cpuTime()
	if _, err := conn.Exec(ctx, string(view)); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		return nil, err
	}
	r.Wall, r.CPU = time.Since(t0), cpuTime()-c0
	var lat []engine.BatchLatency
	for _, name := range streams {
		lat = append(lat, eng.BatchLatencies(name)...)
	}
	r.P50, r.P99 = percentiles(lat)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	r.PeakRSS = ru.Maxrss << 10
	if err := conn.QueryRow(ctx, "SHOW checkpoint_interval").Scan(&r.CheckpointInterval); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, "SHOW MATERIALIZED VIEWS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m := rows.FieldDescriptions()
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		for i, f := range m {
			if f.Name == "state_bytes" {
				if n, ok := vals[i].(int64); ok {
					r.StateBytes += n
				}
			}
		}
	}
	return r, rows.Err()
}

// benchFS holds bid.sql and the query files: dir, or the copies built in.
func benchFS(dir string) fs.FS {
	if dir != "" {
		return os.DirFS(dir)
	}
	return nexmarkq.FS
}

// generatorSource is a nexmark stream's file (bid.sql, person.sql or
// auction.sql) set to generate events events, as fast as possible, at the
// reference's event-time rate.
func generatorSource(queries fs.FS, stream string, events int64) (string, error) {
	ddl, err := fs.ReadFile(queries, stream+".sql")
	if err != nil {
		return "", err
	}
	return regexp.MustCompile(`events = \d+, event_rate = \d+`).ReplaceAllString(string(ddl), fmt.Sprintf("events = %d", events)), nil
}

// generatorCost times the nexmark generator alone over the source's
// events, in CPU ns per event, so the engine's figure can be read without
// it.
func generatorCost(source string) (float64, error) {
	st, err := parser.ParseOne(source)
	if err != nil {
		return 0, err
	}
	rel, err := (&planner.Planner{}).Relation(st.(*parser.CreateRelation))
	if err != nil {
		return 0, err
	}
	rel = rel.Physical() // the generator's columns, without p_time
	g, err := nexmark.New(rel)
	if err != nil {
		return 0, err
	}
	b := vec.NewBatch(catalog.Types(rel.Columns), 1024)
	c0 := cpuTime()
	for p := g.Next(); p >= 0; p = g.Next() {
		b.Reset()
		g.Fill(b, p, 1024)
	}
	return float64(cpuTime()-c0) / float64(g.Pos()), nil
}

// percentiles returns the row-weighted p50 and p99 of batch latencies:
// the latency the median and the 99th-percentile event saw.
func percentiles(ls []engine.BatchLatency) (p50, p99 time.Duration) {
	if len(ls) == 0 {
		return 0, 0
	}
	slices.SortFunc(ls, func(a, b engine.BatchLatency) int { return int(a.D - b.D) })
	total := 0
	for _, l := range ls {
		total += l.Rows
	}
	seen := 0
	for _, l := range ls {
		seen += l.Rows
		if p50 == 0 && seen*2 >= total {
			p50 = l.D
		}
		if seen*100 >= total*99 {
			return p50, l.D
		}
	}
	return p50, ls[len(ls)-1].D
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
