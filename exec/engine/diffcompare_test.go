package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The differential tests compare rows as multisets of canonical values,
// each column read as the oracle's type says: numbers by value (exactly
// when both are integers, within a relative tolerance otherwise, for AVG
// and DOUBLE), timestamps by instant, booleans and text as they are.

// diffStats counts what a differential run compared.
type diffStats struct{ queries, equal, bothErr, skipped, failures int }

// diffAnswer is a query's rows in text form (NULL as oracleNull) and the
// type of each column, or its error.
type diffAnswer struct {
	rows [][]string
	oids []uint32
	err  error
}

func (a diffAnswer) String() string {
	if a.err != nil {
		return "error: " + a.err.Error()
	}
	if len(a.rows) > 8 {
		return fmt.Sprintf("%d rows: %q ...", len(a.rows), a.rows[:8])
	}
	return fmt.Sprintf("%d rows: %q", len(a.rows), a.rows)
}

func (a diffAnswer) state() string {
	var pe *pgconn.PgError
	if errors.As(a.err, &pe) {
		return pe.Code
	}
	return ""
}

// diffQuery runs sql within a bound, in the simple protocol, so every
// value comes as text.
func diffQuery(conn *pgx.Conn, sql string) diffAnswer {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return diffAnswer{err: err}
	}
	defer rows.Close()
	var a diffAnswer
	for _, f := range rows.FieldDescriptions() {
		a.oids = append(a.oids, f.DataTypeOID)
	}
	for rows.Next() {
		r := rawText(rows.RawValues())
		a.rows = append(a.rows, r)
	}
	if err := rows.Err(); err != nil {
		return diffAnswer{err: err}
	}
	return a
}

// diffKind is how a column of type oid is compared: 'N' number, 'T'
// timestamp, or 'X' text as is.
func diffKind(oid uint32) byte {
	switch oid {
	case 20, 21, 23, 700, 701, 1700: // int8, int2, int4, float4, float8, numeric
		return 'N'
	case 1114: // timestamp
		return 'T'
	}
	return 'X'
}

// Relative tolerances for inexact numbers: a query's, and a view's, whose
// float sums add and retract rows, so that rounding errors of values it
// no longer holds remain (1e15 + x - 1e15 need not be x).
const (
	diffTolerance     = 1e-12
	diffViewTolerance = 1e-9
)

// diffRows says how got differs from want as multisets, or "equal".
func diffRows(oids []uint32, got, want [][]string, tol float64) string {
	return diffRowsWithin(oids, got, want, tol, 0)
}

// diffRowsWithin is diffRows where inexact numbers may also differ by
// abs.
func diffRowsWithin(oids []uint32, got, want [][]string, tol, abs float64) string {
	kinds := make([]byte, len(oids))
	for i, o := range oids {
		kinds[i] = diffKind(o)
	}
	for _, r := range got {
		if len(r) != len(kinds) {
			return fmt.Sprintf("streamsql returned %d columns, PostgreSQL %d", len(r), len(kinds))
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("streamsql returned %d rows, PostgreSQL %d", len(got), len(want))
	}
	g, w := diffSorted(kinds, got), diffSorted(kinds, want)
	pairwise := true
	for i := range g {
		if !diffRowEqual(kinds, g[i], w[i], tol, abs) {
			pairwise = false
			break
		}
	}
	if pairwise {
		return "equal"
	}
	// Rounding may have ordered near-equal values differently: match each
	// row greedily before calling it a difference.
	used := make([]bool, len(w))
next:
	for _, r := range g {
		for j, s := range w {
			if !used[j] && diffRowEqual(kinds, r, s, tol, abs) {
				used[j] = true
				continue next
			}
		}
		return fmt.Sprintf("streamsql's row %q is not in PostgreSQL's answer", r)
	}
	return "equal"
}

// diffSorted sorts a copy of rows by their canonical keys.
func diffSorted(kinds []byte, rows [][]string) [][]string {
	type keyed struct {
		key string
		row []string
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			parts[j] = diffKey(kinds[j], v)
		}
		ks[i] = keyed{strings.Join(parts, "\x00"), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([][]string, len(ks))
	for i, k := range ks {
		out[i] = k.row
	}
	return out
}

// diffKey is a sort key of a value: numbers rounded to 8 digits, then
// exact, so that near-equal values sort the same way on both sides.
func diffKey(kind byte, v string) string {
	if v == oracleNull {
		return v
	}
	switch kind {
	case 'N':
		if f, ok := diffFloat(v); ok {
			exact := v
			if r, ok := new(big.Rat).SetString(v); ok {
				exact = r.RatString()
			}
			return strconv.FormatFloat(f, 'e', 7, 64) + " " + exact
		}
	case 'T':
		// PostgreSQL writes year 0 as 1 BC, and so on back.
		bc, ok := strings.CutSuffix(v, " BC")
		if ts, err := time.Parse("2006-01-02 15:04:05.999999999", bc); err == nil {
			if ok {
				ts = ts.AddDate(1-2*ts.Year(), 0, 0)
			}
			return ts.Format(oracleTime)
		}
	}
	return v
}

func diffRowEqual(kinds []byte, a, b []string, tol, abs float64) bool {
	for i := range a {
		if !diffValueEqual(kinds[i], a[i], b[i], tol, abs) {
			return false
		}
	}
	return true
}

func diffValueEqual(kind byte, a, b string, tol, abs float64) bool {
	if a == b {
		return true
	}
	if a == oracleNull || b == oracleNull {
		return false
	}
	switch kind {
	case 'N':
		ra, oka := new(big.Rat).SetString(a)
		rb, okb := new(big.Rat).SetString(b)
		if oka && okb && ra.Cmp(rb) == 0 {
			return true
		}
		if diffInteger(a) && diffInteger(b) {
			return false
		}
		fa, oka := diffFloat(a)
		fb, okb := diffFloat(b)
		if !oka || !okb {
			return false
		}
		if math.IsInf(fa, 0) || math.IsInf(fb, 0) || math.IsNaN(fa) || math.IsNaN(fb) {
			return fa == fb || (math.IsNaN(fa) && math.IsNaN(fb))
		}
		return math.Abs(fa-fb) <= tol*max(math.Abs(fa), math.Abs(fb))+max(abs, 1e-300)
	case 'T':
		return diffKey(kind, a) == diffKey(kind, b)
	}
	return false
}

func diffInteger(s string) bool {
	_, err := strconv.ParseInt(strings.TrimPrefix(s, "-"), 10, 64)
	return err == nil || strings.Trim(s, "-0123456789") == ""
}

// diffFloat reads a number as PostgreSQL or Go prints it.
func diffFloat(s string) (float64, bool) {
	switch s {
	case "Infinity", "+Inf":
		return math.Inf(1), true
	case "-Infinity", "-Inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}
