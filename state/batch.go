package state

// Batch is a list of puts and deletes applied to a Store in one call
// (Store.Apply): an operator writing back many dirty entries at once lets
// the backend sort them and share one pass over its index, where separate
// Puts would each pay a lookup. A Batch copies what it is given into one
// buffer, so filling and applying it allocates nothing once it has grown;
// Reset keeps that buffer for the next round.
type Batch struct {
	buf []byte
	ops []BatchOp
}

// BatchOp is one operation of a Batch: a put of Value, or a delete when
// Delete is set. Key and Value alias the Batch's buffer and are valid until
// its next Reset or append.
type BatchOp struct {
	Key, Value []byte
	Delete     bool
	// off locates Key and Value in buf, which may move while it grows.
	kOff, vOff, vLen int
}

// Put appends a put of key to value.
func (b *Batch) Put(key, value []byte) { b.add(key, value, false) }

// Delete appends a delete of key.
func (b *Batch) Delete(key []byte) { b.add(key, nil, true) }

func (b *Batch) add(key, value []byte, del bool) {
	k := len(b.buf)
	b.buf = append(append(b.buf, key...), value...)
	b.ops = append(b.ops, BatchOp{Delete: del, kOff: k, vOff: k + len(key), vLen: len(value)})
}

// Len is the number of operations.
func (b *Batch) Len() int { return len(b.ops) }

// Reset empties the Batch, keeping its memory.
func (b *Batch) Reset() { b.buf, b.ops = b.buf[:0], b.ops[:0] }

// Ops returns the operations in the order they were added. Later operations
// on a key override earlier ones, as if applied one by one.
func (b *Batch) Ops() []BatchOp {
	for i := range b.ops {
		op := &b.ops[i]
		op.Key = b.buf[op.kOff:op.vOff:op.vOff]
		if !op.Delete {
			op.Value = b.buf[op.vOff : op.vOff+op.vLen : op.vOff+op.vLen]
		}
	}
	return b.ops
}
