package format

import (
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// TestJSONArrays: the sink writes an array column as a JSON array of its
// elements, each as its type writes (NULL as null), and a NULL array as null.
func TestJSONArrays(t *testing.T) {
	cols := []catalog.Column{{Name: "ns", Type: types.ArrayOf(types.Int)}, {Name: "ss", Type: types.ArrayOf(types.Varchar)}}
	b := vec.NewBatch(catalog.Types(cols), 2)
	ns, _ := vec.ParseArray("{1,NULL,-3}", types.Int)
	ss, _ := vec.ParseArray(`{"a \"q\"",b}`, types.Varchar)
	b.Cols[0].AppendStr(ns)
	b.Cols[1].AppendStr(ss)
	b.EndRow(1)
	b.Cols[0].AppendNull()
	empty, _ := vec.ParseArray("{}", types.Varchar)
	b.Cols[1].AppendStr(empty)
	b.EndRow(1)
	for r, want := range []string{`{"ns":[1,null,-3],"ss":["a \"q\"","b"]}`, `{"ns":null,"ss":[]}`} {
		if got := string(AppendJSON(nil, cols, b, r, nil)); got != want {
			t.Errorf("row %d: got %s, want %s", r, got, want)
		}
	}
}
