package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// TestTemporalFilter runs testdata/temporal, NOW() in views' WHERE as the
// injected clock moves, on both backends.
func TestTemporalFilter(t *testing.T) {
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			var b state.Backend
			var err error
			if name == "memory" {
				b, err = memory.Open("")
			} else {
				b, err = pebble.Open(t.TempDir(), pebble.Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			e, s, setClock := clockedEngineOn(t, time.Millisecond, b)
			runClocked(t, "testdata/temporal", e, s, setClock)
		})
	}
}

// TestTemporalFilterOracle checks views with temporal filters against the
// same query asked ad hoc, where NOW() is a constant: after every step of
// a seeded run of upserts (which retract), rows from the past and the
// future, and clock moves, each view holds exactly what its query answers
// now. Both backends.
func TestTemporalFilterOracle(t *testing.T) {
	queries := map[string]string{
		"upper":  "SELECT id, ts FROM ev WHERE ts > NOW() - INTERVAL '10' SECOND",
		"lower":  "SELECT id, v FROM ev WHERE ts <= NOW()",
		"bounds": "SELECT id, v FROM ev WHERE v > 2 AND ts <= NOW() + INTERVAL '1' SECOND AND NOW() < ts + INTERVAL '5' SECOND",
		"agg":    "SELECT v % 3 AS k, count(*) AS n, sum(v) AS s FROM ev WHERE ts >= NOW() - INTERVAL '7' SECOND AND ts < NOW() + INTERVAL '3' SECOND GROUP BY v % 3",
	}
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			var b state.Backend
			var err error
			if name == "memory" {
				b, err = memory.Open("")
			} else {
				b, err = pebble.Open(t.TempDir(), pebble.Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			var clock atomic.Int64 // ms past the epoch
			epoch := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			e := New(b)
			e.opts.Clock = func() time.Time { return epoch.Add(time.Duration(clock.Load()) * time.Millisecond) }
			t.Cleanup(func() { e.Close() })
			s, _ := e.NewSession("test", "test")
			must := func(sql string) string {
				t.Helper()
				out := runSQL(s, sql)
				if strings.HasPrefix(out, "error:") {
					t.Fatalf("%s: %s", sql, out)
				}
				return out
			}
			must("CREATE TABLE ev (id INT PRIMARY KEY, ts TIMESTAMP, v INT)")
			for v, q := range queries {
				must("CREATE MATERIALIZED VIEW " + v + " AS " + q)
			}
			rng := rand.New(rand.NewPCG(7, 7))
			for step := range 300 {
				if rng.IntN(3) == 0 {
					clock.Add(int64(rng.IntN(4)) * 1000) // whole seconds, so bounds are hit exactly
					if err := e.tickIdle(); err != nil {
						t.Fatal(err)
					}
				} else {
					ts := "NULL"
					if rng.IntN(20) > 0 {
						at := epoch.Add(time.Duration(clock.Load()+int64(rng.IntN(30)-15)*1000) * time.Millisecond)
						ts = "TIMESTAMP '" + at.Format("2006-01-02 15:04:05.000") + "'"
					}
					must(fmt.Sprintf("INSERT INTO ev VALUES (%d, %s, %d)", rng.IntN(40), ts, rng.IntN(10)))
				}
				for v, q := range queries {
					got, want := must("SELECT * FROM "+v+" ORDER BY 1, 2"), must(q+" ORDER BY 1, 2")
					if got != want {
						t.Fatalf("step %d, clock %d ms, view %s:\n got %q\nwant %q", step, clock.Load(), v, got, want)
					}
				}
			}
		})
	}
}
