package exec

import (
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
)

// A dateTemplate is a to_timestamp / to_date template compiled once: the
// nodes PostgreSQL's from_char reads its input by (formatting.c's rules,
// as its documentation states them and checked against PostgreSQL 15 by
// TestToTimestampAgainstPostgres).
type dateTemplate struct {
	nodes []parseNode
}

type nodeKind uint8

const (
	nodeField nodeKind = iota
	nodeSpace          // a space: matches any run of spaces
	nodeSep            // a separator (-, /, : ...): one separator or space, or nothing
	nodeChar           // other text, quoted or not: skips one character
)

type parseNode struct {
	kind nodeKind
	name string // the keyword as written, for errors
	item dateItem
	fm   bool
	th   bool
	fx   bool // the FX keyword: separators and spaces match one character each from here
}

// compileFromChar compiles a PostgreSQL to_timestamp template with
// to_char's keywords (the same table, the longest match first).
func compileFromChar(p string) (*dateTemplate, error) {
	t := &dateTemplate{}
	for i := 0; i < len(p); {
		fm := false
		if strings.HasPrefix(p[i:], "FM") || strings.HasPrefix(p[i:], "fm") {
			fm, i = true, i+2
		} else if strings.HasPrefix(p[i:], "TM") || strings.HasPrefix(p[i:], "tm") {
			i += 2
		}
		if i >= len(p) {
			break
		}
		if p[i] == '"' {
			for i++; i < len(p) && p[i] != '"'; {
				if p[i] == '\\' && i+1 < len(p) {
					i++
				}
				_, n := utf8.DecodeRuneInString(p[i:])
				t.nodes = append(t.nodes, parseNode{kind: nodeChar})
				i += n
			}
			i++
			continue
		}
		k := pgKeyword{}
		for _, c := range pgKeywords {
			if len(c.name) > len(k.name) && strings.HasPrefix(p[i:], c.name) {
				k = c
			}
		}
		if k.name == "" {
			if p[i] == '\\' && i+1 < len(p) && p[i+1] == '"' {
				i++
			}
			r, n := utf8.DecodeRuneInString(p[i:])
			kind := nodeChar
			switch {
			case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
				kind = nodeSpace
			case separatorChar(r):
				kind = nodeSep
			}
			t.nodes = append(t.nodes, parseNode{kind: kind})
			i += n
			continue
		}
		i += len(k.name)
		switch {
		case k.name == "FX" || k.name == "fx":
			t.nodes = append(t.nodes, parseNode{kind: nodeField, name: k.name, fx: true})
			continue
		case k.name == "TZ" || k.name == "tz" || k.name == "OF":
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "formatting field %q is only supported in to_char", k.name)
		case k.unsupported || k.item.field >= fISOYear:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "to_timestamp field %q is not supported", k.name)
		}
		nd := parseNode{kind: nodeField, name: k.name, item: k.item, fm: fm}
		if strings.HasPrefix(p[i:], "TH") || strings.HasPrefix(p[i:], "th") {
			nd.th, i = true, i+2
		} else if strings.HasPrefix(p[i:], "SP") {
			i += 2
		}
		t.nodes = append(t.nodes, nd)
	}
	return t, nil
}

