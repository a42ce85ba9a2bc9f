package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// checkText refuses what PostgreSQL's UTF8 text cannot hold, as
// PostgreSQL does (22021): bytes that are not UTF-8, and NUL. Statements,
// parameters and inserted values pass through it, so that no client is
// ever sent a string it would reject.
func checkText(s string) error {
	if utf8.ValidString(s) {
		if strings.IndexByte(s, 0) < 0 {
			return nil
		}
		return sqlerr.New(sqlerr.CharNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x00`)
	}
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	return sqlerr.New(sqlerr.CharNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x%02x`, s[i])
}
