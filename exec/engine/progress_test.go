package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// connectNotices connects to addr and passes every NOTICE on to the
// returned channel.
func connectNotices(t *testing.T, addr string) (*pgx.Conn, <-chan string) {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://streamsql@" + addr + "/streamsql?sslmode=disable&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	notices := make(chan string, 1000)
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		select {
		case notices <- n.Message:
		default:
		}
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn, notices
}

// TestFlushProgress: a FLUSH waiting for a Kafka source whose fetches are
// held sends NOTICEs of the records read of those it waits for, SHOW
// PROGRESS and streamsql_catalog.progress list it meanwhile, and once the
// fetches go on it ends with the records all read.
func TestFlushProgress(t *testing.T) {
	defer engine.SetProgressEvery(20 * time.Millisecond)()
	kafkaAddr, cl := startKafka(t, "flin")
	addr, _ := startEngine(t)
	conn, notices := connectNotices(t, addr)
	other := connect(t, addr)
	run(t, conn, fmt.Sprintf(`CREATE SOURCE ev (n BIGINT) WITH (connector = 'kafka', brokers = '%s', topic = 'flin', format = 'csv')`, kafkaAddr))
	run(t, conn, `CREATE MATERIALIZED VIEW c AS SELECT COUNT(*) AS n FROM ev`)
	run(t, conn, `FLUSH`) // the partitions' start positions are known
	for len(notices) > 0 {
		<-notices // a NOTICE of the FLUSH above, had it been slow
	}

	reached := make(chan struct{}, 16)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	kafka.SetFaultHook(func(point string) {
		if point == "kafka-fetch flin" {
			select {
			case <-release:
			default:
				select {
				case reached <- struct{}{}:
				default:
				}
				<-release
			}
		}
	})
	defer kafka.SetFaultHook(nil)
	rng := rand.New(rand.NewPCG(23, 4))
	var recs []*kgo.Record
	for range 300 {
		recs = append(recs, &kgo.Record{Topic: "flin", Partition: rng.Int32N(4), Value: []byte(fmt.Sprint(rng.IntN(1000)))})
	}
	produce(t, cl, recs...)
	<-reached // a fetch is held: what it would return is not read

	flushed := make(chan error, 1)
	go func() { _, err := conn.Exec(context.Background(), "FLUSH"); flushed <- err }()
	want := regexp.MustCompile(`^FLUSH: waiting for source ev to read topic flin: (\d+) of 300 rows \((\d+)%\), \d+s$`)
	var first string
	for first == "" {
		select {
		case n := <-notices:
			switch {
			case want.MatchString(n):
				first = n
			case !regexp.MustCompile(`^FLUSH(: [^:]+)?: \d+ rows, \d+s$`).MatchString(n):
				// (One before the Kafka phase began has no total.)
				t.Errorf("notice %q, want one like %s", n, want)
			}
		case err := <-flushed:
			t.Fatalf("FLUSH ended (%v) before a notice", err)
		}
	}
	// While it waits, the catalog shows it.
	rows := oracleQuery(t, other, "SHOW PROGRESS")
	if len(rows) != 1 || rows[0][1] != "FLUSH" || rows[0][5] != "300" || !strings.HasPrefix(rows[0][3], "waiting for source ev") {
		t.Errorf("SHOW PROGRESS: %v", rows)
	}
	if n := count(t, other, "SELECT count(*) FROM streamsql_catalog.progress WHERE statement = 'FLUSH' AND rows_total = 300 AND rows_done <= rows_total"); n != 1 {
		t.Errorf("streamsql_catalog.progress: %d rows of the FLUSH", n)
	}
	free()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if n := count(t, other, "SELECT n FROM c"); n != 300 {
		t.Errorf("after FLUSH: %d rows, want 300", n)
	}
	if rows := oracleQuery(t, other, "SHOW PROGRESS"); len(rows) != 0 {
		t.Errorf("SHOW PROGRESS after FLUSH: %v", rows)
	}
}

// TestBackfillProgress: the backfill of a view over a table of 5,000
// rows, held at its first batch, sends NOTICEs of the rows replayed of
// 5,000, and the view has them all once it goes on.
func TestBackfillProgress(t *testing.T) {
	defer engine.SetProgressEvery(20 * time.Millisecond)()
	addr, _ := startEngine(t)
	conn, notices := connectNotices(t, addr)
	other := connect(t, addr)
	run(t, conn, `CREATE TABLE t (k BIGINT)`)
	var vals []string
	for i := range 5000 {
		vals = append(vals, fmt.Sprintf("(%d)", i%97))
	}
	run(t, conn, "INSERT INTO t VALUES "+strings.Join(vals, ", "))

	reached := make(chan struct{}, 1024)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	defer engine.HoldAt("backfill-batch", reached, release)()
	created := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "CREATE MATERIALIZED VIEW v AS SELECT k, COUNT(*) AS n FROM t GROUP BY k")
		created <- err
	}()
	<-reached
	want := regexp.MustCompile(`^CREATE MATERIALIZED VIEW v: backfilling from t: (\d+) of 5000 rows \(\d+%\), \d+s$`)
	select {
	case n := <-notices:
		if m := want.FindStringSubmatch(n); m == nil || m[1] == "0" {
			t.Errorf("notice %q, want one like %s with rows done", n, want)
		}
	case err := <-created:
		t.Fatalf("CREATE ended (%v) before a notice", err)
	}
	rows := oracleQuery(t, other, "SHOW PROGRESS")
	if len(rows) != 1 || rows[0][1] != "CREATE MATERIALIZED VIEW" || rows[0][2] != "v" || rows[0][5] != "5000" {
		t.Errorf("SHOW PROGRESS: %v", rows)
	}
	free()
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if n := count(t, other, "SELECT sum(n) FROM v"); n != 5000 {
		t.Errorf("view: %d rows counted, want 5000", n)
	}
}

// TestBackfillProgressPsql: psql prints the backfill's NOTICEs as they
// come, on stderr, before the CREATE ends.
func TestBackfillProgressPsql(t *testing.T) {
	defer engine.SetProgressEvery(20 * time.Millisecond)()
	addr, _ := startEngine(t)
	conn := connect(t, addr)
	run(t, conn, `CREATE TABLE t (k BIGINT)`)
	var vals []string
	for i := range 3000 {
		vals = append(vals, fmt.Sprintf("(%d)", i))
	}
	run(t, conn, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
	reached := make(chan struct{}, 1024)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	defer engine.HoldAt("backfill-batch", reached, release)()
	cmd := psqlCmd(t, addr, "-v", "ON_ERROR_STOP=1", "-c", "CREATE MATERIALIZED VIEW v AS SELECT COUNT(*) AS n FROM t")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	want := regexp.MustCompile(`^NOTICE:  CREATE MATERIALIZED VIEW v: backfilling from t: \d+ of 3000 rows \(\d+%\), \d+s$`)
	got := ""
	for got == "" && sc.Scan() {
		if want.MatchString(sc.Text()) {
			got = sc.Text()
		} else {
			t.Errorf("psql wrote %q", sc.Text())
		}
	}
	free() // only now: psql printed it while the backfill was held
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil || got == "" {
		t.Fatalf("psql: %v; notice %q", err, got)
	}
	if n := count(t, conn, "SELECT n FROM v"); n != 3000 {
		t.Errorf("view: %d, want 3000", n)
	}
}
