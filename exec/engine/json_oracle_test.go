package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// TestJSONOracle compares the JSON and JSONB operators, functions and
// casts over generated documents (nested, unicode, escapes, big and small
// numbers, duplicate keys, empty containers, invalid JSON) with
// PostgreSQL 15: each result's text, or its error's SQLSTATE, message and
// detail.
func TestJSONOracle(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	ctx := context.Background()
	ref, err := pgx.Connect(ctx, pg.URL("postgres")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(ctx)
	eng := connectMode(t, startServer(t), true)
	g := &jsonGen{rng: oracleRand(t)}
	cases, bad := 0, 0
	for range 4000 {
		q := "SELECT " + g.expr()
		want, got := jsonAnswer(ctx, ref, q), jsonAnswer(ctx, eng, q)
		cases++
		if got != want {
			bad++
			if bad <= 25 {
				t.Errorf("%s\n  PostgreSQL: %s\n  streamsql:  %s", q, want, got)
			}
		}
	}
	t.Logf("%d cases, %d differ", cases, bad)
}

// jsonAnswer is a query's one value in text format, or its error's SQLSTATE,
// message and detail.
func jsonAnswer(ctx context.Context, c *pgx.Conn, q string) string {
	var s []byte
	rows, err := c.Query(ctx, q)
	if err == nil {
		for rows.Next() {
			s = append([]byte("v"), rows.RawValues()[0]...)
			if rows.RawValues()[0] == nil {
				s = nil
			}
		}
		rows.Close()
		err = rows.Err()
	}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "22003":
		// Out-of-range messages of DECIMAL(p,s) are the engine's own,
		// not this test's subject.
		return "error " + pe.Code
	case errors.As(err, &pe):
		return fmt.Sprintf("error %s %s %s", pe.Code, pe.Message, pe.Detail)
	case err != nil:
		return "error " + err.Error()
	case s == nil:
		return "NULL"
	}
	return string(s[1:])
}

type jsonGen struct{ rng *rand.Rand }

