// Package faultfs is a durable.FS for fault-injection tests: it numbers
// every operation that changes or syncs a file, fails the ones a test
// chooses (a failed write first writes half its bytes, as a full disk
// does) or makes them hang until the test releases them (a disk that
// stopped answering), and can drop what was never synced, as a power loss
// would.
//
// It never calls fsync: a sync only records how much of the file it made
// durable, for LoseUnsynced, which is the crash it models. That keeps a test
// that runs a workload once per injection point fast.
package faultfs

import (
	"fmt"
	"io/fs"
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
	synced map[string]int64 // each written file's size at its last good Sync
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
// that stopped answering, until Release. A test that calls it must call
// Release before it ends (t.Cleanup), so no goroutine stays blocked.
func (f *FS) Hang(from int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang == nil {
		f.hang = make(chan struct{})
	}
	f.hangAt = from
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

// LoseUnsynced cuts every file written through f back to its size at its
// last successful Sync (0 if never synced): what a power loss leaves of
// appended data. (Directory entries not yet synced are not modelled.)
func (f *FS) LoseUnsynced() error {
	f.mu.Lock()
	defer f.mu.Unlock()
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

// Create implements durable.FS.
func (f *FS) Create(name string) (durable.File, error) {
	if f.step("create", name) {
		return nil, errFor("open", name, syscall.ENOSPC)
	}
	w, err := f.inner.Create(name)
	return f.wrap(name, w, err, true)
}

// OpenAppend implements durable.FS.
func (f *FS) OpenAppend(name string) (durable.File, error) {
	if f.step("open-append", name) {
		return nil, errFor("open", name, syscall.ENOSPC)
	}
	w, err := f.inner.OpenAppend(name)
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
	if err := f.inner.Rename(oldname, newname); err != nil {
		return err
	}
	f.mu.Lock()
	if s, ok := f.synced[oldname]; ok {
		f.synced[newname] = s
		delete(f.synced, oldname)
	}
	f.mu.Unlock()
	return nil
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
