package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaReadColumns: a Kafka source decodes only the columns its views
// read. A record whose only fault is a value of the wrong type in a column
// no view reads is a good row (as with Flink's projection pushdown); once
// a view reads that column such a record is bad, and the view gets the
// column's values from then on; after the view is dropped, and after a
// restart (the set is rebuilt from the restored views), it is good again.
// The view over the other columns gives the rows it gave before.
func TestKafkaReadColumns(t *testing.T) {
	addr, cl := startKafka(t, "reads")
	open := memoryReopener(t)
	rng := rand.New(rand.NewPCG(15, 4))
	type rec struct {
		user, amount, note int64
		badAmount, badNote bool
	}
	var good []rec // what the per-user view counts
	var notes []string
	produceSome := func(n int, noteRead bool) (bad int) {
		var recs []*kgo.Record
		for i := 0; i < n; i++ {
			r := rec{user: rng.Int64N(5), amount: rng.Int64N(100), note: rng.Int64N(1000),
				badAmount: rng.IntN(10) == 0, badNote: rng.IntN(4) == 0}
			amount, note := strconv.FormatInt(r.amount, 10), strconv.FormatInt(r.note, 10)
			if r.badAmount {
				amount = `"lots"`
			}
			if r.badNote {
				note = `"oops"`
			}
			v := fmt.Sprintf(`{"user": %d, "amount": %s, "note": %s, "ts": "2024-01-01 00:00:%02d", "extra": "x"}`, r.user, amount, note, i%60)
			recs = append(recs, &kgo.Record{Topic: "reads", Partition: int32(i % 4), Value: []byte(v)})
			switch {
			case r.badAmount || noteRead && r.badNote:
				bad++
			default:
				good = append(good, r)
				if noteRead {
					notes = append(notes, fmt.Sprintf("%d %d", r.user, r.note))
				}
			}
		}
		produce(t, cl, recs...)
		return bad
	}
	conn, stop := open()
	oracleExec(t, conn, fmt.Sprintf(`CREATE SOURCE src (user BIGINT, amount BIGINT, note BIGINT, ts TIMESTAMP(0),
		WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'kafka', brokers = '%s', topic = 'reads', format = 'json')`, addr))
	oracleExec(t, conn, `CREATE MATERIALIZED VIEW per_user AS SELECT user, COUNT(*) AS n, SUM(amount) AS s FROM src GROUP BY user`)
	verify := func(what string, wantBad int, noteView bool) {
		t.Helper()
		oracleExec(t, conn, "FLUSH")
		sums := map[int64][2]int64{}
		for _, r := range good {
			s := sums[r.user]
			sums[r.user] = [2]int64{s[0] + 1, s[1] + r.amount}
		}
		var want []string
		for u, s := range sums {
			want = append(want, fmt.Sprintf("%d %d %d", u, s[0], s[1]))
		}
		slices.Sort(want)
		if got := textRows(t, conn, "SELECT * FROM per_user ORDER BY user"); !slices.Equal(got, want) {
			t.Errorf("%s: per_user\n got %v\nwant %v", what, got, want)
		}
		if noteView {
			got := textRows(t, conn, "SELECT * FROM notes")
			slices.Sort(got)
			want := slices.Clone(notes)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: notes\n got %v\nwant %v", what, got, want)
			}
		}
		if got := oracleQuery(t, conn, "SHOW SOURCES")[0][8]; got != strconv.Itoa(wantBad) {
			t.Errorf("%s: bad_rows %s, want %d", what, got, wantBad)
		}
	}
	bad := produceSome(200, false)
	verify("no view reads note", bad, false)

	oracleExec(t, conn, `CREATE MATERIALIZED VIEW notes AS SELECT user, note FROM src`)
	bad += produceSome(200, true)
	verify("a view reads note", bad, true)

	oracleExec(t, conn, `DROP MATERIALIZED VIEW notes`)
	bad += produceSome(200, false)
	verify("the view reading note dropped", bad, false)
	stop()

	conn, stop = open()
	defer stop()
	oracleExec(t, conn, "FLUSH")
	restarted := oracleQuery(t, conn, "SHOW SOURCES")[0][8] // the counters start again
	n, _ := strconv.Atoi(restarted)
	n += produceSome(200, false)
	verify("after a restart", n, false)
}
