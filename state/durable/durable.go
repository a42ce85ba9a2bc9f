// Package durable holds the file-system steps of the writers that use the
// OS directly (the memory backend's checkpoint file, the engine's insert
// log): FS, the seam their fault-injection tests replace (see package
// faultfs), SyncDir, and the data directory's lock. The Pebble backend has
// its own over vfs.FS.
package durable

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an open file of an FS. *os.File is one.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	Sync() error
	// Truncate cuts the file to size bytes; the insert log uses it to cut
	// off a record whose write failed.
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
}

// FS is the file system those writers use. OS is the real one.
type FS interface {
	// Create creates or truncates name for writing.
	Create(name string) (File, error)
	// OpenAppend opens name for appending, creating it if needed.
	OpenAppend(name string) (File, error)
	// Open opens name for reading.
	Open(name string) (File, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	// List returns the names in dir.
	List(dir string) ([]string, error)
	// SyncDir makes the entries of dir durable: a file created or renamed
	// in it is only there after a crash once the directory itself is
	// synced.
	SyncDir(dir string) error
}

// OS is the operating system's file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return open(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
}

func (osFS) OpenAppend(name string) (File, error) {
	return open(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
}

func (osFS) Open(name string) (File, error) { return open(name, os.O_RDONLY) }

// open returns a nil interface, not a nil *os.File, on error.
func open(name string, flag int) (File, error) {
	f, err := os.OpenFile(name, flag, 0o644)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) SyncDir(dir string) error             { return SyncDir(dir) }

func (osFS) List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, err
}

// SyncDir syncs the directory dir of the OS file system.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// MkdirAll is os.MkdirAll that also makes the new directories' entries
// durable: each directory it creates is synced into its parent, up to the
// first one that existed, so a power loss right after a first start does
// not take a data directory (and the writes acknowledged in it) away.
func MkdirAll(dir string) error {
	dir = filepath.Clean(dir)
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range created {
		if err := SyncDir(filepath.Dir(d)); err != nil {
			return fmt.Errorf("syncing the directory of %s: %w", d, err)
		}
	}
	return nil
}

// LockFile is the file in a data directory that a running server holds
// locked.
const LockFile = "LOCK"

// ErrInUse is the error of Lock, and of a state backend's own lock, when
// another process holds the data directory.
var ErrInUse = errors.New("in use by another streamsql server")

// InUse is the error for dir, whose lock file path another process holds.
func InUse(dir, path string) error {
	return fmt.Errorf("data directory %s is %w (lock file %s)", dir, ErrInUse, path)
}
