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
	"github.com/streamsql/streamsql/planner/types"
)

// TestDecode runs testdata/decode. Commands:
//
//	source [read=(c,...)]  a CREATE SOURCE statement: its columns and WITH
//	                       options (format = ...) make the decoder; with
//	                       read, only the columns named are read (SetRead)
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
				if d.HasArg("read") {
					read := make([]bool, len(cols))
					for _, a := range d.CmdArgs {
						for _, name := range a.Vals {
							if a.Key == "read" && name != "" {
								i := rel.ColumnIndex(name)
								if i < 0 {
									d.Fatalf(t, "read: no column %s", name)
								}
								read[i] = true
							}
						}
					}
					dec.SetRead(read)
				}
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

// TestSetReadAllocs checks that a column no one reads costs no string:
// the Nexmark bid's channel, url and extra, read by no view of a Kafka
// source's usual queries, made three allocations a record.
func TestSetReadAllocs(t *testing.T) {
	ts3 := types.T{Kind: types.Timestamp, Prec: 3}
	cols := []catalog.Column{
		{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.BigInt}, {Name: "channel", Type: types.Varchar},
		{Name: "url", Type: types.Varchar}, {Name: "date_time", Type: ts3},
		{Name: "extra", Type: types.Varchar},
	}
	rec := []byte(`{"auction": 1007, "bidder": 2001, "price": 512, "channel": "Google", "url": "https://www.nexmark.com/abc/item.htm?query=1", "date_time": "2024-01-01 00:00:01.250", "extra": "xyz"}`)
	dec, err := NewDecoder("json", cols, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	b := vec.NewBatch(catalog.Types(cols), 2048)
	var m Meta
	allocs := func() float64 {
		return testing.AllocsPerRun(1000, func() {
			if b.N == 2048 {
				b.Reset()
			}
			if err := dec.Decode(rec, &m, b); err != nil {
				t.Fatal(err)
			}
		})
	}
	all := allocs()
	dec.SetRead([]bool{true, false, true, false, false, true, false})
	b.Reset()
	some := allocs()
	if some != 0 || all < 3 {
		t.Errorf("allocations per record: %v reading every column (want at least 3, one per string), %v reading auction, price and date_time (want 0)", all, some)
	}
	got := make([]string, len(cols))
	for c := range cols {
		got[c] = "NULL"
		if !b.Cols[c].IsNull(b.N - 1) {
			got[c] = b.Cols[c].Text(b.N - 1)
		}
	}
	if want := "1007 NULL 512 NULL NULL 2024-01-01 00:00:01.25 NULL"; strings.Join(got, " ") != want {
		t.Errorf("row = %q, want %q", strings.Join(got, " "), want)
	}
}
