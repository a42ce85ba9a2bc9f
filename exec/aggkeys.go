package exec

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/state/keys"
)

// NUMERIC group keys. PostgreSQL's numeric equality ignores the display
// scale, so 1.0, 1.00 and 1 are one group (and one DISTINCT row), shown
// as the group's first value: its hash aggregate keeps the first row's.
// An aggregate with a NUMERIC key (see byValueKeys) keys its groups by
// value (encodeMatch, the key form without the scale), and keeps the
// display scales of the value that made the group, its representative,
// with the group (group.rep, after the accumulators in state): an ad-hoc
// query shows the first row's, as PostgreSQL does, and a view the first
// since the group last appeared, which stays until it is gone again (so
// a retraction always takes back the row that was shown).
//
// SESSION windows, and a HOP kept as panes, keep NUMERIC keys apart by
// scale as before (they have state of their own; panes are not used with
// such keys, see usePanes).

// byValueKeys reports whether p's groups are keyed by value as above.
func byValueKeys(p *planner.Aggregate) bool {
	if p.Window != nil && p.Window.Kind == planner.Session {
		return false
	}
	return slices.ContainsFunc(p.Keys, func(k planner.Expr) bool { return k.Type().Kind == types.Numeric })
}

// appendGroupKey appends row r's group key: its key columns as
// encodeGroup writes them, a NUMERIC by value when the groups are keyed by
// value.
func (a *Aggregate) appendGroupKey(k []byte, r int) []byte {
	for _, v := range a.keyVecs {
		if a.byValue && v.Type.Kind == types.Numeric {
			k = encodeMatch(k, v, r)
		} else {
			k = encodeGroup(k, v, r)
		}
	}
	return k
}

// repOf is the representative of row r's group, for a group it makes:
// the display scale of each of its NUMERIC keys, as uvarints.
func (a *Aggregate) repOf(r int) string {
	var b []byte
	for _, v := range a.keyVecs {
		if v.Type.Kind != types.Numeric {
			continue
		}
		s := uint64(0)
		if !v.IsNull(r) {
			s = uint64(numericScaleAt(v, r))
		}
		b = binary.AppendUvarint(b, s)
	}
	return string(b)
}

// numericScaleAt is the display scale of row i of NUMERIC column v.
func numericScaleAt(v *vec.Vec, i int) int {
	if _, s, ok := v.NumericCompact(i); ok {
		return s
	}
	s := v.Str[i]
	for j := range len(s) {
		if s[j] == '.' {
			return len(s) - j - 1
		}
	}
	return 0
}

// decodeKey decodes a group key (its key columns, after any window end)
// into the scratch batch's row 0, a NUMERIC keyed by value at the display
// scale rep gives it (its digits' own without rep), and returns the bytes
// after it.
func (a *Aggregate) decodeKey(b []byte, rep string) ([]byte, error) {
	a.scratch.Reset()
	if !a.byValue {
		return decodeRow(b, a.scratch.Cols)
	}
	r := []byte(rep)
	for c := range a.scratch.Cols {
		out := &a.scratch.Cols[c]
		if out.Type.Kind != types.Numeric {
			var err error
			if b, err = decodeValue(b, out); err != nil {
				return nil, err
			}
			continue
		}
		scale := 0
		if len(r) > 0 {
			s, k := binary.Uvarint(r)
			if k <= 0 {
				return nil, errCorruptAcc
			}
			scale, r = int(s), r[k:]
		}
		null, rest, err := keys.DecodeNull(b)
		if err != nil {
			return nil, err
		}
		if null {
			out.AppendNull()
			b = rest
			continue
		}
		if b, err = vec.DecodeNumericMatchKeyTo(rest, out, scale); err != nil {
			return nil, fmt.Errorf("exec: decoding %s key part: %w", out.Type, err)
		}
	}
	return b, nil
}

// appendRep appends a group's representative to its encoded accumulators.
func (a *Aggregate) appendRep(b []byte, rep string) []byte {
	if !a.byValue {
		return b
	}
	return append(binary.AppendUvarint(b, uint64(len(rep))), rep...)
}

// decodeGroupAcc decodes a group's state value: its row count and
// accumulators, then, for groups keyed by value, its representative.
func (a *Aggregate) decodeGroupAcc(b []byte, acc []aggVal) (rows int64, rep string, err error) {
	rows, rest, err := decodeAccRest(b, acc)
	if err != nil || !a.byValue {
		return rows, "", err
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || uint64(len(rest)-k) < n {
		return 0, "", errCorruptAcc
	}
	return rows, string(rest[k : k+int(n)]), nil
}
