package planner

import (
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/types"
)

// dateFieldNames are the fields EXTRACT and date_part read, by the names
// and abbreviations PostgreSQL 15 looks up (its deltatktbl, and the units
// and reserved words of datetktbl), each to the canonical name the
// executor computes. A reserved word other than epoch names no field:
// PostgreSQL says it is not supported for any type.
var dateFieldNames = func() map[string]string {
	m := map[string]string{}
	for canon, names := range map[string][]string{
		"microseconds":    {"microsecon", "us", "usec", "usecond", "useconds", "usecs"},
		"milliseconds":    {"millisecon", "ms", "msec", "msecond", "mseconds", "msecs"},
		"second":          {"s", "sec", "second", "seconds", "secs"},
		"minute":          {"m", "min", "mins", "minute", "minutes"},
		"hour":            {"h", "hour", "hours", "hr", "hrs"},
		"day":             {"d", "day", "days"},
		"week":            {"w", "week", "weeks"},
		"month":           {"mon", "mons", "month", "months"},
		"quarter":         {"qtr", "quarter"},
		"year":            {"y", "year", "years", "yr", "yrs"},
		"decade":          {"dec", "decade", "decades", "decs"},
		"century":         {"c", "cent", "centuries", "century"},
		"millennium":      {"mil", "millennia", "millennium", "mils"},
		"timezone":        {"timezone"},
		"timezone_hour":   {"timezone_h"},
		"timezone_minute": {"timezone_m"},
		"dow":             {"dow"},
		"doy":             {"doy"},
		"isodow":          {"isodow"},
		"isoyear":         {"isoyear"},
		"julian":          {"j", "jd", "julian"},
		"epoch":           {"epoch"},
		// Reserved words of datetktbl that are no field.
		"-infinity": {"-infinity"}, "infinity": {"infinity"}, "now": {"now"}, "today": {"today"},
		"tomorrow": {"tomorrow"}, "yesterday": {"yesterday"}, "allballs": {"allballs"},
	} {
		for _, n := range names {
			m[n] = canon
		}
	}
	return m
}()

// fieldsOf are the fields each type's EXTRACT and date_part compute
// (PostgreSQL 15's timestamp_part_common, extract_date and
// interval_part_common); a DATE's date_part is its TIMESTAMP's.
var fieldsOf = func() map[types.Kind]map[string]bool {
	set := func(fs ...string) map[string]bool {
		m := map[string]bool{}
		for _, f := range fs {
			m[f] = true
		}
		return m
	}
	common := []string{"microseconds", "milliseconds", "second", "minute", "hour", "day", "month", "quarter", "year", "decade", "century", "millennium", "epoch"}
	ts := append([]string{"week", "dow", "isodow", "doy", "isoyear", "julian"}, common...)
	return map[types.Kind]map[string]bool{
		types.Timestamp:   set(ts...),
		types.TimestampTZ: set(append(ts, "timezone", "timezone_hour", "timezone_minute")...),
		types.Date:        set("day", "month", "quarter", "week", "year", "decade", "century", "millennium", "isoyear", "dow", "isodow", "doy", "julian", "epoch"),
		types.Interval:    set(common...),
	}
}()

// DateField is the canonical field that EXTRACT and date_part read from
// text s for a value of type t, as PostgreSQL does: s in lower case
// (ASCII letters only), compared on its first 10 characters (TOKMAXLEN).
// It fails with 22023 for a name that is no field, 0A000 for a field t
// has not.
func DateField(s string, t types.T) (string, *sqlerr.Error) {
	low := []byte(s)
	for i, c := range low {
		if c >= 'A' && c <= 'Z' {
			low[i] = c + 'a' - 'A'
		}
	}
	key := low
	if len(key) > 10 {
		key = key[:10]
	}
	canon, ok := dateFieldNames[string(key)]
	if !ok {
		return "", sqlerr.New(sqlerr.InvalidParameter, "unit \"%s\" not recognized for type %s", low, pgTypeName(t))
	}
	if !fieldsOf[t.Kind][canon] {
		return "", sqlerr.New(sqlerr.FeatureNotSupported, "unit \"%s\" not supported for type %s", low, pgTypeName(t))
	}
	return canon, nil
}
