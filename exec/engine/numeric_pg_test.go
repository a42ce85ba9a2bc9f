package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// numericValues are the oracle's NUMERIC inputs: edge values (zero in
// several scales, halves for rounding, the BIGINT bounds and one past,
// 38+ digits, tiny scales, exponent forms) and seeded random ones.
func numericValues(r *rand.Rand, n int) []string {
	vs := []string{"0", "0.0", "-0.000", "1", "-1", "0.5", "-0.5", "1.5", "2.5", "-2.5", "0.05", "-0.005",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"12345678901234567890123456789012345678.123", "-99999999999999999999999999999999999999",
		"0.000000000000000000000000000001", "99999999.995", "-99999999.994", "1e-20", "2.5E+3", "7", "3",
		"0.3333", "10000", "0.0001", "123.4500"}
	for len(vs) < n {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteByte('-')
		}
		ints, frac := r.IntN(25), r.IntN(22)
		if ints == 0 && frac == 0 {
			ints = 1
		}
		for i := 0; i < ints; i++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		if ints == 0 {
			b.WriteByte('0')
		}
		if frac > 0 {
			b.WriteByte('.')
			for i := 0; i < frac; i++ {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
		}
		vs = append(vs, b.String())
	}
	return vs
}

// TestNumericAgainstPostgres loads the same generated NUMERIC values
// into streamsql and PostgreSQL 15 and compares, as text, every row of
// arithmetic, division at PostgreSQL's scale, rounding, comparisons,
// casts (each row alone, so that each 22003 is compared), and SUM, AVG,
// MIN and MAX per group, ad hoc and in a view fed with retractions.
func TestNumericAgainstPostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	ctx := context.Background()
	pc, err := pgx.Connect(ctx, pg.URL("postgres")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	addr := startServer(t)
	ours := connect(t, addr)
	run := func(c *pgx.Conn, sql string) string { return oracleRows(ctx, c, sql) }
	both := func(sql string) {
		t.Helper()
		want, got := run(pc, sql), run(ours, sql)
		if want != got {
			t.Errorf("%s\nPostgreSQL:\n%s\nstreamsql:\n%s", sql, want, got)
		}
	}
	const seed = 18
	r := rand.New(rand.NewPCG(seed, 14))
	vs := numericValues(r, 140)
	ddl := "CREATE TABLE nt (id INT, k INT, a NUMERIC, b NUMERIC, c DECIMAL(10,2), i BIGINT)"
	for _, c := range []*pgx.Conn{pc, ours} {
		if s := run(c, ddl); strings.HasPrefix(s, "error") {
			t.Fatalf("%s: %s", ddl, s)
		}
	}
	ints := []string{"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "12345", "-7"}
	var rows []string
	for id, a := range vs {
		b := vs[(id*7+3)%len(vs)]
		c := fmt.Sprintf("%d.%02d", r.IntN(2000000)-1000000, r.IntN(100))
		rows = append(rows, fmt.Sprintf("(%d, %d, '%s', '%s', %s, %s)", id, id%5, a, b, c, ints[id%len(ints)]))
	}
	insert := "INSERT INTO nt VALUES " + strings.Join(rows, ", ")
	for _, c := range []*pgx.Conn{pc, ours} {
		if s := run(c, insert); strings.HasPrefix(s, "error") {
			t.Fatalf("insert: %s", s)
		}
	}
	t.Logf("seed %d, %d values", seed, len(vs))
	// Expressions that cannot fail, over every row at once.
	for _, e := range []string{
		"a + b, a - b, a * b, -a, abs(a)",
		"a / NULLIF(b, 0), a % NULLIF(b, 0)",
		"round(a), round(a, 2), round(a, 0), floor(a), ceil(a), trunc(a), trunc(a, 2), trunc(a, -2), trunc(b, 40)",
		"a < b, a = b, a >= b, a = a * 1, a + c, c * c * c * c * c * c * c, i * a, i + 1.5, c / 7",
		"CAST(a AS DOUBLE PRECISION), CAST(c AS NUMERIC), CAST(a AS TEXT)",
	} {
		both("SELECT id, " + e + " FROM nt ORDER BY id")
	}
	// Casts that may fail, each row alone.
	for id := range vs {
		for _, e := range []string{"CAST(a AS BIGINT)", "CAST(a AS INT)", "CAST(a AS NUMERIC(10,2))", "CAST(a AS DECIMAL(40,20))", "CAST(a AS DECIMAL(18,6))",
			"sqrt(a)", "ln(a)", "log(a)", "log10(abs(a))", "exp(a / 1000000000000)", "sqrt(c)", "ln(c)", "log(abs(b) + 0.5, abs(a) + 1)", "log(a, b)",
			"power(a, 2)", "power(c, -3)", "power(abs(a) + 1, 0.5)", "power(a, b)", "c ^ (id % 7 - 3)", "power(i, 0.5)", "1.5 ^ (c / 100000)"} {
			both(fmt.Sprintf("SELECT %s FROM nt WHERE id = %d", e, id))
		}
	}
	// The binary format, as pgx reads it into pgtype.Numeric (extended
	// protocol): the same digits, exponent and sign as PostgreSQL sends.
	binary := func(conn *pgx.Conn) string {
		rows, err := conn.Query(ctx, "SELECT a, a * b, sum(i) OVER () FROM nt ORDER BY id", pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for rows.Next() {
			var x, y, z pgtype.Numeric
			if err := rows.Scan(&x, &y, &z); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%se%d %se%d %se%d\n", x.Int, x.Exp, y.Int, y.Exp, z.Int, z.Exp)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		return b.String()
	}
	pgExt, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pgExt.Close(ctx)
	if want, got := binary(pgExt), binary(connectMode(t, addr, false)); want != got {
		t.Errorf("binary NUMERIC:\nPostgreSQL:\n%s\nstreamsql:\n%s", want, got)
	}
	both("SELECT a, count(*) FROM nt GROUP BY a ORDER BY a LIMIT 20")
	both("SELECT id, a FROM nt ORDER BY a, id")
	aggs := "SELECT k, sum(a), avg(a), min(a), max(a), sum(i), avg(i), sum(c), avg(c), count(*) FROM nt GROUP BY k ORDER BY k"
	both(aggs)
	// A view over the same rows, with retractions through a filter that
	// rows leave (an upsert), must equal the batch answer.
	if _, err := ours.Exec(ctx, "CREATE TABLE nu (id INT PRIMARY KEY, k INT, a NUMERIC, i BIGINT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := ours.Exec(ctx, "CREATE MATERIALIZED VIEW nv AS SELECT k, sum(a) AS s, avg(a) AS av, sum(i) AS si, avg(i) AS ai, min(a) AS mn, max(a) AS mx FROM nu GROUP BY k"); err != nil {
		t.Fatal(err)
	}
	var first, final []string
	for id, a := range vs {
		first = append(first, fmt.Sprintf("(%d, %d, '%s', %s)", id, id%5, vs[len(vs)-1-id], ints[(id+3)%len(ints)]))
		final = append(final, fmt.Sprintf("(%d, %d, '%s', %s)", id, id%5, a, ints[id%len(ints)]))
	}
	for _, ins := range []string{strings.Join(first, ", "), strings.Join(final, ", ")} {
		if _, err := ours.Exec(ctx, "INSERT INTO nu VALUES "+ins); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ours.Exec(ctx, "FLUSH"); err != nil {
		t.Fatal(err)
	}
	view := run(ours, "SELECT k, s, av, si, ai, mn, mx FROM nv ORDER BY k")
	batch := run(pc, "SELECT k, sum(a), avg(a), sum(i), avg(i), min(a), max(a) FROM nt GROUP BY k ORDER BY k")
	if view != batch {
		t.Errorf("view after upserts:\n%s\nPostgreSQL over the final rows:\n%s", view, batch)
	}
}
