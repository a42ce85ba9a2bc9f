package slt

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Parse reads the file at path into its records. It does not follow includes. An error names the file
// and line: "path:line: message".
func Parse(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &parser{path: path, lines: splitLines(string(data))}
	return p.parse()
}

// splitLines splits text into lines without their "\n" or "\r\n"; a final newline does not start a line.
func splitLines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

type parser struct {
	path  string
	lines []string
	i     int // the line being read, 0-based
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.path, line+1, fmt.Sprintf(format, args...))
}

func isBlank(line string) bool { return strings.TrimSpace(line) == "" }

func isSeparator(line string) bool { return strings.TrimSpace(line) == "----" }

// cutWord returns the first whitespace-separated word of s and the rest, both trimmed.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i], strings.TrimSpace(s[i:])
	}
	return s, ""
}

func (p *parser) parse() ([]Record, error) {
	var (
		records    []Record
		conds      []Condition
		connection string
		prefixLine = -1 // the first skipif, onlyif or connection line waiting for its record
	)
	for p.i < len(p.lines) {
		line := strings.TrimSpace(p.lines[p.i])
		if line == "" || strings.HasPrefix(line, "#") {
			if line == "" && prefixLine >= 0 {
				return nil, p.errorf(prefixLine, "skipif, onlyif or connection is not followed by a record")
			}
			p.i++
			continue
		}
		word, rest := cutWord(line)
		switch word {
		case "skipif", "onlyif":
			name, extra := cutWord(rest)
			if name == "" || extra != "" {
				return nil, p.errorf(p.i, "%s wants one engine name", word)
			}
			conds = append(conds, Condition{Only: word == "onlyif", Engine: name})
			if prefixLine < 0 {
				prefixLine = p.i
			}
			p.i++
			continue
		case "connection":
			name, extra := cutWord(rest)
			if name == "" || extra != "" {
				return nil, p.errorf(p.i, "connection wants one name")
			}
			if connection != "" {
				return nil, p.errorf(p.i, "a second connection line for the same record")
			}
			connection = name
			if prefixLine < 0 {
				prefixLine = p.i
			}
			p.i++
			continue
		}

		rec := Record{Path: p.path, Line: p.i + 1, Conditions: conds, Connection: connection, start: p.i}
		if err := p.record(&rec, word, rest); err != nil {
			return nil, err
		}
		if connection != "" && rec.Kind != KindStatement && rec.Kind != KindQuery {
			return nil, p.errorf(prefixLine, "connection must be followed by a statement or query, not %s", rec.Kind)
		}
		rec.end = p.i
		records = append(records, rec)
		conds, connection, prefixLine = nil, "", -1
	}
	if prefixLine >= 0 {
		return nil, p.errorf(prefixLine, "skipif, onlyif or connection is not followed by a record")
	}
	return records, nil
}

// record parses the record whose directive line, at p.i, is word followed by rest, and moves p.i past it.
func (p *parser) record(rec *Record, word, rest string) error {
	at := p.i
	p.i++
	switch word {
	case "statement":
		return p.statement(rec, rest)
	case "query":
		return p.query(rec, rest)
	case "include":
		if rest == "" {
			return p.errorf(at, "include wants a file name or glob")
		}
		if _, err := filepath.Match(rest, ""); err != nil {
			return p.errorf(at, "include %s: %v", rest, err)
		}
		rec.Kind, rec.Glob = KindInclude, rest
	case "halt":
		if rest != "" {
			return p.errorf(at, "halt takes no arguments")
		}
		rec.Kind = KindHalt
	case "control":
		what, arg := cutWord(rest)
		if what != "sortmode" {
			return p.errorf(at, "unknown control %q (only sortmode is supported)", what)
		}
		mode, ok := parseSortMode(arg)
		if !ok {
			return p.errorf(at, "control sortmode wants nosort, rowsort or valuesort, not %q", arg)
		}
		rec.Kind, rec.Sort = KindSortMode, mode
	case "hash-threshold":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return p.errorf(at, "hash-threshold wants a non-negative integer, not %q", rest)
		}
		rec.Kind, rec.Threshold = KindHashThreshold, n
	case "sleep":
		d, err := time.ParseDuration(strings.ReplaceAll(rest, " ", ""))
		if err != nil || d < 0 {
			return p.errorf(at, "sleep wants a duration such as 500ms or 2s, not %q", rest)
		}
		rec.Kind, rec.Duration = KindSleep, d
	default:
		return p.errorf(at, "unknown directive %q", word)
	}
	return nil
}

