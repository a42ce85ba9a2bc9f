package engine

import (
	"encoding/binary"
	"errors"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
)

// subQueue is the changes a subscription holds for its client, each
// encoded as its mz_timestamp and mz_diff (varints) and then the row in
// the plain encoding of stored rows, in chunks of memory mapped outside
// Go's heap (see mapChunk).
//
// Outside, because these changes live until the client reads them, up to
// subscription_buffer_bytes for all subscriptions together: on Go's heap
// the collector's pacing (GOGC) lets the heap grow to twice what is live
// before it collects, so changes held there would grow the process by
// twice the budget, and more with the garbage a large INSERT makes
// meanwhile. Mapped, they cost the bytes they take (what the budget is
// charged), and go back to the system as soon as they are read or
// dropped. Encoded, a change takes a third of its columns' size, and a
// long queue read in steps is never copied.
//
// A subQueue is not safe for concurrent use (its subscription's mu
// guards it). The collector does not free its chunks: it must be freed
// (a subscription is, when it is released or ended for the budget).
type subQueue struct {
	// chunks hold the changes, oldest first: each one's len is what is
	// written, its cap what is mapped. The reader is at off in chunks[0].
	chunks [][]byte
	off    int
	rows   int
	// held is the bytes of the pages of chunks written to, the memory q
	// takes (a page not yet written to takes none) and what the budget is
	// charged.
	held int64
	// row is one change's encoding, before it is copied to a chunk.
	row []byte
}

// subChunkBytes is the largest chunk, unless one change needs more.
const subChunkBytes = 64 << 10

// errSubQueue is a queued change that does not decode: a bug.
var errSubQueue = errors.New("engine: corrupt subscription queue")

// push appends row i of b as a change stamped ts with weight d. It fails
// only if no memory can be mapped.
func (q *subQueue) push(ts, d int64, b *vec.Batch, i int) error {
	q.row = binary.AppendVarint(binary.AppendVarint(q.row[:0], ts), d)
	q.row = exec.AppendPlainRow(q.row, b.Cols, i)
	n := len(q.chunks)
	if n == 0 || cap(q.chunks[n-1])-len(q.chunks[n-1]) < len(q.row) {
		c, err := mapChunk(max(subChunkBytes, len(q.row)))
		if err != nil {
			return err
		}
		q.chunks = append(q.chunks, c)
		n++
	}
	c := q.chunks[n-1]
	q.held -= pages(len(c))
	c = append(c, q.row...)
	q.held += pages(len(c))
	q.chunks[n-1] = c
	q.rows++
	if cap(q.row) > subChunkBytes {
		q.row = nil // a large change's buffer is not kept
	}
	return nil
}

// pop decodes up to maxRows changes (all when < 0) into out, whose
// columns are mz_timestamp, mz_diff and then the row's, stopping early
// once maxBytes (when > 0) of them are decoded. Chunks read through are
// unmapped.
func (q *subQueue) pop(out *vec.Batch, maxRows, maxBytes int) error {
	taken := 0
	for q.rows > 0 && (maxRows < 0 || out.N < maxRows) && (maxBytes <= 0 || taken < maxBytes) {
		c := q.chunks[0]
		if q.off == len(c) {
			q.dropChunk()
			continue
		}
		rest := c[q.off:]
		ts, k := binary.Varint(rest)
		if k <= 0 {
			return errSubQueue
		}
		rest = rest[k:]
		d, k := binary.Varint(rest)
		if k <= 0 {
			return errSubQueue
		}
		rest = rest[k:]
		out.Cols[0].AppendI64(ts)
		out.Cols[1].AppendI64(d)
		rest, err := exec.DecodePlainRow(rest, out.Cols[2:])
		if err != nil {
			return errSubQueue
		}
		out.EndRow(1)
		used := len(c) - len(rest) - q.off
		taken += used
		q.off += used
		q.rows--
	}
	if len(q.chunks) > 0 && q.off == len(q.chunks[0]) {
		q.dropChunk()
	}
	return nil
}

// dropChunk unmaps the front chunk, read through.
func (q *subQueue) dropChunk() {
	c := q.chunks[0]
	q.held -= pages(len(c))
	unmapChunk(c)
	q.chunks[0] = nil
	q.chunks = q.chunks[1:]
	q.off = 0
}

// front is the oldest change's mz_timestamp; ok is false when none waits.
// (pop drops a chunk read through, so the oldest change starts chunks[0]
// at off.)
func (q *subQueue) front() (ts int64, ok bool) {
	if q.rows == 0 {
		return 0, false
	}
	ts, k := binary.Varint(q.chunks[0][q.off:])
	return ts, k > 0
}

// pages is the bytes of the pages n bytes from a page's start take.
func pages(n int) int64 {
	return int64((n + pageSize - 1) / pageSize * pageSize)
}

// free unmaps every chunk and empties q.
func (q *subQueue) free() {
	for _, c := range q.chunks {
		unmapChunk(c)
	}
	*q = subQueue{}
}
