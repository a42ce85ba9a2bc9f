package exec

import (
	"strings"

	"github.com/streamsql/streamsql/exec/jsonb"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The JSON operators' and functions' kernels (see planner/jsonfuncs.go).
// A jsonb argument is canonical text and a json one checked text, so the
// navigating ones walk the text (exec/jsonb/nav.go): a result that is a
// piece of an argument is a substring of it, without a copy.
func init() {
	get := func(asText bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			s, last := args[0].Str, args[0].Type.Kind == types.JSON
			for i := 0; i < n; i++ {
				if out.IsNull(i) {
					continue
				}
				var v string
				var ok bool
				if args[1].Type.InStr() {
					v, ok = jsonb.Field(s[i], args[1].Str[i], last)
				} else {
					v, ok = jsonb.Elem(s[i], int(args[1].I64[i]))
					if k := args[1].I64[i]; !last && (k == 0 || k == -1) && jsonb.TypeOf(s[i]) < jsonb.Array {
						v, ok = s[i], true // jsonb: a scalar is a one-element array
					}
				}
				if last && badJSON(out, i, s[i], ctx) {
					continue
				}
				setJSONResult(out, i, v, ok, asText, ctx)
			}
		})
	}
	registerKernel("streamsql_json_get", get(false))
	registerKernel("streamsql_json_get_text", get(true))
	path := func(asText bool) kernelMaker {
		return func(consts []*planner.Const) kernel {
			var fixedPath []*string
			var fixedErr error
			if consts[1] != nil && !consts[1].Null {
				fixedPath, fixedErr = jsonb.TextArray(consts[1].S)
			}
			return func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
				last := args[0].Type.Kind == types.JSON
				for i := 0; i < n; i++ {
					if out.IsNull(i) {
						continue
					}
					p, err := fixedPath, fixedErr
					if consts[1] == nil {
						p, err = jsonb.TextArray(args[1].Str[i])
					}
					if err != nil {
						out.SetNull(i)
						ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
						continue
					}
					if last && badJSON(out, i, args[0].Str[i], ctx) {
						continue
					}
					v, ok := jsonb.Path(args[0].Str[i], p, last)
					setJSONResult(out, i, v, ok, asText, ctx)
				}
			}
		}
	}
	registerKernel("streamsql_json_path", path(false))
	registerKernel("streamsql_json_path_text", path(true))
	extract := func(asText bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			last := args[0].Type.Kind == types.JSON
			p := make([]*string, len(args)-1)
			for i := 0; i < n; i++ {
				if out.IsNull(i) {
					continue
				}
				for k := range p {
					p[k] = &args[k+1].Str[i]
				}
				v, ok := jsonb.Path(args[0].Str[i], p, last)
				setJSONResult(out, i, v, ok, asText, ctx)
			}
		})
	}
	registerKernel("jsonb_extract_path", extract(false))
	registerKernel("jsonb_extract_path_text", extract(true))
	registerKernel("json_extract_path", extract(false))
	registerKernel("json_extract_path_text", extract(true))
	two := func(f func(a, b *jsonb.Value) bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			for i := 0; i < n; i++ {
				if out.IsNull(i) {
					continue
				}
				a, err1 := jsonb.Parse(args[0].Str[i])
				b, err2 := jsonb.Parse(args[1].Str[i])
				out.Bool[i] = err1 == nil && err2 == nil && f(&a, &b)
			}
		})
	}
	registerKernel("streamsql_json_contains", two(jsonb.Contains))
	registerKernel("streamsql_json_contained", two(func(a, b *jsonb.Value) bool { return jsonb.Contains(b, a) }))
	registerKernel("streamsql_json_exists", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if !out.IsNull(i) {
				out.Bool[i] = exists(args[0].Str[i], args[1].Str[i])
			}
		}
	}))
	anyAll := func(all bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			for i := 0; i < n; i++ {
				if out.IsNull(i) {
					continue
				}
				keys, err := jsonb.TextArray(args[1].Str[i])
				if err != nil {
					out.SetNull(i)
					ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
					continue
				}
				r := all
				for _, k := range keys {
					if k == nil {
						continue
					}
					if exists(args[0].Str[i], *k) != all {
						r = !all
						break
					}
				}
				out.Bool[i] = r
			}
		})
	}
	registerKernel("streamsql_json_exists_any", anyAll(false))
	registerKernel("streamsql_json_exists_all", anyAll(true))
	registerKernel("jsonb_typeof", fixed(typeOf))
	registerKernel("json_typeof", fixed(typeOf))
	arrayLength := fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		for i := 0; i < n; i++ {
			if out.IsNull(i) {
				continue
			}
			s := args[0].Str[i]
			if l := jsonb.Len(s); l >= 0 {
				out.I64[i] = int64(l)
				continue
			}
			what := "a non-array"
			if jsonb.TypeOf(s) != jsonb.Object {
				what = "a scalar"
			}
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error {
				return sqlerr.New(sqlerr.InvalidParameter, "cannot get array length of %s", what)
			})
		}
	})
	registerKernel("jsonb_array_length", arrayLength)
	registerKernel("json_array_length", arrayLength)
	registerKernel(planner.JSONBConcat, fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if out.IsNull(i) {
				continue
			}
			a, _ := jsonb.Parse(args[0].Str[i])
			b, _ := jsonb.Parse(args[1].Str[i])
			c := jsonb.Concat(&a, &b)
			out.Str[i] = c.String()
		}
	}))
	registerKernel(planner.JSONBDelete, fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		for i := 0; i < n; i++ {
			if out.IsNull(i) {
				continue
			}
			a, _ := jsonb.Parse(args[0].Str[i])
			var r jsonb.Value
			var err error
			if args[1].Type.InStr() {
				r, err = jsonb.DeleteKey(&a, args[1].Str[i])
			} else {
				r, err = jsonb.DeleteIndex(&a, int(args[1].I64[i]))
			}
			if err != nil {
				out.SetNull(i)
				ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
				continue
			}
			out.Str[i] = r.String()
		}
	}))
	registerKernel("jsonb_strip_nulls", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if !out.IsNull(i) {
				if !strings.Contains(args[0].Str[i], "null") {
					out.Str[i] = args[0].Str[i]
					continue
				}
				a, _ := jsonb.Parse(args[0].Str[i])
				jsonb.StripNulls(&a)
				out.Str[i] = a.String()
			}
		}
	}))
	registerKernel("jsonb_pretty", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if !out.IsNull(i) {
				a, _ := jsonb.Parse(args[0].Str[i])
				out.Str[i] = string(jsonb.AppendPretty(nil, &a, 0))
			}
		}
	}))
	registerKernel("to_jsonb", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		var buf []byte
		for i := 0; i < n; i++ {
			if out.IsNull(i) || args[0].IsNull(i) || args[0].Type.Kind == types.Null {
				out.SetNull(i)
				continue
			}
			buf = appendJSONArg(buf[:0], args[0], i)
			canonInto(out, i, buf, ctx)
		}
	}))
	registerKernel("to_json", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if out.IsNull(i) || args[0].IsNull(i) || args[0].Type.Kind == types.Null {
				out.SetNull(i)
				continue
			}
			out.Str[i] = string(appendJSONArg(nil, args[0], i))
		}
	}))
	build := func(object, canon bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
			var buf []byte
			for i := 0; i < n; i++ {
				buf = buf[:0]
				open, close := byte('['), byte(']')
				if object {
					open, close = '{', '}'
				}
				buf = append(buf, open)
				bad := -1
				for k, a := range args {
					if k > 0 {
						if object && k%2 == 1 {
							buf = append(buf, " : "...)
						} else {
							buf = append(buf, ", "...)
						}
					}
					if object && k%2 == 0 {
						if a.IsNull(i) || a.Type.Kind == types.Null {
							bad = k
							break
						}
						var key []byte
						key = appendJSONArg(key, a, i)
						if key[0] != '"' {
							key = jsonb.AppendQuoted(nil, string(key))
						}
						buf = append(buf, key...)
						continue
					}
					buf = appendJSONArg(buf, a, i)
				}
				if bad >= 0 {
					out.SetNull(i)
					ctx.report(i, func() *sqlerr.Error {
						return sqlerr.New(sqlerr.NullValueNotAllowed, "argument %d: key must not be null", bad+1)
					})
					continue
				}
				buf = append(buf, close)
				if canon {
					canonInto(out, i, buf, ctx)
				} else {
					out.Str[i] = string(buf)
				}
			}
		})
	}
	registerKernel("jsonb_build_object", build(true, true))
	registerKernel("json_build_object", build(true, false))
	registerKernel("jsonb_build_array", build(false, true))
	registerKernel("json_build_array", build(false, false))
	registerKernel("json_value", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if out.IsNull(i) {
				continue
			}
			v, ok := flinkPath(args[0].Str[i], args[1].Str[i])
			if ok && (jsonb.TypeOf(v) == jsonb.Object || jsonb.TypeOf(v) == jsonb.Array) {
				ok = false
			}
			var t string
			if ok {
				var err error
				t, ok, err = jsonb.Text(v)
				ok = ok && err == nil
			}
			if !ok {
				out.SetNull(i)
				continue
			}
			out.Str[i] = t
		}
	}))
	registerKernel("json_exists", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for i := 0; i < n; i++ {
			if !out.IsNull(i) {
				_, ok := flinkPath(args[0].Str[i], args[1].Str[i])
				out.Bool[i] = ok
			}
		}
	}))
}

