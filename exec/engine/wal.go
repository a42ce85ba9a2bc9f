package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/state/durable"
)

// insertLog makes INSERTs durable between checkpoints: a table's rows are
// appended and fsynced here before the INSERT is acknowledged, and replayed
// after a crash on top of the checkpoint they came after. It is the table's
// "source offset" in the checkpoint's terms: checkpoint N starts log
// ins-N.log, and restoring N replays exactly that file.
//
// Record: uvarint length | crc32c(payload) | payload, where payload is
// uvarint table id | uvarint row count | rows in exec.EncodeRow form. A torn
// last record (a crash mid-write, before the INSERT was acknowledged) is
// ignored.
type insertLog struct {
	mu    sync.Mutex // appends come from several dataflows
	dir   string
	f     *os.File
	epoch uint64
	buf   []byte
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func logName(dir string, epoch uint64) string {
	return filepath.Join(dir, fmt.Sprintf("ins-%d.log", epoch))
}

// rotate starts the log of checkpoint epoch and deletes older logs, whose
// rows the checkpoint now holds.
func (l *insertLog) rotate(epoch uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(logName(l.dir, epoch), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("engine: insert log: %w", err)
	}
	if l.f != nil {
		l.f.Close()
	}
	l.f, l.epoch = f, epoch
	if err := durable.SyncDir(l.dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), "ins-")
		if !ok {
			continue
		}
		if ep, err := strconv.ParseUint(strings.TrimSuffix(n, ".log"), 10, 64); err == nil && ep < epoch {
			os.Remove(filepath.Join(l.dir, e.Name()))
		}
	}
	return nil
}

// append writes one INSERT's rows and fsyncs them.
func (l *insertLog) append(table uint64, b *vec.Batch) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := binary.AppendUvarint(l.buf[:0], table)
	p = binary.AppendUvarint(p, uint64(b.N))
	for i := 0; i < b.N; i++ {
		p = exec.EncodeRow(p, b.Cols, i)
	}
	rec := binary.AppendUvarint(make([]byte, 0, len(p)+16), uint64(len(p)))
	rec = binary.LittleEndian.AppendUint32(rec, crc32.Checksum(p, crcTable))
	rec = append(rec, p...)
	l.buf = p
	if _, err := l.f.Write(rec); err != nil {
		return fmt.Errorf("engine: insert log: %w", err)
	}
	return l.f.Sync()
}

func (l *insertLog) close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// replayLog reads the log of epoch, calling fn for each complete record.
func replayLog(dir string, epoch uint64, fn func(table uint64, rows uint64, data []byte) error) error {
	f, err := os.Open(logName(dir, epoch))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil // clean end, or a torn length
		}
		head := make([]byte, 4+n)
		if _, err := io.ReadFull(r, head); err != nil {
			return nil // torn record: never acknowledged
		}
		p := head[4:]
		if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(head) {
			return nil
		}
		table, k := binary.Uvarint(p)
		rows, k2 := binary.Uvarint(p[k:])
		if k <= 0 || k2 <= 0 {
			return fmt.Errorf("engine: corrupt insert log record")
		}
		if err := fn(table, rows, p[k+k2:]); err != nil {
			return err
		}
	}
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
