package parser

import (
	"os"
	"strings"
	"testing"

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
