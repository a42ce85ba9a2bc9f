package format

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// csvDecoder reads one line of delimited fields per record, by position:
// the n-th field fills the n-th value column. Fields may be quoted as in
// RFC 4180 ("a ""b"""); an empty unquoted field is NULL, and a quoted empty
// one an empty string. A record with more or fewer fields than columns is
// bad.
type csvDecoder struct {
	rowShape
	delim byte
	field []byte // scratch for a quoted field
}

func newCSV(r rowShape, opts map[string]string) (*csvDecoder, error) {
	d := &csvDecoder{rowShape: r, delim: ','}
	if v, ok := takeOption(opts, "csv.delimiter"); ok {
		if v == `\t` {
			v = "\t"
		}
		if len(v) != 1 || v[0] >= utf8.RuneSelf || v[0] == '"' || v[0] == '\n' {
			return nil, sqlerr.New(sqlerr.InvalidParameter, "csv.delimiter = %q: want one ASCII character other than a quote or newline", v)
		}
		d.delim = v[0]
	}
	return d, nil
}

func (d *csvDecoder) Decode(v []byte, m *Meta, b *vec.Batch) error {
	d.reset()
	if v == nil {
		return errors.New("the record has no value (a tombstone)")
	}
	v, err := d.utf8Text("value", v)
	if err != nil {
		return err
	}
	for len(v) > 0 && (v[len(v)-1] == '\n' || v[len(v)-1] == '\r') {
		v = v[:len(v)-1]
	}
	d.whole = v
	i, n := 0, 0
	for {
		var text []byte
		quoted := false
		if i < len(v) && v[i] == '"' {
			quoted = true
			d.field = d.field[:0]
			i++
			for {
				j := i
				for j < len(v) && v[j] != '"' {
					j++
				}
				if j >= len(v) {
					return errors.New("invalid CSV: unterminated quoted field")
				}
				d.field = append(d.field, v[i:j]...)
				if j+1 < len(v) && v[j+1] == '"' {
					d.field = append(d.field, '"')
					i = j + 2
					continue
				}
				i = j + 1
				break
			}
			text = d.field
			if i < len(v) && v[i] != d.delim {
				return fmt.Errorf("invalid CSV: %q after a quoted field", v[i])
			}
		} else {
			j := i
			for j < len(v) && v[j] != d.delim {
				j++
			}
			text, i = v[i:j], j
		}
		if n >= len(d.value) {
			return fmt.Errorf("the record has more than the %d fields of the columns", len(d.value))
		}
		if err := d.field1(n, text, quoted); err != nil {
			return err
		}
		n++
		if i >= len(v) {
			break
		}
		i++ // the delimiter
	}
	if n != len(d.value) {
		return fmt.Errorf("the record has %d fields, the columns %d", n, len(d.value))
	}
	return d.finish(m, b)
}

// field1 sets the slot of the n-th value column from a field's text.
func (d *csvDecoder) field1(n int, text []byte, quoted bool) error {
	col := d.value[n]
	s, c := &d.slots[col], &d.cols[col]
	if !quoted && len(trim(text)) == 0 {
		*s = slot{set: true, null: true}
		return nil
	}
	if d.skipped(col) {
		d.skip(col, false)
		return nil
	}
	if c.Type.Kind != types.String {
		text = trim(text)
	}
	return parseText(s, c, text, func() string { return string(text) })
}
