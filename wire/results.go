package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// PostgreSQL type OIDs of the types the engine returns (pg_type.dat).
const (
	oidBool      = 16
	oidInt8      = 20
	oidInt4      = 23
	oidText      = 25
	oidFloat8    = 701
	oidVarchar   = 1043
	oidTimestamp = 1114
	oidInterval  = 1186
	oidDate      = 1082
	oidNumeric   = 1700
)

// typeInfo returns the OID, size (pg_type.typlen, -1 for variable length)
// and type modifier (atttypmod, -1 for none) that describe t to a client.
// A NULL-typed column (SELECT NULL) is reported as text, as PostgreSQL
// does for an unknown-typed output column.
func typeInfo(t types.T) (oid uint32, size int16, typmod int32) {
	switch t.Kind {
	case types.Bool:
		return oidBool, 1, -1
	case types.Int32:
		return oidInt4, 4, -1
	case types.Int64:
		return oidInt8, 8, -1
	case types.Float64:
		return oidFloat8, 8, -1
	case types.Decimal, types.Numeric:
		if t.Prec <= 0 {
			return oidNumeric, -1, -1
		}
		return oidNumeric, -1, int32(t.Prec<<16|t.Scale) + 4
	case types.String:
		if t.Width <= 0 {
			return oidVarchar, -1, -1
		}
		return oidVarchar, -1, int32(t.Width) + 4
	case types.Timestamp:
		return oidTimestamp, 8, int32(t.Prec)
	case types.Interval:
		return oidInterval, 16, -1
	case types.Date:
		return oidDate, 4, -1
	case types.TimestampTZ:
		return oidTimestamptz, 8, int32(t.Prec)
	case types.JSONB:
		return oidJSONB, -1, -1
	case types.JSON:
		return oidJSON, -1, -1
	case types.Array:
		return arrayTypeInfo(t)
	}
	return oidText, -1, -1
}

// appendText appends row i of v in text format, a TIMESTAMPTZ in zone loc.
func appendText(buf []byte, v *vec.Vec, i int, loc *time.Location) []byte {
	if v.Type.Kind == types.TimestampTZ {
		return vec.AppendTimestampTZ(buf, v.I64[i], loc)
	}
	if v.Type.Kind == types.Array {
		return appendArrayText(buf, v, i, loc)
	}
	return v.AppendText(buf, i)
}

// Zoned is a Session whose TimeZone setting the server follows: it shows
// TIMESTAMPTZ values in it and reports it in ParameterStatus when it
// changes, as PostgreSQL does after SET TIME ZONE.
type Zoned interface {
	TimeZone() (name string, loc *time.Location)
}

// zone is the session's time zone (UTC unless it is Zoned).
func (c *conn) zone() *time.Location {
	if c == nil {
		return time.UTC
	}
	if z, ok := c.sess.(Zoned); ok {
		if _, loc := z.TimeZone(); loc != nil {
			return loc
		}
	}
	return time.UTC
}

// errResultOrder reports a session that called the ResultWriter out of
// order: a bug in the engine, which the client sees as XX000.
var errResultOrder = errors.New("wire: result writer called out of order")

// results is the connection's ResultWriter. It is reused for every query
// on the connection, so its buffers are allocated once and grow to the
// widest row seen.
type results struct {
	c *conn
	// bw is where DataRows go, bypassing pgproto3's per-message encoding:
	// c.send leaves nothing pending in the Backend, so order is kept.
	bw *output
	rd pgproto3.RowDescription
	// row holds one encoded DataRow message.
	row []byte
	// ncols is the column count of the open result; open is false
	// between Complete and the next Columns.
	ncols int
	open  bool
	// wrote is set once the query produced a result (an empty query
	// produces none).
	wrote bool

	// The extended protocol's Execute sets these: described means the
	// client already has the RowDescription (from Describe), so Columns
	// sends none and must match ncols; formats are the result format
	// codes Bind asked for, one per column (nil: all text).
	described bool
	formats   []int16
	// capture, when set, receives the rows instead of the client: an
	// Execute with a row limit keeps the result to hand out in parts.
	capture *vec.Batch
	tag     string
	// copy is set between CopyOut and Complete: rows go as CopyData, in
	// copyFmt.
	copy    bool
	copyFmt parser.CopyFormat
	// tx follows BEGIN and COMMIT/ROLLBACK in command tags, for the
	// transaction status ReadyForQuery reports.
	tx bool
}

var _ ResultWriter = (*results)(nil)

// reset prepares r for the next query in the simple protocol.
func (r *results) reset() {
	r.open, r.wrote, r.ncols, r.copy = false, false, 0, false
	r.described, r.formats, r.capture, r.tag = false, nil, nil, ""
}

// execute prepares r for an Execute of a portal with these columns and
// result formats.
func (r *results) execute(cols []Column, formats []int16) {
	r.reset()
	r.described, r.formats, r.ncols = true, formats, len(cols)
}