// flinkPath follows Flink's JSON path p through JSON text s; text that
// is not JSON, or a path that is none, finds nothing (Flink's NULL ON
// ERROR).
func flinkPath(s, p string) (string, bool) {
	path, ok := jsonb.FlinkPath(p)
	if !ok || jsonb.Validate(s) != nil {
		return "", false
	}
	return jsonb.Path(s, path, true)
}

// badJSON reports (as row i's error) json text whose \u escapes do not
// decode, which PostgreSQL's json operators read and refuse.
func badJSON(out *vec.Vec, i int, s string, ctx *evalCtx) bool {
	if !strings.Contains(s, `\u`) {
		return false
	}
	if _, err := jsonb.ParseJSON(s); err != nil {
		out.SetNull(i)
		ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
		return true
	}
	return false
}

// exists is jsonb ? key over canonical text.
func exists(s, key string) bool {
	switch jsonb.TypeOf(s) {
	case jsonb.Object:
		_, ok := jsonb.Field(s, key, false)
		return ok
	case jsonb.Array:
		found := false
		jsonb.Elems(s, func(e string) bool {
			if jsonb.TypeOf(e) == jsonb.String {
				if d, err := jsonb.Unquote(e); err == nil && d == key {
					found = true
					return false
				}
			}
			return true
		})
		return found
	case jsonb.String:
		d, err := jsonb.Unquote(strings.TrimSpace(s))
		return err == nil && d == key
	}
	return false
}

