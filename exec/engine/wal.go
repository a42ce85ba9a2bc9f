package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/state/durable"
)

// insertLog makes INSERTs durable between checkpoints: a table's rows are
// appended and fsynced here before the INSERT is acknowledged, and replayed
// after a crash on top of the checkpoint they came after. It is the table's
// "source offset" in the checkpoint's terms: checkpoint N starts log
// ins-N.log, and restoring N replays exactly that file.
//
// Record: uvarint length | crc32c(payload) | payload, where payload is
// uvarint table id | uvarint row count | rows in exec.EncodeRow form.
// Table id 0 (relation ids start at 1) marks a cancel record instead:
// uvarint 0 | uvarint byte offset of an earlier record in the same log,
// whose INSERT failed after it was logged, so replay skips it (see
// cancel). A log without cancel records reads as before.
//
// Appends are serialized and each is one write then an fsync, so only the
// last record of a log can be incomplete. A write or fsync that fails cuts
// the log back to its last good record before the INSERT fails; when even
// that fails the log takes no more appends until the next checkpoint
// starts a new one, so no INSERT is ever acknowledged after a torn record.
// Replay ignores a torn last record (never acknowledged) and refuses a log
// with a bad record followed by good ones (see replayLog).
type insertLog struct {
	mu    sync.Mutex // appends come from several dataflows
	fs    durable.FS
	dir   string
	f     durable.File
	epoch uint64
	size  int64 // bytes of whole, synced records in f
	// broken, when set, is why appends are refused until rotate: a failed
	// write that could not be cut off, a log that could not be started, or
	// a checkpoint that failed, whose outcome on disk is not known.
	broken error
	buf    []byte
	// timeout bounds each write, fsync and open (0: none). One that does
	// not return in time fails its INSERT and leaves the log refusing
	// appends while it hangs (see write).
	timeout time.Duration
	// hung is the file a write that timed out still holds: its goroutine
	// closes it if the log has moved on when the write returns.
	hung durable.File
}

// DefaultWriteTimeout is how long an INSERT waits for its log write and
// fsync before it fails with 58030 (Options.WriteTimeout).
const DefaultWriteTimeout = 10 * time.Second

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func logName(dir string, epoch uint64) string {
	return filepath.Join(dir, fmt.Sprintf("ins-%d.log", epoch))
}

// logEpochs lists the epochs of the insert logs in dir.
func logEpochs(fsys durable.FS, dir string) ([]uint64, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, name := range names {
		n, ok := strings.CutPrefix(name, "ins-")
		if !ok || !strings.HasSuffix(n, ".log") {
			continue
		}
		if ep, err := strconv.ParseUint(strings.TrimSuffix(n, ".log"), 10, 64); err == nil {
			out = append(out, ep)
		}
	}
	return out, nil
}

// rotate starts the log of checkpoint epoch and deletes older logs, whose
// rows the checkpoint now holds. If the new log cannot be started, appends
// are refused: the old log is no longer replayed.
func (l *insertLog) rotate(epoch uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		if l.f != l.hung { // else the hung write's goroutine closes it
			l.f.Close()
		}
		l.f, l.hung = nil, nil
	}
	err := l.start(epoch)
	if err != nil {
		l.broken = fmt.Errorf("starting insert log %d: %w", epoch, err)
		return sqlerr.Storage("engine: starting the insert log", err)
	}
	l.broken = nil
	epochs, err := logEpochs(l.fs, l.dir)
	if err != nil {
		return nil // the old logs are deleted next time
	}
	for _, ep := range epochs {
		if ep < epoch {
			name := logName(l.dir, ep)
			durable.Bounded(l.timeout, "remove", name, func() error { return l.fs.Remove(name) }, nil)
		}
	}
	return nil
}

