package jsonb

import "strings"

// numeric's limits: digits before the point and after it.
const (
	maxIntDigits   = 131072
	maxScaleDigits = 16383
)

// canonNumber is JSON number text as PostgreSQL's numeric prints it: no
// exponent, as many fraction digits as the text implies (1.50e1 is 15.0,
// 1e-2 is 0.01), no sign on zero. ok is false past numeric's range.
func canonNumber(s string) (string, bool) {
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, exp := s, 0
	if k := strings.IndexAny(s, "eE"); k >= 0 {
		mant = s[:k]
		e := s[k+1:]
		eneg := e[0] == '-'
		if e[0] == '+' || e[0] == '-' {
			e = e[1:]
		}
		for _, c := range []byte(e) {
			exp = exp*10 + int(c-'0')
			if exp > 1e7 {
				return "", false
			}
		}
		if eneg {
			exp = -exp
		}
	}
	ip, fp := mant, ""
	if k := strings.IndexByte(mant, '.'); k >= 0 {
		ip, fp = mant[:k], mant[k+1:]
	}
	if exp == 0 && (ip == "0" || ip[0] != '0') && !neg {
		return mant, true // the common case: already canonical
	}
	digits := ip + fp
	point := len(ip) + exp
	scale := max(0, len(fp)-exp)
	if point > maxIntDigits+len(digits) || scale > maxScaleDigits {
		return "", false
	}
	var b strings.Builder
	var intPart, frac string
	switch {
	case point <= 0:
		intPart, frac = "0", strings.Repeat("0", -point)+digits
	case point >= len(digits):
		intPart = digits + strings.Repeat("0", point-len(digits))
	default:
		intPart, frac = digits[:point], digits[point:]
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if len(intPart) > maxIntDigits {
		return "", false
	}
	zero := intPart == "0" && strings.Trim(frac, "0") == ""
	if neg && !zero {
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	if scale > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String(), true
}

// numCmp orders two canonical numbers by value.
func numCmp(a, b string) int {
	an, bn := a[0] == '-', b[0] == '-'
	if an != bn {
		if an {
			return -1
		}
		return 1
	}
	c := absCmp(strings.TrimPrefix(a, "-"), strings.TrimPrefix(b, "-"))
	if an {
		return -c
	}
	return c
}

func absCmp(a, b string) int {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		if len(ai) < len(bi) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ai, bi); c != 0 {
		return c
	}
	af, bf = strings.TrimRight(af, "0"), strings.TrimRight(bf, "0")
	return strings.Compare(af, bf)
}

// NormNumber is a canonical number without trailing fraction zeros: one
// text for every number numerically equal.
func NormNumber(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
