package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/streamsql/streamsql/state"
)

// chunk bounds how much readBytes allocates ahead of the data actually read,
// so a corrupt length cannot make Read allocate gigabytes.
const chunk = 64 << 10

// crcReader checksums every byte it returns.
type crcReader struct {
	r   *bufio.Reader
	crc uint32
	one [1]byte // ReadByte's checksum input, kept here so it does not escape per byte
}

// readByte reads one byte, reporting a short stream as corruption.
func (c *crcReader) readByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err != nil {
		return 0, c.fail(err)
	}
	c.one[0] = b
	c.crc = crc32.Update(c.crc, castagnoli, c.one[:])
	return b, nil
}

// uvarint reads an unsigned varint as written by binary.AppendUvarint. It is
// ours rather than binary.ReadUvarint so that overflow is reported as
// corruption without matching an unexported error.
func (c *crcReader) uvarint() (uint64, error) {
	var x uint64
	for i, s := 0, uint(0); i < binary.MaxVarintLen64; i, s = i+1, s+7 {
		b, err := c.readByte()
		if err != nil {
			return 0, err
		}
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
	}
	return 0, corruptf("varint overflows 64 bits")
}

// readFull fills b, reporting a short stream as corruption.
func (c *crcReader) readFull(b []byte) error {
	if _, err := io.ReadFull(c.r, b); err != nil {
		return c.fail(err)
	}
	c.crc = crc32.Update(c.crc, castagnoli, b)
	return nil
}

// readBytes reads a uvarint length and that many bytes into buf's storage.
func (c *crcReader) readBytes(buf []byte) ([]byte, error) {
	n, err := c.uvarint()
	if err != nil {
		return nil, err
	}
	buf = buf[:0]
	for n > 0 {
		step := min(n, chunk)
		start := len(buf)
		buf = append(buf, make([]byte, step)...)
		if err := c.readFull(buf[start:]); err != nil {
			return nil, err
		}
		n -= step
	}
	return buf, nil
}

// fail classifies a read error: the stream ending early is corruption,
// anything else is the reader's own error.
func (c *crcReader) fail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corruptf("truncated")
	}
	return fmt.Errorf("snapshot: read: %w", err)
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("snapshot: %w: "+format, append([]any{state.ErrCorrupt}, args...)...)
}