func (l *insertLog) start(epoch uint64) error {
	name := logName(l.dir, epoch)
	var f durable.File
	var size int64
	err := durable.Bounded(l.timeout, "open", name, func() error {
		var err error
		if f, err = l.fs.OpenAppend(name); err != nil {
			return err
		}
		fi, err := f.Stat()
		if err == nil {
			size = fi.Size()
			err = l.fs.SyncDir(l.dir)
		}
		if err != nil {
			f.Close()
		}
		return err
	}, func(err error) {
		if err == nil {
			f.Close() // opened too late: the log was not started
		}
	})
	if err != nil {
		return err
	}
	l.f, l.epoch, l.size = f, epoch, size
	return nil
}

// fail refuses appends until the next rotate, because of err.
func (l *insertLog) fail(err error) {
	if l == nil { // an engine without a data directory logs nothing
		return
	}
	l.mu.Lock()
	l.broken = err
	l.mu.Unlock()
}

// append writes one INSERT's rows and fsyncs them. It returns the log's
// epoch and the record's byte offset, which name the record for cancel.
func (l *insertLog) append(table uint64, b *vec.Batch) (epoch uint64, off int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return 0, 0, sqlerr.Storage("engine: inserts are refused until the next checkpoint starts a new insert log", l.broken)
	}
	if l.f == nil {
		return 0, 0, sqlerr.New(sqlerr.IOError, "engine: the insert log is closed: the server is stopping")
	}
	p := binary.AppendUvarint(l.buf[:0], table)
	p = binary.AppendUvarint(p, uint64(b.N))
	for i := 0; i < b.N; i++ {
		p = exec.EncodeRow(p, b.Cols, i)
	}
	l.buf = p
	off = l.size
	if err := l.write(p, false); err != nil {
		return 0, 0, logWriteError(err)
	}
	return l.epoch, off, nil
}

// cancel appends a cancel record for the record at byte off of the log of
// epoch, whose INSERT failed after append: replay skips it. If the log has
// been rotated since, the record is no longer replayed and there is
// nothing to do. If the cancel cannot be written, the log takes no more
// appends until the next checkpoint; the failed INSERT's rows would then
// come back after a crash before it.
func (l *insertLog) cancel(epoch uint64, off int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || l.epoch != epoch {
		return
	}
	if l.broken != nil {
		// Its tail may be torn: a record after it would make replay
		// take the log for damaged. It already refuses appends.
		return
	}
	p := binary.AppendUvarint(make([]byte, 0, 2*binary.MaxVarintLen64), 0)
	p = binary.AppendUvarint(p, uint64(off))
	if err := l.write(p, true); err != nil && l.broken == nil {
		l.broken = fmt.Errorf("cancelling the logged record of a failed INSERT at byte %d of %s: %w", off, logName(l.dir, l.epoch), err)
	}
}

// write appends a record of payload p and fsyncs it; l.mu is held.
//
// A write or fsync that does not return within l.timeout fails at once,
// and the log refuses appends while it hangs, so neither this INSERT nor
// the ones queued behind it wait on the disk unbounded (each waits at most
// one timeout). When the hung write returns, its goroutine puts the log
// back to a whole last record: an append's record, whose INSERT was told
// it failed, is cut off (keep false) so no restart brings its rows back; a
// cancel record is kept (keep true), since it is what makes the replay
// skip its INSERT. Once that is done the log takes appends again. (A crash
// while the write hangs may find the record on disk all the same: the
// client's error says the write did not complete, not that it failed.)
func (l *insertLog) write(p []byte, keep bool) error {
	rec := binary.AppendUvarint(make([]byte, 0, len(p)+16), uint64(len(p)))
	rec = binary.LittleEndian.AppendUint32(rec, crc32.Checksum(p, crcTable))
	rec = append(rec, p...)
	f, size := l.f, l.size
	var cutErr error
	var stalled error
	err := durable.Bounded(l.timeout, "write", logName(l.dir, l.epoch), func() error {
		_, err := f.Write(rec)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			// Cut off what may have reached the file, so the next
			// record follows a whole one.
			cutErr = cutTo(f, size)
		}
		return err
	}, func(err error) {
		if err == nil && !keep {
			cutErr = cutTo(f, size)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.f != f {
			f.Close() // rotated or closed meanwhile
			return
		}
		l.hung = nil
		if err == nil && keep && l.size == size {
			l.size += int64(len(rec))
		}
		if l.broken != stalled {
			return // refused for another reason since
		}
		if cutErr != nil {
			l.broken = fmt.Errorf("cutting a write that did not complete in time off %s: %w", logName(l.dir, l.epoch), cutErr)
			return
		}
		l.broken = nil
	})
	if se := (*durable.StalledError)(nil); errors.As(err, &se) {
		stalled = fmt.Errorf("a write to %s did not complete in time and may still land: %w", logName(l.dir, l.epoch), err)
		l.broken, l.hung = stalled, f
		return err
	}
	if err != nil {
		if cutErr != nil {
			l.broken = fmt.Errorf("cutting a failed write off %s: %w", logName(l.dir, l.epoch), cutErr)
		}
		return err
	}
	l.size += int64(len(rec))
	return nil
}

