package snapshot

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/internal/golden"
)

type record struct {
	ns   uint64
	k, v string
}

func encode(t *testing.T, id uint64, recs []record) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := Write(&buf, id, func(yield func(ns uint64, k, v []byte) error) error {
		for _, r := range recs {
			if err := yield(r.ns, []byte(r.k), []byte(r.v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(data []byte) (uint64, []record, error) {
	var recs []record
	id, err := Read(bytes.NewReader(data), func(ns uint64, k, v []byte) error {
		recs = append(recs, record{ns, string(k), string(v)})
		return nil
	})
	return id, recs, err
}

// sample is a small snapshot touching the edge cases of the format: empty
// key and value, several namespaces, a value longer than one varint byte.
var sample = []record{{1, "", "empty key"}, {1, "a", ""}, {1, "b", strings.Repeat("v", 200)}, {300, "a", "x"}}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, recs := range [][]record{nil, sample, randomRecords(r, 1000)} {
		id, got, err := decode(encode(t, 42, recs))
		if err != nil || id != 42 || fmt.Sprint(got) != fmt.Sprint(recs) {
			t.Fatalf("round trip of %d records: id %d err %v, got %d records", len(recs), id, err, len(got))
		}
	}
}

func randomRecords(r *rand.Rand, n int) []record {
	seen := map[record]bool{}
	for len(seen) < n {
		k := make([]byte, r.IntN(20))
		for i := range k {
			k[i] = byte(r.IntN(256))
		}
		seen[record{ns: r.Uint64N(5), k: string(k)}] = true
	}
	var recs []record
	for rec := range seen {
		rec.v = strings.Repeat("x", r.IntN(100))
		recs = append(recs, rec)
	}
	sortRecords(recs)
	return recs
}

func sortRecords(recs []record) {
	slices.SortFunc(recs, func(a, b record) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), strings.Compare(a.k, b.k))
	})
}

// TestDamageDetected truncates the sample at every length and flips every
// bit of it: each must be reported as corruption, never decoded.
func TestDamageDetected(t *testing.T) {
	data := encode(t, 7, sample)
	for n := range len(data) {
		if _, _, err := decode(data[:n]); !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("truncated to %d of %d bytes: err %v", n, len(data), err)
		}
	}
	for i := range len(data) {
		for bit := range 8 {
			bad := bytes.Clone(data)
			bad[i] ^= 1 << bit
			if _, _, err := decode(bad); !errors.Is(err, state.ErrCorrupt) {
				t.Fatalf("bit %d of byte %d flipped: err %v", bit, i, err)
			}
		}
	}
	if _, _, err := decode(append(bytes.Clone(data), 0)); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("trailing byte: err %v", err)
	}
}

func TestWriteRejectsDisorder(t *testing.T) {
	for _, recs := range [][]record{
		{{1, "b", ""}, {1, "a", ""}},
		{{1, "a", ""}, {1, "a", ""}},
		{{2, "a", ""}, {1, "b", ""}},
	} {
		err := Write(&bytes.Buffer{}, 1, func(yield func(ns uint64, k, v []byte) error) error {
			for _, r := range recs {
				if err := yield(r.ns, []byte(r.k), []byte(r.v)); err != nil {
					return err
				}
			}
			return nil
		})
		if !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("%v: err %v, want ErrOutOfOrder", recs, err)
		}
	}
}

func TestErrorsPassThrough(t *testing.T) {
	data := encode(t, 1, sample)
	stop := errors.New("stop")
	if _, err := Read(bytes.NewReader(data), func(uint64, []byte, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error: got %v", err)
	}
	if _, err := Read(iotest.ErrReader(stop), func(uint64, []byte, []byte) error { return nil }); !errors.Is(err, stop) || errors.Is(err, state.ErrCorrupt) {
		t.Errorf("reader error: got %v", err)
	}
	if err := Write(iotest.TruncateWriter(&bytes.Buffer{}, 0), 1, func(func(uint64, []byte, []byte) error) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("iterate error: got %v", err)
	}
}

// TestFormat pins the byte layout, which other backends and older binaries
// read. Regenerate with `go test ./state/snapshot -run TestFormat -rewrite`.
//
//	write <id>   each input line is `ns "key" "value"`; prints the snapshot in hex
//	read         input is hex; prints the id and records, or the error
func TestFormat(t *testing.T) {
	golden.Run(t, "testdata/format", func(t *testing.T, c *golden.Case) string {
		cmd, arg, _ := strings.Cut(c.Cmd, " ")
		switch cmd {
		case "write":
			id, err := strconv.ParseUint(arg, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", c.Pos, err)
			}
			var recs []record
			for _, l := range strings.Split(strings.TrimSpace(c.Input), "\n") {
				if l == "" {
					continue
				}
				var r record
				if _, err := fmt.Sscanf(l, "%d %q %q", &r.ns, &r.k, &r.v); err != nil {
					t.Fatalf("%s: %q: %v", c.Pos, l, err)
				}
				recs = append(recs, r)
			}
			return hexLines(encode(t, id, recs))
		case "read":
			data, err := hex.DecodeString(strings.Join(strings.Fields(c.Input), ""))
			if err != nil {
				t.Fatalf("%s: %v", c.Pos, err)
			}
			id, recs, err := decode(data)
			if err != nil {
				return "error: " + err.Error()
			}
			out := fmt.Sprintf("id %d\n", id)
			for _, r := range recs {
				out += fmt.Sprintf("%d %q %q\n", r.ns, r.k, r.v)
			}
			return out
		}
		t.Fatalf("%s: unknown command %q", c.Pos, c.Cmd)
		return ""
	})
}

func hexLines(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		n := min(len(b), 16)
		fmt.Fprintf(&s, "% x\n", b[:n])
		b = b[n:]
	}
	return s.String()
}
