// Package faultfs is a durable.FS for fault-injection tests: it numbers
// every operation that changes or syncs a file, fails the ones a test
// chooses (a failed write first writes half its bytes, as a full disk
// does) or makes them hang until the test releases them (a disk that
// stopped answering), and can drop what was never synced, as a power loss
// would: appended bytes past a file's last fsync, and the directory entries
// (files created, renames) of a directory not fsynced since.
//
// It never calls fsync: a sync only records how much of the file it made
// durable, for LoseUnsynced, which is the crash it models. That keeps a test
// that runs a workload once per injection point fast.
package faultfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/streamsql/streamsql/state/durable"
)

// FS wraps another durable.FS. Its zero value is not usable; call New.
type FS struct {
	inner durable.FS

	mu     sync.Mutex
	n      int              // operations counted so far
	from   int              // first operation to fail; 0 fails none
	count  int              // how many from there fail; < 0: all
	failed []string         // the operations failed, for messages
	hangAt int              // first operation to hang; 0 hangs none
	hang   chan struct{}    // closed by Release
	hung   chan struct{}    // closed when an operation first hangs
	synced map[string]int64 // each written file's size at its last good Sync
	// entries are the directory changes no SyncDir has made durable yet,
	// in the order made.
	entries []entry
}

// New wraps inner.
func New(inner durable.FS) *FS {
	return &FS{inner: inner, synced: map[string]int64{}}
}

// Fail makes operations from, from+1, ... fail, count of them (count < 0:
// every one from there on), counting from the start of the FS's use.
func (f *FS) Fail(from, count int) {
	f.mu.Lock()
	f.from, f.count = from, count
	f.mu.Unlock()
}

// Hang makes operation from and every one after it block, as on a disk
// that stopped answering, until Release; the channel it returns is closed
// once one does. A test that calls it must call Release before it ends
// (t.Cleanup), so no goroutine stays blocked.
func (f *FS) Hang(from int) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang == nil {
		f.hang = make(chan struct{})
	}
	f.hangAt = from
	f.hung = make(chan struct{})
	return f.hung
}

// Release lets the hung operations go on, and no more hang.
func (f *FS) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang != nil {
		close(f.hang)
		f.hang = nil
	}
	f.hangAt = 0
}

// Ops is the number of operations counted so far.
func (f *FS) Ops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// Failed lists the operations that were failed, as "n:op path".
func (f *FS) Failed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.failed...)
}

// step counts one operation and reports whether it must fail; one that
// must hang blocks here until Release.
func (f *FS) step(op, path string) bool {
	f.mu.Lock()
	f.n++
	fail := f.from > 0 && f.n >= f.from && (f.count < 0 || f.n < f.from+f.count)
	if fail {
		f.failed = append(f.failed, fmt.Sprintf("%d:%s %s", f.n, op, path))
	}
	var hang chan struct{}
	if f.hangAt > 0 && f.n >= f.hangAt {
		hang = f.hang
		select {
		case <-f.hung:
		default:
			close(f.hung)
		}
	}
	f.mu.Unlock()
	if hang != nil {
		<-hang
	}
	return fail
}

func errFor(op, path string, errno syscall.Errno) error {
	return &fs.PathError{Op: op, Path: path, Err: errno}
}

// entry is a change to directory dir: a file created in it, or renamed
// into it. undo is what a crash before dir is synced does to it.
type entry struct {
	dir  string
	undo func() error
}

