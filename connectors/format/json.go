package format

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// jsonDecoder reads one JSON object per record. A column takes the field
// of its name, matched exactly or, failing that, ignoring ASCII case;
// fields.<col>.path = 'a.b' takes a nested field instead. Fields no
// column asks for are skipped without being decoded; a missing field is
// NULL. A VARCHAR column takes a string's contents, or the JSON text of
// any other value; a TIMESTAMP takes a string or epoch milliseconds.
type jsonDecoder struct {
	rowShape
	root jsonObject
	p    jsonScan
	// key and str are scratch for unescaping.
	key, str []byte
}

// jsonObject is the set of fields wanted from one object: a trie of the
// columns' paths.
type jsonObject struct{ fields []jsonField }

type jsonField struct {
	name  string
	col   int // the column filled from this field, or -1
	child *jsonObject
}

func newJSON(r rowShape, opts map[string]string) (*jsonDecoder, error) {
	d := &jsonDecoder{rowShape: r}
	for _, i := range r.value {
		c := r.cols[i]
		path := []string{c.Name}
		if p, ok := takeOption(opts, "fields."+c.Name+".path"); ok {
			path = strings.Split(strings.TrimPrefix(p, "$."), ".")
			for _, s := range path {
				if s == "" {
					return nil, sqlerr.New(sqlerr.InvalidParameter, "fields.%s.path = %q: want field names separated by dots, such as 'user.id'", c.Name, p)
				}
			}
		}
		o := &d.root
		for depth, name := range path {
			f := o.exact(name)
			if f == nil {
				o.fields = append(o.fields, jsonField{name: name, col: -1})
				f = &o.fields[len(o.fields)-1]
			}
			if depth == len(path)-1 {
				if f.col >= 0 {
					return nil, sqlerr.New(sqlerr.InvalidParameter, "columns %s and %s read the same JSON field %q", r.cols[f.col].Name, c.Name, strings.Join(path, "."))
				}
				f.col = i
				break
			}
			if f.child == nil {
				f.child = &jsonObject{}
			}
			o = f.child
		}
	}
	return d, nil
}

func (o *jsonObject) exact(name string) *jsonField {
	for i := range o.fields {
		if o.fields[i].name == name {
			return &o.fields[i]
		}
	}
	return nil
}

// lookup finds the field for key: exactly, else ignoring ASCII case.
func (o *jsonObject) lookup(key []byte) *jsonField {
	for i := range o.fields {
		if o.fields[i].name == string(key) {
			return &o.fields[i]
		}
	}
	for i := range o.fields {
		if asciiEqualFold(o.fields[i].name, key) {
			return &o.fields[i]
		}
	}
	return nil
}

func asciiEqualFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(s); i++ {
		x, y := s[i], b[i]
		if x == y {
			continue
		}
		if lx := x | 0x20; lx != y|0x20 || lx < 'a' || lx > 'z' {
			return false
		}
	}
	return true
}

func (d *jsonDecoder) Decode(v []byte, m *Meta, b *vec.Batch) error {
	d.reset()
	d.p = jsonScan{d: v}
	d.p.ws()
	if d.p.peek() != '{' {
		if v == nil {
			return errors.New("the record has no value (a tombstone)")
		}
		return d.p.fail("a JSON object")
	}
	if err := d.object(&d.root); err != nil {
		return err
	}
	d.p.ws()
	if d.p.i != len(d.p.d) {
		return d.p.fail("the end of the record")
	}
	return d.finish(m, b)
}

// object reads an object (at its '{'), filling the columns o asks for.
func (d *jsonDecoder) object(o *jsonObject) error {
	p := &d.p
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.peek() != '"' {
			return p.fail("a field name")
		}
		key, esc, err := p.str()
		if err != nil {
			return err
		}
		if esc {
			d.key = unescape(d.key[:0], key)
			key = d.key
		}
		p.ws()
		if p.peek() != ':' {
			return p.fail("':'")
		}
		p.i++
		p.ws()
		f := o.lookup(key)
		switch {
		case f == nil:
			err = p.skip()
		case f.child != nil && p.peek() == '{' && f.col < 0:
			err = d.object(f.child)
		case f.child != nil && p.peek() == '{':
			start := p.i
			if err = d.object(f.child); err == nil {
				err = d.raw(f.col, p.d[start:p.i])
			}
		case f.col >= 0:
			err = d.value(f.col)
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.fail("',' or '}'")
		}
	}
}

