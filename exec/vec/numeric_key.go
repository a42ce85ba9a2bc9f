package vec

import (
	"encoding/binary"
	"errors"

	"github.com/cockroachdb/apd/v3"
)

// The order-preserving key form of a NUMERIC, so that group keys, ORDER
// BY state and row keys sort by value: a sign byte; for a non-zero value
// the position of its first significant digit (biased, big-endian) and
// its significant digits without trailing zeros, ended by 0x00 (all
// complemented for a negative value, so larger magnitudes sort first);
// then, unless the form is for matching only, the display scale as a
// uvarint, so that 1.0 and 1.00 sort together but each comes back as it
// was written.

const (
	numKeyNeg  = 0x10
	numKeyZero = 0x14
	numKeyPos  = 0x18
)

var errNumKey = errors.New("vec: bad NUMERIC key")

// AppendNumericKey appends the key form of canonical NUMERIC text s; with
// scale false the display scale is left out (the form for equality only,
// where 1.0 and 1.00 must meet).
func AppendNumericKey(buf []byte, s string, scale bool) []byte {
	var d apd.Decimal
	ParseNumeric(s, &d)
	return appendDecimalKey(buf, &d, scale)
}

// AppendNumericKeyAt appends the key form of row i of NUMERIC column v.
func AppendNumericKeyAt(buf []byte, v *Vec, i int, scale bool) []byte {
	if c, s, ok := v.NumericCompact(i); ok {
		return appendCompactKey(buf, c, s, scale)
	}
	var d apd.Decimal
	v.NumericAt(i, &d)
	return appendDecimalKey(buf, &d, scale)
}

func appendDecimalKey(buf []byte, d *apd.Decimal, scale bool) []byte {
	var dbuf [24]byte
	digits := d.Coeff.Append(dbuf[:0], 10)
	return appendKeyDigits(buf, d.Negative, digits, int(d.Exponent), NumericScale(d), scale)
}

// appendKeyDigits writes the key of the value ±digits·10^exp, of display
// scale ds.
func appendKeyDigits(buf []byte, neg bool, digits []byte, exp, ds int, scale bool) []byte {
	trimmed := len(digits)
	for trimmed > 0 && digits[trimmed-1] == '0' {
		trimmed--
	}
	switch {
	case trimmed == 0:
		buf = append(buf, numKeyZero)
	default:
		top := int64(len(digits)) - 1 + int64(exp)
		var e [4]byte
		binary.BigEndian.PutUint32(e[:], uint32(top+1<<31))
		inv := byte(0)
		if neg {
			buf = append(buf, numKeyNeg)
			inv = 0xff
		} else {
			buf = append(buf, numKeyPos)
		}
		for _, c := range e {
			buf = append(buf, c^inv)
		}
		for i := 0; i < trimmed; i++ {
			buf = append(buf, digits[i]^inv)
		}
		buf = append(buf, inv)
	}
	if scale {
		buf = binary.AppendUvarint(buf, uint64(ds))
	}
	return buf
}

// DecodeNumericKey reads a key written by AppendNumericKey with its scale
// and returns the canonical text and the bytes after it.
func DecodeNumericKey(b []byte) (string, []byte, error) {
	var d apd.Decimal
	b, err := decodeNumericKey(b, &d)
	if err != nil {
		return "", nil, err
	}
	return NumericText(&d), b, nil
}

// DecodeNumericKeyTo reads a key written by AppendNumericKey with its
// scale, appends its value to out and returns the bytes after it.
func DecodeNumericKeyTo(b []byte, out *Vec) ([]byte, error) {
	var d apd.Decimal
	b, err := decodeNumericKey(b, &d)
	if err != nil {
		return nil, err
	}
	out.AppendNumericDecimal(&d)
	return b, nil
}

// DecodeNumericMatchKeyTo reads a key written by AppendNumericKey without
// its scale, appends its value at display scale (or its digits' own scale
// if larger) to out and returns the bytes after it.
func DecodeNumericMatchKeyTo(b []byte, out *Vec, scale int) ([]byte, error) {
	var d apd.Decimal
	b, err := decodeNumericKeyAt(b, &d, max(scale, 0))
	if err != nil {
		return nil, err
	}
	out.AppendNumericDecimal(&d)
	return b, nil
}

func decodeNumericKey(b []byte, d *apd.Decimal) ([]byte, error) { return decodeNumericKeyAt(b, d, -1) }

// decodeNumericKeyAt decodes a key into d, with the display scale the key
// holds when scale < 0, else (the key holding none) at scale.
func decodeNumericKeyAt(b []byte, d *apd.Decimal, scale int) ([]byte, error) {
	if len(b) == 0 {
		return nil, errNumKey
	}
	var top int64
	var dbuf [24]byte
	digits := dbuf[:0]
	switch b[0] {
	case numKeyZero:
		b = b[1:]
	case numKeyNeg, numKeyPos:
		inv := byte(0)
		if b[0] == numKeyNeg {
			inv = 0xff
			d.Negative = true
		}
		if len(b) < 5 {
			return nil, errNumKey
		}
		var e [4]byte
		for i := range e {
			e[i] = b[1+i] ^ inv
		}
		top = int64(binary.BigEndian.Uint32(e[:])) - 1<<31
		b = b[5:]
		for {
			if len(b) == 0 {
				return nil, errNumKey
			}
			c := b[0] ^ inv
			b = b[1:]
			if c == 0 {
				break
			}
			digits = append(digits, c)
		}
	default:
		return nil, errNumKey
	}
	s := uint64(scale)
	if scale < 0 {
		var k int
		if s, k = binary.Uvarint(b); k <= 0 {
			return nil, errNumKey
		}
		b = b[k:]
	}
	if len(digits) == 0 {
		digits = append(digits, '0')
		top = 0
	}
	// Value = 0.digits × 10^(top+1); the stored scale is at least the
	// digits' own.
	exp := top + 1 - int64(len(digits))
	if exp > -int64(s) && exp+int64(s) > NumericMaxWeight+NumericMaxScale {
		return nil, errNumKey
	}
	for exp > -int64(s) {
		digits = append(digits, '0')
		exp--
	}
	if len(digits) <= 18 {
		var c int64
		for _, ch := range digits {
			if ch < '0' || ch > '9' {
				return nil, errNumKey
			}
			c = c*10 + int64(ch-'0')
		}
		d.Coeff.SetInt64(c)
	} else if _, ok := d.Coeff.SetString(string(digits), 10); !ok {
		return nil, errNumKey
	}
	d.Exponent = int32(exp)
	if d.Coeff.Sign() == 0 {
		d.Negative = false
	}
	if normalize(d) != NumOK {
		return nil, errNumKey
	}
	return b, nil
}
