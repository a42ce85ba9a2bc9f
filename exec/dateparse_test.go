//go:build unix

package exec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/internal/pgtest"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// parseTokens are the pieces random to_timestamp templates are made of:
// the fields to_timestamp reads, separators, spaces and text.
var parseTokens = []string{"YYYY", "yyyy", "YYY", "YY", "Y", "Y,YYY", "MM", "Month", "MON", "mon", "DD", "DDD",
	"D", "Day", "dy", "HH", "HH12", "HH24", "MI", "SS", "SSSS", "MS", "US", "FF1", "FF3", "FF6", "Q", "AM", "pm",
	"A.M.", "BC", "ad", "-", ":", " ", "  ", "/", ".", ",", `"T"`, "x", "FM"}

// mutate damages a formatted timestamp the ways users' text differs from
// a template: spaces added or dropped, separators changed, digits cut or
// changed, text appended, out-of-range fields.
func mutate(rng *rand.Rand, s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	i := rng.IntN(len(b))
	switch rng.IntN(9) {
	case 0:
		return string(b[:i]) + " " + string(b[i:])
	case 1:
		return string(b[:i]) + string(b[i+1:])
	case 2:
		b[i] = "-/: .,xT9"[rng.IntN(9)]
	case 3:
		return string(b[:i])
	case 4:
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '9'
		}
	case 5:
		return s + []string{" extra", "9", " ", "-"}[rng.IntN(4)]
	case 6:
		return "  " + s
	case 7:
		return strings.Replace(s, "0", "", 1)
	case 8:
		return strings.ToLower(s)
	}
	return string(b)
}

// TestToTimestampAgainstPostgres reads strings by to_timestamp
// templates — strings to_char makes of random timestamps, and those
// strings damaged — and compares each timestamp, or error's SQLSTATE,
// with PostgreSQL's to_timestamp (in UTC).
func TestToTimestampAgainstPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), `SET TimeZone = 'UTC';
CREATE FUNCTION try_ts(s text, f text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN (to_timestamp(s, f) AT TIME ZONE 'UTC')::text;
EXCEPTION WHEN others THEN RETURN 'ERROR ' || SQLSTATE; END $$`); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20, 12))
	stamps := randomTimestamps(rng, 40)
	templates := []string{"YYYY-MM-DD HH24:MI:SS", "YYYY-MM-DD HH24:MI:SS.US", "YYYY-MM-DD HH24:MI:SS.MS",
		"DD Mon YYYY", "FMMonth FMDD, YYYY FMHH12:MI AM", "YYYYMMDD", "YYYYMMDDHH24MISS", "DD/MM/YY", "Y,YYY-MM-DD",
		"YYYY-DDD", "HH24:MI", "FXYYYY-MM-DD", "FXYYYY MM DD", `YYYY"T"MM`, "YYYY-MM-DD BC", "SSSS", "MM/DD/YYYY HH:MI pm",
		"YYYY-MM-DDTHH24:MI:SS", "Day, DD Month YYYY", "YYYY-MM-DD HH24:MI:SS.FF3", "YYYYMMDD HH12 A.M.", "YY-MM-DD"}
	for range 120 {
		var b strings.Builder
		for range 1 + rng.IntN(7) {
			b.WriteString(parseTokens[rng.IntN(len(parseTokens))])
		}
		templates = append(templates, b.String())
	}
	code := map[sqlerr.Kind]string{sqlerr.InvalidDatetime: "22007", sqlerr.DatetimeOverflow: "22008", sqlerr.FeatureNotSupported: "0A000"}
	checked, errs := 0, 0
	for _, tp := range templates {
		tmpl, terr := compileFromChar(tp)
		out, _ := compileToChar(tp)
		var inputs []string
		for _, us := range stamps {
			s := string(out.appendTo(nil, us, zoneOf{}))
			inputs = append(inputs, s, mutate(rng, s), mutate(rng, mutate(rng, s)))
		}
		inputs = append(inputs, "", " ", "2024-13-01", "2024-02-30 25:61:61", "-44-03-15", "99999999")
		rows, err := conn.Query(t.Context(), "SELECT try_ts(x, $2) FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i", inputs, tp)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for i, in := range inputs {
			var got string
			if terr != nil {
				e, _ := sqlerr.As(terr)
				got = "ERROR " + code[e.Kind]
			} else if us, err := tmpl.parse(in); err != nil {
				got = "ERROR " + code[err.Kind]
			} else {
				got = string(vec.AppendTimestamp(nil, us))
			}
			if strings.HasPrefix(want[i], "ERROR") {
				errs++
			}
			if got != want[i] {
				t.Errorf("to_timestamp(%q, %q) = %s, PostgreSQL %s", in, tp, got, want[i])
			}
			checked++
		}
	}
	t.Logf("%d templates, %d strings as PostgreSQL's (%d errors)", len(templates), checked, errs)
}
