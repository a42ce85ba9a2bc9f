package engine_test

import (
	"testing"
)

// TestExprErrorsSurviveRestart: a view's count of failed values (NULLs
// where an ad-hoc query would have failed) comes back after a restart,
// neither lost nor counted twice by the insert log's replay.
func TestExprErrorsSurviveRestart(t *testing.T) {
	run := restartable(t)
	errorsOf := func(rows [][]any) any {
		for _, r := range rows {
			if r[0] == "v" {
				return r[7] // expression_errors
			}
		}
		return nil
	}
	run(`CREATE TABLE t (k BIGINT)`,
		`CREATE MATERIALIZED VIEW v AS SELECT k * k AS sq FROM t`,
		`INSERT INTO t VALUES (3), (4294967296)`,
		`SELECT 1`)
	if got := errorsOf(run(`SHOW MATERIALIZED VIEWS`)); got != int64(1) {
		t.Errorf("expression_errors after a restart = %v, want 1", got)
	}
	if got := errorsOf(run(`INSERT INTO t VALUES (-4294967296)`, `SHOW MATERIALIZED VIEWS`)); got != int64(2) {
		t.Errorf("expression_errors after another overflow = %v, want 2", got)
	}
	if got := run(`SELECT count(*), count(sq) FROM v`); len(got) != 1 || got[0][0] != int64(3) || got[0][1] != int64(1) {
		t.Errorf("rows of v = %v, want [[3 1]]", got)
	}
}