// LoseUnsynced does what a power loss does to what f wrote: the directory
// entries made since their directory's last SyncDir are lost (a created
// file is gone, a renamed one has its old name back and the file it
// replaced returns), then every file written through f is cut back to its
// size at its last successful Sync (0 if never synced). (A removal is not
// undone: a removed file does not come back.)
func (f *FS) LoseUnsynced() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.entries) - 1; i >= 0; i-- {
		if err := f.entries[i].undo(); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	f.entries = nil
	for path, size := range f.synced {
		w, err := f.inner.OpenAppend(path)
		if err != nil {
			continue // removed since
		}
		fi, err := w.Stat()
		if err == nil && fi.Size() > size {
			err = w.Truncate(size)
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *FS) wrap(path string, w durable.File, err error, trunc bool) (durable.File, error) {
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if _, ok := f.synced[path]; !ok || trunc {
		f.synced[path] = 0
	}
	f.mu.Unlock()
	return &file{File: w, fs: f, path: path}, nil
}

// exists reports whether name is there.
func (f *FS) exists(name string) bool {
	r, err := f.inner.Open(name)
	if err == nil {
		r.Close()
	}
	return err == nil
}

// created notes that name did not exist before it was opened: its entry
// is lost at a crash until its directory is synced. f.mu is held; the undo
// runs with it held.
func (f *FS) created(name string) {
	f.entries = append(f.entries, entry{dir: filepath.Dir(name), undo: func() error {
		delete(f.synced, name)
		return f.inner.Remove(name)
	}})
}

// Create implements durable.FS.
func (f *FS) Create(name string) (durable.File, error) {
	if f.step("create", name) {
		return nil, errFor("open", name, syscall.ENOSPC)
	}
	existed := f.exists(name)
	w, err := f.inner.Create(name)
	if err == nil && !existed {
		f.mu.Lock()
		f.created(name)
		f.mu.Unlock()
	}
	return f.wrap(name, w, err, true)
}

// OpenAppend implements durable.FS.
func (f *FS) OpenAppend(name string) (durable.File, error) {
	if f.step("open-append", name) {
		return nil, errFor("open", name, syscall.ENOSPC)
	}
	existed := f.exists(name)
	w, err := f.inner.OpenAppend(name)
	if err == nil && !existed {
		f.mu.Lock()
		f.created(name)
		f.mu.Unlock()
	}
	if err == nil {
		// What is there already counts as synced: it came from before.
		if fi, serr := w.Stat(); serr == nil {
			f.mu.Lock()
			if _, ok := f.synced[name]; !ok {
				f.synced[name] = fi.Size()
			}
			f.mu.Unlock()
		}
	}
	return f.wrap(name, w, err, false)
}

// Open implements durable.FS; reads never fail.
func (f *FS) Open(name string) (durable.File, error) { return f.inner.Open(name) }

// List implements durable.FS; it never fails.
func (f *FS) List(dir string) ([]string, error) { return f.inner.List(dir) }

// Rename implements durable.FS.
func (f *FS) Rename(oldname, newname string) error {
	if f.step("rename", newname) {
		return errFor("rename", newname, syscall.EIO)
	}
	// What a crash before the directory sync brings back.
	replaced, err := f.read(newname)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	existed := err == nil
	if err := f.inner.Rename(oldname, newname); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, hadOld := f.synced[oldname]
	sNew, hadNew := f.synced[newname]
	if hadOld {
		f.synced[newname] = s
		delete(f.synced, oldname)
	}
	f.entries = append(f.entries, entry{dir: filepath.Dir(newname), undo: func() error {
		if err := f.inner.Rename(newname, oldname); err != nil {
			return err
		}
		delete(f.synced, newname)
		if hadOld {
			f.synced[oldname] = s
		}
		if !existed {
			return nil
		}
		if hadNew {
			f.synced[newname] = sNew
		}
		return f.restore(newname, replaced)
	}})
	return nil
}

// read returns the contents of name.
func (f *FS) read(name string) ([]byte, error) {
	r, err := f.inner.Open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// restore writes a replaced file back as it was.
func (f *FS) restore(name string, data []byte) error {
	w, err := f.inner.Create(name)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Remove implements durable.FS.
func (f *FS) Remove(name string) error {
	if f.step("remove", name) {
		return errFor("remove", name, syscall.EIO)
	}
	if err := f.inner.Remove(name); err != nil {
		return err
	}
	f.mu.Lock()
	delete(f.synced, name)
	f.mu.Unlock()
	return nil
}

// SyncDir implements durable.FS.
func (f *FS) SyncDir(dir string) error {
	if f.step("syncdir", dir) {
		return errFor("sync", dir, syscall.EIO)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.entries[:0]
	for _, e := range f.entries {
		if e.dir != filepath.Clean(dir) {
			kept = append(kept, e)
		}
	}
	f.entries = kept
	return nil
}

type file struct {
	durable.File
	fs   *FS
	path string
}

func (w *file) Write(p []byte) (int, error) {
	if w.fs.step("write", w.path) {
		n, _ := w.File.Write(p[:len(p)/2])
		return n, errFor("write", w.path, syscall.ENOSPC)
	}
	return w.File.Write(p)
}

func (w *file) Sync() error {
	if w.fs.step("sync", w.path) {
		return errFor("sync", w.path, syscall.EIO)
	}
	fi, err := w.File.Stat()
	if err != nil {
		return err
	}
	w.fs.mu.Lock()
	w.fs.synced[w.path] = fi.Size()
	w.fs.mu.Unlock()
	return nil
}

func (w *file) Truncate(size int64) error {
	if w.fs.step("truncate", w.path) {
		return errFor("truncate", w.path, syscall.EIO)
	}
	if err := w.File.Truncate(size); err != nil {
		return err
	}
	w.fs.mu.Lock()
	w.fs.synced[w.path] = min(w.fs.synced[w.path], size)
	w.fs.mu.Unlock()
	return nil
}