// statement parses "statement ok", "statement count N" and the forms of "statement error".
func (p *parser) statement(rec *Record, rest string) error {
	at := p.i - 1
	rec.Kind = KindStatement
	what, arg := cutWord(rest)
	switch what {
	case "ok":
		if arg != "" {
			return p.errorf(at, "statement ok takes no arguments")
		}
	case "count":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			return p.errorf(at, "statement count wants a non-negative integer, not %q", arg)
		}
		rec.CheckCount, rec.Count = true, n
	case "error":
		e, err := p.pattern(at, arg)
		if err != nil {
			return err
		}
		rec.Error = e
	default:
		return p.errorf(at, "statement wants ok, error or count, not %q", what)
	}
	if err := p.sql(rec, at); err != nil {
		return err
	}
	if p.i < len(p.lines) && isSeparator(p.lines[p.i]) {
		if rec.Error == nil || rec.Error.Pattern != nil {
			return p.errorf(p.i, "---- after a statement is only allowed for \"statement error\" without a pattern")
		}
		return p.errorText(rec)
	}
	return nil
}

// query parses "query <types> [sortmode] [label]" and the forms of "query error".
func (p *parser) query(rec *Record, rest string) error {
	at := p.i - 1
	rec.Kind = KindQuery
	types, rest := cutWord(rest)
	switch {
	case types == "":
		return p.errorf(at, "query wants column types such as IT, or error")
	case types == "error":
		e, err := p.pattern(at, rest)
		if err != nil {
			return err
		}
		rec.Error = e
	case strings.IndexFunc(types, func(r rune) bool { return !unicode.IsLetter(r) || r > unicode.MaxASCII }) >= 0:
		return p.errorf(at, "query column types must be letters such as IT, not %q", types)
	default:
		rec.Types = types
		word, rest := cutWord(rest)
		if mode, ok := parseSortMode(word); ok {
			rec.Sort = mode
			word, rest = cutWord(rest)
		}
		if rest != "" {
			return p.errorf(at, "query wants types, a sort mode (nosort, rowsort, valuesort) and a label, not %q", strings.TrimSpace(word+" "+rest))
		}
		rec.Label = word
	}
	if err := p.sql(rec, at); err != nil {
		return err
	}
	if p.i >= len(p.lines) || !isSeparator(p.lines[p.i]) {
		return nil // a query without ---- expects no rows (or any error)
	}
	if rec.Error != nil {
		if rec.Error.Pattern != nil {
			return p.errorf(p.i, "---- after \"query error\" is only allowed without a pattern")
		}
		return p.errorText(rec)
	}
	p.i++
	for p.i < len(p.lines) && !isBlank(p.lines[p.i]) {
		rec.Results = append(rec.Results, p.lines[p.i])
		p.i++
	}
	return nil
}

// pattern compiles the regular expression of "statement error <regex>" or "query error <regex>".
func (p *parser) pattern(at int, expr string) (*ExpectedError, error) {
	if expr == "" {
		return &ExpectedError{}, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, p.errorf(at, "bad error pattern: %v", err)
	}
	return &ExpectedError{Pattern: re}, nil
}

// sql reads the record's SQL: the lines up to a blank line, a ---- line or the end.
func (p *parser) sql(rec *Record, at int) error {
	start := p.i
	for p.i < len(p.lines) && !isBlank(p.lines[p.i]) && !isSeparator(p.lines[p.i]) {
		p.i++
	}
	if p.i == start {
		return p.errorf(at, "%s has no SQL", rec.Kind)
	}
	rec.SQL = strings.Join(p.lines[start:p.i], "\n")
	return nil
}

// errorText reads the expected error of the multi-line form: the lines after ---- up to a blank line.
func (p *parser) errorText(rec *Record) error {
	sep := p.i
	p.i++
	start := p.i
	for p.i < len(p.lines) && !isBlank(p.lines[p.i]) {
		p.i++
	}
	if p.i == start {
		return p.errorf(sep, "---- is not followed by the expected error")
	}
	rec.Error.Text = strings.Join(p.lines[start:p.i], "\n")
	return nil
}
