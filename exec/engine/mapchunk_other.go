//go:build !unix

package engine

const pageSize = 4096

// mapChunk returns n bytes with len 0. Without mmap, they are on Go's
// heap.
func mapChunk(n int) ([]byte, error) { return make([]byte, 0, n), nil }

// unmapChunk lets a chunk go.
func unmapChunk([]byte) {}
