package engine_test

import (
	"fmt"
	"testing"
)

// TestShowMetrics: SHOW METRICS gives the figures /metrics serves, a row
// a series, and they follow the data.
func TestShowMetrics(t *testing.T) {
	conn := connect(t, startServer(t))
	mustExec(t, conn, "CREATE TABLE t (k INT)")
	mustExec(t, conn, "CREATE MATERIALIZED VIEW v AS SELECT k, COUNT(*) AS n FROM t GROUP BY k")
	series := func() map[string]float64 {
		out := map[string]float64{}
		for _, r := range queryValues(t, conn, "SHOW METRICS") {
			out[fmt.Sprintf("%s{%s}", r[0], r[1])] = r[2].(float64)
		}
		return out
	}
	before := series()
	if v, ok := before["streamsql_source_rows_total{source=t}"]; !ok || v != 0 {
		t.Fatalf("before any row: %v", before)
	}
	mustExec(t, conn, "INSERT INTO t VALUES (1), (2), (2)")
	after := series()
	for k, want := range map[string]float64{"streamsql_source_rows_total{source=t}": 3, "streamsql_view_rows{view=v}": 2,
		"streamsql_relations{kind=table}": 1, "streamsql_relations{kind=materialized_view}": 1} {
		if after[k] != want {
			t.Errorf("%s = %v, want %v (all: %v)", k, after[k], want, after)
		}
	}
}
