package slt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// outcome is what the server answered to one record's SQL.
type outcome struct {
	err  error
	tag  pgconn.CommandTag         // of the last statement
	cols []pgconn.FieldDescription // of the last statement that returned a row description
	rows [][]string                // every row of every statement, formatted by formatValue
}

// execute sends sql with the simple query protocol, so that it reaches the server exactly as written (no
// client-side placeholder handling) and every value comes back as text. When sql holds several statements
// the rows of all of them are kept, as sqllogictest-rs does.
func execute(ctx context.Context, conn *pgx.Conn, sql string) outcome {
	var out outcome
	mrr := conn.PgConn().Exec(ctx, sql)
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		if fds := rr.FieldDescriptions(); fds != nil {
			out.cols = slices.Clone(fds)
		}
		for rr.NextRow() {
			raw := rr.Values()
			row := make([]string, len(raw))
			for i, v := range raw {
				row[i] = formatValue(v)
			}
			out.rows = append(out.rows, row)
		}
		tag, err := rr.Close()
		if err != nil && out.err == nil {
			out.err = err
		}
		out.tag = tag
	}
	if err := mrr.Close(); err != nil && out.err == nil {
		out.err = err
	}
	return out
}

// formatValue turns a raw text value into the form a file holds: NULL for null, (empty) for "".
func formatValue(v []byte) string {
	switch {
	case v == nil:
		return "NULL"
	case len(v) == 0:
		return "(empty)"
	}
	return string(v)
}

// errorText is the text an expected error's pattern is matched against, "<message> (SQLSTATE <code>)" for
// a server error, and the message alone.
func errorText(err error) (text, message string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code), pgErr.Message
	}
	return err.Error(), err.Error()
}

// rowLine is the line a file holds for row: its values joined by single spaces.
func rowLine(row []string) string { return strings.Join(row, " ") }

// arrange returns the lines to compare for a query's rows under mode: as they came for nosort, sorted for
// rowsort, and one whitespace-separated token per line, sorted, for valuesort. It does not modify lines.
func arrange(lines []string, mode SortMode) []string {
	switch mode {
	case RowSort:
		out := slices.Clone(lines)
		slices.SortStableFunc(out, func(a, b string) int { return strings.Compare(normalize(a), normalize(b)) })
		return out
	case ValueSort:
		var out []string
		for _, l := range lines {
			out = append(out, strings.Fields(l)...)
		}
		slices.Sort(out)
		return out
	}
	return lines
}

// sameLines reports whether want and got hold the same lines up to whitespace.
func sameLines(want, got []string) bool {
	return slices.EqualFunc(want, got, func(a, b string) bool { return normalize(a) == normalize(b) })
}

// typeLetters derives a query's type letters from its columns, for rewriting: I for integers, R for
// floating point and numeric, B for bool and T for the rest.
func typeLetters(cols []pgconn.FieldDescription) string {
	var b strings.Builder
	for _, c := range cols {
		switch c.DataTypeOID {
		case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
			b.WriteByte('I')
		case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
			b.WriteByte('R')
		case pgtype.BoolOID:
			b.WriteByte('B')
		default:
			b.WriteByte('T')
		}
	}
	return b.String()
}

// resultLines is what a rewrite writes after ---- for rows under mode: rows sorted for rowsort, and one
// value per line, sorted, for valuesort. A value holding a line break is written with its whitespace
// collapsed, which compares the same.
func resultLines(rows [][]string, mode SortMode) []string {
	var lines []string
	if mode == ValueSort {
		for _, row := range rows {
			lines = append(lines, row...)
		}
		slices.SortStableFunc(lines, func(a, b string) int { return strings.Compare(normalize(a), normalize(b)) })
	} else {
		for _, row := range rows {
			lines = append(lines, rowLine(row))
		}
		if mode == RowSort {
			lines = arrange(lines, RowSort)
		}
	}
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			lines[i] = normalize(l)
		}
	}
	return lines
}
