package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/wire"
)

// copyTable runs COPY table [(cols)] TO STDOUT: the rows of SELECT cols
// FROM table.
func (e *Engine) copyTable(ctx context.Context, st *parser.Copy, w wire.ResultWriter) error {
	x, _, err := e.copyTarget(st)
	if err != nil {
		return err
	}
	cols := st.Columns
	if cols == nil {
		for _, c := range x.rel.Columns {
			cols = append(cols, c.Name)
		}
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	sel, err := parser.ParseOne("SELECT " + strings.Join(q, ", ") + " FROM " + quoteIdent(x.rel.Name))
	if err != nil {
		return err
	}
	return e.query(ctx, sel.(*parser.Select).Query, nil, w, &st.Format, nil)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyTarget resolves COPY's table and its column list to the table's
// column indexes, in the order the data gives them.
func (e *Engine) copyTarget(st *parser.Copy) (*entry, []int, error) {
	x, ok := e.lookup(st.Table)
	if !ok || x.rel.Kind == parser.KindSink {
		return nil, nil, sqlerr.At(sqlerr.UndefinedTable, st.TablePos, "relation %q does not exist", st.Table)
	}
	var target []int
	if st.Columns == nil {
		for i := range x.rel.Columns {
			target = append(target, i)
		}
	}
	for _, c := range st.Columns {
		i := x.rel.ColumnIndex(c)
		if i < 0 {
			return nil, nil, sqlerr.At(sqlerr.UndefinedColumn, st.TablePos, "column %q of relation %q does not exist", c, x.rel.Name)
		}
		target = append(target, i)
	}
	return x, target, nil
}

// copyFrom runs COPY table [(cols)] FROM STDIN: the client's lines are
// parsed into one batch, every value converted as a string literal is in
// an INSERT, then written as one INSERT is (one insert-log record), so a
// bad line (reported with its number, as PostgreSQL's CONTEXT) applies
// nothing.
func (e *Engine) copyFrom(ctx context.Context, st *parser.Copy, w wire.ResultWriter, zone *time.Location) error {
	x, target, err := e.copyTarget(st)
	if err != nil {
		return err
	}
	switch {
	case x.rel.Kind != parser.KindTable:
		return sqlerr.At(sqlerr.WrongObjectType, st.TablePos, "cannot copy to %s %q: COPY FROM fills tables", strings.ToLower(x.rel.Kind.String()), x.rel.Name)
	case x.rel.LateOf != "":
		return sqlerr.At(sqlerr.WrongObjectType, st.TablePos, "cannot copy to %q: it holds the late rows of %s", x.rel.Name, x.rel.LateOf)
	}
	ci, ok := w.(wire.CopyIner)
	if !ok {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY FROM STDIN needs a client connection")
	}
	in, err := ci.CopyIn(len(target))
	if err != nil {
		return err
	}
	b, err := readCopy(ctx, in, x.rel, target, st.Format, zone)
	if err != nil {
		// Read the rest, so the connection is where the protocol expects.
		_, _ = io.Copy(io.Discard, in)
		return err
	}
	n, err := e.applyInsert(x, b)
	if err != nil {
		return err
	}
	return w.Complete(fmt.Sprintf("COPY %d", n))
}

// readCopy parses COPY FROM data in format f into a batch of rel's rows:
// target[k] is the column the line's k-th field fills, the others NULL;
// a TIMESTAMPTZ's text without an offset is in zone, the session's.
func readCopy(ctx context.Context, r io.Reader, rel *catalog.Relation, target []int, f parser.CopyFormat, zone *time.Location) (*vec.Batch, error) {
	b := vec.NewBatch(catalog.Types(rel.Columns), 1024)
	text := vec.New(types.Varchar, 1)
	filled := make([]bool, len(rel.Columns))
	for _, c := range target {
		filled[c] = true
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var lr recordReader = &copyLines{r: br, f: f}
	if f.Binary {
		lr = &copyBinary{r: br, rel: rel, target: target}
	}
	for lineNo := 1; ; lineNo++ {
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		fields, err := lr.next()
		if err == io.EOF {
			return b, nil
		}
		where := fmt.Sprintf("COPY %s, line %d", rel.Name, lr.lineNo())
		if err != nil {
			return nil, withWhere(err, where)
		}
		if f.Header && lineNo == 1 {
			continue
		}
		switch {
		case len(fields) > len(target):
			return nil, &sqlerr.Error{Kind: sqlerr.BadCopyFormat, Msg: "extra data after last expected column", Where: where}
		case len(fields) < len(target):
			return nil, &sqlerr.Error{Kind: sqlerr.BadCopyFormat, Msg: fmt.Sprintf("missing data for column %q", rel.Columns[target[len(fields)]].Name), Where: where}
		}
		for k, c := range target {
			col := rel.Columns[c]
			v := fields[k]
			if v == nil {
				if col.NotNull {
					return nil, &sqlerr.Error{Kind: sqlerr.NotNullViolation, Where: where,
						Msg: fmt.Sprintf("null value in column %q of relation %q violates not-null constraint", col.Name, rel.Name)}
				}
				b.Cols[c].AppendNull()
				continue
			}
			if err := parser.CheckText(*v); err != nil {
				return nil, withWhere(err, fmt.Sprintf("%s, column %s", where, col.Name))
			}
			text.Reset()
			text.AppendStr(*v)
			if res := planner.CastValueIn(&text, 0, &b.Cols[c], zone); res != planner.CastOK {
				e := planner.CastError(res, types.Varchar, col.Type, *v)
				e.Where = fmt.Sprintf("%s, column %s: %q", where, col.Name, *v)
				return nil, e
			}
		}
		for c, ok := range filled {
			if !ok {
				if rel.Columns[c].NotNull {
					return nil, &sqlerr.Error{Kind: sqlerr.NotNullViolation, Where: where,
						Msg: fmt.Sprintf("null value in column %q of relation %q violates not-null constraint", rel.Columns[c].Name, rel.Name)}
				}
				b.Cols[c].AppendNull()
			}
		}
		b.EndRow(1)
	}
}

// withWhere gives err PostgreSQL's CONTEXT.
func withWhere(err error, where string) error {
	var e *sqlerr.Error
	if errors.As(err, &e) {
		c := *e
		c.Where = where
		return &c
	}
	return &sqlerr.Error{Kind: sqlerr.BadCopyFormat, Msg: err.Error(), Where: where, Err: err}
}

// recordReader reads COPY FROM's records as their fields' text, nil for
// NULL; io.EOF at the end.
type recordReader interface {
	next() ([]*string, error)
	// lineNo is the line (or row) where the record last read starts.
	lineNo() int
}

// copyBinary reads PostgreSQL's binary COPY format: a signature and
// header, then per row a field count and each field's length (-1: NULL)
// and bytes in the binary form of the column's type, then -1 or the end.
type copyBinary struct {
	r      *bufio.Reader
	rel    *catalog.Relation
	target []int
	row    int
}

var copySignature = "PGCOPY\n\xff\r\n\x00"

func (c *copyBinary) lineNo() int { return c.row }

func (c *copyBinary) next() ([]*string, error) {
	bad := func(why string) error { return sqlerr.New(sqlerr.BadCopyFormat, "%s", why) }
	if c.row == 0 {
		var h [19]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil || string(h[:11]) != copySignature {
			return nil, bad("COPY file signature not recognized")
		}
		if binary.BigEndian.Uint32(h[11:15])&0xffff0000 != 0 {
			return nil, bad("unrecognized critical flags in COPY file header")
		}
		if _, err := c.r.Discard(int(binary.BigEndian.Uint32(h[15:19]))); err != nil {
			return nil, bad("invalid COPY file header (missing extension)")
		}
	}
	c.row++
	var n [2]byte
	if _, err := io.ReadFull(c.r, n[:]); err != nil {
		// The end of the data where a row would start ends it, as the
		// trailer does (pgx sends none).
		return nil, err
	}
	count := int16(binary.BigEndian.Uint16(n[:]))
	if count == -1 {
		return nil, io.EOF
	}
	if int(count) != len(c.target) {
		return nil, bad(fmt.Sprintf("row field count is %d, expected %d", count, len(c.target)))
	}
	fields := make([]*string, count)
	for k := range fields {
		var l [4]byte
		if _, err := io.ReadFull(c.r, l[:]); err != nil {
			return nil, bad("unexpected EOF in COPY data")
		}
		size := int32(binary.BigEndian.Uint32(l[:]))
		if size == -1 {
			continue
		}
		if size < 0 {
			return nil, bad("invalid field size")
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return nil, bad("unexpected EOF in COPY data")
		}
		col := c.rel.Columns[c.target[k]]
		s, err := wire.BinaryText(col.Type, b)
		if err != nil {
			return nil, withWhere(err, fmt.Sprintf("COPY %s, line %d, column %s", c.rel.Name, c.row, col.Name))
		}
		fields[k] = &s
	}
	return fields, nil
}

// copyLines splits COPY data into lines' fields: nil for NULL.
type copyLines struct {
	r    *bufio.Reader
	f    parser.CopyFormat
	line int    // the first line of the record last read
	phys int    // lines read
	eol  string // how the line last read ended: "\n", "\r\n" or ""
	buf  []byte
}

// readLine reads one physical line without its end (\n or \r\n), or
// io.EOF at the end of the data.
func (l *copyLines) readLine() ([]byte, error) {
	s, err := l.r.ReadSlice('\n')
	l.buf = append(l.buf[:0], s...)
	for err == bufio.ErrBufferFull {
		s, err = l.r.ReadSlice('\n')
		l.buf = append(l.buf, s...)
	}
	if err == io.EOF && len(l.buf) > 0 {
		err = nil // a last line without its newline
	}
	if err != nil {
		return nil, err
	}
	l.phys++
	line := l.buf
	l.eol = ""
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line, l.eol = line[:n-1], "\n"
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line, l.eol = line[:n-1], "\r\n"
		}
	}
	return line, nil
}

func (l *copyLines) lineNo() int { return l.line }

// next reads the next record's fields; io.EOF at the end of the data or
// at the end marker, a line holding only \. .
func (l *copyLines) next() ([]*string, error) {
	line, err := l.readLine()
	if err != nil {
		return nil, err
	}
	l.line = l.phys
	if string(line) == `\.` {
		return nil, io.EOF
	}
	if l.f.CSV {
		return l.csv(line)
	}
	return l.text(line)
}

// text splits a line of COPY's text format and undoes its escapes.
func (l *copyLines) text(line []byte) ([]*string, error) {
	var fields []*string
	for start := 0; ; {
		end := start
		raw := true // no escape seen: the field's bytes are its value
		for end < len(line) && line[end] != l.f.Delimiter {
			if line[end] == '\\' && end+1 < len(line) {
				raw = false
				end++
			}
			end++
		}
		field := line[start:end]
		if string(field) == l.f.Null {
			fields = append(fields, nil)
		} else {
			s := string(field)
			if !raw {
				s = unescapeCopy(field)
			}
			fields = append(fields, &s)
		}
		if end >= len(line) {
			return fields, nil
		}
		start = end + 1
	}
}

// unescapeCopy undoes the text format's backslash escapes: \b \f \n \r \t
// \v, \ooo octal, \xhh hex, and \c for any other c.
func unescapeCopy(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if ch != '\\' || i+1 == len(b) {
			out = append(out, ch)
			continue
		}
		i++
		switch c := b[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(b) && isHex(b[i+1]) {
				i++
				v = v*16 + hexVal(b[i])
				n++
			}
			if n == 0 {
				out = append(out, 'x')
			} else {
				out = append(out, byte(v))
			}
		default:
			if c >= '0' && c <= '7' {
				v := int(c - '0')
				for n := 1; n < 3 && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7'; n++ {
					i++
					v = v*8 + int(b[i]-'0')
				}
				out = append(out, byte(v))
			} else {
				out = append(out, c)
			}
		}
	}
	return string(out)
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

