package httpserve

import "testing"

// TestLabels: command labels are bounded: a tag loses its counts, and a
// failed statement's text gives a known keyword or OTHER.
func TestLabels(t *testing.T) {
	for tag, want := range map[string]string{"INSERT 0 5": "INSERT", "SELECT 3": "SELECT", "CREATE MATERIALIZED VIEW": "CREATE MATERIALIZED VIEW",
		"DECLARE CURSOR": "DECLARE CURSOR", "FETCH 10": "FETCH", "": ""} {
		if got := command(tag); got != want {
			t.Errorf("command(%q) = %q, want %q", tag, got, want)
		}
	}
	for sql, want := range map[string]string{" select 1": "SELECT", "(SELECT 1)": "SELECT", "insert into t": "INSERT",
		"sel ect": "OTHER", "": "OTHER", "x'\x00": "OTHER", "CREATE\tTABLE": "CREATE"} {
		if got := keyword(sql); got != want {
			t.Errorf("keyword(%q) = %q, want %q", sql, got, want)
		}
	}
}
