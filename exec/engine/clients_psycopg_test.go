package engine_test

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// debianPython is Debian's Python, for which python3-psycopg2 installs
// psycopg2 (a python3 earlier on PATH may be another one).
const debianPython = "/usr/bin/python3"

// wantPsycopg is what psycopg_client.py prints.
const wantPsycopg = `create table: CREATE TABLE
create view: CREATE MATERIALIZED VIEW
inserted 21 INSERT 0 1
interpolated: INSERT INTO bids VALUES ( -1, 7,  -1.50, true, 'it''s', 0.5, '2026-11-25T12:00:01'::timestamp)
query with parameters: 3 rows, columns ['auction', 'bidder', 'price', 'ok', 'note', 'score', 'ts']
  1001 7 Decimal('17.07') False "bid 'quoted' 7" 1.75 datetime.datetime(2026, 11, 25, 12, 0, 7)
  1001 13 Decimal('23.13') False "bid 'quoted' 13" 3.25 datetime.datetime(2026, 11, 25, 12, 0, 13)
  1001 19 Decimal('29.19') False "bid 'quoted' 19" 4.75 datetime.datetime(2026, 11, 25, 12, 0, 19)
nulls: None None None None None
view: 4 Decimal('19.09')
named cursor fetchmany(2): 2 rows
named cursor rest: 6 rows
  1000 0 Decimal('10.00') datetime.datetime(2026, 11, 25, 12, 0)
  1001 1 Decimal('11.01') datetime.datetime(2026, 11, 25, 12, 0, 1)
  1002 2 Decimal('12.02') datetime.datetime(2026, 11, 25, 12, 0, 2)
  1000 3 Decimal('13.03') datetime.datetime(2026, 11, 25, 12, 0, 3)
  1001 4 Decimal('14.04') datetime.datetime(2026, 11, 25, 12, 0, 4)
  1002 5 Decimal('15.05') datetime.datetime(2026, 11, 25, 12, 0, 5)
  1000 6 Decimal('16.06') datetime.datetime(2026, 11, 25, 12, 0, 6)
  1001 7 Decimal('17.07') datetime.datetime(2026, 11, 25, 12, 0, 7)
declare: DECLARE CURSOR
columns: ['mz_timestamp', 'mz_diff', 'auction', 'w', 'n', 'top']
snapshot: FETCH 7
  +1 1000 datetime.datetime(2026, 11, 25, 12, 0) 4 Decimal('19.09')
  +1 1000 datetime.datetime(2026, 11, 25, 12, 0, 10) 3 Decimal('28.18')
  +1 1001 datetime.datetime(2026, 11, 25, 12, 0) 3 Decimal('17.07')
  +1 1001 datetime.datetime(2026, 11, 25, 12, 0, 10) 4 Decimal('29.19')
  +1 1002 datetime.datetime(2026, 11, 25, 12, 0) 3 Decimal('18.08')
  +1 1002 datetime.datetime(2026, 11, 25, 12, 0, 10) 3 Decimal('27.17')
  +1 1003 datetime.datetime(2026, 11, 25, 12, 0, 10) 1 None
insert on other connection: INSERT 0 1
changes: FETCH 2
  -1 1000 datetime.datetime(2026, 11, 25, 12, 0, 10) 3 Decimal('28.18')
  +1 1000 datetime.datetime(2026, 11, 25, 12, 0, 10) 4 Decimal('99.50')
after timeout: FETCH 0 0
mz_timestamp non-decreasing: True
after commit: 34000 InvalidCursorName
SELEC 1: 42601 SyntaxError
SELECT * FROM nope: 42P01 UndefinedTable
after errors: count 8
done
`

// TestPsycopgClient runs psycopg_client.py, on Debian's psycopg2 (libpq
// and the simple query protocol), against a server: DDL, INSERTs and a
// query with parameters psycopg2 interpolates into the SQL, a named
// cursor (DECLARE ... CURSOR WITHOUT HOLD, FETCH FORWARD n), a continuous
// query through DECLARE ... CURSOR FOR SUBSCRIBE and FETCH, COMMIT
// closing the cursor, and errors followed by a rollback.
func TestPsycopgClient(t *testing.T) {
	python := needPython(t, "psycopg2", "python3-psycopg2")
	addr := startServer(t)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("host=%s port=%s dbname=streamsql user=streamsql sslmode=disable connect_timeout=10", host, port)
	got := runClient(t, 30*time.Second, python, filepath.Join("testdata", "clients", "psycopg_client.py"), dsn)
	diffLines(t, got, wantPsycopg)
}

// TestPsycopg3Client runs psycopg3_client.py on Debian's psycopg 3, which
// speaks the extended protocol: parameters bound by the server, and
// server-side cursors it declares, Describes as portals and looks up in
// pg_cursors.
func TestPsycopg3Client(t *testing.T) {
	python := needPython(t, "psycopg", "python3-psycopg")
	host, port, err := net.SplitHostPort(startServer(t))
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("host=%s port=%s dbname=streamsql user=streamsql sslmode=disable connect_timeout=10", host, port)
	got := runClient(t, 30*time.Second, python, filepath.Join("testdata", "clients", "psycopg3_client.py"), dsn)
	diffLines(t, got, `rows: 10
param: [(3, 'v3', Decimal('3.50'))]
columns: ['k', 'v']
fetchmany(2): [(0, 'v0'), (1, 'v1')]
rest: [(2, 'v2'), (3, 'v3'), (4, 'v4')]
subscribe: [(1, 0, 5), (1, 1, 5)]
error: 42P01
after: [(5,), (5,)]
done
`)
}
