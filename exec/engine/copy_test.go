//go:build unix

package engine_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestCopyAgainstPostgres loads the same generated data with COPY FROM
// STDIN into streamsql and PostgreSQL, in text and CSV with and without
// HEADER and with other delimiters and NULL strings (edge values: NULL,
// empty strings, quotes, delimiters, backslashes, tabs and newlines in
// text, multi-byte text), then reads both back with COPY TO STDOUT in
// each format: the bytes must be the same. Bad input fails alike, with
// the same SQLSTATE, and applies nothing.
func TestCopyAgainstPostgres(t *testing.T) {
	env := startDiff(t)
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(5, 5))
	words := []string{"", "a", "b,c", `q"uote`, `back\slash`, "tab\there", "new\nline", "crlf\r\nx", "é漢字", `\.`, `\N`, "NULL", " sp ", "x|y"}
	const create = "CREATE TABLE c (id INT, s VARCHAR, n BIGINT, d DECIMAL(12,3), f DOUBLE PRECISION, b BOOLEAN, ts TIMESTAMP)"
	env.exec(t, create)
	type format struct{ from, to string }
	formats := []format{
		{"", ""},
		{"WITH (FORMAT csv)", "WITH (FORMAT csv)"},
		{"CSV HEADER", "CSV HEADER"},
		{"WITH (FORMAT csv, DELIMITER '|', NULL 'NULL', HEADER true)", "WITH (FORMAT csv, DELIMITER ';', NULL '-')"},
		{"WITH (DELIMITER ',', NULL '')", "WITH (FORMAT text, NULL 'nil', HEADER)"},
	}
	for round, f := range formats {
		var data bytes.Buffer
		csv := strings.Contains(strings.ToLower(f.from), "csv")
		delim, null := "\t", `\N`
		switch {
		case strings.Contains(f.from, "'|'"):
			delim, null = "|", "NULL"
		case strings.Contains(f.from, "DELIMITER ','"):
			delim, null = ",", ""
		case csv:
			delim, null = ",", ""
		}
		if strings.Contains(f.from, "HEADER") {
			data.WriteString(strings.Join([]string{"id", "s", "n", "d", "f", "b", "ts"}, delim) + "\n")
		}
		enc := func(s string) string {
			if csv {
				if s == null || strings.ContainsAny(s, delim+"\"\r\n") || s == `\.` {
					return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
				}
				return s
			}
			r := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, delim, `\`+delim)
			return r.Replace(s)
		}
		for i := range 200 {
			vals := []string{fmt.Sprint(round*1000 + i)}
			pick := func(v string) string {
				if rng.IntN(6) == 0 {
					return null
				}
				return v
			}
			vals = append(vals,
				pick(enc(words[rng.IntN(len(words))])),
				pick(fmt.Sprint([]int64{0, -1, 1 << 62, -1 << 63, 42}[rng.IntN(5)])),
				pick(fmt.Sprintf("%d.%03d", rng.IntN(2000000)-1000000, rng.IntN(1000))),
				pick([]string{"0", "-0", "1.5", "1e300", "-2.25e-5", "3"}[rng.IntN(6)]),
				pick([]string{"t", "f", "true", "FALSE", "yes", "0"}[rng.IntN(6)]),
				pick([]string{"2024-02-29 23:59:59.123456", "1970-01-01 00:00:00", "2000-01-01"}[rng.IntN(3)]))
			data.WriteString(strings.Join(vals, delim) + "\n")
		}
		copyIn := "COPY c FROM STDIN " + f.from
		for _, side := range []struct {
			name string
			run  func() (int64, error)
		}{
			{"streamsql", func() (int64, error) {
				tag, err := env.eng.PgConn().CopyFrom(ctx, bytes.NewReader(data.Bytes()), copyIn)
				return tag.RowsAffected(), err
			}},
			{"PostgreSQL", func() (int64, error) {
				tag, err := env.pg.PgConn().CopyFrom(ctx, bytes.NewReader(data.Bytes()), copyIn)
				return tag.RowsAffected(), err
			}},
		} {
			n, err := side.run()
			if err != nil || n != 200 {
				t.Fatalf("%s: %s: %d rows, %v", side.name, copyIn, n, err)
			}
		}
		for _, out := range []string{"COPY c TO STDOUT " + f.to, "COPY (SELECT * FROM c ORDER BY id) TO STDOUT " + f.to} {
			var got, want bytes.Buffer
			if _, err := env.eng.PgConn().CopyTo(ctx, &got, out); err != nil {
				t.Fatalf("streamsql: %s: %v", out, err)
			}
			if _, err := env.pg.PgConn().CopyTo(ctx, &want, strings.Replace(out, "COPY c TO", "COPY (SELECT * FROM c ORDER BY id) TO", 1)); err != nil {
				t.Fatalf("PostgreSQL: %s: %v", out, err)
			}
			if strings.HasPrefix(out, "COPY c TO") {
				got, want = sortedLines(got.Bytes(), strings.Contains(f.to, "HEADER")), sortedLines(want.Bytes(), strings.Contains(f.to, "HEADER"))
			}
			if g, w := strings.SplitAfter(got.String(), "\n"), strings.SplitAfter(want.String(), "\n"); got.String() != want.String() {
				for i := range min(len(g), len(w)) {
					if g[i] != w[i] {
						t.Fatalf("%s after %s differs at line %d:\n got %q\nwant %q", out, copyIn, i+1, g[i], w[i])
					}
				}
				t.Fatalf("%s after %s: %d lines, PostgreSQL %d", out, copyIn, len(g), len(w))
			}
		}
	}
	// Bad input: the same SQLSTATE, and nothing applied.
	for _, bad := range []struct{ data, opts string }{
		{"1\tx\t2\t1.0\t1\tt\t2024-01-01\n2\ty\n", ""},
		{"1,x,2,1.0,1,t,2024-01-01,9\n", "CSV"},
		{"1\tx\tnotanint\t1.0\t1\tt\t2024-01-01\n", ""},
		{"1\tx\t99999999999999999999\t1.0\t1\tt\t2024-01-01\n", ""},
		{"1,\"unterminated\n", "CSV"},
		{"1\tx\t2\t1.0\t1\tmaybe\t2024-01-01\n", ""},
	} {
		copyIn := "COPY c FROM STDIN " + bad.opts
		_, gerr := env.eng.PgConn().CopyFrom(ctx, strings.NewReader(bad.data), copyIn)
		_, werr := env.pg.PgConn().CopyFrom(ctx, strings.NewReader(bad.data), copyIn)
		if gerr == nil || werr == nil || code(gerr) != code(werr) {
			t.Errorf("%q: streamsql %v, PostgreSQL %v", bad.data, gerr, werr)
		}
	}
	env.compare(t, "SELECT count(*) FROM c")
}

// sortedLines orders COPY output lines (a table's rows come in no order),
// keeping a header first.
func sortedLines(b []byte, header bool) bytes.Buffer {
	lines := strings.SplitAfter(string(b), "\n")
	start := 0
	if header {
		start = 1
	}
	body := lines[start:]
	slices.Sort(body)
	var out bytes.Buffer
	out.WriteString(strings.Join(lines[:start], ""))
	out.WriteString(strings.Join(body, ""))
	return out
}

// code is err's SQLSTATE, or "" for another error.
func code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestCopyFromPgx bulk-loads with pgx's CopyFrom, which sends COPY FROM
// STDIN BINARY with each value in its column type's binary form; the rows
// read back are the rows sent, edge values and NULLs included.
func TestCopyFromPgx(t *testing.T) {
	conn := connectMode(t, startServer(t), false)
	mustExec(t, conn, "CREATE TABLE c (i INT, n BIGINT, f DOUBLE PRECISION, d DECIMAL(10,2), s VARCHAR, b BOOLEAN, ts TIMESTAMP)")
	ts := time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)
	rows := [][]any{
		{int32(math.MinInt32), int64(math.MaxInt64), math.Inf(-1), "-0.01", "", false, time.Unix(0, 0).UTC()},
		{int32(1), int64(math.MinInt64), 1.5, "12345678.91", "héllo\tworld", true, ts},
		{int32(3), nil, nil, nil, nil, nil, nil},
	}
	for i := 4; i < 1000; i++ {
		rows = append(rows, []any{int32(i), int64(i) * 1e12, float64(i) / 7, fmt.Sprintf("%d.%02d", i, i%100), strings.Repeat("x", i%17), i%2 == 0, ts.Add(time.Duration(i) * time.Second)})
	}
	cols := []string{"i", "n", "f", "d", "s", "b", "ts"}
	n, err := conn.CopyFrom(t.Context(), pgx.Identifier{"c"}, cols, pgx.CopyFromRows(rows))
	if err != nil || n != int64(len(rows)) {
		t.Fatalf("CopyFrom: %d rows, %v", n, err)
	}
	got, err := conn.Query(t.Context(), "SELECT i, n, f, d::VARCHAR, s, b, ts FROM c ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for got.Next() {
		vals, err := got.Values()
		if err != nil {
			t.Fatal(err)
		}
		want := rows[k]
		for j := range want {
			if w, g := fmt.Sprint(want[j]), fmt.Sprint(vals[j]); w != g && !(want[j] == nil && vals[j] == nil) {
				t.Errorf("row %d column %s: got %s, want %s", k, cols[j], g, w)
			}
		}
		k++
	}
	if got.Err() != nil || k != len(rows) {
		t.Fatalf("%d rows read back, %v", k, got.Err())
	}
	// A value the column cannot hold fails the whole COPY.
	_, err = conn.CopyFrom(t.Context(), pgx.Identifier{"c"}, []string{"i", "d"}, pgx.CopyFromRows([][]any{{int32(9), "1.00"}, {int32(10), "123456789012.5"}}))
	if code(err) != "22003" {
		t.Errorf("overflowing COPY: %v, want 22003", err)
	}
}
