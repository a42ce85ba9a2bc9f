package parser

import (
	"fmt"
	"github.com/streamsql/streamsql/exec/vec"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// TestParse runs testdata/parse: each `parse` block prints the statements
// back, or the error with its kind and a caret under its position.
func TestParse(t *testing.T) {
	datadriven.RunTest(t, "testdata/parse", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "parse":
			stmts, err := Parse(d.Input)
			if err != nil {
				return formatErr(d.Input, err)
			}
			var b strings.Builder
			for _, s := range stmts {
				fmt.Fprintf(&b, "%T: %s\n", s, s)
			}
			return b.String()
		case "interval":
			x, err := ParseInterval(d.Input, 0)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return fmt.Sprintf("%s (months %d, days %d, µs %d)\n", vec.AppendIntervalText(nil, x), x.Months, x.Days, x.Micros)
		}
		t.Fatalf("unknown command %q", d.Cmd)
		return ""
	})
}

// formatErr prints an error as psql would: message, then the line with a
// caret under the position.
func formatErr(sql string, err error) string {
	e, ok := sqlerr.As(err)
	if !ok {
		return "internal error: " + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "error (kind %d): %s\n", e.Kind, e.Msg)
	if e.Pos > 0 {
		lineStart := strings.LastIndex(sql[:e.Pos-1], "\n") + 1
		lineEnd := strings.Index(sql[lineStart:], "\n")
		if lineEnd < 0 {
			lineEnd = len(sql)
		} else {
			lineEnd += lineStart
		}
		fmt.Fprintf(&b, "%s\n%s^\n", sql[lineStart:lineEnd], strings.Repeat(" ", e.Pos-1-lineStart))
	}
	return b.String()
}

func TestPositionsMapThroughRewrites(t *testing.T) {
	sql := "SELECT a FROM t GROUP BY SESSION(ts, INTERVAL '5' SECOND), nosuchfn(("
	_, err := Parse(sql)
	e, ok := sqlerr.As(err)
	if !ok || e.Pos == 0 {
		t.Fatalf("want positioned error, got %v", err)
	}
	if got := sql[e.Pos-1:]; !strings.HasPrefix(got, "(") && got != "" {
		t.Fatalf("position %d points at %q", e.Pos, got)
	}
}

// TestUnrewrite: SQL printed back for the user shows what they wrote, not
// the names the front end gave TiDB.
func TestUnrewrite(t *testing.T) {
	for in, want := range map[string]string{
		"ROW(STREAMSQL_CAST(x, 'INT'),2)":                           "ROW(CAST(x AS INT),2)",
		"f(streamsql_cast(STREAMSQL_CAST(a, 'INT') + 1, 'BIGINT'))": "f(CAST(CAST(a AS INT) + 1 AS BIGINT))",
		"streamsql_param(2) REGEXP 'a'":                             "$2 REGEXP 'a'",
		"SESSION_WINDOW(ts, '1 SECOND')":                            "SESSION(ts, '1 SECOND')",
		"x + 1":                                                     "x + 1",
	} {
		if got := unrewrite(in); got != want {
			t.Errorf("unrewrite(%q) = %q, want %q", in, got, want)
		}
	}
}
