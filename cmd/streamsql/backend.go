package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// Each backend keeps its checkpoints in its own directory under the data
// directory. When the chosen one has none but the other has, the other's
// last checkpoint is converted (through the backend-neutral snapshot
// format) and then removed, so exactly one checkpoint is ever current and
// switching --state between restarts loses nothing.
const (
	memoryDir = "state-memory"
	pebbleDir = "state-pebble"
)

// openBackend opens the state backend the flags ask for.
func openBackend(kind, dataDir string) (state.Backend, error) {
	mdir, pdir := filepath.Join(dataDir, memoryDir), filepath.Join(dataDir, pebbleDir)
	switch kind {
	case "memory":
		if hasPebbleCheckpoint(pdir) && !exists(filepath.Join(mdir, memory.CheckpointFile)) {
			if err := pebbleToMemory(pdir, mdir); err != nil {
				return nil, fmt.Errorf("converting the pebble checkpoint for --state memory: %w", err)
			}
		}
		if err := durable.MkdirAll(mdir); err != nil {
			return nil, err
		}
		return memory.Open(mdir)
	case "pebble":
		b, err := pebble.Open(pdir, pebble.Options{})
		if err != nil {
			return nil, err
		}
		ckpt := filepath.Join(mdir, memory.CheckpointFile)
		if exists(ckpt) && !hasPebbleCheckpoint(pdir) {
			if err := memoryToPebble(b, ckpt); err != nil {
				b.Close()
				return nil, fmt.Errorf("converting the memory checkpoint for --state pebble: %w", err)
			}
			if err := os.RemoveAll(mdir); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown --state %q (want memory or pebble)", kind)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// hasPebbleCheckpoint reports a committed checkpoint directory.
func hasPebbleCheckpoint(dir string) bool {
	entries, err := os.ReadDir(filepath.Join(dir, "checkpoints"))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) > 0 && e.Name()[0] >= '0' && e.Name()[0] <= '9' {
			return true
		}
	}
	return false
}

func memoryToPebble(b *pebble.Backend, ckpt string) error {
	// The memory backend's later checkpoints are deltas on ckpt: fold them
	// in, so that ckpt alone is its last checkpoint.
	if err := memory.Compact(filepath.Dir(ckpt)); err != nil {
		return err
	}
	f, err := os.Open(ckpt)
	if err != nil {
		return err
	}
	defer f.Close()
	id, err := b.ImportSnapshot(f)
	if err != nil {
		return err
	}
	// Commit the imported state as Pebble's own checkpoint under the same
	// id: the engine replays ins-<id>.log on top of it, the INSERTs logged
	// after the memory checkpoint (a crash took no final one).
	if err := b.Checkpoint(id); err != nil {
		return err
	}
	slog.Info("converted memory checkpoint to pebble", "checkpoint", id)
	return nil
}

func pebbleToMemory(pdir, mdir string) (err error) {
	b, err := pebble.Open(pdir, pebble.Options{})
	if err != nil {
		return err
	}
	if _, err := b.Restore(); err != nil {
		b.Close()
		return err
	}
	if err := durable.MkdirAll(mdir); err != nil {
		b.Close()
		return err
	}
	tmp := filepath.Join(mdir, memory.CheckpointFile+".convert")
	f, err := os.Create(tmp)
	if err != nil {
		b.Close()
		return err
	}
	id, err := b.ExportSnapshot(f)
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close(), b.Close())
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(mdir, memory.CheckpointFile)); err != nil {
		return err
	}
	// The rename must be on disk before the Pebble checkpoint goes, or a
	// crash could leave neither.
	if err := durable.SyncDir(mdir); err != nil {
		return err
	}
	if err := durable.SyncDir(filepath.Dir(mdir)); err != nil {
		return err
	}
	slog.Info("converted pebble checkpoint to memory", "checkpoint", id)
	return os.RemoveAll(pdir)
}
