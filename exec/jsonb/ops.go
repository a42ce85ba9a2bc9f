package jsonb

import "github.com/streamsql/streamsql/parser/sqlerr"

// Concat is a || b: two objects merge (b's members win); otherwise a
// value that is not an array is taken as a one-element array, and the
// arrays are joined.
func Concat(a, b *Value) Value {
	if a.K == Object && b.K == Object {
		ps := append(append([]Pair{}, a.O...), b.O...)
		return Value{K: Object, O: sortPairs(ps)}
	}
	elems := func(v *Value) []Value {
		if v.K == Array {
			return v.A
		}
		return []Value{*v}
	}
	return Value{K: Array, A: append(append([]Value{}, elems(a)...), elems(b)...)}
}

// DeleteKey is v - key: the object without member key, or the array
// without its string elements equal to key.
func DeleteKey(v *Value, key string) (Value, error) {
	switch v.K {
	case Object:
		out := Value{K: Object}
		for _, p := range v.O {
			if p.Key != key {
				out.O = append(out.O, p)
			}
		}
		return out, nil
	case Array:
		out := Value{K: Array}
		for _, e := range v.A {
			if e.K != String || e.S != key {
				out.A = append(out.A, e)
			}
		}
		return out, nil
	}
	return Value{}, sqlerr.New(sqlerr.InvalidParameter, "cannot delete from scalar")
}

// DeleteIndex is v - k: the array without element k (negative: from the
// end); out of range, the array as it is.
func DeleteIndex(v *Value, k int) (Value, error) {
	switch v.K {
	case Array:
		if k < 0 {
			k += len(v.A)
		}
		if k < 0 || k >= len(v.A) {
			return *v, nil
		}
		out := Value{K: Array, A: append(append([]Value{}, v.A[:k]...), v.A[k+1:]...)}
		return out, nil
	case Object:
		return Value{}, sqlerr.New(sqlerr.InvalidParameter, "cannot delete from object using integer index")
	}
	return Value{}, sqlerr.New(sqlerr.InvalidParameter, "cannot delete from scalar")
}

// StripNulls drops, at every depth, the object members whose value is
// null (array elements stay).
func StripNulls(v *Value) {
	switch v.K {
	case Array:
		for i := range v.A {
			StripNulls(&v.A[i])
		}
	case Object:
		out := v.O[:0]
		for _, p := range v.O {
			if p.Val.K == Null {
				continue
			}
			StripNulls(&p.Val)
			out = append(out, p)
		}
		v.O = out
	}
}
