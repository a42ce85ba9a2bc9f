//go:build !unix

package durable

import (
	"fmt"
	"io"
)

// Lock would lock dir; without flock(2) there is no lock that the kernel
// releases when the process ends, so a server refuses to start.
func Lock(dir string) (io.Closer, error) {
	return nil, fmt.Errorf("locking data directory %s: not supported on this operating system", dir)
}
