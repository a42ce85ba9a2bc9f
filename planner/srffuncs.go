package planner

import "github.com/streamsql/streamsql/planner/types"

// The set-returning functions besides unnest, whose arguments bindSRF
// types itself: PostgreSQL 15's signatures (exec/srf.go generates them).
func init() {
	i32, i64, num, ts, tz, iv := types.Int, types.BigInt, types.Unconstrained, types.Ts, types.TsTZ, types.Ival
	txt, jb, js := types.Varchar, types.Jsonb, types.Json
	sig := func(ret types.T, args ...types.T) Sig { return Sig{Args: args, Ret: ret} }
	RegisterSRF(&SRF{Name: "unnest"})
	// generate_subscripts(array, dim [, reverse]): bindSRF types the array.
	RegisterSRF(&SRF{Name: "generate_subscripts"})
	// pg_options_to_table splits a catalog's options (reloptions,
	// attfdwoptions), each name=value, into its name and value.
	RegisterSRF(&SRF{Name: "pg_options_to_table", Sigs: []Sig{sig(txt, types.ArrayOf(txt))},
		Out: []string{"option_name", "option_value"}, OutTypes: []types.T{txt, txt}})
	RegisterSRF(&SRF{Name: "generate_series", Sigs: []Sig{
		sig(i32, i32, i32), sig(i32, i32, i32, i32),
		sig(i64, i64, i64), sig(i64, i64, i64, i64),
		sig(num, num, num), sig(num, num, num, num),
		sig(ts, ts, ts, iv), sig(tz, tz, tz, iv),
	}})
	for _, t := range []struct {
		prefix string
		typ    types.T
	}{{"jsonb", jb}, {"json", js}} {
		RegisterSRF(&SRF{Name: t.prefix + "_array_elements", Sigs: []Sig{sig(t.typ, t.typ)}, Out: []string{"value"}})
		RegisterSRF(&SRF{Name: t.prefix + "_array_elements_text", Sigs: []Sig{sig(txt, t.typ)}, Out: []string{"value"}})
		RegisterSRF(&SRF{Name: t.prefix + "_each", Sigs: []Sig{sig(t.typ, t.typ)}, Out: []string{"key", "value"}, OutTypes: []types.T{txt, t.typ}})
		RegisterSRF(&SRF{Name: t.prefix + "_each_text", Sigs: []Sig{sig(txt, t.typ)}, Out: []string{"key", "value"}, OutTypes: []types.T{txt, txt}})
		RegisterSRF(&SRF{Name: t.prefix + "_object_keys", Sigs: []Sig{sig(txt, t.typ)}})
	}
	RegisterSRF(&SRF{Name: "regexp_matches", Sigs: []Sig{sig(types.ArrayOf(txt), txt, txt), sig(types.ArrayOf(txt), txt, txt, txt)}})
	RegisterSRF(&SRF{Name: "regexp_split_to_table", Sigs: []Sig{sig(txt, txt, txt), sig(txt, txt, txt, txt)}})
	// string_to_table(s, NULL) splits into characters, so it sees NULLs.
	RegisterSRF(&SRF{Name: "string_to_table", Sigs: []Sig{sig(txt, txt, txt), sig(txt, txt, txt, txt)}, NonStrict: true})
}
