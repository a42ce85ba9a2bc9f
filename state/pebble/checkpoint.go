package pebble

import (
	"cmp"
	"errors"
	"fmt"
	iofs "io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/streamsql/streamsql/state"
)

// Directories under the Backend's dir; see the package doc.
const (
	liveDir        = "live"
	checkpointsDir = "checkpoints"
	tmpPrefix      = "tmp-"
)

// ckDir is one entry of checkpoints/: committed (<seq>-<id>) or not (tmp-<seq>).
type ckDir struct {
	seq, id uint64
	tmp     bool
	path    string
}

// checkpoint is a committed checkpoint directory whose files were verified.
type checkpoint struct {
	path     string
	manifest *manifest
}

// listCheckpoints returns the entries of checkpoints/ in ascending seq
// order, ignoring names it did not write.
func (b *Backend) listCheckpoints() ([]ckDir, error) {
	root := b.fs.PathJoin(b.dir, checkpointsDir)
	names, err := b.fs.List(root)
	if err != nil {
		return nil, err
	}
	var out []ckDir
	for _, name := range names {
		d := ckDir{path: b.fs.PathJoin(root, name)}
		var err1, err2 error
		if rest, ok := strings.CutPrefix(name, tmpPrefix); ok {
			d.tmp = true
			d.seq, err1 = strconv.ParseUint(rest, 10, 64)
		} else if seq, id, ok := strings.Cut(name, "-"); ok {
			d.seq, err1 = strconv.ParseUint(seq, 10, 64)
			d.id, err2 = strconv.ParseUint(id, 10, 64)
		} else {
			continue
		}
		if err1 == nil && err2 == nil {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b ckDir) int { return cmp.Compare(a.seq, b.seq) })
	return out, nil
}

// Checkpoint implements state.Backend; see the package doc for the protocol.
func (b *Backend) Checkpoint(id uint64) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if id <= b.lastID && !(b.imported && id == b.lastID) {
		return fmt.Errorf("pebble: checkpoint %d is not after checkpoint %d", id, b.lastID)
	}
	if err := b.checkpoint(id); err != nil {
		return fmt.Errorf("pebble: checkpoint %d: %w", id, err)
	}
	b.lastID, b.imported = id, false
	return nil
}

func (b *Backend) checkpoint(id uint64) (err error) {
	fs := b.fs
	db, err := b.liveLocked()
	if err != nil {
		return err
	}
	if b.dirty.Load() {
		// Without a WAL, only flushed writes are in the files Pebble's
		// checkpoint links.
		if err := b.flush(db); err != nil {
			return err
		}
		b.dirty.Store(false)
	}
	root := fs.PathJoin(b.dir, checkpointsDir)
	seq := b.nextSeq
	b.nextSeq++
	tmp := fs.PathJoin(root, tmpPrefix+strconv.FormatUint(seq, 10))
	final := fs.PathJoin(root, fmt.Sprintf("%06d-%d", seq, id))
	if err := fs.RemoveAll(tmp); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fs.RemoveAll(tmp)
		}
	}()
	if err := db.Checkpoint(tmp); err != nil {
		return err
	}
	m, err := b.manifestOf(tmp, id)
	if err != nil {
		return err
	}
	enc := m.encode()
	// What this checkpoint wrote: the files it does not share with the
	// previous one (new sstables, Pebble's MANIFEST and OPTIONS copies)
	// and our manifest; the sstables it links cost no bytes.
	written := int64(len(enc))
	for _, f := range m.files {
		if prev, ok := b.sums[f.name]; !ok || !immutable(f.name) || prev.size != f.size {
			written += f.size
		}
	}
	if err := writeSynced(fs, fs.PathJoin(tmp, manifestFile), enc); err != nil {
		return err
	}
	if err := syncDir(fs, tmp); err != nil {
		return err
	}
	if err := fs.Rename(tmp, final); err != nil {
		return err
	}
	if err := syncDir(fs, root); err != nil {
		// Whether the rename reached the disk is unknown; take it back so
		// that this process at least restores the previous checkpoint.
		fs.RemoveAll(final)
		return err
	}
	b.sums = immutableSums(m)
	b.lastBytes.Store(written)
	b.collect(seq)
	// The commit succeeded: failing to take the snapshot only costs the next
	// Restore a trip to the disk copy.
	if err := b.rebase(); err != nil {
		b.cur.Load().base = nil
	}
	return nil
}

