package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
)

// A position packs the file's name hash above the byte offset: the engine
// keeps one int64 per partition in its checkpoints. Offsets up to 64 GiB
// per file fit; the 27-bit hash tells the checkpointed file among those
// the glob matches at a restart (and the byte before the offset must end
// a line, which a colliding file almost never satisfies too).
const offsetBits = 36

func nameHash(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int64(h.Sum32() & (1<<27 - 1))
}

func encode(name string, off int64) int64 { return nameHash(name)<<offsetBits | off }

func decodePos(pos int64) (hash, off int64) { return pos >> offsetBits, pos & (1<<offsetBits - 1) }

// batchRows is the most rows one delivery carries (as Kafka's source).
const batchRows = 8192

// chunk is how much of a file one read takes.
const chunk = 1 << 20

// Source reads the files a glob matches as a stream.
type Source struct {
	dir, glob string
	cols      []catalog.Column
	format    string
	opts      map[string]string
	poll      time.Duration
	status    atomic.Pointer[string]
	proj      format.Projection
	kick      chan struct{}

	// mu guards what Ends waits on: asked counts the FLUSHes that want
	// everything present read, caught the last one satisfied, pos the
	// position delivered last; changed is closed on every change.
	mu      sync.Mutex
	asked   uint64
	caught  uint64
	pos     int64
	stopped bool
	changed chan struct{}
}

// NewSource validates a file source's options (connector = 'file').
func NewSource(rel *catalog.Relation, dirs Dirs) (*Source, error) {
	opts := maps.Clone(rel.Options)
	delete(opts, "connector")
	p, _ := take(opts, "path")
	abs, err := dirs.resolve(p)
	if err != nil {
		return nil, err
	}
	s := &Source{dir: filepath.Dir(abs), glob: filepath.Base(abs), cols: rel.Columns, poll: time.Second,
		kick: make(chan struct{}, 1), changed: make(chan struct{}), pos: -1}
	if strings.ContainsAny(s.dir, "*?[") {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "file source path %q: only its last element may hold a pattern", p)
	}
	if _, err := filepath.Match(s.glob, ""); err != nil {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "file source path %q: %v", p, err)
	}
	s.format, _ = take(opts, "format")
	if s.format == "" {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "a file source needs format = 'json' or 'csv'")
	}
	if v, ok := take(opts, "poll_interval"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, sqlerr.New(sqlerr.InvalidParameter, "poll_interval = %q: want a duration such as '1s'", v)
		}
		s.poll = d
	}
	s.opts = maps.Clone(opts)
	if _, err := format.NewDecoder(s.format, rel.Columns, opts); err != nil {
		return nil, err
	}
	for k := range opts {
		return nil, sqlerr.New(sqlerr.InvalidParameter, "unknown file source option %q", k)
	}
	s.setStatus("not started: no materialized view reads it yet")
	return s, nil
}

func take(opts map[string]string, k string) (string, bool) {
	v, ok := opts[k]
	delete(opts, k)
	return v, ok
}

// Check makes sure the directory can be listed.
func (s *Source) Check(context.Context) error {
	if _, err := os.ReadDir(s.dir); err != nil {
		return sqlerr.New(sqlerr.InvalidParameter, "file source directory %s: %v", s.dir, err)
	}
	return nil
}

// FetchedEnd is Kafka's end offset for the lag metric: a file source's
// positions are a name hash and a byte offset, so it has none.
func (s *Source) FetchedEnd(int) (int64, bool) { return 0, false }

// Close has nothing to release: files are open only while read.
func (s *Source) Close() {}

// Status is what SHOW SOURCES prints.
func (s *Source) Status() string { return *s.status.Load() }

func (s *Source) setStatus(st string) { s.status.Store(&st) }

// SetRead and Current are kafka.Source's: the columns decoded, serialized
// by the engine with deliveries.
func (s *Source) SetRead(read []bool) { s.proj.SetRead(read) }

// Current reports whether rows decoded for generation gen hold the
// columns read now.
func (s *Source) Current(gen uint64) bool { return s.proj.Current(gen) }

