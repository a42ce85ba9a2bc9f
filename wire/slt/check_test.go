package slt

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

func cols(oids ...uint32) []pgconn.FieldDescription {
	fds := make([]pgconn.FieldDescription, len(oids))
	for i, oid := range oids {
		fds[i] = pgconn.FieldDescription{Name: "c", DataTypeOID: oid}
	}
	return fds
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "NULL"},
		{[]byte{}, "(empty)"},
		{[]byte("two words"), "two words"},
		{[]byte("NULL"), "NULL"}, // the string NULL is indistinguishable, as in sqllogictest-rs
	} {
		if got := formatValue(tc.in); got != tc.want {
			t.Errorf("formatValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCheckQuery(t *testing.T) {
	rows := [][]string{{"2", "two words"}, {"1", "one"}, {"3", "NULL"}}
	out := outcome{cols: cols(pgtype.Int4OID, pgtype.TextOID), rows: rows}
	for _, tc := range []struct {
		name    string
		mode    SortMode
		results []string
		ok      bool
	}{
		{"nosort in order", NoSort, []string{"2 two words", "1 one", "3 NULL"}, true},
		{"nosort whitespace", NoSort, []string{"2   two\twords ", "1 one", "3 NULL"}, true},
		{"nosort out of order", NoSort, []string{"1 one", "2 two words", "3 NULL"}, false},
		{"rowsort any order", RowSort, []string{"3 NULL", "1 one", "2 two words"}, true},
		{"rowsort missing row", RowSort, []string{"1 one", "2 two words"}, false},
		{"valuesort one per line", ValueSort, []string{"1", "2", "3", "NULL", "one", "two", "words"}, true},
		{"valuesort as rows", ValueSort, []string{"1 one", "2 two words", "3 NULL"}, true},
		{"valuesort wrong", ValueSort, []string{"1", "2", "3", "NULL", "one", "two", "worlds"}, false},
	} {
		rec := &Record{Kind: KindQuery, Types: "IT", Results: tc.results}
		f, fix := checkQuery(rec, out, tc.mode)
		if (f == nil) != tc.ok {
			t.Errorf("%s: got failure %v, want ok=%v", tc.name, f, tc.ok)
		}
		if f != nil && fix == nil {
			t.Errorf("%s: no rewrite for a failure", tc.name)
		}
	}
}

func TestCheckQueryTypes(t *testing.T) {
	out := outcome{cols: cols(pgtype.Int8OID, pgtype.Float8OID, pgtype.BoolOID, pgtype.TimestampOID),
		rows: [][]string{{"1", "1.5", "t", "2024-01-01 00:00:00"}}}
	rec := &Record{Kind: KindQuery, Types: "I", Sort: RowSort, Label: "x", SQL: "SELECT\n  1",
		Results: []string{"1 1.5 t 2024-01-01 00:00:00"}}
	f, fix := checkQuery(rec, out, RowSort)
	if f == nil || !strings.Contains(f.Summary, `4 columns, but its types "I" declare 1`) {
		t.Fatalf("got %v, want a column count failure", f)
	}
	want := []string{"query IRBT rowsort x", "SELECT", "  1", "----", "1 1.5 t 2024-01-01 00:00:00"}
	if !slices.Equal(fix, want) {
		t.Errorf("rewrite:\n%q\nwant\n%q", fix, want)
	}
}

func TestCheckErrors(t *testing.T) {
	pgErr := &pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "t" does not exist`}
	wrapped := errors.Join(errors.New("context"), pgErr)
	client := errors.New("timeout: context deadline exceeded")
	re := func(s string) *ExpectedError { return &ExpectedError{Pattern: regexp.MustCompile(s)} }
	for _, tc := range []struct {
		name   string
		expect *ExpectedError
		err    error
		ok     bool
		header string // the rewritten directive, "" for none
	}{
		{"any", &ExpectedError{}, pgErr, true, ""},
		{"message", re(`relation "t" does not exist`), pgErr, true, ""},
		{"sqlstate", re(`SQLSTATE 42P01`), wrapped, true, ""},
		{"unanchored", re(`does not`), pgErr, true, ""},
		{"wrong sqlstate", re(`SQLSTATE 42703`), pgErr, false, "statement error SQLSTATE 42P01"},
		{"wrong message", re(`column`), pgErr, false, `statement error relation "t" does not exist`},
		{"text", &ExpectedError{Text: "relation \"t\"\ndoes not exist (SQLSTATE 42P01)"}, pgErr, true, ""},
		{"text message only", &ExpectedError{Text: `relation "t" does not exist`}, pgErr, true, ""},
		{"text wrong", &ExpectedError{Text: `relation "u" does not exist`}, pgErr, false, "statement error"},
		{"client error", &ExpectedError{}, client, false, ""},
		{"expected ok", nil, pgErr, false, `statement error relation "t" does not exist`},
		{"expected ok, client error", nil, client, false, ""},
	} {
		rec := &Record{Kind: KindStatement, SQL: "SELECT * FROM t", Error: tc.expect}
		f, fix := checkStatement(rec, outcome{err: tc.err})
		if (f == nil) != tc.ok {
			t.Errorf("%s: got failure %v, want ok=%v", tc.name, f, tc.ok)
		}
		var header string
		if fix != nil {
			header = fix[0]
		}
		if header != tc.header {
			t.Errorf("%s: rewrite header %q, want %q", tc.name, header, tc.header)
		}
	}
}

func TestCheckStatementCount(t *testing.T) {
	rec := &Record{Kind: KindStatement, SQL: "UPDATE t SET a = 1", CheckCount: true, Count: 3}
	if f, _ := checkStatement(rec, outcome{tag: pgconn.NewCommandTag("UPDATE 3")}); f != nil {
		t.Errorf("matching count: %v", f)
	}
	f, fix := checkStatement(rec, outcome{tag: pgconn.NewCommandTag("UPDATE 2")})
	if f == nil || len(fix) == 0 || fix[0] != "statement count 2" {
		t.Errorf("wrong count: failure %v, rewrite %q", f, fix)
	}
	rec = &Record{Kind: KindStatement, SQL: "SELECT 1", Error: &ExpectedError{Text: "x"}}
	f, fix = checkStatement(rec, outcome{tag: pgconn.NewCommandTag("SELECT 1")})
	if f == nil || !slices.Equal(fix, []string{"statement ok", "SELECT 1"}) {
		t.Errorf("unexpected success: failure %v, rewrite %q", f, fix)
	}
}

func TestResultLines(t *testing.T) {
	rows := [][]string{{"b", "2"}, {"a", "line\nbreak"}}
	if got, want := resultLines(rows, NoSort), []string{"b 2", "a line break"}; !slices.Equal(got, want) {
		t.Errorf("nosort: %q, want %q", got, want)
	}
	if got, want := resultLines(rows, RowSort), []string{"a line break", "b 2"}; !slices.Equal(got, want) {
		t.Errorf("rowsort: %q, want %q", got, want)
	}
	if got, want := resultLines(rows, ValueSort), []string{"2", "a", "b", "line break"}; !slices.Equal(got, want) {
		t.Errorf("valuesort: %q, want %q", got, want)
	}
}

func TestDiffLines(t *testing.T) {
	got := diffLines([]string{"1", "2", "3"}, []string{"1", "two", "3", "4"})
	want := "  1\n- 2\n+ two\n  3\n+ 4"
	if got != want {
		t.Errorf("diff:\n%s\nwant\n%s", got, want)
	}
	var long []string
	for range maxDiffLines + 10 {
		long = append(long, "x")
	}
	if got := diffLines(nil, long); !strings.HasSuffix(got, "\n... 10 more lines") {
		t.Errorf("a long diff does not end with how much was left out: %q", got[len(got)-30:])
	}
}

func TestConditions(t *testing.T) {
	for _, tc := range []struct {
		c    Condition
		skip bool
	}{
		{Condition{Only: false, Engine: Engine}, true},
		{Condition{Only: false, Engine: "mysql"}, false},
		{Condition{Only: true, Engine: Engine}, false},
		{Condition{Only: true, Engine: "mysql"}, true},
	} {
		if got := tc.c.skips(Engine); got != tc.skip {
			t.Errorf("%+v skips: %v, want %v", tc.c, got, tc.skip)
		}
	}
}
