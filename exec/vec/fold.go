package vec

// ToLower and ToUpper are PostgreSQL's lower() and upper() under the C
// locale, the oracle's and streamsql's (text compares by bytes): only
// ASCII letters change case, every other character is kept as it is. A
// string with nothing to change is returned itself, without a copy.
func ToLower(s string) string { return foldASCII(s, 'A', 'Z', 'a'-'A') }

// ToUpper: see ToLower.
func ToUpper(s string) string { return foldASCII(s, 'a', 'z', 'A'-'a') }

func foldASCII(s string, lo, hi byte, d int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= lo && c <= hi {
			b[i] = byte(int(c) + d)
		}
	}
	return string(b)
}
