package parser

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// FuzzParse: whatever the text, the front end returns statements or a
// typed user error with a position inside the text: never an internal
// error, never a panic.
//
//	go test ./parser/ -run XXX -fuzz FuzzParse -fuzztime 60s
//
// The seeds are every input of testdata/parse, plus testdata/fuzz/FuzzParse
// (the corpus of inputs that once failed).
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/parse")
	if err != nil {
		f.Fatal(err)
	}
	for _, block := range strings.Split(string(data), "\nparse\n")[1:] {
		in, _, _ := strings.Cut(block, "\n----")
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		_, err := Parse(sql)
		if err != nil {
			e, ok := sqlerr.As(err)
			if !ok || e.Kind == sqlerr.Internal {
				t.Fatalf("%q: untyped or internal error %v", sql, err)
			}
			if e.Pos < 0 || e.Pos > len(sql)+1 {
				t.Fatalf("%q: error position %d outside the text: %v", sql, e.Pos, err)
			}
		}
	})
}

// FuzzStringLiteral: any text PostgreSQL can hold, written as a plain
// '...' literal, as an E'...' literal with its characters escaped in every
// style or as a U&'...' literal, reaches TiDB as exactly that text.
//
//	go test ./parser/ -run XXX -fuzz FuzzStringLiteral -fuzztime 30s
func FuzzStringLiteral(f *testing.F) {
	for _, s := range []string{"", "a\\nb", "it's", "\\", "tab\there", "é😀\U0010FFFF", "\\x41\\u00e9", "'';--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckText(s) != nil {
			return
		}
		plain := "'" + strings.ReplaceAll(s, "'", "''") + "'"
		var e strings.Builder
		e.WriteString("E'")
		for i, r := range s {
			switch {
			case r == '\'' || r == '\\':
				e.WriteString(`\` + string(r))
			case i%4 == 1 && r < 0x80:
				fmt.Fprintf(&e, `\%03o`, r)
			case i%4 == 2 && r < 0x80:
				fmt.Fprintf(&e, `\x%x`, r)
			case i%4 == 3 && r > 0xFFFF:
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&e, `\u%04X\u%04x`, hi, lo)
			case i%4 == 3:
				fmt.Fprintf(&e, `\U%08x`, r)
			default:
				e.WriteRune(r)
			}
		}
		e.WriteString("'")
		var u strings.Builder
		u.WriteString("U&'")
		for i, r := range s {
			switch {
			case r == '\'' || r == '!':
				u.WriteString(string(r) + string(r))
			case i%2 == 0:
				fmt.Fprintf(&u, `!+%06X`, r)
			default:
				u.WriteRune(r)
			}
		}
		u.WriteString("' UESCAPE '!'")
		for _, lit := range []string{plain, e.String(), u.String()} {
			st, err := ParseOne("SELECT " + lit)
			if err != nil {
				t.Fatalf("%s: %v", lit, err)
			}
			x := st.(*Select).Query.Node.(*ast.SelectStmt).Fields.Fields[0].Expr
			if v, ok := x.(ast.ValueExpr); !ok || v.GetString() != s {
				t.Fatalf("%s: got %s, want %q", lit, Restore(x), s)
			}
		}
	})
}

// FuzzInvalidUTF8: InvalidUTF8 is -1 exactly for UTF-8 text, and otherwise
// the offset of the first byte that starts no valid sequence: what comes
// before it is UTF-8.
func FuzzInvalidUTF8(f *testing.F) {
	for _, s := range []string{"", "abc", "é😀", "a\xffb", "\xe2\x82", "ok\xc3\x28", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i := InvalidUTF8(s)
		if (i < 0) != utf8.ValidString(s) {
			t.Fatalf("InvalidUTF8(%q) = %d, ValidString %v", s, i, utf8.ValidString(s))
		}
		if i >= 0 {
			if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n != 1 || !utf8.ValidString(s[:i]) {
				t.Fatalf("InvalidUTF8(%q) = %d: not the first invalid byte", s, i)
			}
		}
	})
}
