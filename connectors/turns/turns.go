// Package turns keeps a generated stream's position in each partition and
// reads the partitions in turns, as a Kafka consumer reads a topic: a
// chunk from one partition, then from the next. It is the bookkeeping the
// built-in generators (datagen, nexmark) share; the engine checkpoints
// Parts and restores a generator by setting them.
//
// Position n of the stream belongs to partition n mod len(Parts), so a
// bounded stream of MaxRows positions gives the first partitions one more
// position than the last when MaxRows is not a multiple of the count.
package turns

// Cursor says how far each partition has read.
type Cursor struct {
	// Parts[p] is how many positions partition p has read.
	Parts []int64
	// MaxRows is how many positions the whole stream has, 0 for
	// unbounded.
	MaxRows int64
}

// New returns the cursor of a stream of parts partitions at its start.
func New(parts int, maxRows int64) Cursor {
	return Cursor{Parts: make([]int64, parts), MaxRows: maxRows}
}

// Pos is the number of positions read, over all partitions.
func (s *Cursor) Pos() int64 {
	n := int64(0)
	for _, k := range s.Parts {
		n += k
	}
	return n
}

// Quota is how many positions partition p reads in all (-1: no limit).
func (s *Cursor) Quota(p int) int64 {
	if s.MaxRows == 0 {
		return -1
	}
	n := int64(len(s.Parts))
	return max((s.MaxRows-int64(p)+n-1)/n, 0)
}

// Take returns how many of n positions partition p may still read.
func (s *Cursor) Take(p, n int) int {
	if q := s.Quota(p); q >= 0 {
		return int(min(int64(n), q-s.Parts[p]))
	}
	return n
}

func (s *Cursor) partDone(p int) bool {
	q := s.Quota(p)
	return q >= 0 && s.Parts[p] >= q
}

// Done reports whether every partition has read its share of MaxRows.
func (s *Cursor) Done() bool {
	for p := range s.Parts {
		if !s.partDone(p) {
			return false
		}
	}
	return true
}

// Next is the partition to read next: the one that has read the least and
// has positions left, so partitions take turns. It is -1 when done.
func (s *Cursor) Next() int {
	next := -1
	for p, k := range s.Parts {
		if !s.partDone(p) && (next < 0 || k < s.Parts[next]) {
			next = p
		}
	}
	return next
}

// Positions returns Parts, for the engine's checkpoints.
func (s *Cursor) Positions() []int64 { return s.Parts }

// Bounded reports whether the stream ends (MaxRows > 0).
func (s *Cursor) Bounded() bool { return s.MaxRows > 0 }
