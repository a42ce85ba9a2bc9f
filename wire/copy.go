package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

var _ CopyIner = (*results)(nil)

// CopyIn implements CopyIner.
func (r *results) CopyIn(ncols int) (io.Reader, error) {
	if r.open {
		return nil, fmt.Errorf("%w: CopyIn before Complete of the previous result", errResultOrder)
	}
	if r.c.unwatch != nil {
		// From here the statement reads the client; a client gone ends
		// its read with an error.
		r.c.unwatch()
	}
	if err := r.c.send(&pgproto3.CopyInResponse{OverallFormat: 0, ColumnFormatCodes: make([]uint16, ncols)}); err != nil {
		return nil, err
	}
	if err := r.c.flush(); err != nil { // the client waits for it before it sends
		return nil, err
	}
	return &copyIn{c: r.c}, nil
}

// copyIn reads a COPY FROM STDIN's data from the connection.
type copyIn struct {
	c    *conn
	rest []byte
	err  error
}

func (in *copyIn) Read(p []byte) (int, error) {
	for len(in.rest) == 0 && in.err == nil {
		msg, err := in.c.be.Receive()
		if err != nil {
			in.err = fmt.Errorf("wire: reading COPY data: %w", err)
			break
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			in.rest = m.Data // valid until the next Receive, which comes after it is read
		case *pgproto3.CopyDone:
			in.err = io.EOF
		case *pgproto3.CopyFail:
			in.err = sqlerr.New(sqlerr.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during COPY, as PostgreSQL does.
		default:
			in.err = sqlerr.New(sqlerr.ProtocolViolation, "unexpected message type %T during COPY from stdin", msg)
		}
	}
	if len(in.rest) > 0 {
		n := copy(p, in.rest)
		in.rest = in.rest[n:]
		return n, nil
	}
	return 0, in.err
}

// BinaryText is the text form of a value of type t in PostgreSQL's binary
// format (a binary COPY's field), which the engine then reads as a string
// literal of t.
func BinaryText(t types.T, b []byte) (string, error) {
	oid, _, _ := typeInfo(t)
	return binaryParamText(oid, b)
}

// appendCopyHeader appends a CopyData message of the column names, the
// header line of COPY ... WITH (HEADER).
func appendCopyHeader(buf []byte, cols []Column, f parser.CopyFormat) []byte {
	start := len(buf)
	buf = append(buf, 'd', 0, 0, 0, 0)
	for c, col := range cols {
		if c > 0 {
			buf = append(buf, f.Delimiter)
		}
		buf = appendCopyValue(buf, len(buf), []byte(col.Name), f, len(cols) == 1)
	}
	buf = append(buf, '\n')
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf
}

// appendCopyLine appends row i of b as a CopyData message holding one
// line of COPY in format f: in text, values separated by the delimiter,
// NULL as f.Null, backslash escapes for what would break the line; in
// CSV, a value quoted when it holds the delimiter, a quote, a line break,
// or reads as the NULL string.
func appendCopyLine(buf []byte, b *vec.Batch, i int, f parser.CopyFormat, loc *time.Location) []byte {
	start := len(buf)
	buf = append(buf, 'd', 0, 0, 0, 0)
	for c := range b.Cols {
		if c > 0 {
			buf = append(buf, f.Delimiter)
		}
		v := &b.Cols[c]
		if v.IsNull(i) {
			buf = append(buf, f.Null...)
			continue
		}
		at := len(buf)
		buf = appendText(buf, v, i, loc)
		buf = appendCopyValue(buf[:at], at, buf[at:], f, len(b.Cols) == 1)
	}
	buf = append(buf, '\n')
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf
}

// appendCopyValue writes the value text (which may alias buf[at:]) at
// buf[at:], escaped or quoted for f; alone is set when it is the line's
// only value, which CSV quotes if it reads as the end marker \. .
func appendCopyValue(buf []byte, at int, text []byte, f parser.CopyFormat, alone bool) []byte {
	if !f.CSV {
		k := -1
		for j, ch := range text {
			if ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r' || ch == f.Delimiter {
				k = j
				break
			}
		}
		if k < 0 {
			return append(buf[:at], text...)
		}
		tail := append([]byte(nil), text...)
		buf = append(buf[:at], tail[:k]...)
		for _, ch := range tail[k:] {
			switch ch {
			case '\\':
				buf = append(buf, '\\', '\\')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case f.Delimiter:
				buf = append(buf, '\\', ch)
			default:
				buf = append(buf, ch)
			}
		}
		return buf
	}
	quote := string(text) == f.Null || alone && string(text) == `\.`
	for _, ch := range text {
		if ch == f.Delimiter || ch == f.Quote || ch == '\n' || ch == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(buf[:at], text...)
	}
	tail := append([]byte(nil), text...)
	buf = append(buf[:at], f.Quote)
	for _, ch := range tail {
		if ch == f.Quote || ch == f.Escape {
			buf = append(buf, f.Escape)
		}
		buf = append(buf, ch)
	}
	return append(buf, f.Quote)
}
