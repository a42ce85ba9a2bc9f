package exec

import (
	"encoding/binary"

	"github.com/axiomhq/hyperloglog"
	"github.com/cespare/xxhash/v2"
	"github.com/streamsql/streamsql/exec/vec"
)

// approx_count_distinct keeps a HyperLogLog sketch (axiomhq/hyperloglog:
// HyperLogLog++'s sparse form for few values, LogLog-Beta's estimate,
// 2^14 registers, about 0.8% standard error; merging is exact, so panes,
// sessions and batches merge into the sketch one whole stream would
// have). The accumulator's s holds the sketch as the library marshals
// it, after its length, then the hashes of the values folded in since,
// 8 bytes each: a row appends its hash rather than decoding and encoding
// the sketch, which is done once per group per batch, when they merge.
// Its input is append-only (the planner refuses a retracting one: a
// sketch cannot forget a value).

// hllPending is how many hashes an accumulator holds before they go
// into its sketch.
const hllPending = 256

// foldHLL adds the value x[r] to a sketch accumulator.
func foldHLL(v *aggVal, x *vec.Vec, r int) {
	if v.s == "" {
		v.s = "\x00" // no sketch yet
	}
	h := xxhash.Sum64(encodeValue(nil, x, r))
	v.s = string(binary.LittleEndian.AppendUint64([]byte(v.s), h))
	if _, pending, err := splitHLL(v.s); err == nil && len(pending) >= 8*hllPending {
		v.s = mergeHLL(v.s, "")
	}
}

// splitHLL splits an accumulator's s into its sketch and pending hashes.
func splitHLL(s string) (sketch, pending string, err error) {
	n, k := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if k <= 0 || uint64(len(s)-k) < n || (uint64(len(s)-k)-n)%8 != 0 {
		return "", "", errCorruptAcc
	}
	return s[k : k+int(n)], s[k+int(n):], nil
}

// sketchHLL decodes the sketch of s with its pending hashes inserted.
func sketchHLL(s string) (*hyperloglog.Sketch, error) {
	sk := hyperloglog.New14()
	if s == "" {
		return sk, nil
	}
	enc, pending, err := splitHLL(s)
	if err != nil {
		return nil, err
	}
	if enc != "" {
		if err := sk.UnmarshalBinary([]byte(enc)); err != nil {
			return nil, errCorruptAcc
		}
	}
	for i := 0; i < len(pending); i += 8 {
		sk.InsertHash(binary.LittleEndian.Uint64([]byte(pending[i : i+8])))
	}
	return sk, nil
}

// mergeHLL merges the sketch accumulators a and b: their pending hashes
// concatenated while few, else one sketch.
func mergeHLL(a, b string) string {
	switch {
	case b == "":
		if a == "" {
			return ""
		}
	case a == "":
		return b
	}
	if a != "" && b != "" && a[0] == 0 && b[0] == 0 && len(a)+len(b)-2 < 8*hllPending {
		return a + b[1:] // both only pending hashes
	}
	x, err := sketchHLL(a)
	if err != nil {
		panic(err) // only a corrupt state has a bad sketch
	}
	if b != "" {
		y, err := sketchHLL(b)
		if err != nil {
			panic(err)
		}
		if err := x.Merge(y); err != nil {
			panic(err) // both are New14's
		}
	}
	enc, err := x.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return string(append(binary.AppendUvarint(nil, uint64(len(enc))), enc...))
}

// hllResult is an accumulator's estimate of its distinct values.
func hllResult(v *aggVal) int64 {
	sk, err := sketchHLL(v.s)
	if err != nil {
		panic(err)
	}
	return int64(sk.Estimate())
}
