package engine_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// kcat returns the path of kcat, the outside Kafka client the tests use as
// a producer and consumer. CI installs it; elsewhere the tests that need it
// are skipped when it is missing.
func kcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat is not installed; .ci/run installs it (apt-get install kcat)")
		}
		t.Skip("kcat is not installed (apt-get install kcat)")
	}
	return p
}

// kcatProduce writes lines (key<TAB>value) to a partition with kcat.
func kcatProduce(t *testing.T, addr, topic string, p int, lines ...string) {
	t.Helper()
	cmd := exec.Command(kcat(t), "-P", "-b", addr, "-t", topic, "-p", fmt.Sprint(p), "-K", "\t")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
}

// kcatCompacted reads a whole topic with kcat and returns what compaction
// would keep: the last value of each key, keys whose last record is a
// tombstone left out.
func kcatCompacted(t *testing.T, addr, topic string) (map[string]string, int) {
	t.Helper()
	cmd := exec.Command(kcat(t), "-C", "-b", addr, "-t", topic, "-o", "beginning", "-e", "-q", "-Z", "-f", "%k\t%s\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, stderr.String())
	}
	m := map[string]string{}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		n++
		k, v, _ := strings.Cut(line, "\t")
		if v == "NULL" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m, n
}

// TestKafkaSinkWithKcat produces with kcat into a source, sinks two views
// (one whose groups are deleted by a HAVING, so its topic gets tombstones)
// and reads the sink topics back with kcat: compacted, each must be the
// view, row for row.
func TestKafkaSinkWithKcat(t *testing.T) {
	kcat(t)
	addr, _ := startKafka(t, "in", "per_user_out", "small_out")
	conn := connect(t, startServer(t))
	line := func(user, amount, sec int) string {
		return fmt.Sprintf(`u%d	{"user": %d, "amount": %d, "ts": "2024-01-01 00:00:%02d"}`, user, user, amount, sec)
	}
	for p := 0; p < 4; p++ {
		var lines []string
		for i := 0; i < 10; i++ {
			lines = append(lines, line(p*10+i%3, i, 10+i*2))
		}
		kcatProduce(t, addr, "in", p, lines...)
	}
	oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE src (user BIGINT, amount BIGINT, ts TIMESTAMP(3),
		WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'kafka', brokers = '%s', topic = 'in', format = 'json')`, addr))
	oracleExec(t, conn, `CREATE MATERIALIZED VIEW per_user AS SELECT window_start, window_end, user, COUNT(*) AS n, SUM(amount) AS s
		FROM src GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), user`)
	oracleExec(t, conn, `CREATE MATERIALIZED VIEW small AS SELECT user, COUNT(*) AS n FROM src GROUP BY user HAVING COUNT(*) < 4`)
	for _, v := range []string{"per_user", "small"} {
		oracleExec(t, conn, fmt.Sprintf(`CREATE SINK %[1]s_sink FROM %[1]s WITH (connector = 'kafka', brokers = '%s', topic = '%[1]s_out')`, v, addr))
	}
	// More rows after the sinks exist: updates of existing groups, and
	// groups of small that grow past its HAVING.
	for p := 0; p < 4; p++ {
		kcatProduce(t, addr, "in", p, line(p*10, 100, 29), line(p*10+1, 100, 31), line(p*10+5, 1, 32))
	}
	oracleExec(t, conn, "FLUSH")

	check := func(view string, keyCols int, cols []string) {
		t.Helper()
		want := map[string]string{}
		for _, r := range oracleQuery(t, conn, "SELECT * FROM "+view) {
			var k, v []string
			for i, c := range cols {
				val := r[i]
				if strings.HasPrefix(c, "window") {
					val = `"` + val + `"`
				}
				f := fmt.Sprintf("%q:%s", c, val)
				if i < keyCols {
					k = append(k, f)
				}
				v = append(v, f)
			}
			want["{"+strings.Join(k, ",")+"}"] = "{" + strings.Join(v, ",") + "}"
		}
		got, n := kcatCompacted(t, addr, view+"_out")
		if len(want) < 4 {
			t.Fatalf("%s has %d rows: too few to mean much", view, len(want))
		}
		if len(got) != len(want) {
			t.Errorf("%s_out compacts to %d keys, the view has %d rows", view, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s_out key %s: %q, want %q", view, k, got[k], v)
			}
		}
		t.Logf("%s_out: %d records compact to %d rows", view, n, len(got))
	}
	check("per_user", 3, []string{"window_start", "window_end", "user", "n", "s"})
	check("small", 1, []string{"user", "n"})

	show := oracleQuery(t, conn, "SHOW SINKS")
	var names []string
	for _, r := range show {
		names = append(names, r[0]+" "+r[1]+" "+r[2]+" "+r[4])
	}
	if want := []string{"per_user_sink per_user per_user_out running", "small_sink small small_out running"}; !slices.Equal(names, want) {
		t.Errorf("SHOW SINKS: %v, want %v", names, want)
	}
	if _, err := conn.Exec(t.Context(), "DROP MATERIALIZED VIEW small"); err == nil || !strings.Contains(err.Error(), "small_sink") {
		t.Errorf("DROP of a view a sink reads: %v, want an error naming the sink", err)
	}
	oracleExec(t, conn, "DROP SINK small_sink")
	oracleExec(t, conn, "DROP MATERIALIZED VIEW small")

	// A view without a key takes deletes = 'op': each record says what
	// happened to the whole row.
	oracleExec(t, conn, `CREATE MATERIALIZED VIEW big AS SELECT user, amount FROM src WHERE amount >= 100`)
	for _, c := range []struct{ sql, code string }{
		{"CREATE SINK s FROM big WITH (connector = 'kafka', brokers = '" + addr + "', topic = 'small_out')", "22023"},
		{"CREATE SINK s FROM per_user WITH (connector = 'kafka', brokers = '" + addr + "', topic = 'nope')", "42704"},
		{"CREATE SINK s FROM src WITH (connector = 'kafka', brokers = '" + addr + "', topic = 'small_out')", "42809"},
		{"CREATE SINK s FROM per_user WITH (connector = 'kafka', brokers = '" + addr + "', topic = 'small_out', format = 'avro')", "22023"},
	} {
		_, err := conn.Exec(t.Context(), c.sql)
		if err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("%s: %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	oracleExec(t, conn, "CREATE SINK big_sink FROM big WITH (connector = 'kafka', brokers = '"+addr+"', topic = 'small_out', deletes = 'op')")
	// A view over a source sees the rows that arrive after it.
	for p := 0; p < 4; p++ {
		kcatProduce(t, addr, "in", p, line(p, 100, 40), line(p+1, 5, 40), line(p+2, 200, 41))
	}
	oracleExec(t, conn, "FLUSH")
	cmd := exec.Command(kcat(t), "-C", "-b", addr, "-t", "small_out", "-o", "beginning", "-e", "-q", "-Z", "-f", "%k\t%s\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	ops := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "NULL\t{\"op\":\"insert\",\"row\":{\"user\":") {
			ops++
		}
	}
	if ops != 8 {
		t.Errorf("big_sink wrote %d insert records, want 8:\n%s", ops, out)
	}
}
