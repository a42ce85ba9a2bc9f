package wire

import (
	"encoding/binary"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// arrayOIDs maps an element type's OID to its array type's (pg_type's
// typarray), for every element type a client may send or the engine
// returns.
var arrayOIDs = map[uint32]uint32{
	oidBool: 1000, oidName: 1003, oidInt2: 1005, oidInt4: 1007, oidText: 1009, oidVarchar: 1015,
	oidInt8: 1016, oidFloat4: 1021, oidFloat8: 1022, 26: 1028, oidTimestamp: 1115, oidDate: 1182,
	oidTimestamptz: 1185, oidInterval: 1187, oidNumeric: 1231, oidChar: 1002,
}

// arrayElemOIDs is arrayOIDs reversed.
var arrayElemOIDs = map[uint32]uint32{}

func init() {
	for elem, arr := range arrayOIDs {
		arrayElemOIDs[arr] = elem
		if t, ok := paramTypes[elem]; ok {
			paramTypes[arr] = types.ArrayOf(t)
		}
	}
	paramTypes[1003] = types.ArrayOf(types.Varchar) // name[]
	paramTypes[1028] = types.ArrayOf(types.BigInt)  // oid[]
}

// arrayTypeInfo is typeInfo of an array type.
func arrayTypeInfo(t types.T) (uint32, int16, int32) {
	elem, _, _ := typeInfo(t.ElemType())
	if oid, ok := arrayOIDs[elem]; ok {
		return oid, -1, -1
	}
	return 1009, -1, -1
}

// appendArrayBinary appends row i of array vector v as array_send writes
// it: int32 dimensions (0 for an empty array), int32 has-NULLs flag,
// element OID, then per dimension its length and lower bound (1), then
// each element as int32 length (-1 for NULL) and its binary form.
func appendArrayBinary(buf []byte, v *vec.Vec, i int) []byte {
	ev := vec.New(v.Type.ElemType(), 0)
	_ = vec.DecodeArray(v.Str[i], &ev)
	elem, _, _ := typeInfo(ev.Type)
	n := ev.Len()
	hasNull := uint32(0)
	for k := 0; k < n; k++ {
		if ev.IsNull(k) {
			hasNull = 1
		}
	}
	if n == 0 {
		buf = binary.BigEndian.AppendUint32(buf, 0)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		return binary.BigEndian.AppendUint32(buf, elem)
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elem)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	buf = binary.BigEndian.AppendUint32(buf, 1)
	for k := 0; k < n; k++ {
		if ev.IsNull(k) {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		buf = appendBinary(buf, &ev, k)
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf
}

// appendArrayText appends row i of array vector v in text format, its
// TIMESTAMPTZ elements in zone loc.
func appendArrayText(buf []byte, v *vec.Vec, i int, loc *time.Location) []byte {
	return vec.AppendArrayText(buf, v.Str[i], v.Type.ElemType(), loc)
}

// arrayParamText decodes a binary array parameter (array_recv's input)
// into array text, each element decoded by its type's binary reader.
func arrayParamText(oid uint32, b []byte) (string, error) {
	elemOID := arrayElemOIDs[oid]
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		x := binary.BigEndian.Uint32(b)
		b = b[4:]
		return x, true
	}
	bad := func(what string) error { return binaryErr(oid, "%s", what) }
	ndim, ok1 := u32()
	_, ok2 := u32() // the has-NULLs flag: elements say it themselves
	sent, ok3 := u32()
	if !ok1 || !ok2 || !ok3 {
		return "", bad("truncated array header")
	}
	if ndim == 0 {
		return "{}", nil
	}
	if ndim > 1 {
		return "", sqlerr.New(sqlerr.FeatureNotSupported, "arrays of more than one dimension are not supported")
	}
	if sent != elemOID {
		return "", binaryErr(oid, "wrong element type %d", sent)
	}
	n, ok1 := u32()
	if _, ok2 := u32(); !ok1 || !ok2 {
		return "", bad("truncated array dimensions")
	}
	out := []byte{'{'}
	for k := uint32(0); k < n; k++ {
		if k > 0 {
			out = append(out, ',')
		}
		l, ok := u32()
		if !ok {
			return "", bad("truncated array element")
		}
		if l == 0xFFFFFFFF {
			out = append(out, "NULL"...)
			continue
		}
		if uint32(len(b)) < l {
			return "", bad("truncated array element")
		}
		text, err := binaryParamText(elemOID, b[:l])
		if err != nil {
			return "", err
		}
		b = b[l:]
		out = vec.AppendArrayElemText(out, []byte(text))
	}
	if len(b) != 0 {
		return "", bad("trailing bytes after the array")
	}
	return string(append(out, '}')), nil
}
