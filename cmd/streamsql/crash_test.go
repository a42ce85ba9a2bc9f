package main

import (
	"github.com/jackc/pgx/v5/pgtype"

	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// crashPoints are the places a crash test kills the server: inside the
// checkpoint protocol, between logging and applying an INSERT, and between
// source batches.
//
// They are listed in the order a scenario can pass them: the generator runs
// only in the first lives, INSERTs until they are all in, and checkpoints
// happen in every life (at start-up, after DDL, and every interval).
var crashPoints = []string{"source-batch", "insert-after-log", "checkpoint-begin", "checkpoint-before-commit", "checkpoint-after-commit"}

// crashDDL gives each view its own generator: a source is not stored, so
// a second view over one generator would see only rows generated after it
// was created, which depends on timing. gen2 has four partitions of
// unequal length, read in turns, with a zero watermark delay: a row would
// be late unless each partition's position and watermark come back.
//
// orders is a Kafka topic of 4 partitions on an in-process broker that the
// test fills before the first life: a SIGKILL between batches, or between
// a checkpoint's steps, must neither lose nor double a record, nor a count
// of bad ones (every 97th record is malformed).
//
// A Kafka source is one reader shared by the views over it, started by the
// first, so like a generator it gets one view: order_secs reads the same
// topic through a source of its own, or it would miss whatever orders
// delivered before order_secs was created (a timing that a crash between
// the two CREATEs stretches to a whole restart).
const crashDDL = `
CREATE SOURCE orders (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'kafka', brokers = '{{kafka}}', topic = 'orders', format = 'json');
CREATE MATERIALIZED VIEW order_keys AS
  SELECT id % 7 AS k, COUNT(*) AS n, MAX(id / 7) + 1 AS mx, COUNT(DISTINCT id) AS d FROM orders WHERE id % 97 <> 0 GROUP BY id % 7;
CREATE SOURCE order_times (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'kafka', brokers = '{{kafka}}', topic = 'orders', format = 'json');
CREATE MATERIALIZED VIEW order_secs EMIT ON WINDOW CLOSE AS
  SELECT window_start, COUNT(*) AS n FROM order_times GROUP BY TUMBLE(ts, INTERVAL '1' SECOND);
CREATE SOURCE gen (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'datagen', rows_per_second = 0, max_rows = 60000, seed = 3, fields.id.kind = 'sequence');
CREATE MATERIALIZED VIEW gen_keys AS
  SELECT id % 7 AS k, COUNT(*) AS n, MAX(id / 7) + 1 AS mx, COUNT(DISTINCT id) AS d FROM gen GROUP BY id % 7;
CREATE SOURCE gen2 (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH (connector = 'datagen', rows_per_second = 0, max_rows = 60001, seed = 3, fields.id.kind = 'sequence', partitions = 4);
CREATE MATERIALIZED VIEW gen_secs EMIT ON WINDOW CLOSE AS
  SELECT window_start, COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM gen2 GROUP BY TUMBLE(ts, INTERVAL '1' SECOND);
CREATE TABLE t (seq BIGINT, k INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE MATERIALIZED VIEW t_keys AS SELECT k, COUNT(*) AS n, MAX(seq / 5) + 1 AS mx, COUNT(DISTINCT seq) AS d FROM t GROUP BY k;
CREATE MATERIALIZED VIEW t_mins AS SELECT window_start, COUNT(*) AS n FROM t GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE);
CREATE MATERIALIZED VIEW t_sess EMIT ON WINDOW CLOSE AS
  SELECT k, window_start, window_end, COUNT(*) AS n, COUNT(DISTINCT seq) AS d
  FROM t WHERE seq % 600 < 300 GROUP BY k, SESSION(ts, INTERVAL '10' SECOND);
CREATE MATERIALIZED VIEW t_hop EMIT ON WINDOW CLOSE AS
  SELECT window_start, COUNT(*) AS n, SUM(seq) AS s FROM t GROUP BY HOP(ts, INTERVAL '20' SECOND, INTERVAL '1' MINUTE);
CREATE MATERIALIZED VIEW t_par WITH (parallelism = 2) AS
  SELECT k, window_start, COUNT(*) AS n, MAX(seq) AS mx FROM t GROUP BY k, HOP(ts, INTERVAL '20' SECOND, INTERVAL '1' MINUTE);
CREATE SOURCE gen3 (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'datagen', rows_per_second = 0, max_rows = 6000, seed = 5, fields.id.kind = 'sequence');
CREATE MATERIALIZED VIEW t_join AS
  SELECT t.k, COUNT(*) AS n, SUM(g.id) AS s FROM t JOIN gen3 g ON t.seq = g.id % 3000 GROUP BY t.k;
CREATE MATERIALIZED VIEW t_ij AS
  SELECT a.k, COUNT(*) AS n FROM t a JOIN t b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '2' SECOND GROUP BY a.k;
CREATE MATERIALIZED VIEW t_top AS
  SELECT * FROM (SELECT seq, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY seq DESC) AS rn FROM t) x WHERE rn <= 3;
CREATE MATERIALIZED VIEW t_wtop AS
  SELECT * FROM (SELECT seq, k, window_start, RANK() OVER (PARTITION BY window_start, window_end ORDER BY k DESC, seq) AS r
  FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))) x WHERE r <= 2;
CREATE MATERIALIZED VIEW t_over AS
  SELECT seq, SUM(seq) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW) AS s2,
         COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS n FROM t;
`

// ddl is crashDDL with the broker's address.
var ddl string

// finalQueries read every view once all input is in.
var finalQueries = []string{
	"SELECT * FROM gen_keys ORDER BY k",
	"SELECT * FROM gen_secs ORDER BY window_start",
	"SELECT * FROM t_keys ORDER BY k",
	"SELECT * FROM t_mins ORDER BY window_start",
	"SELECT COUNT(*), COUNT(DISTINCT seq), MAX(seq) FROM t",
	"SHOW SOURCES",
	"SELECT * FROM order_keys ORDER BY k",
	"SELECT * FROM order_secs ORDER BY window_start",
	"SELECT * FROM t_sess ORDER BY k, window_start",
	"SELECT * FROM t_hop ORDER BY window_start",
	"SELECT * FROM t_par ORDER BY k, window_start",
	"SELECT * FROM t_join ORDER BY k",
	"SELECT * FROM t_ij ORDER BY k",
	"SELECT * FROM t_top ORDER BY k, rn",
	"SELECT * FROM t_wtop ORDER BY window_start, r",
	"SELECT COUNT(*), SUM(s2), SUM(n), MAX(seq) FROM t_over",
	"SELECT * FROM file_keys ORDER BY k",
}

// crashOrders is how many records the orders topic holds.
const crashOrders = 30000

// startOrders runs the broker of the orders topic and fills it: record i
// (id i, event time i ms) goes to partition i mod 4; ids that are
// multiples of 97 are malformed instead.
func startOrders(t *testing.T) string {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := 0; i < crashOrders; i++ {
		v := fmt.Sprintf(`{"id": %d, "ts": "2024-01-01 00:%02d:%02d.%03d"}`, i, i/60000, i/1000%60, i%1000)
		if i%97 == 0 {
			v = fmt.Sprintf(`{"id": %d, "ts": "never"}`, i)
		}
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: int32(i % 4), Value: []byte(v)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return c.ListenAddrs()[0]
}

const crashInserts, insertBatch = 3000, 50

// TestCrashRecovery kills a child server with SIGKILL at seeded crash
// points while a generator and INSERTs feed windowed views, restarts it
// each time, and requires the final rows to equal a failure-free run's:
// no event lost, none counted twice.
func TestCrashRecovery(t *testing.T) {
	bin := buildBinary(t)
	ddl = strings.ReplaceAll(crashDDL, "{{kafka}}", startOrders(t)) + crashFileDDL
	for _, backend := range []string{"memory", "pebble"} {
		t.Run(backend, func(t *testing.T) { crashScenario(t, bin, backend) })
	}
}

// crashScenario compares a failure-free run with a run crashed at every
// crash point on one state backend.
func crashScenario(t *testing.T, bin, backend string) {
	want, _ := runScenario(t, bin, backend, nil)
	checkInvariants(t, want)
	checkFileInvariants(t, want)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	rng := rand.New(rand.NewPCG(seed, 9))
	// Every point at least once, then seeded extra crashes.
	var plan []string
	for _, p := range crashPoints {
		plan = append(plan, fmt.Sprintf("%s:%d", p, 1+rng.IntN(4)))
	}
	for i := 0; i < 3; i++ {
		plan = append(plan, fmt.Sprintf("%s:%d", crashPoints[rng.IntN(len(crashPoints))], 1+rng.IntN(8)))
	}
	got, crashed := runScenario(t, bin, backend, plan)
	t.Logf("crash plan %v: killed at %v", plan, crashed)
	fired := map[string]bool{}
	for _, c := range crashed {
		fired[strings.Split(c, ":")[0]] = true
	}
	for _, p := range crashPoints {
		if !fired[p] {
			t.Errorf("crash point %s never fired (killed at %v); the scenario must pass every point", p, crashed)
		}
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("seed %d (rerun with CRASH_SEED=%d), crash plan %v:\n%s\nfailure-free:\n%s\nafter crashes:\n%s",
				seed, seed, plan, resultLabel(i), want[i], got[i])
		}
	}
}

// server is one child process.
type server struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// start runs `streamsql serve` on dir, crashing at crash ("" = never), and
// returns once it listens, or nil when it crashed while starting (its
// start-up checkpoint passes the crash points too).
func start(t *testing.T, bin, backend, dir, crash string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--state", backend, "--checkpoint-interval", "20ms")
	cmd.Env = append(os.Environ(), "STREAMSQL_CRASH="+crash)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	addrRE := regexp.MustCompile(`listening addr=(\S+)`)
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			s.addr = m[1]
			break
		}
	}
	if s.addr == "" {
		werr := cmd.Wait()
		if crash != "" && strings.Contains(fmt.Sprint(werr), "killed") {
			return nil
		}
		t.Fatalf("server did not start (%v):\n%s", werr, log.String())
	}
	go func() {
		for sc.Scan() {
		}
		s.done <- cmd.Wait()
	}()
	return s
}

