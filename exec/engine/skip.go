package engine

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
)

// A data directory must boot even when something in it can no longer be
// applied: a relation whose CREATE this version refuses (say a HOP over
// more windows per row than MaxWindowsPerRow allows), or a logged INSERT
// whose rows make an operator fail. Failing Open for it would make every
// restart fail the same way. So restore skips it, loudly:
//
//   - A relation whose statement fails is left out, with the relations
//     that read it (their CREATE fails in turn), its state is dropped, and
//     its statement is appended to SkippedFile in the data directory with
//     the error, so it can be fixed and run again.
//   - A logged INSERT that fails to apply (an error or a panic), or whose
//     table was skipped, is left out; the insert log is kept as
//     skipped-ins-<epoch>.log beside it, since the checkpoint that follows
//     the replay deletes the original.
//
// Each is logged at ERROR level. A corrupt insert log is not skipped: that
// is damage, reported as such.
const SkippedFile = "skipped.sql"

// skippedRel is a relation restore left out.
type skippedRel struct {
	id  uint64
	sql string
	err error
}

// restoreStatement re-runs a stored CREATE, turning a panic into an error.
func (e *Engine) restoreStatement(id uint64, sql string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	var zone *time.Location
	if rest, ok := strings.CutPrefix(sql, viewZonePrefix); ok {
		name, body, _ := strings.Cut(rest, "\n")
		if zone, err = vec.LoadZone(name); err != nil {
			return err
		}
		sql = body
	}
	st, err := parser.ParseOne(sql)
	if err != nil {
		return err
	}
	e.restoreID = id
	switch st := st.(type) {
	case *parser.CreateRelation:
		_, err = e.createRelation(st)
	case *parser.CreateView:
		_, err = e.createView(st, zone, nil)
	case *parser.CreateSink:
		_, err = e.createSink(st)
	case *parser.CreateFunction:
		_, err = e.createFunction(st)
	default:
		err = fmt.Errorf("unexpected statement %T", st)
	}
	return err
}

// viewZonePrefix starts the stored statement of a view created in a
// time zone other than UTC, naming it.
const viewZonePrefix = "-- timezone: "

// skipRelation leaves relation id out of the restored engine and drops its
// state (every namespace under its id).
func (e *Engine) skipRelation(id uint64, sql string, err error) error {
	if name, ok := storedTable(sql); ok && !e.opts.SkipUnrestorable {
		// A table's rows are in no other file: skipping it would lose
		// them for good, so that takes an explicit choice.
		return fmt.Errorf("engine: cannot restore table %q (relation %d): %w; starting without it would drop its rows for good: "+
			"fix the cause, or start with --skip-unrestorable to skip it (its statement is then saved in %s and its logged inserts kept aside)",
			name, id, err, SkippedFile)
	}
	slog.Error("skipping a relation that cannot be restored: its statement is saved in "+SkippedFile, "id", id, "statement", sql, "err", err)
	e.skipped = append(e.skipped, skippedRel{id: id, sql: sql, err: err})
	for k := uint64(0); k < 256; k++ {
		if err := e.backend.DropNamespace(id<<8 | k); err != nil {
			return err
		}
	}
	return nil
}

// storedTable reports whether a stored statement creates a table, and its
// name; one this version cannot parse is judged by its first words.
func storedTable(sql string) (string, bool) {
	if st, err := parser.ParseOne(sql); err == nil {
		if cr, ok := st.(*parser.CreateRelation); ok && cr.Kind == parser.KindTable {
			return cr.Name, true
		}
		return "", false
	}
	f := strings.Fields(sql)
	if len(f) < 3 || !strings.EqualFold(f[0], "CREATE") || !strings.EqualFold(f[1], "TABLE") {
		return "", false
	}
	return strings.SplitN(f[2], "(", 2)[0], true
}