// csv splits a CSV record, which a quoted field may continue onto later
// lines. An unquoted field equal to the NULL string is NULL; a quoted one
// never is.
func (l *copyLines) csv(line []byte) ([]*string, error) {
	f := l.f
	var fields []*string
	var val []byte
	quoted, inQuote := false, false
	for i := 0; ; i++ {
		if i == len(line) {
			if inQuote {
				// The quoted field goes on on the next line.
				eol := l.eol
				next, err := l.readLine()
				if err == io.EOF {
					return nil, sqlerr.New(sqlerr.BadCopyFormat, "unterminated CSV quoted field")
				}
				if err != nil {
					return nil, err
				}
				val = append(val, eol...)
				line, i = next, -1
				continue
			}
			break
		}
		ch := line[i]
		switch {
		case inQuote && ch == f.Escape && i+1 < len(line) && (line[i+1] == f.Quote || line[i+1] == f.Escape) && f.Escape != f.Quote:
			val = append(val, line[i+1])
			i++
		case inQuote && ch == f.Quote && f.Escape == f.Quote && i+1 < len(line) && line[i+1] == f.Quote:
			val = append(val, f.Quote)
			i++
		case inQuote && ch == f.Quote:
			inQuote = false
		case inQuote:
			val = append(val, ch)
		case ch == f.Quote:
			inQuote, quoted = true, true
		case ch == f.Delimiter:
			fields = append(fields, csvField(val, quoted, f))
			val, quoted = val[:0], false
		default:
			val = append(val, ch)
		}
	}
	return append(fields, csvField(val, quoted, f)), nil
}

func csvField(val []byte, quoted bool, f parser.CopyFormat) *string {
	if !quoted && string(val) == f.Null {
		return nil
	}
	s := string(val)
	return &s
}
