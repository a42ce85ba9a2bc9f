package exec

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// format appends PostgreSQL's format(args[0], args[1:]...) of row i to
// buf: %s, %I (quote_ident), %L (quote_literal, NULL unquoted) and %%,
// each with an optional argument position n$, flag - and width (digits,
// * or *n$). null is set for a NULL result, which only a NULL format
// string gives.
func format(buf []byte, args []*vec.Vec, i int) (_ []byte, null bool, _ *sqlerr.Error) {
	f := args[0].Str[i]
	last := 0 // the argument used last, 1-based as PostgreSQL counts them
	for p := 0; p < len(f); p++ {
		if f[p] != '%' {
			buf = append(buf, f[p])
			continue
		}
		p++
		if p >= len(f) {
			return nil, false, formatUnterminated()
		}
		if f[p] == '%' {
			buf = append(buf, '%')
			continue
		}
		spec, q, err := parseFormatSpec(f, p)
		if err != nil {
			return nil, false, err
		}
		p = q
		if c := f[p]; c != 's' && c != 'I' && c != 'L' {
			r, _ := utf8.DecodeRuneInString(f[p:])
			return nil, false, sqlerr.New(sqlerr.InvalidParameter, "unrecognized format() type specifier \"%c\"", r)
		}
		// arg is the argument at 1-based position pos, or the next one
		// for 0.
		arg := func(pos int) (int, *sqlerr.Error) {
			if pos == 0 {
				pos = last + 1
			}
			if pos >= len(args) {
				return 0, formatTooFew()
			}
			last = pos
			return pos, nil
		}
		width, left := spec.width, spec.left
		if spec.widthArg >= 0 {
			k, err := arg(spec.widthArg)
			if err != nil {
				return nil, false, err
			}
			width = 0
			if !args[k].IsNull(i) {
				w, err := strconv.ParseInt(strings.TrimSpace(args[k].Str[i]), 10, 32)
				if err != nil {
					return nil, false, sqlerr.New(sqlerr.InvalidText, "invalid input syntax for type integer: %q", args[k].Str[i])
				}
				if w < 0 {
					left, w = true, -w
				}
				width = int(w)
			}
		}
		k, err := arg(spec.arg)
		if err != nil {
			return nil, false, err
		}
		var v string
		switch v0, isNull := args[k].Str[i], args[k].IsNull(i); {
		case isNull && f[p] == 'I':
			return nil, false, sqlerr.New(sqlerr.NullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
		case isNull && f[p] == 'L':
			v = "NULL"
		case isNull:
		case f[p] == 'I':
			v = quoteIdent(v0)
		case f[p] == 'L':
			v = quoteLiteral(v0)
		default:
			v = v0
		}
		pad := width - utf8.RuneCountInString(v)
		for ; pad > 0 && !left; pad-- {
			buf = append(buf, ' ')
		}
		buf = append(buf, v...)
		for ; pad > 0; pad-- {
			buf = append(buf, ' ')
		}
	}
	return buf, false, nil
}

// formatSpec is what stands between % and the type of a format()
// specifier: arg and widthArg are 1-based positions, 0 for the next
// argument; widthArg is -1 when the width, if any, is written.
type formatSpec struct {
	arg, widthArg, width int
	left                 bool
}

// parseFormatSpec reads the specifier of f starting at p, returning where
// its type character is, as PostgreSQL's text_format_parse_format.
func parseFormatSpec(f string, p int) (formatSpec, int, *sqlerr.Error) {
	spec := formatSpec{widthArg: -1}
	advance := func() *sqlerr.Error {
		if p++; p >= len(f) {
			return formatUnterminated()
		}
		return nil
	}
	digits := func() (int, bool, *sqlerr.Error) {
		if f[p] < '0' || f[p] > '9' {
			return 0, false, nil
		}
		n := 0
		for p < len(f) && f[p] >= '0' && f[p] <= '9' {
			n = n*10 + int(f[p]-'0')
			if n > 1<<31-1 {
				return 0, false, sqlerr.New(sqlerr.NumericOutOfRange, "number is out of range")
			}
			p++
		}
		if p >= len(f) {
			return 0, false, formatUnterminated()
		}
		return n, true, nil
	}
	n, ok, err := digits()
	if err != nil {
		return spec, p, err
	}
	if ok {
		if f[p] != '$' {
			spec.width = n
			return spec, p, nil
		}
		if n == 0 {
			return spec, p, formatArgZero()
		}
		spec.arg = n
		if err := advance(); err != nil {
			return spec, p, err
		}
	}
	for f[p] == '-' {
		spec.left = true
		if err := advance(); err != nil {
			return spec, p, err
		}
	}
	if f[p] == '*' {
		if err := advance(); err != nil {
			return spec, p, err
		}
		n, ok, err := digits()
		if err != nil {
			return spec, p, err
		}
		spec.widthArg = 0
		if ok {
			if f[p] != '$' {
				return spec, p, sqlerr.New(sqlerr.InvalidParameter, `width argument position must be ended by "$"`)
			}
			if n == 0 {
				return spec, p, formatArgZero()
			}
			spec.widthArg = n
			if err := advance(); err != nil {
				return spec, p, err
			}
		}
		return spec, p, nil
	}
	n, ok, err = digits()
	if err != nil {
		return spec, p, err
	}
	if ok {
		spec.width = n
	}
	return spec, p, nil
}

func formatUnterminated() *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameter, "unterminated format() type specifier")
}

func formatTooFew() *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameter, "too few arguments for format()")
}

func formatArgZero() *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameter, "format specifies argument 0, but arguments are numbered from 1")
}

// quoteIdent is PostgreSQL's quote_ident: s as it is when it is a lower
// case name that is not a keyword PostgreSQL reserves in any context,
// else double-quoted.
func quoteIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for k := 0; k < len(s) && safe; k++ {
		c := s[k]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral is PostgreSQL's quote_literal: s single-quoted, with E
// before it and backslashes doubled when it has any.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// reservedWords are PostgreSQL 15's keywords other than the unreserved ones
// (pg_get_keywords() where catcode <> 'U'): quote_ident quotes them.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization between
		bigint binary bit boolean both case cast char character check coalesce collate collation column
		concurrently constraint create cross current_catalog current_date current_role current_schema
		current_time current_timestamp current_user dec decimal default deferrable desc distinct do else end
		except exists extract false fetch float for foreign freeze from full grant greatest group grouping
		having ilike in initially inner inout int integer intersect interval into is isnull join lateral
		leading least left like limit localtime localtimestamp national natural nchar none normalize not
		notnull null nullif numeric offset on only or order out outer overlaps overlay placing position
		precision primary real references returning right row select session_user setof similar smallint
		some substring symmetric table tablesample then time timestamp to trailing treat trim true union
		unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat
		xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()
