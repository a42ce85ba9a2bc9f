package pebble

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	iofs "io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state"
)

// manifestFile is our file inside a checkpoint directory. Its name cannot
// clash with Pebble's (MANIFEST-<num>, <num>.sst, OPTIONS-<num>, marker.*).
const manifestFile = "MANIFEST-STREAMSQL"

// manifestMagic opens manifestFile; manifestVersion is the only version.
const (
	manifestMagic   = "SSQLPCKP"
	manifestVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// manifest is what a checkpoint records besides Pebble's own files: which
// files make it up, with a checksum each, and the Stats Pebble cannot count.
//
// Layout, integers big-endian unless marked uvarint:
//
//	magic "SSQLPCKP" | version uint32 | checkpoint id uint64
//	files uvarint, each: len(name) uvarint | name | size uvarint | crc32c uint32
//	namespaces uvarint, each: id uvarint | keys uvarint | bytes uvarint
//	crc32c uint32 of everything before it
type manifest struct {
	id    uint64
	files []fileSum
	stats map[uint64]state.Stats
}

// fileSum identifies the exact contents of one file of a checkpoint.
type fileSum struct {
	name string
	size int64
	crc  uint32
}

// immutable reports whether Pebble never rewrites a file once written
// (sstables and blob files), which is what makes linking and caching their
// checksums safe.
func immutable(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")
}

func (m *manifest) encode() []byte {
	b := []byte(manifestMagic)
	b = binary.BigEndian.AppendUint32(b, manifestVersion)
	b = binary.BigEndian.AppendUint64(b, m.id)
	b = binary.AppendUvarint(b, uint64(len(m.files)))
	for _, f := range m.files {
		b = binary.AppendUvarint(b, uint64(len(f.name)))
		b = append(b, f.name...)
		b = binary.AppendUvarint(b, uint64(f.size))
		b = binary.BigEndian.AppendUint32(b, f.crc)
	}
	b = binary.AppendUvarint(b, uint64(len(m.stats)))
	for _, ns := range slices.Sorted(maps.Keys(m.stats)) {
		st := m.stats[ns]
		b = binary.AppendUvarint(b, ns)
		b = binary.AppendUvarint(b, uint64(st.Keys))
		b = binary.AppendUvarint(b, uint64(st.Bytes))
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeManifest parses and checks data; every failure wraps ErrCorrupt.
func decodeManifest(data []byte) (*manifest, error) {
	hdr := len(manifestMagic) + 4 + 8
	if len(data) < hdr+4 {
		return nil, corruptf("%s: truncated", manifestFile)
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, corruptf("%s: checksum %08x, computed %08x", manifestFile, sum, got)
	}
	if !bytes.HasPrefix(body, []byte(manifestMagic)) {
		return nil, corruptf("%s: bad magic", manifestFile)
	}
	if v := binary.BigEndian.Uint32(body[len(manifestMagic):]); v != manifestVersion {
		return nil, corruptf("%s: unsupported version %d", manifestFile, v)
	}
	m := &manifest{id: binary.BigEndian.Uint64(body[len(manifestMagic)+4:]), stats: map[uint64]state.Stats{}}
	d := decoder{b: body[hdr:]}
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		name := string(d.bytes(int(d.uvarint())))
		size := int64(d.uvarint())
		m.files = append(m.files, fileSum{name: name, size: size, crc: d.uint32()})
		if strings.ContainsAny(name, `/\`) || name == "" || name == "." || name == ".." {
			return nil, corruptf("%s: bad file name %q", manifestFile, name)
		}
	}
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		ns := d.uvarint()
		m.stats[ns] = state.Stats{Keys: int64(d.uvarint()), Bytes: int64(d.uvarint())}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes")
	}
	if d.err != nil {
		return nil, corruptf("%s: %v", manifestFile, d.err)
	}
	return m, nil
}

// decoder reads the manifest body, remembering the first error. The checksum
// has already passed, so errors here mean a bug or a forged file.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errors.New("truncated")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	if b := d.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("pebble: %w: "+format, append([]any{state.ErrCorrupt}, args...)...)
}

// sumFile checksums the file at path.
func sumFile(fs vfs.FS, path string) (fileSum, error) {
	f, err := fs.Open(path, vfs.SequentialReadsOption)
	if err != nil {
		return fileSum{}, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, f)
	if err != nil {
		return fileSum{}, err
	}
	return fileSum{name: fs.PathBase(path), size: n, crc: h.Sum32()}, nil
}

// verify checks every file of the checkpoint in dir against its manifest and
// returns the manifest. Missing, truncated or altered files yield ErrCorrupt.
func verify(fs vfs.FS, dir string) (*manifest, error) {
	f, err := fs.Open(fs.PathJoin(dir, manifestFile))
	if errors.Is(err, iofs.ErrNotExist) {
		// A committed directory always has its manifest: it is written before
		// the rename that commits it.
		return nil, corruptf("%s: %v", manifestFile, err)
	}
	if err != nil {
		return nil, fmt.Errorf("pebble: read %s: %w", manifestFile, err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("pebble: read %s: %w", manifestFile, err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, err
	}
	for _, want := range m.files {
		got, err := sumFile(fs, fs.PathJoin(dir, want.name))
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, corruptf("%s: %v", want.name, err)
		}
		if err != nil {
			return nil, fmt.Errorf("pebble: verify checkpoint: %w", err)
		}
		if got != want {
			return nil, corruptf("%s: %d bytes with crc %08x, want %d bytes with crc %08x",
				want.name, got.size, got.crc, want.size, want.crc)
		}
	}
	return m, nil
}
