package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/exec/vec"
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
	case types.Decimal:
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
	}
	return oidText, -1, -1
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
	bw *bufio.Writer
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
}

var _ ResultWriter = (*results)(nil)

// reset prepares r for the next query.
func (r *results) reset() { r.open, r.wrote, r.ncols = false, false, 0 }

// Columns implements ResultWriter.
func (r *results) Columns(cols []Column) error {
	if r.open {
		return fmt.Errorf("%w: Columns before Complete of the previous result", errResultOrder)
	}
	if len(cols) > math.MaxUint16 {
		return fmt.Errorf("wire: %d result columns is too many", len(cols))
	}
	fields := r.rd.Fields[:0]
	for _, col := range cols {
		oid, size, mod := typeInfo(col.Type)
		fields = append(fields, pgproto3.FieldDescription{
			Name:         []byte(col.Name),
			DataTypeOID:  oid,
			DataTypeSize: size,
			TypeModifier: mod,
			Format:       0, // text
		})
	}
	r.rd.Fields = fields
	r.open, r.ncols, r.wrote = true, len(cols), true
	return r.c.send(&r.rd)
}

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
	for i := 0; i < b.N; i++ {
		d := b.DiffAt(i)
		if d <= 0 {
			continue
		}
		r.row = appendDataRow(r.row[:0], b, i)
		for ; d > 0; d-- {
			if _, err := r.bw.Write(r.row); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendDataRow appends row i of b as a DataRow message in text format.
func appendDataRow(buf []byte, b *vec.Batch, i int) []byte {
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
		buf = v.AppendText(buf, i)
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf
}

// Complete implements ResultWriter.
func (r *results) Complete(tag string) error {
	r.open, r.wrote = false, true
	return r.c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}

// Notice implements ResultWriter.
func (r *results) Notice(msg string) error {
	return r.c.send(&pgproto3.NoticeResponse{
		Severity:            "NOTICE",
		SeverityUnlocalized: "NOTICE",
		Code:                "00000",
		Message:             msg,
	})
}
