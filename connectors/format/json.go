package format

import (
	"errors"
	"fmt"
	"github.com/streamsql/streamsql/exec/jsonb"
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
	if v != nil {
		var err error
		if v, err = d.utf8Text("value", v); err != nil {
			return err
		}
	}
	d.whole = v
	d.p = jsonScan{d: v, stack: d.p.stack}
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
			if d.key, err = unescape(d.key[:0], key, true); err != nil {
				return err
			}
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
		case f.col >= 0 && d.skipped(f.col):
			// No one reads the column: scan the value, keep only
			// whether it is there (for NOT NULL); fields under it that
			// other columns read are still read.
			d.skip(f.col, p.peek() == 'n')
			switch {
			case f.child != nil && p.peek() == '{':
				err = d.object(f.child)
			default:
				err = p.skipScalar()
			}
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
	if c.Type.Kind == types.JSONB || c.Type.Kind == types.JSON {
		start := p.i
		if err := p.skip(); err != nil {
			return err
		}
		return d.jsonColumn(col, p.d[start:p.i])
	}
	if c.Type.Kind == types.Array && p.peek() != 'n' {
		return d.arrayColumn(col)
	}
	switch ch := p.peek(); {
	case ch == '"':
		text, esc, err := p.str()
		if err != nil {
			return err
		}
		if esc {
			if d.str, err = unescape(d.str[:0], text, d.replace); err != nil {
				return fmt.Errorf("column %s: %w", c.Name, err)
			}
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
		if c.Type.Kind == types.Int64 {
			if x, ok := p.smallInt(); ok {
				*s = slot{set: true, i: x}
				return nil
			}
		}
		start := p.i
		if err := p.number(); err != nil {
			return err
		}
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

// jsonColumn gives a JSONB or JSON column the field's JSON as it is: an
// object, an array or a scalar (jsonb made canonical).
func (d *jsonDecoder) jsonColumn(col int, text []byte) error {
	c := &d.cols[col]
	s := string(text)
	if c.Type.Kind == types.JSONB {
		v, err := jsonb.Parse(s)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		s = v.String()
	}
	d.slots[col] = slot{set: true, s: s}
	return nil
}

// arrayColumn gives an array column a JSON array's elements, each read as
// a column of the element type reads a field (a string's contents parsed,
// a number or boolean as written; an object is text for a VARCHAR
// element), or a string in PostgreSQL's array syntax ('{1,2}'). Arrays
// have one dimension: an element that is an array makes the record bad.
func (d *jsonDecoder) arrayColumn(col int) error {
	p, c := &d.p, &d.cols[col]
	start := p.i
	if err := p.skip(); err != nil {
		return err
	}
	text := string(p.d[start:p.i])
	elem := c.Type.ElemType()
	if text[0] == '"' {
		lit, err := jsonb.Unquote(text)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		return parseText(&d.slots[col], c, []byte(lit), nil)
	}
	ev := vec.New(elem, 8)
	var bad error
	isArray := jsonb.Elems(text, func(e string) bool {
		switch k := jsonb.TypeOf(e); {
		case k == jsonb.Null:
			ev.AppendNull()
			return true
		case k == jsonb.Array:
			bad = fmt.Errorf("column %s: an array inside the array is not %s (arrays have one dimension)", c.Name, c.Type)
			return false
		case k == jsonb.Object && elem.Kind != types.String:
			bad = fmt.Errorf("column %s: an object in the array is not %s", c.Name, elem)
			return false
		case k == jsonb.Number && elem.Kind == types.Bool:
			bad = fmt.Errorf("column %s: the element %s is not a boolean", c.Name, e)
			return false
		case k == jsonb.String:
			if e, bad = jsonb.Unquote(e); bad != nil {
				return false
			}
		}
		if !ev.AppendParsed(e) {
			bad = fmt.Errorf("column %s: the element %q is not %s", c.Name, truncate([]byte(e)), elem)
			return false
		}
		return true
	})
	switch {
	case bad != nil:
		return bad
	case !isArray:
		return fmt.Errorf("column %s: %s is not %s", c.Name, truncate([]byte(text)), c.Type)
	}
	d.slots[col] = slot{set: true, s: vec.ArrayOf(&ev)}
	return nil
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

// jsonScan is a position in a record's bytes. It holds the record to
// RFC 8259: a record that is not well-formed JSON is bad, whether or not
// a column reads the part that is wrong.
type jsonScan struct {
	d []byte
	i int
	// stack is skip's scratch: the closers of the open containers.
	stack []byte
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

// strStop marks the bytes a string's scan stops at: its end, an escape,
// and the control characters a string may not hold unescaped.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str reads a string at its opening quote, returning its raw contents and
// whether they hold escapes. As RFC 8259 says, a control character
// (U+0000..U+001F) must be escaped, and an escape is one of \" \\ \/ \b
// \f \n \r \t or \u and four hex digits.
func (p *jsonScan) str() ([]byte, bool, error) {
	d := p.d
	start, esc := p.i+1, false
	for i := start; ; i++ {
		for i < len(d) && !strStop[d[i]] {
			i++
		}
		if i >= len(d) {
			return nil, false, errors.New("invalid JSON: unterminated string")
		}
		switch c := d[i]; {
		case c == '"':
			p.i = i + 1
			return d[start:i], esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(d) {
				return nil, false, errors.New("invalid JSON: unterminated string")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := hex4(d[i+2:]); !ok {
					return nil, false, fmt.Errorf("invalid JSON: %q at byte %d: \\u needs four hex digits", truncate(d[i:min(i+6, len(d))]), i+1)
				}
				i += 5
			default:
				return nil, false, fmt.Errorf("invalid JSON: invalid escape %q at byte %d", d[i:i+2], i+1)
			}
		default:
			return nil, false, fmt.Errorf("invalid JSON: control character %q at byte %d must be escaped in a string", c, i+1)
		}
	}
}

func (p *jsonScan) literal(lit string) error {
	if len(p.d)-p.i < len(lit) || string(p.d[p.i:p.i+len(lit)]) != lit {
		return p.fail(lit)
	}
	p.i += len(lit)
	return nil
}

// smallInt reads an integer of at most 18 digits with no fraction or
// exponent, the common BIGINT field, in one pass. It reports false, not
// having moved, for anything else: number and parseText judge that.
func (p *jsonScan) smallInt() (int64, bool) {
	i, neg := p.i, false
	if i < len(p.d) && p.d[i] == '-' {
		i, neg = i+1, true
	}
	start := i
	var x int64
	for i < len(p.d) && i-start < 18 && p.d[i] >= '0' && p.d[i] <= '9' {
		x = x*10 + int64(p.d[i]-'0')
		i++
	}
	n := i - start
	if n == 0 || n > 1 && p.d[start] == '0' {
		return 0, false
	}
	if i < len(p.d) {
		if c := p.d[i]; c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	p.i = i
	if neg {
		x = -x
	}
	return x, true
}

// number advances over a number, checking RFC 8259's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonScan) number() error {
	digits := func() int {
		n := 0
		for p.i < len(p.d) && p.d[p.i] >= '0' && p.d[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		digits()
	default:
		return p.fail("a digit")
	}
	if p.peek() == '.' {
		p.i++
		if digits() == 0 {
			return p.fail("a digit")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return p.fail("a digit")
		}
	}
	return nil
}

// skip advances over one value of any kind, checking that it is well
// formed. Containers are tracked on a stack rather than by recursion, so
// that a record of deeply nested arrays cannot exhaust the goroutine's
// stack.
func (p *jsonScan) skip() error {
	stack := p.stack[:0]
	defer func() { p.stack = stack[:0] }()
	for {
		// A value.
		p.ws()
		switch c := p.peek(); {
		case c == '"':
			if _, _, err := p.str(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			p.i++
			p.ws()
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if p.peek() == closer {
				p.i++
				break
			}
			stack = append(stack, closer)
			if closer == '}' {
				if err := p.fieldName(); err != nil {
					return err
				}
			}
			continue
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
			if err := p.number(); err != nil {
				return err
			}
		default:
			return p.fail("a value")
		}
		// After a value: close containers until one goes on.
		for {
			if len(stack) == 0 {
				return nil
			}
			p.ws()
			closer := stack[len(stack)-1]
			if p.peek() == closer {
				p.i++
				stack = stack[:len(stack)-1]
				continue
			}
			if p.peek() != ',' {
				return p.fail(fmt.Sprintf("',' or '%c'", closer))
			}
			p.i++
			if closer == '}' {
				if err := p.fieldName(); err != nil {
					return err
				}
			}
			break
		}
	}
}

// skipScalar is skip, quicker for the common values: a string or a
// number is checked without skip's container stack.
func (p *jsonScan) skipScalar() error {
	switch c := p.peek(); {
	case c == '"':
		_, _, err := p.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		if _, ok := p.smallInt(); ok {
			return nil
		}
		return p.number()
	}
	return p.skip()
}

// fieldName reads an object's field name and the ':' after it.
func (p *jsonScan) fieldName() error {
	p.ws()
	if p.peek() != '"' {
		return p.fail("a field name")
	}
	if _, _, err := p.str(); err != nil {
		return err
	}
	p.ws()
	if p.peek() != ':' {
		return p.fail("':'")
	}
	p.i++
	return nil
}

// unescape appends the contents of a JSON string, its escapes checked by
// str, with escapes resolved. A \u escape of half a UTF-16 surrogate pair
// that has not its other half is no character: an error, or U+FFFD with
// replace.
func unescape(dst, s []byte, replace bool) ([]byte, error) {
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
			r, _ := hex4(s[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if r < 0xdc00 && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, ok = hex4(s[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else if replace {
					r = utf8.RuneError
				} else {
					return dst, fmt.Errorf("\\u%04x is half a UTF-16 surrogate pair without its other half, not a character (invalid_utf8 = 'replace' reads it as U+FFFD)", r)
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, s[i])
		}
	}
	return dst, nil
}

// hex4 reads the four hex digits of a \u escape.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
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
			return 0, false
		}
	}
	return r, true
}
