package jsonb

import "strings"

// Compare orders two jsonb values as PostgreSQL's compareJsonbContainers
// does: an object is greater than an array, an array than a scalar (but a
// top-level scalar is greater than an empty top-level array: it is stored
// as a one-element array); scalars of different types order null, string,
// number, boolean; containers of one type order by their number of
// members, then member by member (an object's key, then its value).
func Compare(a, b *Value) int {
	return cmpContainer(a, b, true)
}

func scalar(v *Value) bool { return v.K < Array }

// cmpContainer compares a and b as containers; top wraps a top-level
// scalar in its raw-scalar array.
func cmpContainer(a, b *Value, top bool) int {
	ra, rb := top && scalar(a), top && scalar(b)
	ka, kb := a.K, b.K
	if ra {
		ka = Array
	}
	if rb {
		kb = Array
	}
	if ka != kb {
		return sign(int(ka) - int(kb))
	}
	if ka == Object {
		if len(a.O) != len(b.O) {
			return sign(len(a.O) - len(b.O))
		}
		for i := range a.O {
			if c := strings.Compare(a.O[i].Key, b.O[i].Key); c != 0 {
				return c
			}
			if c := cmpElem(&a.O[i].Val, &b.O[i].Val); c != 0 {
				return c
			}
		}
		return 0
	}
	na, nb := len(a.A), len(b.A)
	if ra {
		na = 1
	}
	if rb {
		nb = 1
	}
	res := 0
	if ra != rb {
		res = 1
		if ra {
			res = -1
		}
	}
	if na != nb {
		res = sign(na - nb)
	}
	if res != 0 {
		return res
	}
	for i := range na {
		x, y := a, b
		if !ra {
			x = &a.A[i]
		}
		if !rb {
			y = &b.A[i]
		}
		if c := cmpElem(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func cmpElem(x, y *Value) int {
	if scalar(x) && scalar(y) {
		if x.K != y.K {
			return sign(int(x.K) - int(y.K))
		}
		return cmpScalar(x, y)
	}
	if scalar(x) != scalar(y) {
		return sign(int(x.K) - int(y.K))
	}
	return cmpContainer(x, y, false)
}

func cmpScalar(x, y *Value) int {
	switch x.K {
	case String:
		return strings.Compare(x.S, y.S)
	case Number:
		return numCmp(x.S, y.S)
	case Bool:
		switch {
		case x.B == y.B:
			return 0
		case !x.B:
			return -1
		}
		return 1
	}
	return 0
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// Contains is a @> b, PostgreSQL's JsonbDeepContains: every member of an
// object b is in a with a value that contains b's, every element of an
// array b is equal to (or, for a container, contained in) some element
// of a; a top-level array may contain a scalar, not the other way round.
func Contains(a, b *Value) bool {
	if (a.K == Object) != (b.K == Object) {
		return false
	}
	return contains(a, b, true)
}

func contains(a, b *Value, top bool) bool {
	ra, rb := top && scalar(a), top && scalar(b)
	if ra || rb {
		// Raw scalars are one-element arrays.
		if ra && !rb {
			return false
		}
		if ra {
			return a.K == b.K && cmpScalar(a, b) == 0
		}
		if a.K != Array {
			return false
		}
		return arrayHas(a, b)
	}
	if a.K != b.K {
		return false
	}
	if a.K == Object {
		if len(a.O) < len(b.O) {
			return false
		}
		for i := range b.O {
			av, ok := a.Get(b.O[i].Key)
			bv := &b.O[i].Val
			if !ok || scalar(av) != scalar(bv) {
				return false
			}
			if scalar(bv) {
				if av.K != bv.K || cmpScalar(av, bv) != 0 {
					return false
				}
			} else if !contains(av, bv, false) {
				return false
			}
		}
		return true
	}
	for i := range b.A {
		if !arrayHas(a, &b.A[i]) {
			return false
		}
	}
	return true
}

// arrayHas reports whether array a has a scalar equal to e, or a
// container that contains it.
func arrayHas(a *Value, e *Value) bool {
	for i := range a.A {
		x := &a.A[i]
		if scalar(e) {
			if x.K == e.K && cmpScalar(x, e) == 0 {
				return true
			}
		} else if x.K == e.K && contains(x, e, false) {
			return true
		}
	}
	return false
}

// Exists is a ? key: key is one of an object's keys, a string element of
// an array, or a string scalar equal to it.
func Exists(v *Value, key string) bool {
	switch v.K {
	case Object:
		_, ok := v.Get(key)
		return ok
	case Array:
		for i := range v.A {
			if v.A[i].K == String && v.A[i].S == key {
				return true
			}
		}
		return false
	case String:
		return v.S == key
	}
	return false
}