// CheckpointBytes is what the last checkpoint wrote: the bytes of the
// files it does not share with the checkpoint before it.
func (b *Backend) CheckpointBytes() int64 { return b.lastBytes.Load() }

// manifestOf describes the checkpoint Pebble wrote into dir. Checksums of
// sstables come from the cache when the file is already known.
func (b *Backend) manifestOf(dir string, id uint64) (*manifest, error) {
	names, err := b.fs.List(dir)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	m := &manifest{id: id, stats: map[uint64]state.Stats{}}
	for _, name := range names {
		path := b.fs.PathJoin(dir, name)
		info, err := b.fs.Stat(path)
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			continue
		}
		if sum, ok := b.sums[name]; ok && immutable(name) && sum.size == info.Size() {
			m.files = append(m.files, sum)
			continue
		}
		sum, err := sumFile(b.fs, path)
		if err != nil {
			return nil, err
		}
		m.files = append(m.files, sum)
	}
	for ns, s := range b.stores {
		if s.stats != (state.Stats{}) {
			m.stats[ns] = s.stats
		}
	}
	return m, nil
}

func immutableSums(m *manifest) map[string]fileSum {
	sums := make(map[string]fileSum)
	for _, f := range m.files {
		if immutable(f.name) {
			sums[f.name] = f
		}
	}
	return sums
}

// collect deletes every checkpoint directory but the one of seq keep. It runs
// after the commit, so failures only leave garbage for the next call or Open
// to remove, and are not reported.
func (b *Backend) collect(keep uint64) {
	cks, err := b.listCheckpoints()
	if err != nil {
		return
	}
	for _, c := range cks {
		if c.seq != keep || c.tmp {
			b.fs.RemoveAll(c.path)
		}
	}
}

// Restore implements state.Backend. When the live DB still holds a snapshot
// of the last checkpoint (this process committed or restored it), Restore
// rolls back in place; see undo.go. Otherwise the checkpoint on disk is
// verified and opened as a new generation before the current one is
// discarded, so a failure (ErrCorrupt included) leaves the contents
// unchanged. Either way, iterators left open across Restore are closed and
// report an error.
func (b *Backend) Restore() (uint64, error) {
	if b.closed.Load() {
		return 0, state.ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.restore()
	if err != nil {
		return 0, fmt.Errorf("pebble: restore: %w", err)
	}
	return id, nil
}

func (b *Backend) restore() (uint64, error) {
	if b.canRollback() {
		if err := b.rollback(); err != nil {
			return 0, err
		}
		return b.lastID, nil
	}
	cks, err := b.listCheckpoints()
	if err != nil {
		return 0, err
	}
	// With no checkpoint, the new generation is none: checkpoint 0 is the
	// empty state, and live creates it on first use.
	var g *generation
	m := &manifest{}
	for _, c := range slices.Backward(cks) {
		if c.tmp {
			continue
		}
		if m, err = verify(b.fs, c.path); err != nil {
			return 0, err
		}
		if m.id != c.id {
			return 0, corruptf("%s holds checkpoint %d", c.path, m.id)
		}
		if g, err = b.newGeneration(&checkpoint{path: c.path, manifest: m}); err != nil {
			return 0, err
		}
		break
	}
	err = b.switchTo(g)
	b.setStats(m.stats)
	b.lastID, b.sums, b.imported = m.id, immutableSums(m), false
	if rbErr := b.rebase(); err == nil {
		err = rbErr
	}
	return m.id, err
}

// setStats replaces every Store's Stats after the contents were replaced.
func (b *Backend) setStats(stats map[uint64]state.Stats) {
	for _, s := range b.stores {
		s.stats = state.Stats{}
	}
	for ns, st := range stats {
		b.namespace(ns).stats = st
	}
}

// writeSynced creates path with data and syncs it.
func writeSynced(fs vfs.FS, path string, data []byte) error {
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the entries of dir durable (creations, renames).
func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// mkdirAllSynced creates dir and its missing parents and syncs the parent of
// each one it created, so that checkpoints/ cannot vanish in a crash along
// with the checkpoints committed into it.
func mkdirAllSynced(fs vfs.FS, dir string) error {
	var missing []string
	for d := dir; ; d = fs.PathDir(d) {
		if _, err := fs.Stat(d); err == nil {
			break
		} else if !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if fs.PathDir(d) == d {
			break
		}
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range slices.Backward(missing) {
		if err := syncDir(fs, fs.PathDir(d)); err != nil {
			return err
		}
	}
	return nil
}
