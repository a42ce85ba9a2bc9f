package exec

import (
	"encoding/binary"
	"strings"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// string_agg keeps its values in the accumulator's s, each prefixed by its
// length, so that merging two lists (of a batch, of HOP panes, of merged
// sessions) is a concatenation, and the separator, a constant of the
// call, is put in only when the result is made.

// appendListed appends value x to the list l.
func appendListed(l, x string) string {
	var n [binary.MaxVarintLen64]byte
	return l + string(n[:binary.PutUvarint(n[:], uint64(len(x)))]) + x
}

// joinListed is the list l's values joined by sep.
func joinListed(l, sep string) (string, error) {
	var b strings.Builder
	b.Grow(len(l))
	for first := true; l != ""; first = false {
		n, k := binary.Uvarint([]byte(l[:min(len(l), binary.MaxVarintLen64)]))
		if k <= 0 || uint64(len(l)-k) < n {
			return "", errCorruptAcc
		}
		if !first {
			b.WriteString(sep)
		}
		b.WriteString(l[k : k+int(n)])
		l = l[k+int(n):]
	}
	return b.String(), nil
}

// arrayOfListed is array_agg's result: the elements of the one-element
// arrays in the list l, as one array of type t.
func arrayOfListed(l string, t types.T) string {
	ev := vec.New(t.ElemType(), 0)
	for l != "" {
		n, k := binary.Uvarint([]byte(l[:min(len(l), binary.MaxVarintLen64)]))
		if k <= 0 || uint64(len(l)-k) < n {
			panic(errCorruptAcc) // only a corrupt state has a bad list
		}
		if err := vec.DecodeArray(l[k:k+int(n)], &ev); err != nil {
			panic(err)
		}
		l = l[k+int(n):]
	}
	return vec.ArrayOf(&ev)
}
