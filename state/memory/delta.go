package memory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/streamsql/streamsql/state"
)

// A delta file holds what one checkpoint changed since the one before it
// (its parent), on top of one base file. It is this backend's own format:
// only the base is a plain snapshot that other backends read.
//
// Layout, integers big-endian unless marked uvarint:
//
//	header  = magic "SSQLDLTA" | version uint32 (1) | checkpoint id uint64 |
//	          parent id uint64 | base: id uint64 | size uint64 | crc32c uint32
//	op      = 0x01 put    | ns uvarint | len(key) uvarint | key | len(value) uvarint | value
//	        | 0x02 delete | ns uvarint | len(key) uvarint | key
//	        | 0x03 range  | ns uvarint | len(start) uvarint | start | end
//	        | 0x04 clear  | ns uvarint
//	end     = 0 (unbounded) or len(end)+1 uvarint, then end's bytes
//	trailer = 0x00 | op count uint64 | crc32c uint32 of everything before it
//
// Ops apply in file order. A writer puts a namespace's clear and ranges
// before its puts and deletes, each of which gives a key's value as of the
// checkpoint, so the order of the keys does not matter to a reader.
const (
	deltaMagic   = "SSQLDLTA"
	deltaVersion = 1
	deltaHeader  = len(deltaMagic) + 4 + 8 + 8 + 8 + 8 + 4
)

const (
	opEnd = iota
	opPut
	opDelete
	opRange
	opClear
)

// baseRef identifies one base file, so that a delta applies only to the
// base it was written on: a base written later under a reused id (a start
// that ignored the old checkpoint, a converted one) is a different file.
type baseRef struct {
	id   uint64
	size int64
	crc  uint32 // the snapshot's own trailer checksum, its last 4 bytes
}

// deltaWriter encodes one delta, checksumming as it goes.
type deltaWriter struct {
	w       io.Writer
	crc     uint32
	n       int64 // bytes written
	ops     uint64
	err     error
	scratch []byte
}

func newDeltaWriter(w io.Writer, id, parent uint64, base baseRef) *deltaWriter {
	d := &deltaWriter{w: w}
	h := []byte(deltaMagic)
	h = binary.BigEndian.AppendUint32(h, deltaVersion)
	h = binary.BigEndian.AppendUint64(h, id)
	h = binary.BigEndian.AppendUint64(h, parent)
	h = binary.BigEndian.AppendUint64(h, base.id)
	h = binary.BigEndian.AppendUint64(h, uint64(base.size))
	h = binary.BigEndian.AppendUint32(h, base.crc)
	d.write(h)
	return d
}

func (d *deltaWriter) write(b []byte) {
	if d.err != nil {
		return
	}
	d.crc = crc32.Update(d.crc, castagnoli, b)
	var n int
	n, d.err = d.w.Write(b)
	d.n += int64(n)
}

// op writes one op's tag and namespace, then each of parts length-prefixed.
// Short parts are copied into one buffer, so that the checksum and the
// writer see one call per op rather than one per field.
func (d *deltaWriter) op(tag byte, ns uint64, parts ...[]byte) {
	d.ops++
	b := append(d.scratch[:0], tag)
	b = binary.AppendUvarint(b, ns)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		if len(p) > 256 {
			d.write(b)
			d.write(p)
			b = b[:0]
		} else {
			b = append(b, p...)
		}
	}
	d.write(b)
	d.scratch = b[:0]
}

func (d *deltaWriter) put(ns uint64, k, v []byte) { d.op(opPut, ns, k, v) }
func (d *deltaWriter) del(ns uint64, k []byte)    { d.op(opDelete, ns, k) }
func (d *deltaWriter) clear(ns uint64)            { d.op(opClear, ns) }

func (d *deltaWriter) deleteRange(ns uint64, start, end []byte) {
	d.op(opRange, ns, start)
	if end == nil {
		d.write([]byte{0})
		return
	}
	d.write(binary.AppendUvarint(d.scratch[:0], uint64(len(end))+1))
	d.write(end)
}

