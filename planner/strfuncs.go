package planner

import "github.com/streamsql/streamsql/planner/types"

// The string functions of PostgreSQL, and Flink's names for them.
func init() {
	text := types.Varchar
	RegisterBuiltin(&Builtin{Name: "replace", Sigs: []Sig{{Args: []types.T{text, text, text}, Ret: text}}})
	RegisterBuiltin(&Builtin{Name: "reverse", Sigs: []Sig{{Args: []types.T{text}, Ret: text}}})
}
