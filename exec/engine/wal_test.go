package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/durable"
	"github.com/streamsql/streamsql/state/durable/faultfs"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/state/pebble"
)

// oneRow is a batch of one BIGINT row.
func oneRow(v int64) *vec.Batch {
	b := vec.NewBatch([]types.T{types.BigInt}, 1)
	b.Cols[0].AppendI64(v)
	b.EndRow(1)
	return b
}

// replayed returns the values of the one-row records of dir's log of
// epoch 1, or the replay's error.
func replayed(t *testing.T, dir string) ([]int64, error) {
	t.Helper()
	var got []int64
	err := replayLog(durable.OS, dir, 1, func(table, rows uint64, data []byte) error {
		b := vec.NewBatch([]types.T{types.BigInt}, 1)
		if _, err := decodeLoggedRow(data, b); err != nil {
			return err
		}
		got = append(got, b.Cols[0].I64[0])
		return nil
	})
	return got, err
}

// TestInsertLogCutsFailedAppend: an append whose write or fsync fails is
// cut off the log and reported as 53100 (a full disk) or 58030, so the
// appends after it replay; when cutting it off fails too, the log takes no
// appends until the next rotation.
func TestInsertLogCutsFailedAppend(t *testing.T) {
	dir := t.TempDir()
	fsys := faultfs.New(durable.OS)
	l := &insertLog{fs: fsys, dir: dir}
	if err := l.rotate(1); err != nil {
		t.Fatal(err)
	}
	mustAppend := func(v int64) {
		t.Helper()
		if _, _, err := l.append(1, oneRow(v)); err != nil {
			t.Fatalf("append %d: %v", v, err)
		}
	}
	failAppend := func(v int64, kind sqlerr.Kind) {
		t.Helper()
		_, _, err := l.append(1, oneRow(v))
		if e, ok := sqlerr.As(err); !ok || e.Kind != kind {
			t.Fatalf("append %d: got %v, want an error of kind %d", v, err, kind)
		}
	}
	mustAppend(1)
	fsys.Fail(fsys.Ops()+1, 1) // the write: half of it lands, ENOSPC
	failAppend(2, sqlerr.DiskFull)
	mustAppend(3)
	fsys.Fail(fsys.Ops()+2, 1) // the fsync
	failAppend(4, sqlerr.IOError)
	mustAppend(5)
	fsys.Fail(fsys.Ops()+1, 2) // the write, then the truncate that cuts it off
	failAppend(6, sqlerr.DiskFull)
	failAppend(7, sqlerr.IOError) // refused: the torn write is still there
	if got, err := replayed(t, dir); err != nil || !slices.Equal(got, []int64{1, 3, 5}) {
		t.Fatalf("replayed %v, %v; want [1 3 5] (the torn record of 6 is the last one)", got, err)
	}
	if err := l.rotate(2); err != nil {
		t.Fatal(err)
	}
	mustAppend(8)
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
}

// TestReplayTornTailOnly: a log cut at any byte replays every whole record
// before the cut, and so does one whose last record is partly zeros; a
// damaged byte in any record but the last is an error, never a silent stop.
func TestReplayTornTailOnly(t *testing.T) {
	dir := t.TempDir()
	l := &insertLog{fs: durable.OS, dir: dir}
	if err := l.rotate(1); err != nil {
		t.Fatal(err)
	}
	var ends []int64 // where each record ends
	for v := int64(1); v <= 4; v++ {
		if _, _, err := l.append(1, oneRow(v*1000003)); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, l.size)
	}
	l.close()
	name := logName(dir, 1)
	whole, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	write := func(b []byte) {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wholeBefore := func(n int64) int {
		k := 0
		for k < len(ends) && ends[k] <= n {
			k++
		}
		return k
	}
	for cut := int64(0); cut <= int64(len(whole)); cut++ {
		write(whole[:cut])
		got, err := replayed(t, dir)
		if err != nil || len(got) != wholeBefore(cut) {
			t.Fatalf("log cut at byte %d: replayed %v, %v; want the %d whole records", cut, got, err, wholeBefore(cut))
		}
		// The same length, the part not yet written read as zeros.
		torn := append(whole[:cut:cut], make([]byte, int64(len(whole))-cut)...)
		write(torn)
		if got, err := replayed(t, dir); err != nil || len(got) != wholeBefore(cut) {
			t.Fatalf("log zeroed from byte %d: replayed %v, %v; want the %d whole records", cut, got, err, wholeBefore(cut))
		}
	}
	last := ends[len(ends)-2]
	for i := int64(0); i < last; i++ {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(whole)
			bad[i] ^= flip
			write(bad)
			if got, err := replayed(t, dir); err == nil || !strings.Contains(err.Error(), "is damaged") {
				t.Fatalf("byte %d ^ %#x: replayed %v, %v; want a damaged-log error", i, flip, got, err)
			}
		}
	}
	write(whole)
	if got, err := replayed(t, dir); err != nil || len(got) != 4 {
		t.Fatalf("whole log: %v, %v", got, err)
	}
}