// separatorChar is PostgreSQL's is_separator_char: printable ASCII that
// is neither a letter, a digit nor a space.
func separatorChar(r rune) bool {
	return r > ' ' && r < 0x7f && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// fromChar is what a template read from the input: each field with
// whether it was given, as PostgreSQL's TmFromChar.
type fromChar struct {
	year, yysz                               int
	mm, dd, d, ddd, hh, mi, ss, ssss, ms, us int
	pm, bc                                   int
	ff                                       int // the n of the last FFn: the result is rounded to n digits
	clock12                                  bool
}

// dateParseError is a to_timestamp error: 22007 for text that does not
// match the template, 22008 for a value out of range.
func dateParseError(kind sqlerr.Kind, format string, args ...any) *sqlerr.Error {
	return sqlerr.New(kind, format, args...)
}

// parse reads s by the template and returns the wall-clock timestamp.
func (t *dateTemplate) parse(s string) (int64, *sqlerr.Error) {
	var f fromChar
	extra := 0 // spaces skipped beyond the template's, which a separator or text may stand for
	pos, fx := 0, false
	for ni := 0; ni < len(t.nodes) && pos < len(s); ni++ {
		n := &t.nodes[ni]
		if !fx && !n.fx && (n.kind == nodeField || ni == 0) {
			for pos < len(s) && isSpace(s[pos]) {
				pos++
				extra++
			}
		}
		switch n.kind {
		case nodeSpace, nodeSep:
			if !fx {
				extra--
				if pos < len(s) {
					if r, sz := utf8.DecodeRuneInString(s[pos:]); isSpace(s[pos]) || separatorChar(r) {
						pos += sz
						extra++
					}
				}
			} else {
				_, sz := utf8.DecodeRuneInString(s[pos:])
				pos += sz
			}
			continue
		case nodeChar:
			if !fx && extra > 0 {
				extra--
			} else {
				_, sz := utf8.DecodeRuneInString(s[pos:])
				pos += sz
			}
			continue
		}
		if n.fx {
			fx = true
		} else {
			var err *sqlerr.Error
			if pos, err = t.field(&f, ni, s, pos); err != nil {
				return 0, err
			}
		}
		if !fx {
			// Spaces after a field are skipped; a separator or text
			// after them may stand for them.
			extra = 0
			for pos < len(s) && isSpace(s[pos]) {
				pos++
				extra++
			}
		}
	}
	return f.timestamp()
}

// nextSeparator is PostgreSQL's is_next_separator: whether the field at ni
// is followed by something that is not a digit, so that it may read as
// many digits as there are.
func (t *dateTemplate) nextSeparator(ni int) bool {
	if t.nodes[ni].th {
		return true
	}
	if ni+1 == len(t.nodes) {
		return true
	}
	next := t.nodes[ni+1]
	if next.kind == nodeField {
		return !numericField(next.item.field) && next.item.field != fYearComma
	}
	return true
}

// fieldLen is how many characters a numeric field reads when the next
// node is a digit: its keyword's length, as PostgreSQL's.
func fieldLen(n *parseNode) int {
	switch n.item.field {
	case fHour24, fHour12:
		return 2
	case fMilli:
		return 3
	case fMicro:
		return 6
	case fFrac:
		return int(n.item.n)
	}
	return len(n.name)
}

// readInt reads the integer of the numeric field at ni from s at pos,
// as from_char_parse_int_len: it returns the position after it and how
// many characters it took.
func (t *dateTemplate) readInt(ni int, s string, pos int) (v int64, end, used int, err *sqlerr.Error) {
	n := &t.nodes[ni]
	for pos < len(s) && isSpace(s[pos]) {
		pos++
	}
	init := pos
	want := fieldLen(n)
	if n.fm || t.nextSeparator(ni) {
		v, end, ok := strtol(s, pos)
		if !ok {
			return 0, pos, 0, dateParseError(sqlerr.InvalidDatetime, "invalid value %q for %q", prefix(s[init:], want), n.name)
		}
		if v < -1<<31 || v > 1<<31-1 {
			return 0, pos, 0, dateParseError(sqlerr.DatetimeOverflow, "value for %q in source string is out of range", n.name)
		}
		return v, end, end - init, nil
	}
	copy := prefix(s[init:], want)
	if len(copy) < want {
		return 0, pos, 0, dateParseError(sqlerr.InvalidDatetime, "source string too short for %q formatting field", n.name)
	}
	v, end, ok := strtol(copy, 0)
	if !ok {
		return 0, pos, 0, dateParseError(sqlerr.InvalidDatetime, "invalid value %q for %q", copy, n.name)
	}
	if end < want {
		return 0, pos, 0, dateParseError(sqlerr.InvalidDatetime, "invalid value %q for %q", copy, n.name)
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, pos, 0, dateParseError(sqlerr.DatetimeOverflow, "value for %q in source string is out of range", n.name)
	}
	return v, init + end, end, nil
}

// prefix is s's first n bytes, or all of s.
func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// strtol reads C's strtol from s at pos: spaces, a sign, decimal digits;
// ok is false when there are no digits. A value beyond 64 bits saturates.
func strtol(s string, pos int) (int64, int, bool) {
	i := pos
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v < 1<<40 {
			v = v*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, pos, false
	}
	if neg {
		v = -v
	}
	return v, i, true
}

// setInt sets a field: a different value where one other than 0 is set
// already is PostgreSQL's "conflicting values" error (from_char_set_int).
func setInt(dst *int, v int64, name string) *sqlerr.Error {
	if *dst != 0 && *dst != int(v) {
		return dateParseError(sqlerr.InvalidDatetime, "conflicting values for %q field in formatting string", name)
	}
	*dst = int(v)
	return nil
}

// field reads the field at ni.
func (t *dateTemplate) field(f *fromChar, ni int, s string, pos int) (int, *sqlerr.Error) {
	n := &t.nodes[ni]
	it := n.item
	switch it.field {
	case fMonthName, fWeekdayName, fMeridiem, fEra:
		return t.name(f, n, s, pos)
	case fYearComma:
		// Y,YYY: thousands, a comma, three digits.
		// As sscanf's "%d,%03d".
		hi, end, ok := strtol(s, pos)
		if !ok || end >= len(s) || s[end] != ',' {
			return pos, dateParseError(sqlerr.InvalidDatetime, "invalid input string for \"Y,YYY\"")
		}
		j := end + 1
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		lo, end2, ok := strtol(prefix(s[j:], 3), 0)
		if !ok {
			return pos, dateParseError(sqlerr.InvalidDatetime, "invalid input string for \"Y,YYY\"")
		}
		if err := setInt(&f.year, hi*1000+lo, n.name); err != nil {
			return pos, err
		}
		f.yysz = 4
		end2 += j
		if n.th {
			end2 = skipTH(s, end2)
		}
		return end2, nil
	}
	v, end, used, err := t.readInt(ni, s, pos)
	if err != nil {
		return pos, err
	}
	if n.th {
		end = skipTH(s, end)
	}
	switch it.field {
	case fYear:
		err, f.yysz = setInt(&f.year, v, n.name), 4
	case fYearMod:
		if err = setInt(&f.year, v, n.name); err == nil && used < 4 {
			f.year = int(adjustYear(v))
		}
		f.yysz = int(it.n)
	case fMonth:
		err = setInt(&f.mm, v, n.name)
	case fDay:
		err = setInt(&f.dd, v, n.name)
	case fDayOfYear:
		err = setInt(&f.ddd, v, n.name)
	case fWeekday:
		err = setInt(&f.d, v, n.name)
	case fHour24:
		err = setInt(&f.hh, v, n.name)
	case fHour12:
		err = setInt(&f.hh, v, n.name)
		f.clock12 = true
	case fMinute:
		err = setInt(&f.mi, v, n.name)
	case fSecond:
		err = setInt(&f.ss, v, n.name)
	case fSecOfDay:
		err = setInt(&f.ssss, v, n.name)
	case fMilli:
		if err = setInt(&f.ms, v, n.name); err == nil {
			f.ms *= [4]int{1, 100, 10, 1}[min(used, 3)]
		}
	case fMicro, fFrac:
		if it.field == fFrac {
			f.ff = int(it.n)
		}
		if err = setInt(&f.us, v, n.name); err == nil {
			f.us *= [7]int{1, 100000, 10000, 1000, 100, 10, 1}[min(used, 6)]
		}
	}
	// A quarter is read and ignored, as PostgreSQL does.
	return end, err
}

// adjustYear is PostgreSQL's adjust_partial_year_to_2020 for a year of
// fewer than four digits.
func adjustYear(y int64) int64 {
	switch {
	case y < 70:
		return y + 2000
	case y < 100:
		return y + 1900
	case y < 520:
		return y + 2000
	case y < 1000:
		return y + 1000
	}
	return y
}

var (
	meridiems     = []string{"am", "pm"}
	meridiemsDots = []string{"a.m.", "p.m."}
	eras          = []string{"ad", "bc"}
	erasDots      = []string{"a.d.", "b.c."}
)

// name reads a month, day, AM/PM or AD/BC name, in any case.
func (t *dateTemplate) name(f *fromChar, n *parseNode, s string, pos int) (int, *sqlerr.Error) {
	var names []string
	short := n.item.style&styleShort != 0
	dots := n.item.style&styleDots != 0
	switch n.item.field {
	case fMonthName:
		names = monthNames[:]
	case fWeekdayName:
		names = dayNames[:]
	case fMeridiem:
		names = meridiems
		if dots {
			names = meridiemsDots
		}
	case fEra:
		names = eras
		if dots {
			names = erasDots
		}
	}
	for i, name := range names {
		if short {
			name = name[:3]
		}
		if len(s)-pos >= len(name) && strings.EqualFold(s[pos:pos+len(name)], name) {
			end := pos + len(name)
			var err *sqlerr.Error
			switch n.item.field {
			case fMonthName:
				err = setInt(&f.mm, int64(i+1), n.name)
			case fWeekdayName:
				if err = setInt(&f.d, int64(i), n.name); err == nil {
					f.d++
				}
			case fMeridiem:
				err, f.clock12 = setInt(&f.pm, int64(i), n.name), true
			case fEra:
				err = setInt(&f.bc, int64(i), n.name)
			}
			return end, err
		}
	}
	return pos, dateParseError(sqlerr.InvalidDatetime, "invalid value %q for %q", prefix(s[pos:], 9), n.name)
}

var monthDays = [2][13]int{
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
}

// timestamp builds the wall-clock timestamp of the fields, as
// do_to_timestamp: absent fields are 0001-01-01 BC at midnight.
func (f *fromChar) timestamp() (int64, *sqlerr.Error) {
	var year int64
	mon, mday := 1, 1
	hour, min, sec := 0, 0, 0
	if f.ssss != 0 {
		hour, min, sec = f.ssss/3600, f.ssss%3600/60, f.ssss%60
	}
	if f.ss != 0 {
		sec = f.ss
	}
	if f.mi != 0 {
		min = f.mi
	}
	if f.hh != 0 {
		hour = f.hh
	}
	if f.clock12 {
		if hour < 1 || hour > 12 {
			return 0, dateParseError(sqlerr.InvalidDatetime, "hour \"%d\" is invalid for the 12-hour clock", hour)
		}
		if f.pm == 1 && hour < 12 {
			hour += 12
		} else if f.pm == 0 && hour == 12 {
			hour = 0
		}
	}
	if f.year != 0 {
		year = int64(f.year)
		if f.bc == 1 {
			year = -year
		}
		if year < 0 {
			year++
		}
	}
	if f.dd != 0 {
		mday = f.dd
	}
	if f.mm != 0 {
		mon = f.mm
	}
	leapYear := 0
	if leap(year) {
		leapYear = 1
	}
	if f.ddd != 0 && (mon <= 1 || mday <= 1) {
		if f.year == 0 && f.bc == 0 {
			return 0, dateParseError(sqlerr.InvalidDatetime, "cannot calculate day of year without year information")
		}
		y := monthDays[leapYear]
		i := 1 // past the year's end, 13: the day then counts from December's end, as PostgreSQL's
		for ; i <= 12 && f.ddd > y[i]; i++ {
		}
		if mon <= 1 {
			mon = i
		}
		if mday <= 1 {
			mday = f.ddd - y[i-1]
		}
	}
	if mon < 1 || mon > 12 || mday < 1 || mday > monthDays[leapYear][mon]-monthDays[leapYear][mon-1] {
		return 0, dateParseError(sqlerr.DatetimeOverflow, "date/time field value out of range")
	}
	fsec := f.ms*1000 + f.us
	if hour < 0 || hour >= 24 || min < 0 || min >= 60 || sec < 0 || sec >= 60 || fsec < 0 || fsec >= 1e6 {
		return 0, dateParseError(sqlerr.DatetimeOverflow, "date/time field value out of range")
	}
	if year < -4713 || year > 294277 {
		return 0, dateParseError(sqlerr.DatetimeOverflow, "timestamp out of range")
	}
	days := vec.DaysFromCivil(year, mon, mday)
	us := days*vec.DayMicros + int64(hour)*3600e6 + int64(min)*60e6 + int64(sec)*1e6 + int64(fsec)
	if f.ff > 0 && f.ff < 6 {
		us = roundPG(us, [6]int64{1e6, 1e5, 1e4, 1e3, 100, 10}[f.ff])
	}
	if !vec.TimestampInRange(us) {
		return 0, dateParseError(sqlerr.DatetimeOverflow, "timestamp out of range")
	}
	return us, nil
}

// javaTemplate reports whether a to_timestamp / to_date template is
// Flink's (Java's DateTimeFormatter letters) rather than PostgreSQL's:
// one in single quotes, or one that PostgreSQL's keywords would read as
// naming a field twice, as 'yyyy-MM-dd HH:mm:ss' names the month (MM,
// mm) — a template no PostgreSQL user writes, and the one Flink's
// documentation shows.
func javaTemplate(p string) bool {
	if strings.ContainsRune(p, '\'') || strings.Contains(p, "SSS") && !strings.Contains(p, "SSSS") {
		return true
	}
	t, err := compileFromChar(p)
	if err != nil {
		_, jerr := compileDateFormat(p)
		return jerr == nil
	}
	seen := map[dateField]bool{}
	for _, n := range t.nodes {
		if n.kind != nodeField {
			continue
		}
		f := n.item.field
		switch f {
		case fMonthName:
			f = fMonth
		case fHour12:
			f = fHour24
		}
		if seen[f] {
			return true
		}
		seen[f] = true
	}
	return false
}

// parseJava reads s by a Flink (Java) pattern into a wall-clock
// timestamp: every literal must match and every character be read;
// fields not in the pattern are 1970-01-01 00:00:00, as Flink's
// TO_TIMESTAMP. ok is false for text that does not match, which Flink
// answers with NULL.
func parseJava(p datePattern, s string) (int64, bool) {
	year, mon, day := int64(1970), 1, 1
	hour, min, sec, micro := 0, 0, 0, 0
	clock12, pm := false, false
	pos := 0
	for i, it := range p {
		switch it.field {
		case fLit:
			if !strings.HasPrefix(s[pos:], it.lit) {
				return 0, false
			}
			pos += len(it.lit)
			continue
		case fMonthName, fWeekdayName:
			names := monthNames[:]
			if it.field == fWeekdayName {
				names = dayNames[:]
			}
			found := false
			for k, name := range names {
				if it.style&styleShort != 0 {
					name = name[:3]
				}
				if strings.HasPrefix(s[pos:], name) {
					if it.field == fMonthName {
						mon = k + 1
					}
					pos, found = pos+len(name), true
					break
				}
			}
			if !found {
				return 0, false
			}
			continue
		case fMeridiem:
			switch {
			case strings.HasPrefix(s[pos:], "AM"):
			case strings.HasPrefix(s[pos:], "PM"):
				pm = true
			default:
				return 0, false
			}
			clock12, pos = true, pos+2
			continue
		}
		// A number: exactly pad digits when another number follows at
		// once or when pad is 2 or more (a year reads 4 to 9 when
		// nothing follows), 1 or 2 when pad is 1.
		lo, hi := it.pad, it.pad
		adjacent := i+1 < len(p) && p[i+1].field != fLit && numericField(p[i+1].field)
		switch {
		case it.field == fYear && it.pad >= 4 && !adjacent:
			hi = 9
		case it.pad == 1 && !adjacent:
			lo, hi = 1, 2
			if it.field == fYear {
				hi = 9
			}
		}
		j := pos
		for j < len(s) && j-pos < hi && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-pos < lo {
			return 0, false
		}
		var v int
		for _, c := range s[pos:j] {
			v = v*10 + int(c-'0')
		}
		width := j - pos
		pos = j
		switch it.field {
		case fYear:
			year = int64(v)
		case fYearMod:
			year = 2000 + int64(v)
		case fMonth:
			mon = v
		case fDay:
			day = v
		case fHour24:
			hour = v
		case fHour12:
			hour, clock12 = v, true
		case fMinute:
			min = v
		case fSecond:
			sec = v
		case fMilli:
			// Java's S is the fraction of a second, its digits as given.
			for ; width < 6; width++ {
				v *= 10
			}
			for ; width > 6; width-- {
				v /= 10
			}
			micro = v
		default:
			return 0, false
		}
	}
	if pos != len(s) {
		return 0, false
	}
	if clock12 {
		if hour < 1 || hour > 12 {
			return 0, false
		}
		if pm && hour < 12 {
			hour += 12
		} else if !pm && hour == 12 {
			hour = 0
		}
	}
	if mon < 1 || mon > 12 || day < 1 || day > vec.DaysIn(year, mon) || hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	us := vec.DaysFromCivil(year, mon, day)*vec.DayMicros + int64(hour)*3600e6 + int64(min)*60e6 + int64(sec)*1e6 + int64(micro)
	return us, vec.TimestampInRange(us)
}

// dateParser is the kernel of to_timestamp(text, template) and
// to_date(text, template): wall-clock timestamps, which the planner casts
// to TIMESTAMPTZ in the session's zone or to DATE. A constant template
// compiles once; others once per distinct template, up to a bound.
type dateParser struct {
	fixed *parsedTemplate
	cache map[string]*parsedTemplate
}

// parsedTemplate is one template compiled in its dialect.
type parsedTemplate struct {
	java bool
	pg   *dateTemplate
	jp   datePattern
	err  error
}

func compileParsed(p string, java bool) *parsedTemplate {
	if java {
		jp, err := compileDateFormat(p)
		return &parsedTemplate{java: true, jp: jp, err: err}
	}
	t, err := compileFromChar(p)
	return &parsedTemplate{pg: t, err: err}
}

func newDateParser(consts []*planner.Const) kernel {
	d := &dateParser{}
	if c := consts[1]; c != nil && !c.Null {
		d.fixed = compileParsed(c.S, javaTemplate(c.S))
	}
	return d.eval
}

func (d *dateParser) template(p string) *parsedTemplate {
	if d.fixed != nil {
		return d.fixed
	}
	if t, ok := d.cache[p]; ok {
		return t
	}
	if len(d.cache) >= maxDatePatterns || d.cache == nil {
		d.cache = map[string]*parsedTemplate{}
	}
	t := compileParsed(p, false) // only a constant template may be Flink's: its type is decided at planning
	d.cache[p] = t
	return t
}

func (d *dateParser) eval(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
	for i := 0; i < n; i++ {
		if out.IsNull(i) {
			continue
		}
		t := d.template(args[1].Str[i])
		if t.err != nil {
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error { e, _ := sqlerr.As(t.err); return e })
			continue
		}
		if t.java {
			us, ok := parseJava(t.jp, args[0].Str[i])
			if !ok {
				out.SetNull(i)
				continue
			}
			out.I64[i] = us
			continue
		}
		us, err := t.pg.parse(args[0].Str[i])
		if err != nil {
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error { return err })
			continue
		}
		out.I64[i] = us
	}
}

func init() {
	planner.DateTemplateIsJava = javaTemplate
	planner.CheckDateTemplate = func(p string) error { return compileParsed(p, javaTemplate(p)).err }
	registerKernel("to_date", newDateParser)
}

// skipTH skips a TH suffix's two characters, as SKIP_THth.
func skipTH(s string, pos int) int {
	for range 2 {
		if pos < len(s) {
			_, sz := utf8.DecodeRuneInString(s[pos:])
			pos += sz
		}
	}
	return pos
}

// roundPG rounds a timestamp to a multiple of scale µs as PostgreSQL's
// AdjustTimestampForTypmod does: halves away from zero, counting from
// its epoch, 2000-01-01.
func roundPG(us, scale int64) int64 {
	const pgEpoch = 946684800e6
	t := us - pgEpoch
	if t >= 0 {
		t = (t + scale/2) / scale * scale
	} else {
		t = -((-t + scale/2) / scale * scale)
	}
	return t + pgEpoch
}