func (g *jsonGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

var jsonKeys = []string{"a", "b", "aa", "ab", "c", "é", `q\"uote`, "", "long_key", `\u0041`}

func (g *jsonGen) key() string { return `"` + jsonKeys[g.rng.IntN(len(jsonKeys))] + `"` }

func (g *jsonGen) number() string {
	return g.pick("0", "-0", "1", "-1", "1.0", "1.50e1", "1e-5", "2.5E+3", "123456789012345678901234567890",
		"-0.000001", "0.1", "1e20", "9223372036854775807", "9223372036854775808", "2147483647", "2147483648",
		"-2147483649", "1.5", "-2.5", "0.5", "3.14159", "1e2", "100e-2", fmt.Sprint(g.rng.IntN(2000)-1000))
}

func (g *jsonGen) str() string {
	return `"` + g.pick("", "x", "hello", "é日本", `esc\"ape`, `back\\slash`, `new\nline`, `tab\t`, `\u00e9`,
		`\ud83d\ude00`, `\/slash`, `ctl\u001f`, "a b", "true", "1", "null") + `"`
}

// value is a JSON document of at most depth levels.
func (g *jsonGen) value(depth int) string {
	n := g.rng.IntN(10)
	if depth <= 0 && n >= 7 {
		n = g.rng.IntN(7)
	}
	switch n {
	case 0, 1:
		return g.number()
	case 2, 3:
		return g.str()
	case 4:
		return g.pick("true", "false")
	case 5:
		return "null"
	case 6:
		return g.pick("{}", "[]", "[ ]", "{ }")
	case 7:
		var parts []string
		for range g.rng.IntN(4) {
			parts = append(parts, g.value(depth-1))
		}
		return "[" + strings.Join(parts, g.pick(",", ", ", " ,\n")) + "]"
	}
	var parts []string
	for range 1 + g.rng.IntN(4) {
		parts = append(parts, g.key()+g.pick(":", ": ", " : ")+g.value(depth-1))
	}
	return "{" + strings.Join(parts, g.pick(",", ", ")) + "}"
}

// doc is a document, sometimes broken.
func (g *jsonGen) doc() string {
	d := g.value(3)
	if g.rng.IntN(8) == 0 {
		switch g.rng.IntN(9) {
		case 0:
			d = d[:g.rng.IntN(len(d)+1)]
		case 1:
			d = g.pick("01", "tru", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "\"\\x\"", "\"\\u12\"", "\"\\u0000\"", "'a'",
				"\"\\ud800\"", "\"\\ude00\"", "{1:2}", "-", "1.", ".5", "NaN", "[]]", "é", "\"\t\"", "nul")
		case 2:
			d = " " + d + " x"
		case 3:
			d = "[" + d
		case 4:
			d = "\n" + d + "\n"
		case 5:
			d = "1e1001"
		case 6:
			d = "1e-20"
		case 7:
			d = "-0.0"
		default:
			d = "{\"a\":1,\"a\":2,\"b\":[1,{\"c\":null}]}"
		}
	}
	return d
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (g *jsonGen) jb() string { return sqlString(g.doc()) + "::jsonb" }

func (g *jsonGen) keyText() string {
	k := jsonKeys[g.rng.IntN(len(jsonKeys))]
	k = strings.ReplaceAll(k, `\"`, `"`)
	if k == `\u0041` {
		k = "A"
	}
	return sqlString(k)
}

func (g *jsonGen) path() string {
	var parts []string
	for range g.rng.IntN(4) {
		parts = append(parts, g.pick("a", "b", "aa", "0", "1", "-1", "c", "\"a\"", "NULL", "x"))
	}
	return "'{" + strings.Join(parts, ",") + "}'"
}

func (g *jsonGen) expr() string {
	idx := fmt.Sprint(g.rng.IntN(7) - 3)
	switch g.rng.IntN(32) {
	case 0, 1:
		return g.jb()
	case 2:
		return sqlString(g.doc()) + "::json"
	case 3:
		return g.jb() + " -> " + g.keyText()
	case 4:
		return g.jb() + " ->> " + g.keyText()
	case 5:
		return g.jb() + " -> " + idx
	case 6:
		return g.jb() + " ->> " + idx
	case 7:
		return g.jb() + " #> " + g.path()
	case 8:
		return g.jb() + " #>> " + g.path()
	case 9:
		return g.jb() + " @> " + g.jb()
	case 10:
		return g.jb() + " <@ " + g.jb()
	case 11:
		return g.jb() + " ? " + g.keyText()
	case 12:
		return g.jb() + " ?| " + g.pick("'{a,b}'", "'{}'", "'{x}'", "'{aa,NULL}'")
	case 13:
		return g.jb() + " ?& " + g.pick("'{a,b}'", "'{}'", "'{a}'", "'{aa,NULL}'")
	case 14:
		return g.jb() + " || " + g.jb()
	case 15:
		return g.jb() + " - " + g.keyText()
	case 16:
		return g.jb() + " - " + idx
	case 17:
		return "jsonb_typeof(" + g.jb() + ")"
	case 18:
		return "jsonb_array_length(" + g.jb() + ")"
	case 19:
		return "jsonb_strip_nulls(" + g.jb() + ")"
	case 20:
		return "jsonb_pretty(" + g.jb() + ")"
	case 21:
		return "jsonb_extract_path_text(" + g.jb() + ", " + g.keyText() + ", " + g.pick("'0'", "'a'", "'-1'") + ")"
	case 22:
		return "(" + g.jb() + ")::" + g.pick("int", "bigint", "float8", "bool", "text", "numeric(18,4)", "json")
	case 23:
		return g.jb() + g.pick(" < ", " = ", " > ", " <= ") + g.jb()
	case 24:
		return sqlString(g.doc()) + "::json -> " + g.pick(g.keyText(), idx)
	case 25:
		return sqlString(g.doc()) + "::json ->> " + g.pick(g.keyText(), idx)
	case 26:
		return "json_typeof(" + sqlString(g.doc()) + "::json)"
	case 27:
		return "to_jsonb(" + g.scalar() + ")"
	case 28:
		return "jsonb_build_object(" + g.keyText() + ", " + g.scalar() + ", " + g.keyText() + ", " + g.jb() + ")"
	case 29:
		return "jsonb_build_array(" + g.scalar() + ", " + g.jb() + ")"
	case 30:
		return "json_build_object(" + g.keyText() + ", " + g.scalar() + ")"
	}
	return sqlString(g.doc()) + "::json #>> " + g.path()
}

// scalar is a SQL value of one of the types to_jsonb converts.
func (g *jsonGen) scalar() string {
	return g.pick("1", "-2", "1.50", "0.1::float8", "'NaN'::float8", "1e100::float8", "'x'::text", "'a\"b'::text",
		"true", "false", "NULL::int", "2147483647", "9223372036854775807", "'é'::text", "'-0'::float8")
}