// Columns implements ResultWriter.
func (r *results) Columns(cols []Column) error {
	if r.open {
		return fmt.Errorf("%w: Columns before Complete of the previous result", errResultOrder)
	}
	if len(cols) > math.MaxUint16 {
		return fmt.Errorf("wire: %d result columns is too many", len(cols))
	}
	if r.described {
		if len(cols) != r.ncols {
			// The relations changed since Parse; PostgreSQL says the same.
			return sqlerr.New(sqlerr.FeatureNotSupported, "cached plan must not change result type: prepare the statement again")
		}
		r.open, r.wrote = true, true
		return nil
	}
	r.fields(cols, nil)
	r.open, r.ncols, r.wrote = true, len(cols), true
	return r.c.send(&r.rd)
}

// fields fills r.rd for cols with the given format codes (nil: text).
func (r *results) fields(cols []Column, formats []int16) {
	fields := r.rd.Fields[:0]
	for _, col := range cols {
		oid, size, mod := typeInfo(col.Type)
		fields = append(fields, pgproto3.FieldDescription{
			Name:         []byte(col.Name),
			DataTypeOID:  oid,
			DataTypeSize: size,
			TypeModifier: mod,
			Format:       formatOf(formats, len(fields)),
		})
	}
	r.rd.Fields = fields
}

// formatOf returns column i's format code: formats holds one per column,
// or none for all text.
func formatOf(formats []int16, i int) int16 {
	if len(formats) == 1 {
		return formats[0] // one code applies to every column (the protocol's rule)
	}
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

// CopyOut implements ResultWriter: the result goes as COPY TO STDOUT in
// format f, after a header line of the column names if f asks for one.
func (r *results) CopyOut(cols []Column, f parser.CopyFormat) error {
	if r.open {
		return fmt.Errorf("%w: CopyOut before Complete of the previous result", errResultOrder)
	}
	r.open, r.copy, r.ncols, r.wrote, r.copyFmt = true, true, len(cols), true, f
	if err := r.c.send(&pgproto3.CopyOutResponse{OverallFormat: 0, ColumnFormatCodes: make([]uint16, len(cols))}); err != nil {
		return err
	}
	if f.Header {
		r.row = appendCopyHeader(r.row[:0], cols, f)
		if _, err := r.bw.Write(r.row); err != nil {
			return err
		}
	}
	return nil
}

// Flush implements ResultWriter.
func (r *results) Flush() error { return r.c.flush() }

// Rows implements ResultWriter. Each row is encoded once, straight from
// the column vectors into a reused buffer, so steady-state streaming
// allocates nothing per row or value.
func (r *results) Rows(b *vec.Batch) error {
	if !r.open {
		return fmt.Errorf("%w: Rows before Columns", errResultOrder)
	}
	if len(b.Cols) != r.ncols {
		return fmt.Errorf("%w: batch has %d columns, result has %d", errResultOrder, len(b.Cols), r.ncols)
	}
	if r.capture != nil {
		for i := 0; i < b.N; i++ {
			for d := b.DiffAt(i); d > 0; d-- {
				r.capture.AppendRow(b, i, 1)
			}
		}
		return nil
	}
	loc := r.c.zone()
	for i := 0; i < b.N; i++ {
		d := b.DiffAt(i)
		if d <= 0 {
			continue
		}
		if r.copy {
			r.row = appendCopyLine(r.row[:0], b, i, r.copyFmt, loc)
		} else {
			r.row = appendDataRow(r.row[:0], b, i, r.formats, loc)
		}
		for ; d > 0; d-- {
			if _, err := r.bw.Write(r.row); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendDataRow appends row i of b as a DataRow message, each column in
// the format formats gives it (nil: all text), a TIMESTAMPTZ's text in
// zone loc.
func appendDataRow(buf []byte, b *vec.Batch, i int, formats []int16, loc *time.Location) []byte {
	start := len(buf)
	n := len(b.Cols)
	buf = append(buf, 'D', 0, 0, 0, 0, byte(n>>8), byte(n))
	for c := range b.Cols {
		v := &b.Cols[c]
		if v.IsNull(i) {
			buf = append(buf, 0xff, 0xff, 0xff, 0xff) // length -1: NULL
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		if formatOf(formats, c) == 1 {
			buf = appendBinary(buf, v, i)
		} else {
			buf = appendText(buf, v, i, loc)
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf
}

// Complete implements ResultWriter.
func (r *results) Complete(tag string) error {
	switch tag {
	case "BEGIN", "START TRANSACTION":
		r.tx = true
	case "COMMIT", "ROLLBACK":
		r.tx = false
	}
	if r.capture != nil {
		r.open, r.wrote, r.tag = false, true, tag
		return nil
	}
	if r.copy {
		r.copy = false
		if err := r.c.send(&pgproto3.CopyDone{}); err != nil {
			return err
		}
	}
	r.open, r.wrote = false, true
	return r.c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}

// Notice implements ResultWriter. The notice goes to the client at once,
// as PostgreSQL flushes each one: a long statement's progress is read
// while it runs, not with its result.
func (r *results) Notice(msg string) error {
	if err := r.c.send(&pgproto3.NoticeResponse{
		Severity:            "NOTICE",
		SeverityUnlocalized: "NOTICE",
		Code:                "00000",
		Message:             msg,
	}); err != nil {
		return err
	}
	return r.c.flush()
}
