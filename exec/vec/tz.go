package vec

import (
	"errors"
	"strings"
	"sync"
	"time"
	// The tz database, so that zone names work on a machine without one.
	_ "time/tzdata"
)

// Offset is the UTC offset of zone loc at instant us, in seconds east.
func Offset(us int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return 0
	}
	_, off := time.Unix(floorDiv64(us, 1e6), 0).In(loc).Zone()
	return int64(off)
}

// ToLocal is the wall-clock time in loc, as a TIMESTAMP, of the instant us
// (a TIMESTAMPTZ).
func ToLocal(us int64, loc *time.Location) int64 { return us + Offset(us, loc)*1e6 }

// FromLocal is the instant (a TIMESTAMPTZ) of the wall-clock time wall
// (a TIMESTAMP) in loc. A time that a transition skips or repeats is read
// as PostgreSQL reads it (DetermineTimeZoneOffset): a skipped one with the
// offset before a spring-forward transition, a repeated one with the offset
// after a fall-back one.
func FromLocal(wall int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return wall
	}
	secs := floorDiv64(wall, 1e6)
	prev := time.Unix(secs-86400, 0).In(loc)
	_, before := prev.Zone()
	_, end := prev.ZoneBounds()
	if end.IsZero() {
		return wall - int64(before)*1e6
	}
	boundary := end.Unix()
	_, after := end.In(loc).Zone()
	bt, at := secs-int64(before), secs-int64(after)
	switch {
	case bt < boundary && at < boundary:
		return wall - int64(before)*1e6
	case bt >= boundary && at >= boundary, bt <= at:
		return wall - int64(after)*1e6
	}
	return wall - int64(before)*1e6
}

// ParseTimestampTZ reads a timestamp with time zone: a TIMESTAMP's text
// with an offset (+05:30, -08, Z) or a zone name (2024-03-10 02:30
// America/New_York) after it, or without one, in loc.
func ParseTimestampTZ(s string, loc *time.Location) (int64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if name := s[i+1:]; hasLetter(name[:1]) && !strings.EqualFold(name, "BC") && !strings.EqualFold(name, "AD") {
			z, err := LoadZone(name)
			if err != nil {
				return 0, false
			}
			wall, ok := ParseTimestamp(s[:i])
			if !ok {
				return 0, false
			}
			us := FromLocal(wall, z)
			return us, TimestampInRange(us)
		}
	}
	us, ok := ParseTimestamp(s)
	if !ok || hasOffset(s) {
		return us, ok
	}
	us = FromLocal(us, loc)
	return us, TimestampInRange(us)
}

func hasLetter(s string) bool {
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// hasOffset reports whether timestamp text names its offset: a Z, + or -
// after the date.
func hasOffset(s string) bool {
	s, _ = cutEra(s)
	if len(s) <= 10 {
		return false
	}
	return strings.ContainsAny(s[10:], "+-Zz")
}

// LoadZone finds a time zone by the names PostgreSQL takes: the tz
// database's, and UTC, GMT and Z. Zones are cached: reading one from the
// database parses it.
func LoadZone(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "GMT", "Z", "ZULU", "UCT", "ETC/UTC":
		return time.UTC, nil
	}
	if strings.EqualFold(name, "local") || name == "" {
		return nil, errBadZone
	}
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location), nil
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, z)
	return z, nil
}

// zones caches LoadZone's zones by name.
var zones sync.Map

var errBadZone = errors.New("unknown time zone")

// AppendTimestampTZ formats an instant as PostgreSQL prints a timestamp
// with time zone in loc: the wall-clock time, then the offset as +HH,
// +HH:MM or +HH:MM:SS, then the era.
func AppendTimestampTZ(buf []byte, us int64, loc *time.Location) []byte {
	off := Offset(us, loc)
	buf, bc := appendWall(buf, us+off*1e6)
	return appendEra(AppendOffset(buf, off), bc)
}

// AppendOffset appends a UTC offset in seconds as PostgreSQL prints one.
func AppendOffset(buf []byte, off int64) []byte {
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = append2(buf, int(off/3600))
	if m, s := off/60%60, off%60; m != 0 || s != 0 {
		buf = append(buf, ':')
		buf = append2(buf, int(m))
		if s != 0 {
			buf = append(buf, ':')
			buf = append2(buf, int(s))
		}
	}
	return buf
}
