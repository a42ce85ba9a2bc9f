// Package snapshot encodes a checkpoint of all operator state as one stream.
//
// The format is backend-neutral (namespace, key, value records) so that a
// checkpoint written by one backend restores into the other: the memory
// backend writes it as its checkpoint file and the pebble backend can import
// and export it. It detects torn and bit-flipped files with a CRC-32C over
// everything before the checksum, and a record count in the trailer.
//
// Layout, integers big-endian unless marked uvarint:
//
//	header  = magic "SSQLSNAP" | version uint32 (1) | checkpoint id uint64
//	record  = 0x01 | ns uvarint | len(key) uvarint | key | len(value) uvarint | value
//	trailer = 0x00 | record count uint64 | crc32c uint32
//
// Records are in strictly ascending (ns, key) order, so a reader can bulk-load
// them into a sorted structure and a duplicate is detectably corrupt. Nothing
// may follow the trailer.
package snapshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Magic opens every snapshot.
const Magic = "SSQLSNAP"

// Version is the only format version written and read.
const Version = 1

const (
	tagEnd    = 0x00
	tagRecord = 0x01
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrOutOfOrder is returned by Write when iterate yields a record that does
// not sort after the previous one; it is a bug of the caller, not corruption.
var ErrOutOfOrder = errors.New("snapshot: records out of (namespace, key) order")

// Write encodes checkpoint id with the records iterate yields to w, which it
// buffers itself. iterate calls yield once per record in ascending (ns, key)
// order and returns the first error yield returns; yield does not retain k or
// v. Write does not sync: making the bytes durable is the caller's job.
func Write(w io.Writer, id uint64, iterate func(yield func(ns uint64, k, v []byte) error) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := &crcWriter{w: bw}
	var scratch [3 * binary.MaxVarintLen64]byte
	hdr := []byte(Magic)
	hdr = binary.BigEndian.AppendUint32(hdr, Version)
	hdr = binary.BigEndian.AppendUint64(hdr, id)
	cw.write(hdr)

	var count uint64
	var prevNS uint64
	var prevKey []byte
	err := iterate(func(ns uint64, k, v []byte) error {
		if count > 0 && (ns < prevNS || ns == prevNS && bytes.Compare(k, prevKey) <= 0) {
			return fmt.Errorf("%w: (%d, %x) after (%d, %x)", ErrOutOfOrder, ns, k, prevNS, prevKey)
		}
		prevNS, prevKey = ns, append(prevKey[:0], k...)
		count++
		b := append(scratch[:0], tagRecord)
		b = binary.AppendUvarint(b, ns)
		b = binary.AppendUvarint(b, uint64(len(k)))
		cw.write(b)
		cw.write(k)
		cw.write(binary.AppendUvarint(scratch[:0], uint64(len(v))))
		cw.write(v)
		return cw.err
	})
	if err != nil {
		return fmt.Errorf("snapshot: write: %w", err)
	}
	cw.write(binary.BigEndian.AppendUint64(append(scratch[:0], tagEnd), count))
	cw.write(binary.BigEndian.AppendUint32(scratch[:0], cw.crc))
	if cw.err != nil {
		return fmt.Errorf("snapshot: write: %w", cw.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("snapshot: write: %w", err)
	}
	return nil
}

// crcWriter checksums what it writes and remembers the first error, so the
// record loop checks once per record.
type crcWriter struct {
	w   io.Writer
	crc uint32
	err error
}

func (c *crcWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	c.crc = crc32.Update(c.crc, castagnoli, b)
	_, c.err = c.w.Write(b)
}

// Read decodes a snapshot from r, calling fn for every record in order, and
// returns the checkpoint id. k and v are only valid during the call.
//
// The checksum is verified at the end, after fn has seen every record: when
// Read fails, whatever fn built must be discarded. Damage to the stream
// (truncation, flipped bits, bad magic or version, trailing bytes) yields an
// error wrapping state.ErrCorrupt; errors of r and of fn are returned wrapped
// as they are.
func Read(r io.Reader, fn func(ns uint64, k, v []byte) error) (id uint64, err error) {
	cr := &crcReader{r: bufio.NewReaderSize(r, 64<<10)}
	hdr := make([]byte, len(Magic)+4+8)
	if err := cr.readFull(hdr); err != nil {
		return 0, err
	}
	if string(hdr[:len(Magic)]) != Magic {
		return 0, corruptf("bad magic %q", hdr[:len(Magic)])
	}
	if v := binary.BigEndian.Uint32(hdr[len(Magic):]); v != Version {
		return 0, corruptf("unsupported version %d", v)
	}
	id = binary.BigEndian.Uint64(hdr[len(Magic)+4:])

	var count, prevNS uint64
	var key, prevKey, val []byte
	for {
		tag, err := cr.readByte()
		if err != nil {
			return 0, err
		}
		if tag == tagEnd {
			break
		}
		if tag != tagRecord {
			return 0, corruptf("bad record tag 0x%02x", tag)
		}
		ns, err := cr.uvarint()
		if err != nil {
			return 0, err
		}
		if key, err = cr.readBytes(key); err != nil {
			return 0, err
		}
		if val, err = cr.readBytes(val); err != nil {
			return 0, err
		}
		if count > 0 && (ns < prevNS || ns == prevNS && bytes.Compare(key, prevKey) <= 0) {
			return 0, corruptf("record %d out of order", count)
		}
		if err := fn(ns, key, val); err != nil {
			return 0, fmt.Errorf("snapshot: read: %w", err)
		}
		count++
		prevNS, prevKey = ns, append(prevKey[:0], key...)
	}
	var tail [8]byte
	if err := cr.readFull(tail[:]); err != nil {
		return 0, err
	}
	if n := binary.BigEndian.Uint64(tail[:]); n != count {
		return 0, corruptf("trailer counts %d records, read %d", n, count)
	}
	want := cr.crc
	if err := cr.readFull(tail[:4]); err != nil {
		return 0, err
	}
	if got := binary.BigEndian.Uint32(tail[:4]); got != want {
		return 0, corruptf("checksum %08x, computed %08x", got, want)
	}
	if _, err := cr.r.ReadByte(); err != io.EOF {
		if err != nil {
			return 0, fmt.Errorf("snapshot: read: %w", err)
		}
		return 0, corruptf("data after trailer")
	}
	return id, nil
}
