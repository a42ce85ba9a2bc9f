package state

import (
	"errors"
	"fmt"
)

// KnownRangeDeleter is implemented by a Store whose DeleteRange would count
// the keys it removes to keep Stats exact (Pebble cannot count a range
// without visiting it), for callers that know what the range holds: an
// aggregate closing a window it has complete in its cache knows its groups
// and their encoded sizes.
type KnownRangeDeleter interface {
	// DeleteRangeKnown is DeleteRange(start, end) where removed is the
	// Stats of the keys in [start, end) at the call: how many there are and
	// the sum of len(key)+len(value) over them. The Store subtracts removed
	// from its Stats instead of counting, so Stats stay exact as long as
	// removed is. removed.Keys == 0 is taken as "don't know" and counted,
	// so a range believed empty never keeps its keys or costs a tombstone.
	//
	// The memory backend removes keys one by one anyway, so it counts and
	// returns an error wrapping ErrMiscounted when removed was wrong (the
	// keys are removed and its own Stats stay exact): tests on it catch a
	// caller that would skew Pebble's Stats.
	DeleteRangeKnown(start, end []byte, removed Stats) error
}

// ErrMiscounted is wrapped by DeleteRangeKnown's error when the caller's
// count was not what the range held.
var ErrMiscounted = errors.New("state: DeleteRangeKnown was given a wrong count")

// DeleteRangeKnown deletes [start, end) from s, passing removed on when s is
// a KnownRangeDeleter, and calling DeleteRange otherwise.
func DeleteRangeKnown(s Store, start, end []byte, removed Stats) error {
	if k, ok := s.(KnownRangeDeleter); ok {
		return k.DeleteRangeKnown(start, end, removed)
	}
	return s.DeleteRange(start, end)
}

// Miscounted is the error of a DeleteRangeKnown whose removed differs from
// what the range held.
func Miscounted(start, end []byte, removed, held Stats) error {
	return fmt.Errorf("%w: [%x, %x) held %d keys, %d bytes; told %d keys, %d bytes",
		ErrMiscounted, start, end, held.Keys, held.Bytes, removed.Keys, removed.Bytes)
}
