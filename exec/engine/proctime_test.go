package engine

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/wire"
)

// TestProcTime runs testdata/proctime: rows ingested into a source with a
// PROCTIME() column at chosen processing times (an injected clock), and
// the views windowed over it read as the clock moves. Commands:
//
//	sql                  run the statements, print what they return
//	ingest s at=MS       rows (one BIGINT per line) into source s, with the
//	                     clock at MS milliseconds past 2030-01-01
//	tick at=MS           set the clock and run the idle loop's work
func TestProcTime(t *testing.T) {
	e, s, setClock := clockedEngine(t, time.Millisecond)
	runClocked(t, "testdata/proctime", e, s, setClock)
}

// runClocked runs a datadriven file of sql, ingest and tick commands.
func runClocked(t *testing.T, path string, e *Engine, s wire.Session, setClock func(*datadriven.TestData)) {
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "sql":
			return runSQL(s, d.Input)
		case "ingest":
			setClock(d)
			x, ok := e.lookup(d.CmdArgs[0].Key)
			if !ok {
				d.Fatalf(t, "no source %s", d.CmdArgs[0].Key)
			}
			b := vec.NewBatch(catalog.Types(x.rel.Physical().Columns), 0)
			for _, line := range strings.Split(d.Input, "\n") {
				k, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
				if err != nil {
					d.Fatalf(t, "%s: %v", line, err)
				}
				b.Cols[0].AppendI64(k)
				b.EndRow(1)
			}
			x.df.Lock()
			err := x.df.ingest(b, 0)
			x.df.Unlock()
			if err != nil {
				return fmt.Sprintf("error: %v\n", err)
			}
			return "ok\n"
		case "tick":
			setClock(d)
			if err := e.tickIdle(); err != nil {
				return fmt.Sprintf("error: %v\n", err)
			}
			return "ok\n"
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}
