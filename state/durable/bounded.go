package durable

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// StalledError is the error of a file operation that did not return in
// time: the disk underneath stopped answering (a hung network mount, a
// dying drive), which no errno reports.
type StalledError struct {
	Op, Path string
	After    time.Duration
}

func (e *StalledError) Error() string {
	return fmt.Sprintf("%s to %s did not complete in %s s", e.Op, e.Path, strconv.FormatFloat(e.After.Seconds(), 'f', -1, 64))
}

// Timeout reports true, as net.Error's does.
func (e *StalledError) Timeout() bool { return true }

// Bounded runs op and waits for it at most d (d <= 0: without a bound).
// If op returns in time, Bounded returns its error. If not, Bounded returns
// a *StalledError naming op and path at once, and op goes on in its own
// goroutine, since a blocked system call cannot be cancelled: late, if not
// nil, is called there with op's error when op does return, to clean up
// after an operation whose caller was told it failed.
func Bounded(d time.Duration, op, path string, f func() error, late func(error)) error {
	if d <= 0 {
		return f()
	}
	const running, returned, abandoned = 0, 1, 2
	var st atomic.Int32
	done := make(chan error, 1)
	go func() {
		err := f()
		if st.CompareAndSwap(running, returned) {
			done <- err
			return
		}
		if late != nil {
			late(err)
		}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		if !st.CompareAndSwap(running, abandoned) {
			return <-done // it returned just now
		}
		return &StalledError{Op: op, Path: path, After: d}
	}
}
