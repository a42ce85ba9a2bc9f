//go:build unix

package engine

import (
	"os"
	"syscall"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

var pageSize = os.Getpagesize()

// mapChunk returns at least n bytes of anonymous memory mapped outside
// Go's heap, with len 0; unmapChunk gives it back. Nothing in it may
// point into Go's heap (the collector does not scan it), and nothing may
// point into it once it is unmapped.
func mapChunk(n int) ([]byte, error) {
	n = (n + pageSize - 1) / pageSize * pageSize
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, sqlerr.New(sqlerr.InsufficientResources, "no memory for a subscription's changes (mmap of %d bytes: %v)", n, err)
	}
	return b[:0], nil
}

// unmapChunk unmaps a chunk mapChunk returned, whatever its len.
func unmapChunk(b []byte) {
	if cap(b) > 0 {
		syscall.Munmap(b[:cap(b)])
	}
}
