package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
)

// Sink appends every change of a view to a file, a line per row: a JSON
// object (format = 'json', as the Kafka sink encodes rows) or a CSV record
// (format = 'csv'). By default a line is an inserted row and a view that
// retracts one stops the sink (its status says so); with deletes = 'op'
// (JSON only) every line is {"op":"insert"|"delete","row":{...}}.
//
// Lines are buffered and made durable (written and fsynced) at every
// checkpoint, which stores the file's length with the state: recovery
// truncates the file to it before the engine replays what came after, so
// the file holds every change exactly once across restarts and crashes.
type Sink struct {
	path   string
	cols   []catalog.Column
	csv    bool
	op     bool
	status atomic.Pointer[string]
	sent   atomic.Int64
	// queued counts the lines written since the last Flush; failed the
	// writes that failed.
	queued, failed atomic.Int64
	// failure is why the sink stopped, nil while it writes.
	failure atomic.Pointer[string]

	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	length int64 // bytes written, buffered ones included
	buf    []byte
}

// NewSink validates a file sink's options (connector = 'file') and opens
// its file for appending, creating it and its directory if need be.
func NewSink(options map[string]string, cols []catalog.Column, dirs Dirs) (*Sink, error) {
	opts := maps.Clone(options)
	delete(opts, "connector")
	p, _ := take(opts, "path")
	abs, err := dirs.resolve(p)
	if err != nil {
		return nil, err
	}
	s := &Sink{path: abs, cols: cols}
	switch f, _ := take(opts, "format"); f {
	case "json":
	case "csv":
		s.csv = true
	default:
		return nil, sqlerr.New(sqlerr.InvalidParameter, "a file sink needs format = 'json' or 'csv' (got %q)", f)
	}
	switch v, _ := take(opts, "deletes"); v {
	case "":
	case "op":
		if s.csv {
			return nil, sqlerr.New(sqlerr.InvalidParameter, "deletes = 'op' needs format = 'json'")
		}
		s.op = true
	default:
		return nil, sqlerr.New(sqlerr.InvalidParameter, "deletes = %q: want 'op' (or leave it out: inserts only)", v)
	}
	for k := range opts {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "unknown file sink option %q", k)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "file sink path %q: %v", p, err)
	}
	f, err := os.OpenFile(abs, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "file sink path %q: %v", p, err)
	}
	end, err := f.Seek(0, 2)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file sink %s: %w", abs, err)
	}
	s.f, s.w, s.length = f, bufio.NewWriterSize(f, 1<<16), end
	s.setStatus("running")
	return s, nil
}

// Check has nothing left to check: NewSink opened the file.
func (s *Sink) Check(context.Context) error { return nil }

// Run has no background work: lines are written by Push and Flush.
func (s *Sink) Run(ctx context.Context) { <-ctx.Done() }

// Status is what SHOW SINKS prints.
func (s *Sink) Status() string { return *s.status.Load() }

func (s *Sink) setStatus(st string) { s.status.Store(&st) }

// Sent is the number of lines written.
func (s *Sink) Sent() int64 { return s.sent.Load() }

// RestoreSent sets Sent to the count a checkpoint stored.
func (s *Sink) RestoreSent(n int64) { s.sent.Store(n) }

// Length is the file's length once Flush has returned: what a checkpoint
// stores (the caller holds the dataflow's lock, so no Push comes between).
func (s *Sink) Length() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.length
}

// Truncate cuts the file back to the length a checkpoint stored, before
// the engine replays the changes after it; called before any Push.
func (s *Sink) Truncate(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.f.Stat()
	if err == nil && st.Size() < n {
		err = fmt.Errorf("it is %d bytes, shorter than the %d the checkpoint wrote: it was changed outside streamsql", st.Size(), n)
	}
	if err == nil {
		err = s.f.Truncate(n)
	}
	if err == nil {
		_, err = s.f.Seek(n, 0)
	}
	if err != nil {
		s.fail(fmt.Errorf("restoring %s: %w", s.path, err))
		return
	}
	s.w.Reset(s.f)
	s.length = n
}

// Push appends a line for every row of a changelog batch.
func (s *Sink) Push(b *vec.Batch) error {
	if s.failure.Load() != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < b.N; i++ {
		d := b.DiffAt(i)
		if d < 0 && !s.op {
			s.fail(errors.New("the view retracted a row, which a file of rows cannot say: create the sink with deletes = 'op' (format = 'json')"))
			return nil
		}
		line := s.buf[:0]
		switch {
		case s.op && d < 0:
			line = append(line, `{"op":"delete","row":`...)
		case s.op:
			line = append(line, `{"op":"insert","row":`...)
		}
		if s.csv {
			line = format.AppendCSV(line, b, i)
		} else {
			line = format.AppendJSON(line, s.cols, b, i, nil)
		}
		if s.op {
			line = append(line, '}')
		}
		line = append(line, '\n')
		s.buf = line
		for ; d != 0; d -= sign(d) {
			if _, err := s.w.Write(line); err != nil {
				s.failed.Add(1)
				s.fail(fmt.Errorf("writing %s: %w", s.path, err))
				return nil
			}
			s.length += int64(len(line))
			s.sent.Add(1)
			s.queued.Add(1)
		}
	}
	return nil
}

func sign(d int64) int64 {
	if d < 0 {
		return -1
	}
	return 1
}

// Flush writes the buffered lines and fsyncs the file: a checkpoint or
// FLUSH then covers them.
func (s *Sink) Flush(context.Context) error {
	if s.failure.Load() != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("file sink %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("file sink %s: %w", s.path, err)
	}
	s.queued.Store(0)
	return nil
}

// Written is the lines written, as Sent: a file has no acknowledgement.
func (s *Sink) Written() int64 { return s.sent.Load() }

// WriteFailed is the writes that failed (the first stops the sink).
func (s *Sink) WriteFailed() int64 { return s.failed.Load() }

// Queued is the lines written since the last Flush, not yet fsynced.
func (s *Sink) Queued() int { return int(s.queued.Load()) }

// Fail stops the sink for err (a panic's): it writes nothing more.
func (s *Sink) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail(err)
}

func (s *Sink) fail(err error) {
	m := err.Error()
	if s.failure.CompareAndSwap(nil, &m) {
		s.setStatus("failed: " + m)
	}
}

// Failure is why the sink stopped, or "".
func (s *Sink) Failure() string {
	if m := s.failure.Load(); m != nil {
		return *m
	}
	return ""
}

// Close flushes what is buffered and closes the file.
func (s *Sink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Flush()
	s.f.Close()
}
