package format

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// FuzzJSON holds the JSON decoder to encoding/json's verdict: a record
// whose fields no column reads decodes if and only if json.Valid says it
// is JSON and it is an object. A record read into a VARCHAR column decodes
// only if it is valid JSON and UTF-8, and gives a string that is UTF-8
// without NUL, as PostgreSQL's text must be.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a": 1}`, `{"a": "x\"y\\z\u00e9\ud83d\ude00"}`, `{"a": [1, {"b": null}], "c": -0.5e+3}`,
		`{"a": 01}`, `{"a": [1 2]}`, `{"a": {"b" 1}}`, `{"a": "\x"}`, "{\"a\": \"\x01\"}", `{"a": "\ud83d"}`,
		`{"a": "\u0000"}`, "{\"a\": \"\xff\"}", `{"a": tru}`, `[1]`, ` {"a": 1} `, `{"a": 1,}`, `{"a": [}`,
	} {
		f.Add([]byte(s))
	}
	skipAll := newFuzzDecoder(f, catalog.Column{Name: "o", Type: types.BigInt, Metadata: "offset"}, "replace")
	readA := newFuzzDecoder(f, catalog.Column{Name: "a", Type: types.Varchar}, "error")
	f.Fuzz(func(t *testing.T, v []byte) {
		b := vec.NewBatch([]types.T{types.BigInt}, 1)
		err := skipAll.Decode(v, &Meta{}, b)
		object := bytes.HasPrefix(bytes.TrimLeft(v, " \t\r\n"), []byte("{"))
		if want := json.Valid(v) && object; (err == nil) != want {
			t.Fatalf("%q: decoder says %v, json.Valid and an object: %v", v, err, want)
		}
		b = vec.NewBatch([]types.T{types.Varchar}, 1)
		if err := readA.Decode(v, &Meta{}, b); err != nil {
			return
		}
		if !json.Valid(v) || !utf8.Valid(v) {
			t.Fatalf("%q: decoded though it is not valid JSON in UTF-8", v)
		}
		if !b.Cols[0].IsNull(0) {
			if s := b.Cols[0].Str[0]; !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("%q: column a is %q, not text", v, s)
			}
		}
	})
}

func newFuzzDecoder(f *testing.F, c catalog.Column, invalidUTF8 string) Decoder {
	d, err := NewDecoder("json", []catalog.Column{c}, map[string]string{"invalid_utf8": invalidUTF8})
	if err != nil {
		f.Fatal(err)
	}
	return d
}

// TestJSONBigIntFastPath holds the one-pass BIGINT reader to the general
// one: a field decodes into a BIGINT iff it is a JSON number that
// strconv.ParseInt reads, to the same value, whatever its digits.
func TestJSONBigIntFastPath(t *testing.T) {
	d, err := NewDecoder("json", []catalog.Column{{Name: "a", Type: types.BigInt}}, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"0", "-0", "00", "-", "--1", "01", "-01", "1.0", "1e3", "1E3", "1.", "12x", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "999999999999999999", "1000000000000000000",
		"-999999999999999999", "123456789012345678901234567890"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20_000 {
		x := rng.Int64() >> rng.IntN(64)
		if rng.IntN(2) == 0 {
			x = -x
		}
		s := strconv.FormatInt(x, 10)
		switch rng.IntN(8) {
		case 0:
			s += ".5"
		case 1:
			s += "e2"
		case 2:
			s = "0" + s
		}
		texts = append(texts, s)
	}
	for _, s := range texts {
		b := vec.NewBatch([]types.T{types.BigInt}, 1)
		rec := `{"a": ` + s + `}`
		err := d.Decode([]byte(rec), &Meta{}, b)
		want, perr := strconv.ParseInt(s, 10, 64)
		ok := perr == nil && json.Valid([]byte(rec))
		if (err == nil) != ok || ok && b.Cols[0].I64[0] != want {
			t.Fatalf("%s: decoded %v (err %v), want ok=%v %d", rec, b.Cols[0].I64, err, ok, want)
		}
	}
}
