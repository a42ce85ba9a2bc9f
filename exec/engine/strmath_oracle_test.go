//go:build unix

package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStrMathAgainstPostgres evaluates the string and math builtins over
// generated rows with edge values (NULL, empty and multi-byte text, 0,
// negatives, MIN and MAX) in streamsql and PostgreSQL, one row per query
// so that one row's error hides no other's: each answer must be equal
// (numbers within diffTolerance: Go's and C's sin or cbrt differ in the
// last digit, and numeric arguments compute in double precision here), or
// both must fail with the same SQLSTATE.
func TestStrMathAgainstPostgres(t *testing.T) {
	env := startDiff(t)
	rng := rand.New(rand.NewPCG(18, 2))
	const rows = 40
	pick := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
	text := func() string {
		if rng.IntN(8) == 0 {
			return pick("NULL", "''")
		}
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pick("a", "b", "A", ".", "/", " ", "é", "語", "x1", "''"))
		}
		return "'" + b.String() + "'"
	}
	var vals []string
	for id := range rows {
		vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s)", id, text(),
			pick("'.'", "'/'", "''", "'ab'", "'é'", "' '", "NULL"),
			pick("NULL", "0", "1", "2", "3", "-1", "-2", "5"),
			pick("NULL", "0", "1", "-1", "7", "-12", "2147483647", "-2147483648", fmt.Sprint(rng.Int32N(1000)-500)),
			pick("NULL", "0", "1", "-9223372036854775808", "9223372036854775807", "360", fmt.Sprint(rng.Int64N(1e12)-5e11)),
			pick("NULL", "0", "-0.5", "2.5", "1e10", "-1e-5", "1e300", fmt.Sprintf("%.4f", rng.Float64()*200-100)),
			pick("NULL", "0", "-1234.567", "0.001", "99999999.999", fmt.Sprintf("%.3f", rng.Float64()*1e4-5e3))))
	}
	env.exec(t, "CREATE TABLE sm (id INT, s VARCHAR, d VARCHAR, k INT, i INT, b BIGINT, x FLOAT8, m DECIMAL(12,3))")
	env.exec(t, "INSERT INTO sm VALUES "+strings.Join(vals, ", "))
	exprs := []string{
		"split_part(s, d, k)", "split_part(s, '/', k)", "split_part(s, '.', -1)", "concat(s, k, x, m, NULL, k > 1)",
		"concat_ws(d, s, k, NULL, s)", "lpad(s, k + 3, d)", "rpad(s, k + 2)", "left(s, k)", "right(s, k)",
		"strpos(s, d)", "position(d IN s)", "initcap(s)", "repeat(s, k)", "md5(s)", "btrim(s, d)", "ltrim(s, 'a.')",
		"rtrim(s)", "trim(BOTH d FROM s)", "trim(LEADING FROM s)", "ascii(s)", "chr(i)", "starts_with(s, d)",
		"translate(s, d, 'xy')", "format('%s|%L|%I|%-4s|', s, d, k, m)", "format(d, s)", "replace(s, d, 'Z')", "reverse(s)",
		"power(x, 2)", "power(x, k)", "pow(k, x)", "sqrt(x)", "sqrt(m)", "cbrt(x)", "ln(x)", "ln(m)", "log(x)", "log10(m)",
		"log(2.0, m)", "exp(k)", "exp(x)", "sign(x)", "sign(m)", "sign(i)", "trunc(x)", "trunc(m)", "trunc(m, k)", "trunc(m, 2)",
		"trunc(i, 1)", "div(b, i)", "div(m, 0.7)", "div(i, k)", "mod(b, i)", "mod(m, 0.7)", "gcd(i, 12)", "gcd(b, i)",
		"gcd(m, 0.5)", "lcm(i, k)", "lcm(b, 3)", "lcm(m, 2)", "width_bucket(x, -100, 100, 7)", "width_bucket(m, 0, 50, i)",
		"width_bucket(m, 10.5, -10.5, 4)", "width_bucket(x, 0, 1, k)", "pi() * k", "degrees(x)", "radians(m)", "sin(x)",
		"cos(m)", "tan(x)", "asin(x)", "acos(x / 10)", "atan(m)", "atan2(x, k)", "cot(x)",
	}
	queries := make([]string, 0, len(exprs)*rows)
	for _, e := range exprs {
		for id := range rows {
			queries = append(queries, fmt.Sprintf("SELECT %s FROM sm WHERE id = %d", e, id))
		}
	}
	want := make([]diffAnswer, len(queries))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, q := range queries {
			want[i] = diffQuery(env.pg, q)
		}
	}()
	got := make([]diffAnswer, len(queries))
	for i, q := range queries {
		got[i] = diffQuery(env.eng, q)
	}
	<-done
	equal, refused, failures := 0, 0, 0
	for i, q := range queries {
		v := "equal"
		switch g, w := got[i], want[i]; {
		case g.err != nil || w.err != nil:
			if v = "both refused"; g.state() != w.state() {
				v = fmt.Sprintf("SQLSTATE %s, PostgreSQL's %s", g.state(), w.state())
			}
		default:
			v = diffRows(w.oids, g.rows, w.rows, diffTolerance)
		}
		if g, w := got[i], want[i]; g.state() == "22003" && w.err == nil && diffPast64(w) {
			v = "equal" // div of BIGINTs is a BIGINT here, PostgreSQL's a numeric (README, Dialect)
		}
		switch v {
		case "equal":
			equal++
		case "both refused":
			refused++
		default:
			if failures++; failures <= 20 {
				t.Errorf("%s: %s\n  PostgreSQL: %s\n  streamsql:  %s", q, v, want[i], got[i])
			}
		}
	}
	t.Logf("%d queries: %d equal, %d refused by both with the same SQLSTATE, %d differ", len(queries), equal, refused, failures)
}
