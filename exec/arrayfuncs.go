package exec

import (
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// The array functions' kernels (planner/arrays.go binds the calls). Each
// decodes a row's arrays into element vectors, works on those, and
// encodes the result: arrays are values, never changed in place.

// elems decodes the array s, of array type t, into v (reset first).
func elems(v *vec.Vec, t types.T, s string) {
	if v.Type.Kind != t.Elem || v.Type != t.ElemType() {
		*v = vec.New(t.ElemType(), 0)
	}
	v.Reset()
	_ = vec.DecodeArray(s, v) // every array was encoded by EncodeArray
}

// sameElem reports whether x[i] IS NOT DISTINCT FROM y[j], as array
// functions match elements.
func sameElem(x *vec.Vec, i int, y *vec.Vec, j int) bool { return vec.CompareElems(x, i, y, j) == 0 }

// putArray encodes v as row r of out.
func putArray(out *vec.Vec, r int, v *vec.Vec, buf *[]byte) {
	*buf = vec.EncodeArray((*buf)[:0], v)
	out.Str[r] = string(*buf)
}

func init() {
	registerKernel("array", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		res := vec.New(out.Type.ElemType(), len(args))
		var buf []byte
		for r := 0; r < n; r++ {
			res.Reset()
			for _, a := range args {
				res.AppendFrom(a, r)
			}
			putArray(out, r, &res, &buf)
		}
	}))
	registerKernel("array_subscript", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var ev vec.Vec
		for r := 0; r < n; r++ {
			if out.IsNull(r) {
				continue
			}
			elems(&ev, args[0].Type, args[0].Str[r])
			k := args[1].I64[r] - 1
			if k < 0 || k >= int64(ev.Len()) || ev.IsNull(int(k)) {
				out.SetNull(r)
				continue
			}
			copyValue(out, r, &ev, int(k))
		}
	}))
	registerKernel("array_slice", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var ev vec.Vec
		res := vec.New(out.Type.ElemType(), 0)
		var buf []byte
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) {
				out.SetNull(r)
				continue
			}
			elems(&ev, args[0].Type, args[0].Str[r])
			lo, hi := int64(1), int64(ev.Len())
			if !args[1].IsNull(r) {
				lo = max(lo, args[1].I64[r])
			}
			if !args[2].IsNull(r) {
				hi = min(hi, args[2].I64[r])
			}
			res.Reset()
			for k := lo; k <= hi; k++ {
				res.AppendFrom(&ev, int(k-1))
			}
			putArray(out, r, &res, &buf)
		}
	}))
	registerKernel("array_compare", func(consts []*planner.Const) kernel {
		op, all := consts[2].S, consts[3].S == "all"
		return func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			var ev vec.Vec
			for r := 0; r < n; r++ {
				if args[1].IsNull(r) {
					out.SetNull(r)
					continue
				}
				elems(&ev, args[1].Type, args[1].Str[r])
				// ANY: true on a match, else NULL if a comparison was
				// NULL; ALL: false on a miss, else NULL likewise.
				found, unknown := false, false
				for k := 0; k < ev.Len() && !found; k++ {
					if args[0].IsNull(r) || ev.IsNull(k) {
						unknown = true
						continue
					}
					c := vec.CompareElems(args[0], r, &ev, k)
					if holds(op, c) != all {
						found = true
					}
				}
				switch {
				case found:
					out.Bool[r] = !all
				case unknown:
					out.SetNull(r)
				default:
					out.Bool[r] = all
				}
			}
		}
	})
	registerKernel("array_cat", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var a, b vec.Vec
		var buf []byte
		for r := 0; r < n; r++ {
			an, bn := args[0].IsNull(r), args[1].IsNull(r)
			switch {
			case an && bn:
				out.SetNull(r)
			case an:
				out.Str[r] = args[1].Str[r]
			case bn:
				out.Str[r] = args[0].Str[r]
			default:
				elems(&a, args[0].Type, args[0].Str[r])
				elems(&b, args[1].Type, args[1].Str[r])
				for k := 0; k < b.Len(); k++ {
					a.AppendFrom(&b, k)
				}
				putArray(out, r, &a, &buf)
			}
		}
	}))
	appendOrPrepend := func(prepend bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			var a vec.Vec
			res := vec.New(out.Type.ElemType(), 0)
			var buf []byte
			arr, x := args[0], args[1]
			if prepend {
				x, arr = args[0], args[1]
			}
			for r := 0; r < n; r++ {
				res.Reset()
				if prepend {
					res.AppendFrom(x, r)
				}
				if !arr.IsNull(r) {
					elems(&a, arr.Type, arr.Str[r])
					for k := 0; k < a.Len(); k++ {
						res.AppendFrom(&a, k)
					}
				}
				if !prepend {
					res.AppendFrom(x, r)
				}
				putArray(out, r, &res, &buf)
			}
		})
	}
	registerKernel("array_append", appendOrPrepend(false))
	registerKernel("array_prepend", appendOrPrepend(true))
	registerKernel("array_remove", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var a vec.Vec
		res := vec.New(out.Type.ElemType(), 0)
		var buf []byte
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) {
				out.SetNull(r)
				continue
			}
			elems(&a, args[0].Type, args[0].Str[r])
			res.Reset()
			for k := 0; k < a.Len(); k++ {
				if !sameElem(&a, k, args[1], r) {
					res.AppendFrom(&a, k)
				}
			}
			putArray(out, r, &res, &buf)
		}
	}))
	registerKernel("array_replace", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var a vec.Vec
		res := vec.New(out.Type.ElemType(), 0)
		var buf []byte
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) {
				out.SetNull(r)
				continue
			}
			elems(&a, args[0].Type, args[0].Str[r])
			res.Reset()
			for k := 0; k < a.Len(); k++ {
				if sameElem(&a, k, args[1], r) {
					res.AppendFrom(args[2], r)
				} else {
					res.AppendFrom(&a, k)
				}
			}
			putArray(out, r, &res, &buf)
		}
	}))
	registerKernel("array_position", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var a vec.Vec
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) || len(args) == 3 && args[2].IsNull(r) {
				out.SetNull(r)
				continue
			}
			elems(&a, args[0].Type, args[0].Str[r])
			from := 0
			if len(args) == 3 {
				from = int(max(args[2].I64[r]-1, 0))
			}
			out.SetNull(r)
			for k := from; k < a.Len(); k++ {
				if sameElem(&a, k, args[1], r) {
					out.Null[r] = false
					out.I64[r] = int64(k + 1)
					break
				}
			}
		}
	}))
	registerKernel("array_positions", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var a vec.Vec
		res := vec.New(types.Int, 0)
		var buf []byte
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) {
				out.SetNull(r)
				continue
			}
			elems(&a, args[0].Type, args[0].Str[r])
			res.Reset()
			for k := 0; k < a.Len(); k++ {
				if sameElem(&a, k, args[1], r) {
					res.AppendI64(int64(k + 1))
				}
			}
			putArray(out, r, &res, &buf)
		}
	}))
	// dimFunc computes array_length, array_upper and array_lower: NULL for
	// an empty array or a dimension it has not.
	dimFunc := func(lower bool) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			for r := 0; r < n; r++ {
				if out.IsNull(r) {
					continue
				}
				l := vec.ArrayLen(args[0].Str[r])
				if l == 0 || args[1].I64[r] != 1 {
					out.SetNull(r)
					continue
				}
				out.I64[r] = int64(l)
				if lower {
					out.I64[r] = 1
				}
			}
		})
	}
	registerKernel("array_length", dimFunc(false))
	registerKernel("array_upper", dimFunc(false))
	registerKernel("array_lower", dimFunc(true))
	registerKernel("array_ndims", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for r := 0; r < n; r++ {
			if out.IsNull(r) {
				continue
			}
			if vec.ArrayLen(args[0].Str[r]) == 0 {
				out.SetNull(r)
				continue
			}
			out.I64[r] = 1
		}
	}))
	registerKernel("cardinality", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		for r := 0; r < n; r++ {
			if !out.IsNull(r) {
				out.I64[r] = int64(vec.ArrayLen(args[0].Str[r]))
			}
		}
	}))
	registerKernel("array_to_string", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		var a vec.Vec
		var sb []byte
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) || args[1].IsNull(r) {
				out.SetNull(r)
				continue
			}
			elems(&a, args[0].Type, args[0].Str[r])
			sep := args[1].Str[r]
			nullStr, withNull := "", len(args) == 3 && !args[2].IsNull(r)
			if withNull {
				nullStr = args[2].Str[r]
			}
			sb = sb[:0]
			first := true
			for k := 0; k < a.Len(); k++ {
				if a.IsNull(k) && !withNull {
					continue
				}
				if !first {
					sb = append(sb, sep...)
				}
				first = false
				if a.IsNull(k) {
					sb = append(sb, nullStr...)
				} else {
					sb = a.AppendText(sb, k)
				}
			}
			out.Str[r] = string(sb)
		}
	}))
	registerKernel("string_to_array", fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
		res := vec.New(types.Varchar, 0)
		var buf []byte
		for r := 0; r < n; r++ {
			if args[0].IsNull(r) {
				out.SetNull(r)
				continue
			}
			s := args[0].Str[r]
			nullStr, withNull := "", len(args) == 3 && !args[2].IsNull(r)
			if withNull {
				nullStr = args[2].Str[r]
			}
			add := func(p string) {
				if withNull && p == nullStr {
					res.AppendNull()
				} else {
					res.AppendStr(p)
				}
			}
			res.Reset()
			switch {
			case s == "":
			case args[1].IsNull(r):
				for len(s) > 0 {
					_, w := utf8.DecodeRuneInString(s)
					add(s[:w])
					s = s[w:]
				}
			case args[1].Str[r] == "":
				add(s)
			default:
				for _, p := range strings.Split(s, args[1].Str[r]) {
					add(p)
				}
			}
			putArray(out, r, &res, &buf)
		}
	}))
	setOp := func(op string) kernelMaker {
		return fixed(func(out *vec.Vec, args []*vec.Vec, n int, _ *evalCtx) {
			var a, b vec.Vec
			for r := 0; r < n; r++ {
				if out.IsNull(r) {
					continue
				}
				x, y := args[0], args[1]
				if op == "contained" {
					x, y = y, x
				}
				elems(&a, x.Type, x.Str[r])
				elems(&b, y.Type, y.Str[r])
				if op == "overlap" {
					out.Bool[r] = overlaps(&a, &b)
				} else {
					out.Bool[r] = containsAll(&a, &b)
				}
			}
		})
	}
	registerKernel("array_contains", setOp("contains"))
	registerKernel("array_contained", setOp("contained"))
	registerKernel("array_overlap", setOp("overlap"))
}

// holds says whether comparison op is true of a comparison result c.
func holds(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>", "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// containsAll is a @> b: every element of b is in a, a NULL element in b
// never being found (PostgreSQL's arraycontains).
func containsAll(a, b *vec.Vec) bool {
	for j := 0; j < b.Len(); j++ {
		if b.IsNull(j) {
			return false
		}
		found := false
		for i := 0; i < a.Len() && !found; i++ {
			found = !a.IsNull(i) && vec.CompareElems(a, i, b, j) == 0
		}
		if !found {
			return false
		}
	}
	return true
}

// overlaps is a && b: some non-NULL element is in both.
func overlaps(a, b *vec.Vec) bool {
	for j := 0; j < b.Len(); j++ {
		if b.IsNull(j) {
			continue
		}
		for i := 0; i < a.Len(); i++ {
			if !a.IsNull(i) && vec.CompareElems(a, i, b, j) == 0 {
				return true
			}
		}
	}
	return false
}
