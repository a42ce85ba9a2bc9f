package sqlerr

import (
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestStorage(t *testing.T) {
	for _, c := range []struct {
		err  error
		kind Kind
	}{
		{&fs.PathError{Op: "write", Path: "ins-1.log", Err: syscall.ENOSPC}, DiskFull},
		{fmt.Errorf("flush: %w", syscall.EDQUOT), DiskFull},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, IOError},
		{syscall.EIO, IOError},
		{New(Syntax, "kept"), Syntax},
	} {
		e, ok := As(Storage("insert log", c.err))
		if !ok || e.Kind != c.kind {
			t.Errorf("Storage(%v) = %v, want kind %d", c.err, e, c.kind)
		}
	}
	if Storage("x", nil) != nil {
		t.Error("Storage(nil) is not nil")
	}
}