func (s *server) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, "postgres://streamsql@"+s.addr+"/streamsql?sslmode=disable&default_query_exec_mode=simple_protocol")
}

// runScenario feeds the views through as many server lives as the crash
// plan asks for, and returns the final query results and the crash specs
// that actually killed the server.
func runScenario(t *testing.T, bin, backend string, plan []string) ([]string, []string) {
	ctx := context.Background()
	dir := t.TempDir()
	writeCrashFiles(t, dir)
	life := 0
	ddlDone := false
	var crashed []string
	for {
		crash := ""
		if life < len(plan) {
			crash = plan[life]
		}
		life++
		s := start(t, bin, backend, dir, crash)
		if s == nil {
			crashed = append(crashed, crash)
			continue
		}
		finished, err := drive(ctx, s, &ddlDone)
		if err == nil && finished && strings.HasPrefix(crash, "checkpoint-") {
			// Checkpoints recur every interval: wait for this one to fire,
			// so the plan's crash happens even when the work ran out first.
			select {
			case <-s.done:
				crashed = append(crashed, crash)
				continue
			case <-time.After(30 * time.Second):
				s.cmd.Process.Kill()
				t.Fatalf("crash point %s did not fire within 30s", crash)
			}
		}
		if err == nil && finished {
			res, err := results(ctx, s)
			if err == nil {
				var files []string
				files, err = fileSinkResults(dir)
				res = append(res, files...)
			}
			s.cmd.Process.Kill()
			<-s.done
			if err != nil {
				t.Fatal(err)
			}
			return res, crashed
		}
		if crash == "" {
			s.cmd.Process.Kill()
			t.Fatalf("life %d without a crash failed: %v", life, err)
		}
		// The server must die by its own crash point (SIGKILL), not hang.
		select {
		case <-s.done:
			crashed = append(crashed, crash)
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			t.Fatalf("server with STREAMSQL_CRASH=%s neither finished nor crashed", crash)
		}
		if life > len(plan)+1 {
			t.Fatal("scenario did not finish")
		}
	}
}

