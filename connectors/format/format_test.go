package format

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
)

// TestDecode runs testdata/decode. Commands:
//
//	source                 a CREATE SOURCE statement: its columns and WITH
//	                       options (format = ...) make the decoder
//	decode [key=K] [ts=MS] [bytes]
//	                       each input line is one record's value; prints
//	                       the row or the error (a line "<tombstone>" is a
//	                       record without a value); ts is the record's
//	                       time in epoch milliseconds; with bytes, \xHH in
//	                       a line (and in K) is the byte HH
func TestDecode(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var dec Decoder
		var cols []catalog.Column
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "source":
				st, err := parser.ParseOne(d.Input)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				rel, err := (&planner.Planner{}).Relation(st.(*parser.CreateRelation))
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				opts := map[string]string{}
				for k, v := range rel.Options {
					opts[k] = v
				}
				format := opts["format"]
				delete(opts, "format")
				delete(opts, "connector")
				dec, err = NewDecoder(format, rel.Columns, opts)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				cols = rel.Columns
				if len(opts) > 0 {
					return fmt.Sprintf("unused options: %v\n", opts)
				}
				return "ok\n"
			case "decode":
				var out strings.Builder
				m := &Meta{Topic: "topic", Partition: 3, Offset: 41, Timestamp: 1_704_067_200_123_000}
				if d.HasArg("key") {
					var k string
					d.ScanArgs(t, "key", &k)
					m.Key = []byte(k)
					if d.HasArg("bytes") {
						m.Key = hexBytes(k)
					}
				}
				if d.HasArg("ts") {
					var ms string
					d.ScanArgs(t, "ts", &ms)
					n, err := strconv.ParseInt(ms, 10, 64)
					if err != nil {
						d.Fatalf(t, "ts=%s: %v", ms, err)
					}
					m.Timestamp = MetaMillis(n)
				}
				b := vec.NewBatch(catalog.Types(cols), 4)
				for _, line := range strings.Split(d.Input, "\n") {
					v := []byte(line)
					if d.HasArg("bytes") {
						v = hexBytes(line)
					}
					if line == "<tombstone>" {
						v = nil
					}
					before := b.N
					if err := dec.Decode(v, m, b); err != nil {
						fmt.Fprintf(&out, "error: %v\n", err)
						for c := range b.Cols {
							if b.Cols[c].Len() != before {
								t.Fatalf("%s: a bad record left column %d with %d rows, want %d", line, c, b.Cols[c].Len(), before)
							}
						}
						continue
					}
					var vals []string
					for c := range b.Cols {
						switch {
						case b.Cols[c].IsNull(b.N - 1):
							vals = append(vals, "NULL")
						case d.HasArg("bytes"):
							vals = append(vals, strconv.QuoteToASCII(b.Cols[c].Text(b.N-1)))
						default:
							vals = append(vals, b.Cols[c].Text(b.N-1))
						}
					}
					fmt.Fprintf(&out, "%s\n", strings.Join(vals, " | "))
				}
				return out.String()
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}

// hexBytes is s with each \xHH made the byte HH.
func hexBytes(s string) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if i+3 < len(s) && s[i] == '\\' && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				out = append(out, byte(n))
				i += 3
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}