// Ends waits until the source has read every whole line of the files
// present when it was called and returns the position it reached, so that
// FLUSH (which waits for the engine to have that position) makes them
// visible.
func (s *Source) Ends(ctx context.Context) (map[int]int64, error) {
	s.mu.Lock()
	s.asked++
	want := s.asked
	s.mu.Unlock()
	s.nudge()
	for {
		s.mu.Lock()
		caught, pos, stopped, ch := s.caught, s.pos, s.stopped, s.changed
		s.mu.Unlock()
		if caught >= want {
			if pos < 0 {
				return map[int]int64{}, nil
			}
			return map[int]int64{0: pos}, nil
		}
		if stopped {
			return nil, fmt.Errorf("file source stopped: %s", s.Status())
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *Source) nudge() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// update changes what Ends waits on and wakes it.
func (s *Source) update(f func()) {
	s.mu.Lock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// list returns the names the glob matches now, in name order.
func (s *Source) list() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if ok, _ := filepath.Match(s.glob, e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil // ReadDir sorts by name
}

// Run reads the files from position from[0] (the first file's start when
// there is none) until ctx ends, polling the directory every poll
// interval (or at once when FLUSH asks) for lines appended and files
// added. Files that appear with a name before the one being read are
// skipped (Status names them): the position only moves forward.
func (s *Source) Run(ctx context.Context, from map[int]int64, out kafka.Output) (err error) {
	defer s.update(func() { s.stopped = true })
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("file source %s: panic: %v", filepath.Join(s.dir, s.glob), r)
		}
		if err != nil {
			s.setStatus("failed: " + err.Error())
		}
	}()
	out.Partitions(1)
	r := &reader{s: s, out: out, b: vec.NewBatch(catalog.Types(s.cols), batchRows), seen: map[string]bool{}}
	if err := r.newDecoder(); err != nil {
		return err
	}
	pos, resume := from[0]
	if resume && pos >= 0 {
		if err := r.seek(pos); err != nil {
			return err
		}
	}
	s.setStatus("running")
	for ctx.Err() == nil {
		s.mu.Lock()
		asked := s.asked
		s.mu.Unlock()
		names, err := s.list()
		if err != nil {
			s.setStatus("retrying: listing " + s.dir + ": " + err.Error())
		} else {
			if err := r.readAll(ctx, names); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			s.update(func() { s.caught = max(s.caught, asked) })
		}
		select {
		case <-ctx.Done():
		case <-s.kick:
		case <-time.After(s.poll):
		}
	}
	return nil
}

// reader is Run's state: the file being read and the offset past its last
// whole line delivered.
type reader struct {
	s       *Source
	out     kafka.Output
	dec     format.Decoder
	proj    *format.Columns
	b       *vec.Batch
	cur     string // "" before the first file
	off     int64
	skipped []string
	// seen is every name listed; listed is true after the first listing,
	// whose names before the resumed file were read before the restart.
	seen   map[string]bool
	listed bool
	logged bool
}

func (r *reader) newDecoder() error {
	dec, err := format.NewDecoder(r.s.format, r.s.cols, maps.Clone(r.s.opts))
	if err != nil {
		return err
	}
	r.dec, r.proj = dec, r.s.proj.Load()
	dec.SetRead(r.proj.Read)
	return nil
}

// seek finds the checkpointed file: the last one in name order whose name
// hash matches and whose offset ends a line (or the file).
func (r *reader) seek(pos int64) error {
	h, off := decodePos(pos)
	names, err := r.s.list()
	if err != nil {
		return fmt.Errorf("file source: listing %s to resume: %w", r.s.dir, err)
	}
	for _, n := range slices.Backward(names) {
		if nameHash(n) != h {
			continue
		}
		if endsLine(filepath.Join(r.s.dir, n), off) {
			r.cur, r.off = n, off
			r.s.update(func() { r.s.pos = pos })
			return nil
		}
	}
	return fmt.Errorf("file source: the checkpointed file (offset %d) is no longer in %s matching %q; a restart cannot tell which lines were read", off, r.s.dir, r.s.glob)
}

func endsLine(path string, off int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < off {
		return false
	}
	if off == 0 || off == st.Size() {
		return true
	}
	var c [1]byte
	_, err = f.ReadAt(c[:], off-1)
	return err == nil && c[0] == '\n'
}

// readAll reads what is new in the current file and every later one.
func (r *reader) readAll(ctx context.Context, names []string) error {
	for _, n := range names {
		if ctx.Err() != nil {
			return nil
		}
		first := !r.seen[n]
		r.seen[n] = true
		if n < r.cur {
			if first && r.listed {
				// Not read: the position only moves forward.
				r.skipped = append(r.skipped, n)
				r.s.setStatus(fmt.Sprintf("running; skipped %d file(s) that appeared sorting before %s, the last: %s", len(r.skipped), r.cur, n))
			}
			continue
		}
		if n > r.cur {
			if r.cur != "" {
				// The file before is done: take a last line without a
				// newline too.
				if err := r.readFile(ctx, r.cur, true); err != nil {
					return err
				}
			}
			r.cur, r.off = n, 0
			if err := r.deliver(0); err != nil {
				return err
			}
		}
	}
	r.listed = true
	if r.cur == "" {
		return nil
	}
	return r.readFile(ctx, r.cur, false)
}

// readFile decodes the whole lines of name from r.off on (and a last
// partial one when final), delivering batches with the position they
// reach.
func (r *reader) readFile(ctx context.Context, name string, final bool) error {
	path := filepath.Join(r.s.dir, name)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("file source: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 0, chunk)
	for ctx.Err() == nil {
		// Each read starts at the offset delivered last, so that a stale
		// delivery reads its lines again.
		start := r.off
		n, err := f.ReadAt(buf[:cap(buf)], start)
		if err != nil && err != io.EOF {
			return fmt.Errorf("file source: reading %s: %w", path, err)
		}
		if n == 0 {
			return nil
		}
		data := buf[:n]
		more := n == cap(buf) // the file may go on past this read
		last := bytes.LastIndexByte(data, '\n')
		var whole []byte
		switch {
		case final && !more:
			whole = data // with the file's last line, even without a newline
		case last >= 0:
			whole = data[:last+1]
		case more:
			buf = make([]byte, 0, 2*cap(buf)) // a line longer than the buffer
			continue
		default:
			return nil // an unfinished line: wait for the rest
		}
		stale, err := r.decodeLines(name, start, whole)
		if err != nil {
			return err
		}
		if !stale && !more {
			return nil
		}
	}
	return nil
}

// decodeLines decodes lines (starting at byte start of name), delivering
// every batchRows rows. It reports whether a delivery was stale, r.off
// then being where the lines are read again.
func (r *reader) decodeLines(name string, start int64, lines []byte) (bool, error) {
	m := format.Meta{Topic: name}
	bad := int64(0)
	at := start
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		line := lines
		if i >= 0 {
			line = lines[:i]
			lines = lines[i+1:]
		} else {
			lines = nil
		}
		m.Offset = at
		at += int64(len(line))
		if i >= 0 {
			at++
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue // blank lines are no rows
		}
		n := r.b.N
		if err := decode(r.dec, line, &m, r.b); err != nil {
			if _, ok := err.(*decodePanic); ok {
				r.b.Truncate(n)
				if !r.logged {
					r.logged = true
					slog.Error("file source: recovered a panic decoding a line; it is a bad row", "file", name, "offset", m.Offset, "panic", err)
				}
				if err := r.newDecoder(); err != nil {
					return false, err
				}
			}
			bad++
		}
		if r.b.N == batchRows {
			stale, err := r.deliverCounts(at, bad)
			bad = 0
			if stale || err != nil {
				return stale, err
			}
		}
	}
	if r.b.N > 0 || bad > 0 || at != r.off {
		return r.deliverCounts(at, bad)
	}
	return false, nil
}

func (r *reader) deliver(off int64) error {
	_, err := r.deliverCounts(off, 0)
	return err
}

// deliverCounts hands the pending rows to the engine with the position
// off of r.cur they reach. On ErrStale it drops them, takes the columns
// read now, and reports true: r.off stays where they started.
func (r *reader) deliverCounts(off, bad int64) (bool, error) {
	pos := encode(r.cur, off)
	err := r.out.Deliver(0, r.b, pos, kafka.Counts{Bad: bad, Read: r.proj.Gen})
	r.b.Reset()
	if errors.Is(err, kafka.ErrStale) {
		return true, r.newDecoder()
	}
	if err != nil {
		return false, err
	}
	r.off = off
	r.s.update(func() { r.s.pos = pos })
	if cur := r.s.proj.Load(); cur != r.proj {
		return false, r.newDecoder()
	}
	return false, nil
}

type decodePanic struct{ p any }

func (d *decodePanic) Error() string { return fmt.Sprint("decoder panic: ", d.p) }

// decode is dec.Decode with a panic turned into the line's error.
func decode(dec format.Decoder, v []byte, m *format.Meta, b *vec.Batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &decodePanic{p: p}
		}
	}()
	return dec.Decode(v, m, b)
}
