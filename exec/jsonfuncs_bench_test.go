package exec

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec/jsonb"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// jsonDocs is a batch of 1,024 jsonb payloads shaped like a Kafka event.
func jsonDocs(b *testing.B) *vec.Batch {
	b.Helper()
	out := vec.NewBatch([]types.T{types.Jsonb}, 1024)
	for i := 0; i < 1024; i++ {
		v, err := jsonb.Parse(fmt.Sprintf(`{"id": %d, "user": {"name": "u%d", "tags": ["a", "b", "c"]}, "amount": %d.25, "ok": true}`, i, i%97, i))
		if err != nil {
			b.Fatal(err)
		}
		out.Cols[0].AppendStr(v.String())
		out.EndRow(1)
	}
	return out
}

// BenchmarkJSONFuncs runs the JSON operators and functions over 1,024-row
// batches: -> and ->> return substrings of the document (no allocation
// unless a string is unescaped); those that build a value parse it.
func BenchmarkJSONFuncs(b *testing.B) {
	in := jsonDocs(b)
	doc := &planner.ColRef{Idx: 0, Name: "doc", T: types.Jsonb}
	str := func(s string) planner.Expr { return &planner.Const{T: types.Varchar, S: s} }
	jb := func(s string) planner.Expr { return &planner.Const{T: types.Jsonb, S: s} }
	for _, c := range []struct {
		name string
		e    planner.Expr
	}{
		{"->", builtinCall(b, "streamsql_json_get", types.Jsonb, doc, str("user"))},
		{"->>", builtinCall(b, "streamsql_json_get_text", types.Varchar, doc, str("amount"))},
		{"#>>", builtinCall(b, "streamsql_json_path_text", types.Varchar, doc, str("{user,tags,1}"))},
		{"@>", builtinCall(b, "streamsql_json_contains", types.Boolean, doc, jb(`{"ok": true}`))},
		{"?", builtinCall(b, "streamsql_json_exists", types.Boolean, doc, str("ok"))},
		{"jsonb_typeof", builtinCall(b, "jsonb_typeof", types.Varchar, doc)},
		{"jsonb_build_object", builtinCall(b, "jsonb_build_object", types.Jsonb, str("d"), doc)},
		{"::text->jsonb", &planner.Cast{X: &planner.Cast{X: doc, T: types.Varchar}, T: types.Jsonb}},
	} {
		b.Run(c.name, func(b *testing.B) { benchRows(b, c.e, in) })
	}
}
