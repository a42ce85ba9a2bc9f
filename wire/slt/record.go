// Package slt runs sqllogictest files, in the dialect of sqllogictest-rs, against a server over the
// PostgreSQL wire protocol.
//
// Every statement is sent with the simple query protocol, so every value arrives as the server's text and
// is compared as that text: a row is its values joined by single spaces, NULL prints as "NULL" and an
// empty string as "(empty)". Expected and actual rows are compared as sequences of whitespace-separated
// tokens, so runs of spaces in a file do not matter.
//
// An error is matched as the text "<message> (SQLSTATE <code>)", so a file can assert either part:
//
//	statement error relation "t" does not exist
//	statement error SQLSTATE 42P01
//
// Decisions where sqllogictest-rs is silent or where we differ from it:
//   - rowsort and valuesort sort the expected lines as well as the actual rows, so the file's order does
//     not matter; valuesort compares the multiset of whitespace-separated tokens.
//   - A query's type string must have one letter per returned column; the letters are not checked further.
//   - The multi-line expected error (after "----") matches when it equals, up to whitespace, either the
//     whole error text or its message alone.
//   - Only an error the server sent can be an expected error: a timeout or a lost connection fails the
//     record even under "statement error" with no pattern.
//   - "halt" stops the whole run, including the files that included the one it is in.
//   - A connection the server closed is reopened for the next record that uses it.
package slt

import (
	"regexp"
	"strings"
	"time"
)

// Engine is the name that skipif and onlyif lines are compared with.
const Engine = "streamsql"

// Kind says what a record does.
type Kind int

// The kinds of record.
const (
	KindStatement     Kind = iota + 1 // statement ok | error | count
	KindQuery                         // query <types> or query error
	KindInclude                       // include <glob>
	KindHalt                          // halt
	KindSortMode                      // control sortmode <mode>
	KindHashThreshold                 // hash-threshold N (accepted and ignored)
	KindSleep                         // sleep <duration>
)

func (k Kind) String() string {
	switch k {
	case KindStatement:
		return "statement"
	case KindQuery:
		return "query"
	case KindInclude:
		return "include"
	case KindHalt:
		return "halt"
	case KindSortMode:
		return "control sortmode"
	case KindHashThreshold:
		return "hash-threshold"
	case KindSleep:
		return "sleep"
	}
	return "unknown"
}

// SortMode says how a query's rows are put in order before they are compared.
type SortMode int

// The sort modes. SortDefault means the mode set by the last "control sortmode", which is NoSort unless a
// file changed it.
const (
	SortDefault SortMode = iota
	NoSort
	RowSort
	ValueSort
)

func (m SortMode) String() string {
	switch m {
	case NoSort:
		return "nosort"
	case RowSort:
		return "rowsort"
	case ValueSort:
		return "valuesort"
	}
	return "default"
}

func parseSortMode(s string) (SortMode, bool) {
	switch s {
	case "nosort":
		return NoSort, true
	case "rowsort":
		return RowSort, true
	case "valuesort":
		return ValueSort, true
	}
	return SortDefault, false
}

// Condition is a "skipif <name>" or "onlyif <name>" line in front of a record.
type Condition struct {
	Only   bool   // onlyif rather than skipif
	Engine string // the engine name the line names
}

// skips reports whether c makes its record skipped on engine.
func (c Condition) skips(engine string) bool {
	return c.Only != (c.Engine == engine)
}

// ExpectedError is the error a statement or query record expects.
type ExpectedError struct {
	// Pattern is the unanchored regular expression of the one-line form; nil matches any error.
	Pattern *regexp.Regexp
	// Text is the multi-line form's text after "----" (lines joined by "\n"); empty for the one-line form.
	Text string
}

// matches reports whether the error with the given text and message is the one e expects.
func (e *ExpectedError) matches(text, message string) bool {
	if e.Text != "" {
		want := normalize(e.Text)
		return want == normalize(text) || want == normalize(message)
	}
	return e.Pattern == nil || e.Pattern.MatchString(text)
}

// String is how failure reports describe e.
func (e *ExpectedError) String() string {
	switch {
	case e.Text != "":
		return "error:\n" + e.Text
	case e.Pattern == nil:
		return "an error"
	}
	return "error matching " + e.Pattern.String()
}

// Record is one record of a file: a statement, a query, or a directive.
type Record struct {
	Path string // the file the record is in
	Line int    // the 1-based line of its directive ("statement", "query", ...)
	Kind Kind

	// Conditions are the skipif and onlyif lines in front of the record.
	Conditions []Condition
	// Connection is the name of the connection the record runs on; "" is the default connection.
	Connection string

	// SQL is the statement or query, its lines joined by "\n".
	SQL string
	// Error is the expected error; nil when the record expects success.
	Error *ExpectedError
	// CheckCount is set by "statement count N"; Count is then N, the expected rows affected.
	CheckCount bool
	Count      int64

	// Types is a query's column type letters (I integer, T text, R float, B bool; others are text).
	Types string
	// Sort is a query's sort mode, or the mode "control sortmode" sets.
	Sort SortMode
	// Label is the optional label after a query's sort mode; it is not used.
	Label string
	// Results are a query's expected lines as written.
	Results []string

	Glob      string        // include
	Duration  time.Duration // sleep
	Threshold int           // hash-threshold

	// start and end are the 0-based lines the record's body spans, from its directive to the line after
	// its last, so that a rewrite can replace it.
	start, end int
}

// normalize collapses runs of whitespace to one space and trims the ends.
func normalize(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
