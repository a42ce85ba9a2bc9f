package engine

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
)

// TestWatermarks runs testdata/watermarks: rows delivered to chosen
// partitions at chosen processing times (an injected clock), with the
// watermark and the views read after each step. Commands:
//
//	sql                      run the statements, print what they return
//	ingest t p=N at=S        rows (one VALUES tuple per line) into partition N
//	                         of table t, with the clock at S seconds
//	tick t at=S              set the clock to S seconds and run the idle rules
//
// ingest and tick print t's watermark and how many partitions are idle.
// Partitions are the ones a source with several would have (a Kafka
// topic's); the test gives them to a table, whose INSERTs are partition 0.
func TestWatermarks(t *testing.T) {
	e, s, setClock := clockedEngine(t, time.Second)
	status := func(x *entry) string {
		x.df.Lock()
		defer x.df.Unlock()
		wm := "none"
		if x.df.wm != math.MinInt64 {
			wm = string(vec.AppendTimestamp(nil, x.df.wm))
		}
		return fmt.Sprintf("watermark %s, %d of %d partitions idle\n", wm, x.df.parts.idleCount(x.df.now()), len(x.df.parts.parts))
	}
	table := func(d *datadriven.TestData) *entry {
		x, ok := e.lookup(d.CmdArgs[0].Key)
		if !ok {
			d.Fatalf(t, "no table %s", d.CmdArgs[0].Key)
		}
		return x
	}
	datadriven.RunTest(t, "testdata/watermarks", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "sql":
			return runSQL(s, d.Input)
		case "ingest":
			setClock(d)
			var p int
			d.ScanArgs(t, "p", &p)
			x := table(d)
			for _, row := range strings.Split(d.Input, "\n") {
				st, err := parser.ParseOne("INSERT INTO " + x.rel.Name + " VALUES " + row)
				if err != nil {
					d.Fatalf(t, "%s: %v", row, err)
				}
				_, b, err := e.insertRows(context.Background(), st.(*parser.Insert), nil, nil)
				if err != nil {
					d.Fatalf(t, "%s: %v", row, err)
				}
				x.df.Lock()
				err = x.df.ingest(b, p)
				x.df.Unlock()
				if err != nil {
					return fmt.Sprintf("error: %v\n", err)
				}
			}
			return status(x)
		case "tick":
			setClock(d)
			if err := e.tickIdle(); err != nil {
				return fmt.Sprintf("error: %v\n", err)
			}
			return status(table(d))
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

// clockedEngine is an engine on the memory backend whose processing time is
// 2030-01-01 plus a count of units, set by the returned function from a
// datadriven command's at= argument; s is a session on it.
func clockedEngine(t *testing.T, unit time.Duration) (*Engine, wire.Session, func(*datadriven.TestData)) {
	backend, err := memory.Open("")
	if err != nil {
		t.Fatal(err)
	}
	return clockedEngineOn(t, unit, backend)
}

// clockedEngineOn is clockedEngine on the given backend.
func clockedEngineOn(t *testing.T, unit time.Duration, backend state.Backend) (*Engine, wire.Session, func(*datadriven.TestData)) {
	var clock atomic.Int64
	epoch := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e := New(backend)
	e.opts.Clock = func() time.Time { return epoch.Add(time.Duration(clock.Load()) * unit) }
	t.Cleanup(func() { e.Close() })
	s, _ := e.NewSession("test", "test")
	return e, s, func(d *datadriven.TestData) {
		var at int64
		d.ScanArgs(t, "at", &at)
		clock.Store(at)
	}
}

// runSQL runs statements and prints what they return, or the error.
func runSQL(s wire.Session, sql string) string {
	var out textResult
	if err := s.Query(context.Background(), sql, &out); err != nil {
		fmt.Fprintf(&out.b, "error: %v\n", err)
	}
	return out.b.String()
}

// textResult prints results as the slt runner does: one line per row,
// values separated by spaces, NULL for null.
type textResult struct{ b strings.Builder }

func (r *textResult) Columns([]wire.Column) error                    { return nil }
func (r *textResult) Complete(string) error                          { return nil }
func (r *textResult) CopyOut([]wire.Column, parser.CopyFormat) error { return nil }
func (r *textResult) Flush() error                                   { return nil }
func (r *textResult) Notice(msg string) error {
	fmt.Fprintf(&r.b, "notice: %s\n", msg)
	return nil
}
func (r *textResult) Rows(b *vec.Batch) error {
	for i := 0; i < b.N; i++ {
		for c := range b.Cols {
			if c > 0 {
				r.b.WriteByte(' ')
			}
			if b.Cols[c].IsNull(i) {
				r.b.WriteString("NULL")
			} else {
				r.b.WriteString(b.Cols[c].Text(i))
			}
		}
		r.b.WriteByte('\n')
	}
	return nil
}