// wasSkipped reports whether relation id was skipped by restore.
func (e *Engine) wasSkipped(id uint64) bool {
	for _, s := range e.skipped {
		if s.id == id {
			return true
		}
	}
	return false
}

// errUnapplied marks a logged INSERT that could not be applied.
type errUnapplied struct{ err error }

func (u errUnapplied) Error() string { return u.err.Error() }
func (u errUnapplied) Unwrap() error { return u.err }

// applyReplayed ingests a replayed INSERT's rows, turning a failure that
// would recur at every start (an operator's error, or a panic) into
// errUnapplied. A failure of the storage underneath (a full disk, an I/O
// error) is returned as it is and fails the start: the rows would apply
// once the disk is mended, and skipping them would let the checkpoint
// after the replay commit without them.
func (e *Engine) applyReplayed(x *entry, b *vec.Batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
		if err != nil && storageFailure(err) {
			err = fmt.Errorf("engine: replaying a logged INSERT into %s: %w", x.rel.Name, err)
		} else if err != nil {
			err = errUnapplied{err}
		}
	}()
	x.df.Lock()
	defer x.df.Unlock()
	defer func() {
		// A skipped INSERT is not held against the dataflow: tearing it
		// would fail every start the same way. What it applied before it
		// failed stays (the checkpoint after the replay saves it).
		if err != nil && !storageFailure(err) {
			x.df.grp().torn.Store(nil)
		}
	}()
	return x.df.ingest(b, 0)
}

// storageFailure reports whether err is the storage's, not the rows': an
// errno, a data directory failure typed for the client, or a backend that
// is closed or found its checkpoint corrupt.
func storageFailure(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) || isStorage(err) || errors.Is(err, state.ErrClosed) || errors.Is(err, state.ErrCorrupt)
}

// skipInsert logs a logged INSERT left out of the replay, or returns err
// when it is not one to skip.
func skipInsert(table, rows uint64, err error) error {
	var u errUnapplied
	if !errors.As(err, &u) {
		return err
	}
	slog.Error("skipping a logged INSERT that cannot be applied: the insert log is kept as skipped-ins-<epoch>.log", "table_id", table, "rows", rows, "err", u.err)
	return nil
}

// saveSkipped appends the skipped relations' statements to SkippedFile and,
// when inserts were skipped, copies the log of epoch aside, before the
// checkpoint that follows the replay forgets both. It writes through fsys,
// the insert log's file system, and syncs the files and the directory.
func (e *Engine) saveSkipped(fsys durable.FS, epoch uint64, inserts int) error {
	dir := e.opts.Dir
	if len(e.skipped) > 0 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "-- %s: skipped at restore (checkpoint %d); fix and run again\n", time.Now().UTC().Format(time.RFC3339), epoch)
		for _, s := range e.skipped {
			fmt.Fprintf(&sb, "-- relation %d: %s\n%s;\n", s.id, strings.ReplaceAll(s.err.Error(), "\n", "\n-- "), s.sql)
		}
		f, err := fsys.OpenAppend(filepath.Join(dir, SkippedFile))
		if err == nil {
			err = writeSynced(f, strings.NewReader(sb.String()))
		}
		if err != nil {
			return fmt.Errorf("engine: saving skipped statements: %w", err)
		}
	}
	if inserts > 0 {
		if err := copyFile(fsys, logName(dir, epoch), filepath.Join(dir, fmt.Sprintf("skipped-ins-%d.log", epoch))); err != nil {
			return fmt.Errorf("engine: keeping the insert log of skipped inserts: %w", err)
		}
	}
	if len(e.skipped) > 0 || inserts > 0 {
		return fsys.SyncDir(dir)
	}
	return nil
}

func copyFile(fsys durable.FS, src, dst string) error {
	in, err := fsys.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsys.Create(dst)
	if err != nil {
		return err
	}
	return writeSynced(out, in)
}

// writeSynced copies r to f, fsyncs and closes it.
func writeSynced(f durable.File, r io.Reader) error {
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