// TestLostCheckpointRefused: a data directory whose checkpoint was deleted
// (its insert log shows a later epoch) refuses to start, on both backends,
// naming the fix; with ForceEmpty it starts empty, and then starts again
// without it.
func TestLostCheckpointRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		open func(dir string) (state.Backend, error)
		lose string // what to delete under dir
	}{
		{"memory", func(dir string) (state.Backend, error) { return memory.Open(filepath.Join(dir, "state")) }, "state/" + memory.CheckpointFile},
		{"pebble", func(dir string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, "state"), pebble.Options{})
		}, "state/checkpoints"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			start := func(force bool) (*Engine, state.Backend, error) {
				b, err := c.open(dir)
				if err != nil {
					t.Fatal(err)
				}
				e, err := Open(b, Options{Dir: dir, ForceEmpty: force})
				if err != nil {
					b.Close()
				}
				return e, b, err
			}
			stop := func(e *Engine, b state.Backend) {
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
				b.Close()
			}
			e, b, err := start(false)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := e.NewSession("test", "test")
			if out := runSQL(s, "CREATE TABLE t (k INT); INSERT INTO t VALUES (1)"); out != "" {
				t.Fatal(out)
			}
			stop(e, b)
			if err := os.RemoveAll(filepath.Join(dir, c.lose)); err != nil {
				t.Fatal(err)
			}
			_, _, err = start(false)
			if err == nil || !strings.Contains(err.Error(), "has lost its checkpoint") || !strings.Contains(err.Error(), "--force-empty") {
				t.Fatalf("start without its checkpoint: %v, want a lost-checkpoint error naming --force-empty", err)
			}
			e, b, err = start(true)
			if err != nil {
				t.Fatalf("start with ForceEmpty: %v", err)
			}
			s, _ = e.NewSession("test", "test")
			if out := runSQL(s, "SELECT * FROM t"); !strings.Contains(out, "does not exist") {
				t.Errorf("after ForceEmpty, SELECT * FROM t: %q, want an empty catalog", out)
			}
			stop(e, b)
			e, b, err = start(false)
			if err != nil {
				t.Fatalf("restart after ForceEmpty: %v", err)
			}
			stop(e, b)
		})
	}
}

// TestReplayCancelRecord: replay skips a record a later cancel record
// names, wherever the records of other INSERTs fall between them; a log
// cut inside the cancel (its write never finished, so the log took no
// more appends) replays the record; the cancel is never passed on as rows.
func TestReplayCancelRecord(t *testing.T) {
	dir := t.TempDir()
	l := &insertLog{fs: durable.OS, dir: dir}
	if err := l.rotate(1); err != nil {
		t.Fatal(err)
	}
	mustAppend := func(v int64) (uint64, int64) {
		t.Helper()
		ep, off, err := l.append(1, oneRow(v))
		if err != nil {
			t.Fatal(err)
		}
		return ep, off
	}
	mustAppend(1)
	ep, off := mustAppend(2)
	mustAppend(3)
	beforeCancel := l.size
	l.cancel(ep, off)
	if l.broken != nil || l.size == beforeCancel {
		t.Fatalf("cancel: broken %v, size %d", l.broken, l.size)
	}
	afterCancel := l.size
	mustAppend(4)
	l.cancel(ep+1, 0) // a rotated log's record: nothing to write
	end := l.size
	l.close()
	if got, err := replayed(t, dir); err != nil || !slices.Equal(got, []int64{1, 3, 4}) {
		t.Fatalf("replayed %v, %v; want [1 3 4]", got, err)
	}
	whole, err := os.ReadFile(logName(dir, 1))
	if err != nil || int64(len(whole)) != end {
		t.Fatalf("log of %d bytes, %v; want %d (the cancel of a rotated log's record writes nothing)", len(whole), err, end)
	}
	for cut := beforeCancel; cut < afterCancel; cut++ {
		if err := os.WriteFile(logName(dir, 1), whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := replayed(t, dir); err != nil || !slices.Equal(got, []int64{1, 2, 3}) {
			t.Fatalf("log cut at byte %d, inside the cancel: replayed %v, %v; want [1 2 3]", cut, got, err)
		}
	}
}
