// Package jsonb is PostgreSQL's JSON and JSONB: reading JSON text with
// PostgreSQL's errors, the canonical text of a jsonb value (keys sorted
// and unique, PostgreSQL's spacing and number forms), and the operations
// on it. A JSONB column holds the canonical text, so that equal values
// have equal text and the operators can walk the text without building a
// tree (see nav.go); a JSON column holds the text as written.
package jsonb

// Kind is a JSON value's type.
type Kind uint8

// The kinds, in PostgreSQL's jsonb order of types (compare.go): null sorts
// first, then strings, numbers, booleans, arrays and objects.
const (
	Null Kind = iota
	String
	Number
	Bool
	Array
	Object
)

// Name is the kind as jsonb_typeof and PostgreSQL's messages name it.
func (k Kind) Name() string {
	return [...]string{"null", "string", "number", "boolean", "array", "object"}[k]
}

// CastName is the kind as PostgreSQL's "cannot cast jsonb ..." names it.
func (k Kind) CastName() string {
	return [...]string{"null", "string", "numeric", "boolean", "array", "object"}[k]
}

// Value is a parsed JSON value.
type Value struct {
	K Kind
	// S is a string's text (decoded), a number's canonical text (see
	// number.go) or, for json, its text as written.
	S string
	B bool
	A []Value
	// O is an object's members; in a jsonb value sorted (keyLess) and
	// unique, in a json value as written.
	O []Pair
}

// Pair is one object member.
type Pair struct {
	Key string
	Val Value
}

// keyLess is jsonb's order of object keys: shorter first, then by bytes.
func keyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// keyCmp is keyLess as a three-way comparison.
func keyCmp(a, b string) int {
	switch {
	case a == b:
		return 0
	case keyLess(a, b):
		return -1
	}
	return 1
}

// Get returns an object's member key.
func (v *Value) Get(key string) (*Value, bool) {
	for i := range v.O {
		if v.O[i].Key == key {
			return &v.O[i].Val, true
		}
	}
	return nil, false
}
