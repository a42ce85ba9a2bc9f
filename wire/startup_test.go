package wire

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestStartupSettings: the parameters that are settings, by name, then
// libpq's options in their order and spellings.
func TestStartupSettings(t *testing.T) {
	m := &pgproto3.StartupMessage{Parameters: map[string]string{
		"user": "u", "database": "d", "replication": "false", "_pq_.x": "y",
		"application_name": "app", "TimeZone": "Europe/Paris",
		"options": `-c statement_timeout=100ms -cwork_mem=4MB --search-path=a\ b -x ignored`,
	}}
	got := startupSettings(m)
	want := [][2]string{
		{"TimeZone", "Europe/Paris"}, {"application_name", "app"},
		{"statement_timeout", "100ms"}, {"work_mem", "4MB"}, {"search_path", "a b"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
