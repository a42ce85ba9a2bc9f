package slt

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

func failure(rec *Record, summary, detail string) *Failure {
	return &Failure{Path: rec.Path, Line: rec.Line, SQL: rec.SQL, Summary: summary, Detail: detail}
}

// checkStatement compares a statement's outcome with what rec expects. It returns the failure, or nil,
// and the body that would make rec pass.
func checkStatement(rec *Record, out outcome) (*Failure, []string) {
	switch {
	case rec.Error != nil && out.err == nil:
		return failure(rec, "statement succeeded, but an error was expected",
				expectedActual(rec.Error.String(), "ok ("+out.tag.String()+")")),
			body("statement ok", rec.SQL, false, nil)
	case rec.Error != nil:
		text, message := errorText(out.err)
		if fromServer(out.err) && rec.Error.matches(text, message) {
			return nil, nil
		}
		return failure(rec, "statement failed with a different error",
			expectedActual(rec.Error.String(), "error: "+text)), errorBody("statement", rec, out.err)
	case out.err != nil:
		text, _ := errorText(out.err)
		want := "ok"
		if rec.CheckCount {
			want = fmt.Sprintf("count %d", rec.Count)
		}
		return failure(rec, "statement failed", expectedActual(want, "error: "+text)),
			errorBody("statement", rec, out.err)
	case rec.CheckCount && out.tag.RowsAffected() != rec.Count:
		n := out.tag.RowsAffected()
		return failure(rec, fmt.Sprintf("statement affected %d rows, expected %d", n, rec.Count),
				expectedActual(fmt.Sprintf("count %d", rec.Count), fmt.Sprintf("count %d (%s)", n, out.tag))),
			body(fmt.Sprintf("statement count %d", n), rec.SQL, false, nil)
	}
	return nil, nil
}

// checkQuery compares a query's outcome, its rows arranged by mode, with what rec expects. It returns the
// failure, or nil, and the body that would make rec pass.
func checkQuery(rec *Record, out outcome, mode SortMode) (*Failure, []string) {
	if rec.Error != nil {
		if out.err == nil {
			return failure(rec, "query succeeded, but an error was expected",
				expectedActual(rec.Error.String(), rowCount(len(out.rows)))), queryBody(rec, out, mode)
		}
		text, message := errorText(out.err)
		if fromServer(out.err) && rec.Error.matches(text, message) {
			return nil, nil
		}
		return failure(rec, "query failed with a different error",
			expectedActual(rec.Error.String(), "error: "+text)), errorBody("query", rec, out.err)
	}
	if out.err != nil {
		text, _ := errorText(out.err)
		return failure(rec, "query failed",
			expectedActual(rowCount(len(rec.Results)), "error: "+text)), errorBody("query", rec, out.err)
	}

	var summaries, details []string
	if len(out.cols) != len(rec.Types) {
		summaries = append(summaries, fmt.Sprintf("query returned %d columns, but its types %q declare %d",
			len(out.cols), rec.Types, len(rec.Types)))
		names := make([]string, len(out.cols))
		for i, c := range out.cols {
			names[i] = c.Name
		}
		details = append(details, "columns: "+strings.Join(names, ", "))
	}
	got := make([]string, len(out.rows))
	for i, row := range out.rows {
		got[i] = rowLine(row)
	}
	want, got := arrange(rec.Results, mode), arrange(got, mode)
	if !sameLines(want, got) {
		unit := "rows"
		if mode == ValueSort {
			unit = "values"
		}
		summaries = append(summaries, "query returned different "+unit)
		details = append(details, fmt.Sprintf("expected %d %s, got %d (%s; - expected, + actual):\n%s",
			len(want), unit, len(got), mode, diffLines(want, got)))
	}
	if summaries == nil {
		return nil, nil
	}
	return failure(rec, strings.Join(summaries, "; "), strings.Join(details, "\n")), queryBody(rec, out, mode)
}

// body builds a record's lines: its directive, its SQL and, if sep, ---- and tail.
func body(header, sql string, sep bool, tail []string) []string {
	lines := append([]string{header}, strings.Split(sql, "\n")...)
	if sep {
		lines = append(append(lines, "----"), tail...)
	}
	return lines
}

// queryBody is rec rewritten to expect out's rows.
func queryBody(rec *Record, out outcome, mode SortMode) []string {
	types := rec.Types
	if len(types) != len(out.cols) {
		types = typeLetters(out.cols)
	}
	if types == "" {
		return body("statement ok", rec.SQL, false, nil) // the "query" returned no columns
	}
	header := "query " + types
	if rec.Sort != SortDefault {
		header += " " + rec.Sort.String()
	}
	if rec.Label != "" {
		header += " " + rec.Label
	}
	return body(header, rec.SQL, true, resultLines(out.rows, mode))
}

// errorBody is rec rewritten to expect err; nil if err did not come from the server. It keeps rec's form:
// the multi-line one if rec has it or the message spans lines, a SQLSTATE pattern if rec's pattern was
// one, and otherwise the message quoted as a pattern.
func errorBody(kind string, rec *Record, err error) []string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil
	}
	text, message := errorText(err)
	if strings.Contains(message, "\n") || (rec.Error != nil && rec.Error.Text != "") {
		return body(kind+" error", rec.SQL, true, strings.Split(text, "\n"))
	}
	pattern := regexp.QuoteMeta(message)
	if rec.Error != nil && rec.Error.Pattern != nil && strings.HasPrefix(rec.Error.Pattern.String(), "SQLSTATE") {
		pattern = "SQLSTATE " + pgErr.Code
	}
	return body(kind+" error "+pattern, rec.SQL, false, nil)
}

func rowCount(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// fromServer reports whether err is an error the server sent. Only those can be the error a record
// expects: a timeout or a lost connection is a failure even where any error is expected.
func fromServer(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr)
}