func typeOf(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
	for i := 0; i < n; i++ {
		if !out.IsNull(i) {
			out.Str[i] = jsonb.TypeOf(args[0].Str[i]).Name()
		}
	}
}

// setJSONResult sets row i to the value text v found (ok) by a -> or #>
// (its text, for ->> and #>>, where a JSON null is SQL NULL).
func setJSONResult(out *vec.Vec, i int, v string, ok, asText bool, ctx *evalCtx) {
	if !ok {
		out.SetNull(i)
		return
	}
	if !asText {
		out.Str[i] = v
		return
	}
	if strings.TrimSpace(v) != v && jsonb.TypeOf(v) != jsonb.String {
		out.Str[i] = v // json #>> '{}': the text as written
		return
	}
	t, ok, err := jsonb.Text(v)
	if err != nil {
		out.SetNull(i)
		ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
		return
	}
	if !ok {
		out.SetNull(i)
		return
	}
	out.Str[i] = t
}

// canonInto sets row i to the jsonb of JSON text b.
func canonInto(out *vec.Vec, i int, b []byte, ctx *evalCtx) {
	v, err := jsonb.Parse(string(b))
	if err != nil {
		out.SetNull(i)
		ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(err); return e })
		return
	}
	out.Str[i] = v.String()
}

// appendJSONArg appends row i of v as to_json writes a value: a number or
// boolean as itself, json and jsonb as they are, NULL as null, anything
// else as a JSON string of its text (a timestamp in ISO 8601's form).
func appendJSONArg(b []byte, v *vec.Vec, i int) []byte {
	if v.IsNull(i) || v.Type.Kind == types.Null {
		return append(b, "null"...)
	}
	switch v.Type.Kind {
	case types.Bool:
		if v.Bool[i] {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case types.Int32, types.Int64, types.Decimal:
		return v.AppendText(b, i)
	case types.Float64:
		t := v.AppendText(nil, i)
		if s := string(t); s == "NaN" || s == "Infinity" || s == "-Infinity" {
			return jsonb.AppendQuoted(b, s)
		}
		return append(b, t...)
	case types.JSONB, types.JSON:
		return append(b, v.Str[i]...)
	case types.String:
		return jsonb.AppendQuoted(b, v.Str[i])
	case types.Timestamp, types.TimestampTZ:
		t := string(v.AppendText(nil, i))
		t = strings.Replace(t, " ", "T", 1)
		if v.Type.Kind == types.TimestampTZ && len(t) > 3 && (t[len(t)-3] == '+' || t[len(t)-3] == '-') {
			t += ":00"
		}
		return jsonb.AppendQuoted(b, t)
	}
	return jsonb.AppendQuoted(b, v.Text(i))
}
