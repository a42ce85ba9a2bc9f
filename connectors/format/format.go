// Package format turns the records of a message queue into rows and rows
// into records: the json, csv and raw formats of Kafka sources and sinks.
//
// Decoders are schema-driven: they parse a record straight into the typed
// columns of a batch, with no intermediate map or interface values, and
// allocate only for the strings they keep.
package format

import (
	"github.com/cockroachdb/apd/v3"

	"bytes"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/jsonb"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Meta is what a record carries besides its value, for the columns
// declared METADATA FROM 'timestamp' | 'key' | 'partition' | 'offset' |
// 'topic'.
type Meta struct {
	Topic     string
	Partition int
	Offset    int64
	// Timestamp is µs since the epoch; one outside TIMESTAMP's range (see
	// MetaMillis) makes a 'timestamp' column's row bad.
	Timestamp int64
	Key       []byte
}

// MetaMillis is Meta.Timestamp for a record time in epoch milliseconds:
// math.MinInt64, out of range, when the µs would not be a TIMESTAMP.
func MetaMillis(ms int64) int64 {
	if us, ok := vec.EpochMillis(ms); ok {
		return us
	}
	return math.MinInt64
}

// Decoder appends the row of one record to a batch. A Decoder is not safe
// for concurrent use; each partition reader has its own.
type Decoder interface {
	// Decode appends the row of a record with value v to b, or returns
	// why it cannot and leaves b as it was. v is only read during the call.
	Decode(v []byte, m *Meta, b *vec.Batch) error
	// SetRead says which columns anyone reads (read[i] for column i; nil:
	// all). The value of an unread column is still scanned, so that a
	// record that is not well formed stays bad, but it is not converted:
	// no string is built and no number parsed, a value of the wrong type
	// in it does not make the record bad, and the column is NULL. NOT NULL
	// still holds: an unread NOT NULL column the record lacks (or holds
	// null in) makes it bad. Metadata columns are always filled.
	SetRead(read []bool)
}

// metaKinds are the metadata a column can be filled from, with the type
// kinds it may have.
var metaKinds = map[string][]types.Kind{
	"timestamp": {types.Timestamp, types.TimestampTZ},
	"key":       {types.String},
	"partition": {types.Int32, types.Int64},
	"offset":    {types.Int64},
	"topic":     {types.String},
	// value is the whole record value: a JSONB or JSON column holds the
	// payload as one document (its shape may vary), a VARCHAR its text.
	"value": {types.JSONB, types.JSON, types.String},
}

// NewDecoder returns the decoder of format for cols. opts are the source's
// options; the ones it uses are removed, so that the caller can reject
// the rest as unknown.
func NewDecoder(format string, cols []catalog.Column, opts map[string]string) (Decoder, error) {
	r := rowShape{cols: cols, slots: make([]slot, len(cols))}
	switch v, _ := takeOption(opts, "invalid_utf8"); v {
	case "", "error":
	case "replace":
		r.replace = true
	default:
		return nil, sqlerr.New(sqlerr.InvalidParameter, "invalid_utf8 = %q: want 'error' (a record that is not UTF-8 is bad) or 'replace' (each invalid sequence becomes U+FFFD)", v)
	}
	for i, c := range cols {
		r.checked = r.checked || c.NotNull || c.Metadata != ""
		if c.Metadata == "" {
			r.value = append(r.value, i)
			continue
		}
		kinds, ok := metaKinds[c.Metadata]
		if !ok {
			return nil, sqlerr.New(sqlerr.InvalidParameter, "column %s: unknown metadata %q (want 'timestamp', 'key', 'partition', 'offset', 'topic' or 'value')", c.Name, c.Metadata)
		}
		fits := false
		for _, k := range kinds {
			fits = fits || c.Type.Kind == k
		}
		if !fits {
			return nil, sqlerr.New(sqlerr.DatatypeMismatch, "column %s: METADATA FROM '%s' cannot be %s", c.Name, c.Metadata, c.Type)
		}
	}
	switch format {
	case "json":
		return newJSON(r, opts)
	case "csv":
		return newCSV(r, opts)
	case "raw":
		if len(r.value) != 1 || cols[r.value[0]].Type.Kind != types.String {
			return nil, sqlerr.New(sqlerr.InvalidParameter, "format 'raw' needs exactly one VARCHAR column besides METADATA columns, for the record's value")
		}
		return &rawDecoder{r}, nil
	case "":
		return nil, sqlerr.New(sqlerr.InvalidParameter, "a Kafka source needs a format option: 'json', 'csv' or 'raw'")
	}
	return nil, sqlerr.New(sqlerr.InvalidParameter, "unknown format %q (want 'json', 'csv' or 'raw')", format)
}

// takeOption removes and returns opts[k].
func takeOption(opts map[string]string, k string) (string, bool) {
	v, ok := opts[k]
	delete(opts, k)
	return v, ok
}

// slot holds one column's value while a record is parsed, so that a bad
// record leaves the batch untouched.
type slot struct {
	set, null bool
	i         int64
	f         float64
	b         bool
	s         string
}

// rowShape is what every decoder shares: the columns, which of them come
// from the value (in order), and the slots of the record being parsed.
type rowShape struct {
	cols  []catalog.Column
	value []int
	slots []slot
	// checked says some column is filled from metadata or is NOT NULL:
	// finish has work to do before it appends the row.
	checked bool
	// replace is invalid_utf8 = 'replace': text that is not UTF-8 is read
	// with U+FFFD for each invalid sequence instead of making the record
	// bad.
	replace bool
	// unread marks the value columns no one reads (see SetRead); nil when
	// every column is read.
	unread []bool
	// whole is the record's value, as a METADATA FROM 'value' column takes
	// it; each Decode sets it (the text after invalid_utf8's rule).
	whole []byte
}

func (r *rowShape) SetRead(read []bool) {
	r.unread = nil
	for i, c := range r.cols {
		if c.Metadata != "" && c.Metadata != "value" {
			continue
		}
		if read != nil && i < len(read) && !read[i] {
			if r.unread == nil {
				r.unread = make([]bool, len(r.cols))
			}
			r.unread[i] = true
		}
	}
}

// skipped reports whether column i is one no one reads.
func (r *rowShape) skipped(i int) bool { return r.unread != nil && r.unread[i] }

// skip sets an unread column's slot: present, and null or not, for NOT
// NULL to judge; its value is not kept.
func (r *rowShape) skip(i int, null bool) { r.slots[i] = slot{set: true, null: null} }

// utf8Text applies the invalid_utf8 rule to what of a record becomes
// text (its value, its key): v itself when it is UTF-8, else an error,
// or (replace) a copy with each run of invalid bytes made one U+FFFD.
// PostgreSQL's text is UTF-8, and clients refuse anything else.
func (r *rowShape) utf8Text(what string, v []byte) ([]byte, error) {
	if utf8.Valid(v) {
		return v, nil
	}
	if r.replace {
		return bytes.ToValidUTF8(v, []byte("\uFFFD")), nil
	}
	i := parser.InvalidUTF8(string(v)) // a copy, on the bad record's path only
	return nil, fmt.Errorf("the record's %s is not valid UTF-8 (byte %d is 0x%02x; invalid_utf8 = 'replace' reads it as U+FFFD)", what, i+1, v[i])
}

// errNUL is a string holding U+0000, which PostgreSQL's text cannot hold:
// a bad record whatever invalid_utf8 says, since no client could read it.
func errNUL(col string) error {
	return fmt.Errorf("column %s: the value holds a NUL character (U+0000), which text cannot hold", col)
}

func (r *rowShape) reset() {
	for i := range r.slots {
		r.slots[i] = slot{}
	}
}

// finish fills the metadata slots, checks NOT NULL, and appends the row.
func (r *rowShape) finish(m *Meta, b *vec.Batch) error {
	for i := range r.cols {
		if !r.checked {
			break
		}
		s, c := &r.slots[i], &r.cols[i]
		switch c.Metadata {
		case "":
		case "timestamp":
			if !vec.TimestampInRange(m.Timestamp) {
				return fmt.Errorf("column %s: the record's timestamp is %w", c.Name, errTimestampRange)
			}
			*s = slot{set: true, i: vec.TruncateMicros(m.Timestamp, c.Type.Prec)}
		case "key":
			k, err := r.utf8Text("key", m.Key)
			if err != nil {
				return err
			}
			if bytes.IndexByte(k, 0) >= 0 {
				return errNUL(c.Name)
			}
			*s = slot{set: true, null: m.Key == nil, s: string(k)}
		case "partition":
			*s = slot{set: true, i: int64(m.Partition)}
		case "offset":
			*s = slot{set: true, i: m.Offset}
		case "topic":
			*s = slot{set: true, s: m.Topic}
		case "value":
			if err := r.wholeValue(i); err != nil {
				return err
			}
		}
		if (!s.set || s.null) && c.NotNull {
			return fmt.Errorf("column %s is NOT NULL and the record has no value for it", c.Name)
		}
	}
	for i := range r.slots {
		s, v := &r.slots[i], &b.Cols[i]
		switch {
		case !s.set || s.null || r.skipped(i):
			v.AppendNull()
		case v.Type.Kind == types.Bool:
			v.AppendBool(s.b)
		case v.Type.Kind == types.Float64:
			v.AppendF64(s.f)
		case v.Type.Kind == types.Interval:
			v.AppendInterval(vec.IntervalOfTag(s.s, s.i))
		case v.Type.InStr():
			v.AppendStr(s.s)
		default:
			v.AppendI64(s.i)
		}
	}
	b.EndRow(1)
	return nil
}

// wholeValue fills column i, METADATA FROM 'value', with the record's
// value: JSONB made canonical, JSON as written once it is well-formed, text
// as it is. An unread one is only NULL or not.
func (r *rowShape) wholeValue(i int) error {
	s, c := &r.slots[i], &r.cols[i]
	if r.whole == nil || r.skipped(i) {
		*s = slot{set: true, null: r.whole == nil}
		return nil
	}
	text := string(r.whole)
	switch c.Type.Kind {
	case types.JSONB, types.JSON:
		v, err := jsonb.Parse(text)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		if c.Type.Kind == types.JSONB {
			text = v.String()
		}
	default:
		if strings.IndexByte(text, 0) >= 0 {
			return errNUL(c.Name)
		}
	}
	*s = slot{set: true, s: text}
	return nil
}

// parseText sets slot s from the text of a value for column c: a JSON
// string's contents or number, or a CSV field. str is called only for
// VARCHAR columns, to make the string the slot keeps.
func parseText(s *slot, c *catalog.Column, text []byte, str func() string) error {
	t := c.Type
	bad := func(want string) error {
		return fmt.Errorf("column %s: %q is not %s", c.Name, truncate(text), want)
	}
	switch t.Kind {
	case types.String:
		if bytes.IndexByte(text, 0) >= 0 {
			return errNUL(c.Name)
		}
		s.s = str()
		if t.Width > 0 && len(s.s) > t.Width && len([]rune(s.s)) > t.Width {
			return fmt.Errorf("column %s: value longer than %s", c.Name, t)
		}
	case types.Int32, types.Int64:
		x, ok := parseInt(text)
		if !ok || t.Kind == types.Int32 && (x < -1<<31 || x >= 1<<31) {
			return bad("an integer of type " + t.String())
		}
		s.i = x
	case types.Float64:
		f, ok := parseFloat(text)
		if !ok {
			return bad("a number")
		}
		s.f = f
	case types.Numeric:
		// Exact: a JSON number's digits are read as written, no float
		// in between.
		var d apd.Decimal
		if vec.ParseNumeric(string(text), &d) != vec.NumOK || vec.NumericFit(&d, t.Prec, t.Scale) != vec.NumOK {
			return bad("a number of type " + t.String())
		}
		s.s = vec.NumericText(&d)
	case types.Decimal:
		x, _, ok := vec.ParseDecimal(string(text), t.Scale)
		if !ok || !vec.FitsPrecision(x, t.Prec) {
			return bad("a number of type " + t.String())
		}
		s.i = x
	case types.Bool:
		b, ok := vec.ParseBool(string(text))
		if !ok {
			return bad("a boolean")
		}
		s.b = b
	case types.Timestamp:
		us, err := parseTimestamp(text)
		if err == errTimestampRange {
			return fmt.Errorf("column %s: %q is %w", c.Name, truncate(text), err)
		}
		if err != nil {
			return bad("a timestamp")
		}
		s.i = vec.TruncateMicros(us, t.Prec)
	case types.TimestampTZ:
		// UTC unless the text gives its offset or zone.
		us, err := parseTimestamp(text)
		if err == errTimestampRange {
			return fmt.Errorf("column %s: %q is %w", c.Name, truncate(text), err)
		}
		if err != nil {
			var ok bool
			if us, ok = vec.ParseTimestampTZ(string(text), time.UTC); !ok {
				return bad("a timestamp with time zone")
			}
		}
		s.i = vec.TruncateMicros(us, t.Prec)
	case types.Date:
		d, r := vec.ParseDate(string(text))
		if r != vec.TimeOK {
			return bad("a date")
		}
		s.i = d
	case types.Interval:
		x, err := vec.ParseInterval(string(text))
		if err != nil {
			return bad("an interval")
		}
		s.i, s.s = x.Micros, x.Tag()
	case types.Array:
		// PostgreSQL's array syntax, as COPY reads it: '{1,2,NULL}'.
		a, ok := vec.ParseArray(string(text), t.ElemType())
		if !ok {
			return bad(t.String())
		}
		s.s = a
	default:
		return fmt.Errorf("column %s: type %s cannot be read from a record", c.Name, t)
	}
	s.set = true
	return nil
}

// truncate shortens a value quoted in an error.
func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// rawDecoder puts the whole value in the one value column.
type rawDecoder struct{ rowShape }

func (d *rawDecoder) Decode(v []byte, m *Meta, b *vec.Batch) error {
	d.reset()
	c := d.cols[d.value[0]]
	text, err := d.utf8Text("value", v)
	if err != nil {
		return err
	}
	d.whole = text
	if bytes.IndexByte(text, 0) >= 0 {
		return errNUL(c.Name)
	}
	if d.skipped(d.value[0]) {
		d.skip(d.value[0], v == nil)
		return d.finish(m, b)
	}
	s := &d.slots[d.value[0]]
	*s = slot{set: true, null: v == nil, s: string(text)}
	if c.Type.Width > 0 && len([]rune(s.s)) > c.Type.Width {
		return fmt.Errorf("column %s: value longer than %s", c.Name, c.Type)
	}
	return d.finish(m, b)
}
