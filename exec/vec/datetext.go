package vec

import (
	"strings"
)

// TimeZoneDisp is date or time text whose numeric UTC offset is beyond
// ±15 hours (22009, "time zone displacement out of range").
const TimeZoneDisp TimeResult = TimeRange + 1

// TimeZoneName is TIMESTAMPTZ text that names a time zone not known
// (22023).
const TimeZoneName TimeResult = TimeRange + 2

// timeField is one field of date or time text as PostgreSQL's
// ParseDateTime splits it.
type timeField struct {
	kind timeFieldKind
	text string
}

type timeFieldKind uint8

const (
	tfNumber  timeFieldKind = iota // digits, maybe with a '.'
	tfDate                         // 2024-02-29, 2024-feb-29, america/new_york
	tfTime                         // 12:34:56
	tfString                       // a word
	tfZone                         // a sign and digits: -05, +05:30
	tfSpecial                      // a sign and a word: -infinity
)

// splitTimeText splits s into fields as PostgreSQL's ParseDateTime does,
// reporting false for text it refuses outright.
func splitTimeText(s string) ([]timeField, bool) {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isAlpha := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	var fs []timeField
	i := 0
	for i < len(s) {
		c := s[i]
		start := i
		var k timeFieldKind
		switch {
		case isDigit(c):
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			k = tfNumber
			if i < len(s) && s[i] == ':' {
				k = tfTime
				for i++; i < len(s) && (isDigit(s[i]) || s[i] == ':' || s[i] == '.'); i++ {
				}
			} else if i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.') {
				delim := s[i]
				i++
				if i < len(s) && isDigit(s[i]) {
					if delim != '.' {
						k = tfDate
					}
					for i < len(s) && isDigit(s[i]) {
						i++
					}
					if i < len(s) && s[i] == delim {
						k = tfDate
						for i < len(s) && (isDigit(s[i]) || s[i] == delim) {
							i++
						}
					}
				} else {
					k = tfDate
					for i < len(s) && (isDigit(s[i]) || isAlpha(s[i]) || s[i] == delim) {
						i++
					}
				}
			}
		case c == '.':
			for i++; i < len(s) && isDigit(s[i]); i++ {
			}
			k = tfNumber
		case isAlpha(c):
			for i < len(s) && isAlpha(s[i]) {
				i++
			}
			k = tfString
			isDate := false
			if i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.') {
				isDate = true
			} else if i < len(s) && (s[i] == '+' || isDigit(s[i])) {
				isDate = !timeKeyword(strings.ToLower(s[start:i]))
			}
			if isDate {
				k = tfDate
				for i < len(s) && (strings.IndexByte("+-/_.:", s[i]) >= 0 || isDigit(s[i]) || isAlpha(s[i])) {
					i++
				}
			}
		case c == ' ' || c >= '\t' && c <= '\r':
			i++
			continue
		case c == '+' || c == '-':
			i++
			for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
				i++
			}
			switch {
			case i < len(s) && isDigit(s[i]):
				k = tfZone
				for i++; i < len(s) && (isDigit(s[i]) || s[i] == ':' || s[i] == '.' || s[i] == '-'); i++ {
				}
			case i < len(s) && isAlpha(s[i]):
				k = tfSpecial
				for i < len(s) && isAlpha(s[i]) {
					i++
				}
			default:
				return nil, false
			}
		case c > ' ' && c < 0x7f:
			i++ // other punctuation separates fields
			continue
		default:
			return nil, false
		}
		fs = append(fs, timeField{k, strings.ToLower(s[start:i])})
		if len(fs) > 25 {
			return nil, false
		}
	}
	return fs, true
}

