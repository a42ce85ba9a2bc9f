package keys

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/state/internal/golden"
)

// TestGolden pins the encodings byte for byte: they are stored in checkpoints,
// so any change must show up as a diff of testdata/encode. Regenerate with
// `go test ./state/keys -run TestGolden -rewrite`.
//
// Commands:
//
//	encode   each input line is a tuple "type value | type value ..."; prints its hex
//	sort     prints the input tuples in the order of their encodings
//	decode T each input line is hex; decodes columns of types T (comma-separated)
func TestGolden(t *testing.T) {
	golden.Run(t, "testdata/encode", func(t *testing.T, c *golden.Case) string {
		var out strings.Builder
		lines := strings.Split(strings.TrimSuffix(c.Input, "\n"), "\n")
		cmd, arg, _ := strings.Cut(c.Cmd, " ")
		switch cmd {
		case "encode":
			for _, l := range lines {
				k, err := encodeTuple(l)
				if err != nil {
					t.Fatalf("%s: %v", c.Pos, err)
				}
				fmt.Fprintf(&out, "%s -> %x\n", l, k)
			}
		case "sort":
			type row struct {
				text string
				key  []byte
			}
			var rows []row
			for _, l := range lines {
				k, err := encodeTuple(l)
				if err != nil {
					t.Fatalf("%s: %v", c.Pos, err)
				}
				rows = append(rows, row{l, k})
			}
			sort.SliceStable(rows, func(i, j int) bool { return bytes.Compare(rows[i].key, rows[j].key) < 0 })
			for _, r := range rows {
				fmt.Fprintln(&out, r.text)
			}
		case "decode":
			for _, l := range lines {
				b, err := hex.DecodeString(l)
				if err != nil {
					t.Fatalf("%s: %v", c.Pos, err)
				}
				fmt.Fprintf(&out, "%s -> %s\n", l, decodeTuple(strings.Split(arg, ","), b))
			}
		default:
			t.Fatalf("%s: unknown command %q", c.Pos, c.Cmd)
		}
		return out.String()
	})
}

// encodeTuple encodes one "type value | type value" line.
func encodeTuple(line string) ([]byte, error) {
	var b []byte
	for _, col := range strings.Split(line, " | ") {
		typ, val, _ := strings.Cut(strings.TrimSpace(col), " ")
		var err error
		switch typ {
		case "null":
			b = AppendNull(b)
		case "notnull":
			b = AppendNotNull(b)
		case "uint64":
			var v uint64
			v, err = strconv.ParseUint(val, 10, 64)
			b = AppendUint64(b, v)
		case "int64":
			var v int64
			v, err = strconv.ParseInt(val, 10, 64)
			b = AppendInt64(b, v)
		case "float64":
			var v float64
			v, err = strconv.ParseFloat(val, 64)
			if val == "-NaN" { // a NaN with the sign bit set
				v, err = math.Float64frombits(0xFFF8000000000001), nil
			}
			b = AppendFloat64(b, v)
		case "string":
			var v string
			v, err = strconv.Unquote(val)
			b = AppendString(b, v)
		case "bytes":
			var v string
			v, err = strconv.Unquote(val)
			b = AppendBytes(b, []byte(v))
		case "bool":
			var v bool
			v, err = strconv.ParseBool(val)
			b = AppendBool(b, v)
		default:
			err = fmt.Errorf("unknown type %q", typ)
		}
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", col, err)
		}
	}
	return b, nil
}

// decodeTuple decodes columns of the given types and prints them, or the
// first error, and any bytes left over.
func decodeTuple(types []string, b []byte) string {
	var cols []string
	for _, typ := range types {
		var s string
		var err error
		switch typ {
		case "null":
			var null bool
			null, b, err = DecodeNull(b)
			s = "notnull"
			if null {
				s = "null"
			}
		case "uint64":
			var v uint64
			v, b, err = DecodeUint64(b)
			s = strconv.FormatUint(v, 10)
		case "int64":
			var v int64
			v, b, err = DecodeInt64(b)
			s = strconv.FormatInt(v, 10)
		case "float64":
			var v float64
			v, b, err = DecodeFloat64(b)
			s = strconv.FormatFloat(v, 'g', -1, 64)
		case "string":
			var v string
			v, b, err = DecodeString(b)
			s = strconv.Quote(v)
		case "bytes":
			var v []byte
			v, b, err = DecodeBytes(b)
			s = strconv.Quote(string(v))
		case "bool":
			var v bool
			v, b, err = DecodeBool(b)
			s = strconv.FormatBool(v)
		default:
			return "unknown type " + typ
		}
		if err != nil {
			return "error: " + err.Error()
		}
		if typ != "null" {
			s = typ + " " + s
		}
		cols = append(cols, s)
	}
	out := strings.Join(cols, " | ")
	if len(b) > 0 {
		out += fmt.Sprintf(" rest=%x", b)
	}
	return out
}
