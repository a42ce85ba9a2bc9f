package pebble

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/streamsql/streamsql/state"
)

// Apply writes a batch in one Pebble commit. Exact Stats need each key's
// prior size; rather than one Get per key, the keys are visited in order and
// the unknown sizes read by one iterator whose ascending seeks Pebble turns
// into nexts, which is what makes a write-back of many dirty groups cheap.
func (s *store) Apply(b *state.Batch) error {
	db, err := s.writeDB()
	if err != nil {
		return err
	}
	ops := b.Ops()
	if len(ops) == 0 {
		return nil
	}
	order := s.order[:0]
	for i := range ops {
		order = append(order, int32(i))
	}
	// Stable, so the last operation on a key is the last of its run: keep
	// only that one, as if the batch were applied in order.
	slices.SortStableFunc(order, func(x, y int32) int { return bytes.Compare(ops[x].Key, ops[y].Key) })
	last := order[:0]
	for n, i := range order {
		if n+1 == len(order) || !bytes.Equal(ops[order[n+1]].Key, ops[i].Key) {
			last = append(last, i)
		}
	}
	s.order = order
	order = last

	var it *pebble.Iterator
	defer func() {
		if it != nil {
			it.Close()
		}
	}()
	pb := db.NewBatch()
	defer pb.Close()
	stats := s.stats
	for _, i := range order {
		op := &ops[i]
		old, ok, known := s.knownSize(op.Key)
		k := s.encode(op.Key)
		if !known {
			if it == nil {
				lo, hi := s.bounds(nil, nil)
				if it, err = db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi}); err != nil {
					return fmt.Errorf("pebble: apply: %w", err)
				}
			}
			if it.SeekGE(k) && bytes.Equal(it.Key(), k) {
				lv := it.LazyValue()
				old, ok = lv.Len(), true
			} else if err := it.Error(); err != nil {
				return fmt.Errorf("pebble: apply: %w", err)
			}
		}
		if ok {
			stats.Keys--
			stats.Bytes -= int64(len(op.Key) + old)
		}
		if op.Delete {
			if ok {
				err = pb.Delete(k, nil)
			}
		} else {
			err = pb.Set(k, op.Value, nil)
			stats.Keys++
			stats.Bytes += int64(len(op.Key) + len(op.Value))
		}
		if err != nil {
			return fmt.Errorf("pebble: apply: %w", err)
		}
	}
	if err := pb.Commit(noSync); err != nil {
		return fmt.Errorf("pebble: apply: %w", err)
	}
	s.mutated()
	s.stats = stats
	for _, i := range order {
		op := &ops[i]
		if op.Delete {
			s.note(op.Key, absent)
		} else {
			s.note(op.Key, len(op.Value))
		}
	}
	return nil
}