// timeKeyword reports whether w is one of PostgreSQL's date and time
// words (datetktbl): month and day names, AM/PM, AD/BC and the special
// values; a zone abbreviation is looked up as a zone.
func timeKeyword(w string) bool {
	switch w {
	case "am", "pm", "ad", "bc", "allballs", "epoch", "infinity", "now", "today", "tomorrow", "yesterday",
		"z", "zulu", "t", "j", "on", "y", "m", "d", "h", "mm", "s":
		return true
	}
	for _, n := range []string{"january", "february", "march", "april", "may", "june", "july", "august",
		"september", "october", "november", "december", "sunday", "monday", "tuesday", "wednesday",
		"thursday", "friday", "saturday"} {
		if len(w) >= 3 && strings.HasPrefix(n, w) {
			return true
		}
	}
	return w == "sept" || w == "tues" || w == "wednes" || w == "thur" || w == "thurs"
}

// beyondInt32 reports whether the digits d are a number past an int32's
// range, which strtoint refuses.
func beyondInt32(d string) bool {
	d = strings.TrimLeft(d, "0")
	return d != "" && d[0] >= '0' && d[0] <= '9' && (len(d) > 10 || len(d) == 10 && d > "2147483647")
}

// monthName reports whether w is a month's name or its abbreviation.
func monthName(w string) bool {
	for _, n := range []string{"january", "february", "march", "april", "may", "june", "july", "august",
		"september", "october", "november", "december"} {
		if len(w) >= 3 && strings.HasPrefix(n, w) {
			return true
		}
	}
	return w == "sept"
}

// clockOverflows reports a time of day with a field out of range, as
// PostgreSQL's time_overflows: past 24:00:00, a minute past 59, a second
// past 60.
func clockOverflows(t string) bool {
	parts := strings.Split(t, ":")
	num := func(s string) int64 {
		var v int64
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				break
			}
			if v < 1<<40 {
				v = v*10 + int64(c-'0')
			}
		}
		return v
	}
	h := num(parts[0])
	var m, sec int64
	frac := false
	if len(parts) > 1 {
		m = num(parts[1])
	}
	if len(parts) > 2 {
		sec = num(parts[2])
		if i := strings.IndexByte(parts[2], '.'); i >= 0 {
			frac = strings.Trim(parts[2][i+1:], "0") != ""
		}
	}
	return h > 24 || m > 59 || sec > 60 || h == 24 && (m > 0 || sec > 0 || frac)
}

// ClassifyTimeText says why date or time text that did not read fails in
// PostgreSQL: its fields are decoded in order (DecodeDateTime), and the
// first that fails decides. A lone number is a month of one or two
// digits (22008 beyond 12), or a year; a signed number is a UTC offset
// (22009 beyond 15 hours); a word that is neither a keyword nor a zone is
// 22007; an unknown zone name after a date is 22023. Text whose fields
// all pass is as ParseDate classifies it.
func ClassifyTimeText(s string) TimeResult {
	fs, ok := splitTimeText(s)
	if !ok {
		return TimeBad
	}
	if len(fs) == 1 && fs[0].kind == tfNumber && !strings.Contains(fs[0].text, ".") {
		return loneNumber(fs[0].text)
	}
	haveDate := false
	for _, f := range fs {
		switch f.kind {
		case tfDate:
			if !haveDate {
				// DecodeDate: its parts are numbers or month names, a
				// number beyond an int32 out of range, and they make a
				// whole date.
				if strings.ContainsAny(f.text[len(f.text)-1:], "-/.") {
					return TimeBad
				}
				parts := strings.FieldsFunc(f.text, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
				month := false
				for _, part := range parts {
					if part[0] < '0' || part[0] > '9' {
						if !monthName(part) {
							return TimeBad
						}
						month = true
					} else if strings.Trim(part, "0123456789") != "" {
						return TimeBad
					}
				}
				for _, part := range parts {
					if beyondInt32(part) {
						return TimeField
					}
				}
				if len(parts) < 3 && !month {
					return TimeBad
				}
				haveDate = true
				continue
			}
			if f.text[0] >= '0' && f.text[0] <= '9' {
				return TimeBad
			}
			if _, err := LoadZone(f.text); err != nil && !zoneKnownFolded(f.text) {
				return TimeZoneName
			}
		case tfNumber:
			// A number with a point before any date is a date of two
			// parts (DecodeDate): a part beyond an int32 is out of range.
			if !haveDate && strings.Contains(f.text, ".") {
				for _, part := range strings.Split(f.text, ".") {
					if beyondInt32(part) {
						return TimeField
					}
				}
				return TimeBad
			}
		case tfTime:
			if clockOverflows(f.text) {
				return TimeField
			}
		case tfZone:
			if r := zoneDisplacement(f.text); r != TimeOK {
				return r
			}
		case tfString:
			if !timeKeyword(f.text) && !zoneKnownFolded(f.text) {
				return TimeBad
			}
		}
	}
	if _, r := ParseDate(s); r == TimeField {
		return TimeField
	}
	return TimeBad
}

// zoneKnownFolded reports whether name, in lower case, names a zone
// whatever its case (PostgreSQL's zone names are not case-sensitive).
func zoneKnownFolded(name string) bool {
	if _, err := LoadZone(name); err == nil {
		return true
	}
	for _, z := range []string{strings.ToUpper(name), titleZone(name)} {
		if _, err := LoadZone(z); err == nil {
			return true
		}
	}
	return false
}

// titleZone capitalises each part of a zone name: america/new_york is
// America/New_York.
func titleZone(name string) string {
	b := []byte(name)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '/' || c == '_' || c == '-'
	}
	return string(b)
}