// cutTo truncates f back to size bytes and fsyncs the cut.
func cutTo(f durable.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// logWriteError types a failed append for the client: 53100 or 58030, and
// for a write that hung, "I/O error: write to <file> did not complete in N
// s".
func logWriteError(err error) error {
	if se := (*durable.StalledError)(nil); errors.As(err, &se) {
		return sqlerr.Storage("I/O error", err)
	}
	return sqlerr.Storage("engine: writing the insert log", err)
}

func (l *insertLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	var err error
	if l.f != l.hung { // else the hung write's goroutine closes it
		err = l.f.Close()
	}
	l.f, l.hung = nil, nil
	return err
}

// replayLog reads the log of epoch, calling fn for each complete record
// that no cancel record names.
//
// A record that does not verify (its length runs past the end of the file,
// its checksum is wrong, or its length is impossible) is a torn tail, the
// one write in flight at a crash, only when no valid record starts after
// it: the torn write is a prefix of a record, with any bytes not yet
// written read as zeros. Anything else is a damaged log, and replaying past
// it or stopping at it would drop acknowledged INSERTs, so it is an error.
// (A last record damaged after its fsync cannot be told from a torn one by
// this format: it is ignored too.)
func replayLog(fsys durable.FS, dir string, epoch uint64, fn func(table uint64, rows uint64, data []byte) error) error {
	name := logName(dir, epoch)
	f, err := fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	// A cancel record follows the record it names, so they are gathered
	// first.
	var cancelled map[int64]bool
	err = scanLog(f, name, size, func(off int64, table, arg uint64, _ []byte) error {
		if table == 0 {
			if cancelled == nil {
				cancelled = map[int64]bool{}
			}
			cancelled[int64(arg)] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	return scanLog(f, name, size, func(off int64, table, rows uint64, data []byte) error {
		if table == 0 || cancelled[off] {
			return nil
		}
		return fn(table, rows, data)
	})
}

// scanLog calls fn with the byte offset and fields of each complete
// record of the log f, of size bytes, read from its start.
func scanLog(f durable.File, name string, size int64, fn func(off int64, table, arg uint64, data []byte) error) error {
	r := bufio.NewReader(io.NewSectionReader(f, 0, size))
	for off := int64(0); off < size; {
		n, hdr, p, ok, err := readRecord(r, size-off)
		if err != nil {
			return fmt.Errorf("engine: reading %s: %w", name, err)
		}
		if !ok {
			return tornTail(f, name, off, size)
		}
		table, k := binary.Uvarint(p)
		var arg uint64
		k2 := 0
		if k > 0 {
			arg, k2 = binary.Uvarint(p[k:])
		}
		if k <= 0 || k2 <= 0 {
			return fmt.Errorf("engine: insert log %s is damaged: the record at byte %d has a valid checksum but no table and row count", name, off)
		}
		if err := fn(off, table, arg, p[k+k2:]); err != nil {
			return err
		}
		off += int64(hdr) + int64(n)
	}
	return nil
}

// minPayload is the smallest payload append writes: a table id and a row
// count of a byte each.
const minPayload = 2

// readRecord reads the record at r, of which rest bytes are left in the
// file. ok is false if it does not verify; err is a failure to read.
func readRecord(r *bufio.Reader, rest int64) (n uint64, hdr int, p []byte, ok bool, err error) {
	var lenBuf [binary.MaxVarintLen64]byte
	m := 0
	for m < len(lenBuf) && int64(m) < rest {
		c, err := r.ReadByte()
		if err != nil {
			return 0, 0, nil, false, err
		}
		lenBuf[m] = c
		m++
		if c < 0x80 {
			break
		}
	}
	n, k := binary.Uvarint(lenBuf[:m])
	if k <= 0 {
		return 0, 0, nil, false, nil // a torn or impossible length
	}
	hdr = m + 4
	if n < minPayload || n > uint64(rest) || int64(hdr)+int64(n) > rest {
		return 0, 0, nil, false, nil
	}
	head := make([]byte, 4+n)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, 0, nil, false, err
	}
	p = head[4:]
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(head) {
		return 0, 0, nil, false, nil
	}
	return n, hdr, p, true, nil
}

// tornTail decides about the bad record at byte off of a log of size
// bytes: nil when it is a torn tail, an error naming the damage otherwise.
func tornTail(f durable.File, name string, off, size int64) error {
	rest := make([]byte, size-off)
	if _, err := f.ReadAt(rest, off); err != nil {
		return fmt.Errorf("engine: reading %s: %w", name, err)
	}
	for i := 1; i < len(rest); i++ {
		if validRecordAt(rest[i:]) {
			return fmt.Errorf("engine: insert log %s is damaged: the record at byte %d is bad but a valid one follows at byte %d, "+
				"so skipping it would drop acknowledged inserts; restore the data directory from a backup, "+
				"or truncate the file to %d bytes to start without the inserts logged from there", name, off, off+int64(i), off)
		}
	}
	return nil
}

// validRecordAt reports whether b starts with a whole record whose
// checksum matches.
func validRecordAt(b []byte) bool {
	n, k := binary.Uvarint(b)
	if k <= 0 || n < minPayload || n > uint64(len(b)) || k+4+int(n) > len(b) {
		return false
	}
	p := b[k+4 : k+4+int(n)]
	return crc32.Checksum(p, crcTable) == binary.LittleEndian.Uint32(b[k:])
}

// decodeLoggedRow reads one logged row into b.
func decodeLoggedRow(data []byte, b *vec.Batch) ([]byte, error) {
	rest, err := exec.DecodeRow(data, b.Cols)
	if err != nil {
		return nil, err
	}
	b.EndRow(1)
	return rest, nil
}

// checkLostCheckpoint refuses a data directory whose insert logs come after
// the checkpoint the backend restored (id): checkpoint N starts ins-N.log
// only once N is committed, so a log of a later epoch means the directory
// had state that its checkpoint no longer holds (deleted, or restored from
// an older copy). Starting would silently come up without it. With force,
// the logs of the lost state are deleted instead, and the engine starts
// from what the backend has.
func checkLostCheckpoint(fsys durable.FS, dir string, id uint64, force bool) error {
	epochs, err := logEpochs(fsys, dir)
	if err != nil {
		return fmt.Errorf("engine: listing the insert logs: %w", err)
	}
	last := id
	for _, ep := range epochs {
		last = max(last, ep)
	}
	if last == id {
		return nil
	}
	have, from := "no checkpoint", "an empty catalog"
	if id > 0 {
		have = fmt.Sprintf("only checkpoint %d", id)
		from = fmt.Sprintf("the older checkpoint %d", id)
	}
	if !force {
		return fmt.Errorf("engine: the data directory %s has lost its checkpoint: its insert log %s follows checkpoint %d, "+
			"but the state backend has %s, so starting would lose the tables, views and rows of checkpoint %d; "+
			"put the checkpoint files back (from a backup), or start with --force-empty to start over from %s "+
			"and discard the insert logs that follow it", dir, filepath.Base(logName(dir, last)), last, have, last, from)
	}
	for _, ep := range epochs {
		if ep > id {
			if err := fsys.Remove(logName(dir, ep)); err != nil {
				return fmt.Errorf("engine: removing an insert log of the lost checkpoint: %w", err)
			}
		}
	}
	return fsys.SyncDir(dir)
}