// drive runs the DDL (once), then the INSERTs still missing, then waits for
// the generator. It reports finished=false with an error when the server
// went away.
func drive(ctx context.Context, s *server, ddlDone *bool) (bool, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close(ctx)
	if !*ddlDone {
		// DDL is durable when acknowledged; after a crash, see what exists.
		// DDL is durable when acknowledged; after a crash, an "already
		// exists" means that statement had landed.
		for _, stmt := range strings.Split(ddl, ";") {
			if stmt = strings.TrimSpace(stmt); stmt == "" {
				continue
			}
			if _, err := conn.Exec(ctx, stmt); err != nil && !strings.Contains(err.Error(), "already exists") {
				return false, err
			}
		}
		*ddlDone = true
	}
	// Resume the INSERTs after the last durable one.
	var next int64
	if err := conn.QueryRow(ctx, "SELECT COALESCE(MAX(seq) + 1, 0) FROM t").Scan(&next); err != nil {
		return false, err
	}
	for seq := next; seq < crashInserts; seq += insertBatch {
		var b strings.Builder
		b.WriteString("INSERT INTO t VALUES ")
		for i := seq; i < min(seq+insertBatch, crashInserts); i++ {
			if i > seq {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, %d, '2024-01-01 00:%02d:%02d')", i, i%5, i/600, i/10%60)
		}
		if _, err := conn.Exec(ctx, b.String()); err != nil {
			return false, err
		}
	}
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		return false, err
	}
	return true, nil
}