// loneNumber is PostgreSQL's reading of text that is one unsigned
// number that did not read: six digits or more are a run-together date
// (RunTogetherDate), fewer than three a month, else a year; a month or day
// out of range, or year 0, is 22008, an incomplete date 22007.
func loneNumber(d string) TimeResult {
	n := len(d)
	switch {
	case n >= 6:
		return TimeField // a run-together date that did not read has a field out of range
	case n >= 3:
		if strings.Trim(d, "0") == "" {
			return TimeField // year 0
		}
		return TimeBad
	}
	m := 0
	for _, c := range []byte(d) {
		m = m*10 + int(c-'0')
	}
	if m < 1 || m > 12 {
		return TimeField
	}
	return TimeBad
}

// zoneDisplacement checks a numeric UTC offset as PostgreSQL's
// DecodeTimezone: hours to 15, minutes and seconds below 60, and nothing
// after them.
func zoneDisplacement(z string) TimeResult {
	i := 1
	num := func() (int64, bool) {
		var v int64
		start := i
		for i < len(z) && z[i] >= '0' && z[i] <= '9' {
			v = v*10 + int64(z[i]-'0')
			if v > 1<<31-1 {
				return 0, false
			}
			i++
		}
		return v, i > start
	}
	for i < len(z) && z[i] == ' ' {
		i++
	}
	hStart := i
	h, ok := num()
	if !ok && i > hStart {
		return TimeZoneDisp
	}
	var m, sec int64
	switch {
	case i < len(z) && z[i] == ':':
		i++
		if m, ok = num(); !ok && i < len(z) && z[i] >= '0' && z[i] <= '9' {
			return TimeZoneDisp
		}
		if i < len(z) && z[i] == ':' {
			i++
			if sec, ok = num(); !ok && i < len(z) && z[i] >= '0' && z[i] <= '9' {
				return TimeZoneDisp
			}
		}
	case i == len(z) && len(z) > 3:
		h, m = h/100, h%100
	}
	if h > 15 || m >= 60 || sec >= 60 {
		return TimeZoneDisp
	}
	if i != len(z) {
		return TimeBad
	}
	return TimeOK
}

// RunTogetherDate is text of six digits or more, a date run together as
// PostgreSQL reads one (its last two digits the day, the two before the
// month, the rest the year; a two-digit year is 1970 to 2069), written
// YYYY-MM-DD; other text is returned as it is.
func RunTogetherDate(s string) string {
	d := strings.TrimSpace(s)
	if len(d) < 6 || strings.Trim(d, "0123456789") != "" {
		return s
	}
	n := len(d)
	y := d[:n-4]
	switch {
	case len(y) == 2 && y < "70":
		y = "20" + y
	case len(y) == 2:
		y = "19" + y
	case len(y) == 3:
		y = "0" + y
	}
	return y + "-" + d[n-4:n-2] + "-" + d[n-2:]
}
