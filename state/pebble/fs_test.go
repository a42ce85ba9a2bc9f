package pebble

import (
	"os"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// testFS wraps a file system for tests: with noSync it skips every fsync
// (the data is still written, so only a machine crash could lose it), and a
// hook, when set, runs before every operation that changes the file system
// or syncs, and may fail it or take a crash image. Pebble's background
// goroutines call it too, hence the atomic.
type testFS struct {
	vfs.FS
	noSync bool
	hook   atomic.Pointer[hookFunc]
}

type hookFunc func(op, path string) error

// setHook installs fn, or removes the hook when fn is nil.
func (fs *testFS) setHook(fn hookFunc) {
	if fn == nil {
		fs.hook.Store(nil)
		return
	}
	fs.hook.Store(&fn)
}

func (fs *testFS) before(op, path string) error {
	if fn := fs.hook.Load(); fn != nil {
		return (*fn)(op, path)
	}
	return nil
}

func (fs *testFS) wrap(f vfs.File, path string, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &testFile{File: f, fs: fs, path: path}, nil
}

func (fs *testFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	if err := fs.before("create", name); err != nil {
		return nil, err
	}
	f, err := fs.FS.Create(name, c)
	return fs.wrap(f, name, err)
}

func (fs *testFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.Open(name, opts...)
	return fs.wrap(f, name, err)
}

func (fs *testFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	if err := fs.before("open-rw", name); err != nil {
		return nil, err
	}
	f, err := fs.FS.OpenReadWrite(name, c, opts...)
	return fs.wrap(f, name, err)
}

func (fs *testFS) OpenDir(name string) (vfs.File, error) {
	f, err := fs.FS.OpenDir(name)
	return fs.wrap(f, name, err)
}

func (fs *testFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	if err := fs.before("reuse", newname); err != nil {
		return nil, err
	}
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	return fs.wrap(f, newname, err)
}

func (fs *testFS) Link(oldname, newname string) error {
	if err := fs.before("link", newname); err != nil {
		return err
	}
	return fs.FS.Link(oldname, newname)
}

func (fs *testFS) Remove(name string) error {
	if err := fs.before("remove", name); err != nil {
		return err
	}
	return fs.FS.Remove(name)
}

func (fs *testFS) RemoveAll(name string) error {
	if err := fs.before("remove-all", name); err != nil {
		return err
	}
	return fs.FS.RemoveAll(name)
}

func (fs *testFS) Rename(oldname, newname string) error {
	if err := fs.before("rename", newname); err != nil {
		return err
	}
	return fs.FS.Rename(oldname, newname)
}

func (fs *testFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := fs.before("mkdir", dir); err != nil {
		return err
	}
	return fs.FS.MkdirAll(dir, perm)
}

func (fs *testFS) Unwrap() vfs.FS { return fs.FS }

// testFile applies its testFS's rules to syncs.
type testFile struct {
	vfs.File
	fs   *testFS
	path string
}

func (f *testFile) Sync() error {
	if err := f.fs.before("sync", f.path); err != nil {
		return err
	}
	if f.fs.noSync {
		return nil
	}
	return f.File.Sync()
}

func (f *testFile) SyncData() error {
	if err := f.fs.before("sync", f.path); err != nil {
		return err
	}
	if f.fs.noSync {
		return nil
	}
	return f.File.SyncData()
}

func (f *testFile) SyncTo(length int64) (bool, error) {
	if err := f.fs.before("sync", f.path); err != nil {
		return false, err
	}
	if f.fs.noSync {
		return true, nil
	}
	return f.File.SyncTo(length)
}
