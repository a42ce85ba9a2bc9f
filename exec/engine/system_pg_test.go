package engine_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// TestSystemShapes compares the system relations with PostgreSQL 15's:
// each one's columns are the first of PostgreSQL's, in its order, and a
// table's description in information_schema.columns and pg_attribute is
// the one PostgreSQL gives the same table.
func TestSystemShapes(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := context.Background()
	pc, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	ours := connect(t, startServer(t))
	table := "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(10,2), n INT, d DOUBLE PRECISION, s VARCHAR, ok BOOLEAN, ts TIMESTAMP, t3 TIMESTAMP(3), tz TIMESTAMPTZ(0))"
	for _, c := range []*pgx.Conn{pc, ours} {
		if _, err := c.Exec(ctx, table); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(c *pgx.Conn, sql string) (names []string, vals []string) {
		t.Helper()
		r, err := c.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer r.Close()
		for _, f := range r.FieldDescriptions() {
			names = append(names, f.Name)
		}
		for r.Next() {
			v, err := r.Values()
			if err != nil {
				t.Fatal(err)
			}
			vals = append(vals, fmt.Sprint(v...))
		}
		if err := r.Err(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return names, vals
	}
	_, rels := rows(ours, "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'public' ORDER BY 1")
	if len(rels) < 20 {
		t.Fatalf("%d system relations: %v", len(rels), rels)
	}
	for _, rel := range rels {
		o, _ := rows(ours, "SELECT * FROM "+rel+" LIMIT 0")
		p, _ := rows(pc, "SELECT * FROM "+rel+" LIMIT 0")
		for i := range o {
			if i >= len(p) || p[i] != o[i] {
				t.Errorf("%s: column %d is %q where PostgreSQL has %v", rel, i+1, o[i], p)
				break
			}
		}
	}
	// pg_size_pretty at every unit's boundaries and on random sizes.
	sizes := []int64{0, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for k := 0; k < 63; k++ {
		for _, d := range []int64{-1, 0, 1} {
			sizes = append(sizes, int64(1)<<k+d, -(int64(1)<<k + d))
		}
	}
	for u := int64(1); u <= 1<<50; u <<= 10 {
		for _, lim := range []int64{10 * 1024, 20*1024 - 1, 20 * 1024} {
			for _, d := range []int64{-u, -1, 0, 1, u / 2, u/2 - 1, u/2 + 1} {
				sizes = append(sizes, lim*u+d, -(lim*u + d))
			}
		}
	}
	rng := rand.New(rand.NewPCG(19, 15))
	for range 200 {
		sizes = append(sizes, rng.Int64()>>rng.IntN(63))
	}
	var vals strings.Builder
	for i, v := range sizes {
		if i > 0 {
			vals.WriteString(", ")
		}
		fmt.Fprintf(&vals, "(%d)", v)
	}
	for _, c := range []*pgx.Conn{pc, ours} {
		for _, sql := range []string{"CREATE TABLE sizes (v BIGINT)", "INSERT INTO sizes VALUES " + vals.String()} {
			if _, err := c.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		}
	}
	q := "SELECT CAST(v AS TEXT) AS s, pg_size_pretty(v) FROM sizes ORDER BY v"
	if o, p := oracleRows(ctx, ours, q), oracleRows(ctx, pc, q); o != p {
		t.Errorf("%s\n ours: %s\n   pg: %s", q, o, p)
	}
	for _, q := range []string{
		"SELECT column_name, ordinal_position, is_nullable, data_type, character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, udt_name FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position",
		"SELECT a.attname, a.attnum, a.attnotnull, format_type(a.atttypid, a.atttypmod), a.attstorage::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 't' AND a.attnum > 0 ORDER BY a.attnum",
		"SELECT table_schema, table_name, table_type, is_insertable_into FROM information_schema.tables WHERE table_name = 't'",
		"SELECT relname, relkind::text, relnatts, relhasindex, relpersistence::text FROM pg_class WHERE relname = 't'",
		"SELECT conname, contype::text, conkey::text FROM pg_constraint WHERE conrelid = 't'::regclass",
		"SELECT 't'::regclass::text, 'information_schema.tables'::regclass::text, 'pg_class'::regclass::text, 'public'::regnamespace::text, 'pg_catalog'::regnamespace::oid, 'int4'::regtype::text, CAST(CAST(1043 AS regtype) AS text)",
		"SELECT a.attname, a.atttypid::regtype::text, a.attrelid::regclass::text FROM pg_attribute a WHERE a.attrelid = 't'::regclass AND a.attnum > 0 ORDER BY a.attnum",
		"SELECT relname, relnamespace::regnamespace::text FROM pg_class WHERE relname IN ('t', 'pg_class', 'tables') ORDER BY relname",
	} {
		_, o := rows(ours, q)
		_, p := rows(pc, q)
		if fmt.Sprint(o) != fmt.Sprint(p) {
			t.Errorf("%s\n ours: %q\n   pg: %q", q, o, p)
		}
	}
}