// value reads the value at p into column col's slot.
func (d *jsonDecoder) value(col int) error {
	p := &d.p
	s, c := &d.slots[col], &d.cols[col]
	switch ch := p.peek(); {
	case ch == '"':
		text, esc, err := p.str()
		if err != nil {
			return err
		}
		if esc {
			d.str = unescape(d.str[:0], text)
			text = d.str
		}
		return parseText(s, c, text, func() string { return string(text) })
	case ch == 'n':
		if err := p.literal("null"); err != nil {
			return err
		}
		*s = slot{set: true, null: true}
		return nil
	case ch == 't' || ch == 'f':
		lit := "true"
		if ch == 'f' {
			lit = "false"
		}
		if err := p.literal(lit); err != nil {
			return err
		}
		switch c.Type.Kind {
		case types.Bool:
			*s = slot{set: true, b: ch == 't'}
			return nil
		case types.String:
			*s = slot{set: true, s: lit}
			return nil
		}
		return fmt.Errorf("column %s: %s is not %s", c.Name, lit, c.Type)
	case ch == '-' || ch >= '0' && ch <= '9':
		start := p.i
		p.number()
		text := p.d[start:p.i]
		if c.Type.Kind == types.Bool {
			return fmt.Errorf("column %s: %s is not a boolean", c.Name, text)
		}
		return parseText(s, c, text, func() string { return string(text) })
	case ch == '{' || ch == '[':
		start := p.i
		if err := p.skip(); err != nil {
			return err
		}
		return d.raw(col, p.d[start:p.i])
	}
	return p.fail("a value")
}

// raw gives a VARCHAR column the JSON text of an object or array.
func (d *jsonDecoder) raw(col int, text []byte) error {
	c := &d.cols[col]
	if c.Type.Kind != types.String {
		return fmt.Errorf("column %s: an object or array is not %s", c.Name, c.Type)
	}
	d.slots[col] = slot{set: true, s: string(text)}
	return nil
}

// jsonScan is a position in a record's bytes.
type jsonScan struct {
	d []byte
	i int
}

func (p *jsonScan) peek() byte {
	if p.i < len(p.d) {
		return p.d[p.i]
	}
	return 0
}

func (p *jsonScan) ws() {
	if p.i < len(p.d) && p.d[p.i] > ' ' {
		return
	}
	for p.i < len(p.d) {
		switch p.d[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonScan) fail(want string) error {
	if p.i >= len(p.d) {
		return fmt.Errorf("invalid JSON: expected %s at the end of the record", want)
	}
	return fmt.Errorf("invalid JSON: expected %s at byte %d, found %q", want, p.i+1, p.d[p.i])
}

// str reads a string at its opening quote, returning its raw contents and
// whether they hold escapes. Control characters inside are let through.
func (p *jsonScan) str() ([]byte, bool, error) {
	p.i++
	start, esc := p.i, false
	for {
		j := bytes.IndexByte(p.d[p.i:], '"')
		if j < 0 {
			return nil, false, errors.New("invalid JSON: unterminated string")
		}
		end := p.i + j
		n := 0 // backslashes before the quote
		for k := end - 1; k >= start && p.d[k] == '\\'; k-- {
			n++
		}
		p.i = end + 1
		if n%2 == 0 {
			s := p.d[start:end]
			return s, esc || bytes.IndexByte(s, '\\') >= 0, nil
		}
		esc = true
	}
}

func (p *jsonScan) literal(lit string) error {
	if len(p.d)-p.i < len(lit) || string(p.d[p.i:p.i+len(lit)]) != lit {
		return p.fail(lit)
	}
	p.i += len(lit)
	return nil
}

// number advances over a number's characters; parsing checks its form.
func (p *jsonScan) number() {
	for p.i < len(p.d) {
		switch c := p.d[p.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			p.i++
		default:
			return
		}
	}
}

// skip advances over one value of any kind.
func (p *jsonScan) skip() error {
	depth := 0
	for {
		p.ws()
		switch c := p.peek(); {
		case c == '"':
			if _, _, err := p.str(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			depth++
			p.i++
			continue
		case c == '}' || c == ']':
			if depth == 0 {
				return p.fail("a value")
			}
			depth--
			p.i++
		case c == 't':
			if err := p.literal("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := p.literal("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := p.literal("null"); err != nil {
				return err
			}
		case c == '-' || c >= '0' && c <= '9':
			p.number()
		default:
			return p.fail("a value")
		}
		if depth == 0 {
			return nil
		}
		// Inside a container: separators and keys pass as values do.
		p.ws()
		for p.peek() == ',' || p.peek() == ':' {
			p.i++
			p.ws()
		}
	}
}

// unescape appends the contents of a JSON string with escapes resolved.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := hex4(s[i+1:])
			i += n
			if utf16.IsSurrogate(r) && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				r2, n2 := hex4(s[i+3:])
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 2 + n2
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, s[i])
		}
	}
	return dst
}

// hex4 reads the four hex digits of a \u escape.
func hex4(s []byte) (rune, int) {
	if len(s) < 4 {
		return utf8.RuneError, len(s)
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return utf8.RuneError, 4
		}
	}
	return r, 4
}
