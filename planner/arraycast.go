package planner

import (
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// CastArrayMalformed is array text that is no array literal; CastArrayDims
// one of more than one dimension. They are numbered apart from the JSON
// casts' results, which CastError also tells apart.
const (
	CastArrayMalformed CastResult = 200 + iota
	CastArrayDims
)

// castArray converts to, from and between arrays: text reads as array_in
// does (each element converted from its text), an array prints as
// array_out does, and an array converts element by element. A failing
// element fails the whole value with the element's reason.
func castArray(src *vec.Vec, i int, out *vec.Vec, loc *time.Location) CastResult {
	from, to := src.Type, out.Type
	switch {
	case to.Kind == types.String:
		s := string(vec.AppendArrayText(nil, src.Str[i], from.ElemType(), loc))
		if to.Width > 0 {
			if r := []rune(s); len(r) > to.Width {
				s = string(r[:to.Width])
			}
		}
		out.AppendStr(s)
		return CastOK
	case to.Kind != types.Array:
		return CastInvalid
	case from.Kind == types.String:
		texts, null, r := vec.ParseArrayText(src.Str[i])
		switch r {
		case vec.ArrayMalformed:
			return CastArrayMalformed
		case vec.ArrayMultiDim:
			return CastArrayDims
		}
		tv := vec.New(types.Varchar, len(texts))
		for k, t := range texts {
			if null[k] {
				tv.AppendNull()
			} else {
				tv.AppendStr(t)
			}
		}
		return castElems(&tv, out, loc)
	case from.Kind == types.Array:
		ev := vec.New(from.ElemType(), 0)
		if vec.DecodeArray(src.Str[i], &ev) != nil {
			return CastInvalid
		}
		return castElems(&ev, out, loc)
	}
	return CastInvalid
}

// castElems converts every element of ev to out's element type and
// appends the array.
func castElems(ev *vec.Vec, out *vec.Vec, loc *time.Location) CastResult {
	et := out.Type.ElemType()
	if et.Kind == types.Null {
		et = types.Varchar
	}
	res := vec.New(et, ev.Len())
	for k := 0; k < ev.Len(); k++ {
		if ev.Type.Kind == types.Null {
			res.AppendNull()
			continue
		}
		if r := CastValueIn(ev, k, &res, loc); r != CastOK {
			return r
		}
	}
	out.AppendStr(vec.ArrayOf(&res))
	return CastOK
}

// arrayCastError is CastError for an array target: what failed is the
// text's structure, or one element, whose error it reports.
func arrayCastError(r CastResult, from, t types.T, text string) *sqlerr.Error {
	switch r {
	case CastArrayMalformed:
		return sqlerr.New(sqlerr.InvalidText, "malformed array literal: %q", text)
	case CastArrayDims:
		return sqlerr.New(sqlerr.FeatureNotSupported, "arrays of more than one dimension are not supported: %q", text)
	}
	// Find the element at fault, for its own message.
	ef := types.Varchar
	if from.Kind == types.Array {
		ef = from.ElemType()
	}
	var ev vec.Vec
	if from.Kind == types.String {
		texts, null, _ := vec.ParseArrayText(text)
		ev = vec.New(types.Varchar, len(texts))
		for k, s := range texts {
			if null[k] {
				ev.AppendNull()
			} else {
				ev.AppendStr(s)
			}
		}
	} else {
		return CastError(r, ef, t.ElemType(), text)
	}
	res := vec.New(t.ElemType(), 1)
	for k := 0; k < ev.Len(); k++ {
		if rr := CastValueIn(&ev, k, &res, nil); rr != CastOK {
			return CastError(rr, ef, t.ElemType(), ev.Str[k])
		}
	}
	return CastError(r, ef, t.ElemType(), text)
}
