//go:build unix

package durable

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes an exclusive lock on dir's LOCK file, which a second server on
// the same data directory then fails to take: two servers writing one
// directory lose each other's writes. The lock lasts until the Closer is
// closed or the process ends (it is a flock(2), released by the kernel).
func Lock(dir string) (io.Closer, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking data directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, InUse(dir, path)
		}
		return nil, fmt.Errorf("locking data directory %s: %w", dir, err)
	}
	return f, nil
}
