package wire

import (
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Configurable is a Session that takes settings from the startup message,
// as PostgreSQL applies each run-time parameter a client sends there
// (pgx's RuntimeParams, libpq's options='-c statement_timeout=100ms').
type Configurable interface {
	// SetStartup applies one setting as SET would; an error fails the
	// connection.
	SetStartup(name, value string) error
}

// startupProtocol are the startup parameters that are not settings.
var startupProtocol = map[string]bool{"user": true, "database": true, "options": true, "replication": true}

// startupSettings returns the settings of a startup message: its
// parameters other than the protocol's, then those of its options
// (-c name=value or --name=value, separated by spaces, a backslash
// escaping the next character), the parameters by name.
func startupSettings(m *pgproto3.StartupMessage) [][2]string {
	var out [][2]string
	for k, v := range m.Parameters {
		if !startupProtocol[k] && !strings.HasPrefix(k, "_pq_.") {
			out = append(out, [2]string{k, v})
		}
	}
	// Map order is random; a fixed order makes an error name the same
	// setting each time.
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	words := splitOptions(m.Parameters["options"])
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-c" && i+1 < len(words):
			i++
			w = words[i]
		case strings.HasPrefix(w, "-c"):
			w = w[2:]
		case strings.HasPrefix(w, "--"):
			w = w[2:]
		default:
			continue
		}
		if k, v, ok := strings.Cut(w, "="); ok {
			out = append(out, [2]string{strings.ReplaceAll(k, "-", "_"), v})
		}
	}
	return out
}

// splitOptions splits libpq's options string at unescaped spaces.
func splitOptions(s string) []string {
	var words []string
	var b strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			b.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ' ' || r == '\t':
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}