// finish writes the trailer and returns the first error.
func (d *deltaWriter) finish() error {
	b := append(d.scratch[:0], opEnd)
	d.write(binary.BigEndian.AppendUint64(b, d.ops))
	d.write(binary.BigEndian.AppendUint32(d.scratch[:0], d.crc))
	return d.err
}

// delta is a decoded delta's header, with its ops still encoded.
type delta struct {
	id, parent uint64
	base       baseRef
	size       int64
	ops        []byte // from the first op to the trailer's count, excluded
	count      uint64
}

// parseDelta checks a whole delta file's checksum and header. Every failure
// wraps state.ErrCorrupt: a delta is only ever renamed into place complete
// and synced, so a torn one is damage, not an interrupted checkpoint.
func parseDelta(data []byte) (*delta, error) {
	if len(data) < deltaHeader+1+8+4 {
		return nil, corruptf("delta truncated to %d bytes", len(data))
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, corruptf("delta checksum %08x, computed %08x", sum, got)
	}
	if !bytes.HasPrefix(body, []byte(deltaMagic)) {
		return nil, corruptf("delta has a bad magic")
	}
	h := body[len(deltaMagic):]
	if v := binary.BigEndian.Uint32(h); v != deltaVersion {
		return nil, corruptf("delta version %d is not supported", v)
	}
	d := &delta{
		id:     binary.BigEndian.Uint64(h[4:]),
		parent: binary.BigEndian.Uint64(h[12:]),
		base: baseRef{
			id:   binary.BigEndian.Uint64(h[20:]),
			size: int64(binary.BigEndian.Uint64(h[28:])),
			crc:  binary.BigEndian.Uint32(h[36:]),
		},
		size: int64(len(data)),
	}
	trailer := body[len(body)-9:]
	if trailer[0] != opEnd {
		return nil, corruptf("delta %d has no trailer", d.id)
	}
	d.count = binary.BigEndian.Uint64(trailer[1:])
	d.ops = body[deltaHeader : len(body)-9]
	return d, nil
}

// apply performs the delta's ops on the detached stores of trees.
func (d *delta) apply(trees map[uint64]*store, newStore func() *store) error {
	r := opReader{b: d.ops}
	var n uint64
	for len(r.b) > 0 && r.err == nil {
		tag := r.byte()
		ns := r.uvarint()
		s := trees[ns]
		if s == nil {
			s = newStore()
			trees[ns] = s
		}
		var err error
		switch tag {
		case opPut:
			k := r.bytes()
			v := r.bytes()
			if r.err == nil {
				err = s.Put(k, v)
			}
		case opDelete:
			if k := r.bytes(); r.err == nil {
				err = s.Delete(k)
			}
		case opRange:
			start := r.bytes()
			var end []byte
			if m := r.uvarint(); m > 0 {
				end = r.take(m - 1)
				if end == nil && r.err == nil {
					end = []byte{}
				}
			}
			if r.err == nil {
				err = s.DeleteRange(start, end)
			}
		case opClear:
			err = s.DeleteRange(nil, nil)
		default:
			return corruptf("delta %d: bad op 0x%02x", d.id, tag)
		}
		if err != nil {
			return err
		}
		n++
	}
	if r.err != nil {
		return corruptf("delta %d: %v", d.id, r.err)
	}
	if n != d.count {
		return corruptf("delta %d: trailer counts %d ops, read %d", d.id, d.count, n)
	}
	return nil
}

// opReader decodes ops, remembering the first error. The checksum has
// passed, so an error here is a bug or a forged file.
type opReader struct {
	b   []byte
	err error
}

func (r *opReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *opReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *opReader) bytes() []byte { return r.take(r.uvarint()) }

func (r *opReader) take(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *opReader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated op")
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("memory: %w: "+format, append([]any{state.ErrCorrupt}, args...)...)
}
