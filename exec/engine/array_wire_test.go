package engine_test

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestArraysOverPgx sends arrays both ways with pgx's extended protocol,
// which declares and encodes array parameters in binary (= ANY($1) with an
// int8[] or text[], as pgx, psycopg and pgcli send it) and reads binary
// array results.
func TestArraysOverPgx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := connectMode(t, startServer(t), false)
	if _, err := c.Exec(ctx, "CREATE TABLE t (id BIGINT, tags TEXT[], ns INT[], ts TIMESTAMP[])"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO t VALUES (1, '{a,b}', '{1,NULL}', '{2024-01-02 03:04:05}'), (2, '{\"c d\"}', '{}', NULL), (3, NULL, '{3}', '{}')"); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, err := c.Query(ctx, "SELECT id FROM t WHERE id = ANY($1) ORDER BY id", []int64{1, 3, 9})
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || !reflect.DeepEqual(ids, []int64{1, 3}) {
		t.Fatalf("= ANY($1 int8[]): %v %v", ids, err)
	}
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t WHERE tags && $1", []string{"c d", "zz"}).Scan(&n); err != nil || n != 1 {
		t.Fatalf("&& $1 text[]: %d %v", n, err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t WHERE $1 = ANY(tags)", "a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("$1 = ANY(tags): %d %v", n, err)
	}
	var tags []string
	var ns []*int32
	var ts []time.Time
	if err := c.QueryRow(ctx, "SELECT tags, ns, ts FROM t WHERE id = 1").Scan(&tags, &ns, &ts); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tags, []string{"a", "b"}) || len(ns) != 2 || *ns[0] != 1 || ns[1] != nil ||
		len(ts) != 1 || !ts[0].Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("binary results: %v %v %v", tags, ns, ts)
	}
	var empty []int32
	if err := c.QueryRow(ctx, "SELECT ns FROM t WHERE id = 2").Scan(&empty); err != nil || len(empty) != 0 {
		t.Fatalf("empty array: %v %v", empty, err)
	}
	var back []float64
	if err := c.QueryRow(ctx, "SELECT $1::float8[]", []float64{1.5, -2}).Scan(&back); err != nil || !reflect.DeepEqual(back, []float64{1.5, -2}) {
		t.Fatalf("float8[] round trip: %v %v", back, err)
	}
}