func results(ctx context.Context, s *server, queries ...string) ([]string, error) {
	if len(queries) == 0 {
		queries = finalQueries
	}
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var out []string
	for _, q := range queries {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		var b strings.Builder
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				if n, ok := v.(pgtype.Numeric); ok { // SUM is NUMERIC: its digits
					vals[i], _ = n.Value()
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out = append(out, b.String())
	}
	return out, nil
}

// checkInvariants asserts COUNT(*) = MAX(per-key sequence) = COUNT(DISTINCT
// seq) for every key, the signature of no loss and no duplicates.
func checkInvariants(t *testing.T, res []string) {
	t.Helper()
	for _, i := range []int{0, 2} {
		for _, line := range strings.Split(strings.TrimSpace(res[i]), "\n") {
			f := strings.Fields(line)
			if len(f) != 4 || f[1] != f[2] || f[1] != f[3] {
				t.Errorf("%s: row %q breaks COUNT(*) = MAX(seq) = COUNT(DISTINCT seq)", finalQueries[i], line)
			}
		}
	}
	if !strings.HasPrefix(res[4], fmt.Sprintf("%d %d %d", crashInserts, crashInserts, crashInserts-1)) {
		t.Errorf("table t: %q, want %d rows", res[4], crashInserts)
	}
	if want := fmt.Sprintf("orders kafka %d 0 2024-01-01 00:00:28.996 +0000 UTC 0 4 0 %d 0 running", crashOrders-crashOrders/97-1, crashOrders/97+1); !strings.Contains(res[5], want) {
		t.Errorf("SHOW SOURCES: %q, want %q: every good record once, every bad one counted once", res[5], want)
	}
	var keys strings.Builder
	for k := 0; k < 7; k++ {
		n, mx := 0, 0
		for i := k; i < crashOrders; i += 7 {
			if i%97 != 0 {
				n, mx = n+1, i/7+1
			}
		}
		fmt.Fprintf(&keys, "%d %d %d %d\n", k, n, mx, n)
	}
	if res[6] != keys.String() {
		t.Errorf("%s:\n%s\nwant (every good record once):\n%s", finalQueries[6], res[6], keys.String())
	}
	// order_secs: every window the watermark (28.996 s) closed, each with
	// its good records once.
	var secs strings.Builder
	for w := 0; w < crashOrders/1000-2; w++ {
		n := 0
		for i := w * 1000; i < (w+1)*1000; i++ {
			if i%97 != 0 {
				n++
			}
		}
		fmt.Fprintf(&secs, "2024-01-01 00:00:%02d +0000 UTC %d\n", w, n)
	}
	if res[7] != secs.String() {
		t.Errorf("%s:\n%s\nwant (every closed window, every good record once):\n%s", finalQueries[7], res[7], secs.String())
	}
	// t_sess: t's rows fill the first 30 s of each minute, so every key has
	// one session a minute, 60 rows from :00 to :29, ending 10 s later; the
	// watermark (4:59) has closed them all.
	var sess strings.Builder
	for k := 0; k < 5; k++ {
		for m := 0; m < crashInserts/600; m++ {
			fmt.Fprintf(&sess, "%d 2024-01-01 00:%02d:00 +0000 UTC 2024-01-01 00:%02d:39 +0000 UTC 60 60\n", k, m, m)
		}
	}
	if res[8] != sess.String() {
		t.Errorf("%s:\n%s\nwant (every session once, each row once):\n%s", finalQueries[8], res[8], sess.String())
	}
	// t_hop (kept as 20 s panes): ten rows a second from 0:00 to 4:59, so
	// the windows [s, s+60 s) that the watermark (4:59) closed, s from
	// -40 s to 220 s, each hold the rows from max(s, 0) on, once.
	var hop strings.Builder
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for s := -40; s <= 220; s += 20 {
		n, sum := 0, 0
		for i := 0; i < crashInserts; i++ {
			if sec := i / 10; sec >= s && sec < s+60 {
				n, sum = n+1, sum+i
			}
		}
		fmt.Fprintf(&hop, "%s %d %d\n", t0.Add(time.Duration(s)*time.Second).Format("2006-01-02 15:04:05 -0700 MST"), n, sum)
	}
	if res[9] != hop.String() {
		t.Errorf("%s:\n%s\nwant (every closed window, each row once):\n%s", finalQueries[9], res[9], hop.String())
	}
	if !strings.Contains(res[5], "gen2 datagen 60001 0 2024-01-01 00:00:59.997 +0000 UTC 0 4 0 0 0 done") {
		t.Errorf("SHOW SOURCES: %q, want gen2's 60001 rows, none late, watermark at the earliest last row of a partition (partition 1)", res[5])
	}
}
