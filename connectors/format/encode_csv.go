package format

import (
	"bytes"

	"github.com/streamsql/streamsql/exec/vec"
)

// AppendCSV appends row i of b as one CSV record (no newline) in the form
// the csv decoder reads back: NULL is an empty unquoted field, and a value
// that is empty or holds a comma, quote or line break is quoted with its
// quotes doubled (RFC 4180).
func AppendCSV(dst []byte, b *vec.Batch, i int) []byte {
	var tmp []byte
	for c := range b.Cols {
		if c > 0 {
			dst = append(dst, ',')
		}
		v := &b.Cols[c]
		if v.IsNull(i) {
			continue
		}
		tmp = v.AppendText(tmp[:0], i)
		if len(tmp) > 0 && !bytes.ContainsAny(tmp, ",\"\r\n") {
			dst = append(dst, tmp...)
			continue
		}
		dst = append(dst, '"')
		for _, ch := range tmp {
			if ch == '"' {
				dst = append(dst, '"')
			}
			dst = append(dst, ch)
		}
		dst = append(dst, '"')
	}
	return dst
}
