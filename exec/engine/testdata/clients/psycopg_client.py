"""Drives streamsql through psycopg2 (libpq, the simple query protocol).

DDL; INSERTs and a query with %s parameters, which psycopg2 interpolates
on the client; a named (server-side) cursor, which psycopg2 runs as
DECLARE "c" CURSOR WITHOUT HOLD FOR ... and FETCH FORWARD n FROM "c"; a
continuous query through DECLARE ... CURSOR FOR SUBSCRIBE and FETCH, with
a change made on a second connection; and errors with their SQLSTATE,
after which a rollback leaves the connection usable. It prints lines that
exec/engine/clients_psycopg_test.go compares with what it expects.

Usage: /usr/bin/python3 psycopg_client.py "host=... port=... dbname=... user=..."
"""

import datetime
import sys
from decimal import Decimal

import psycopg2
import psycopg2.errors

BASE = datetime.datetime(2026, 11, 25, 12, 0, 0)


def at(seconds):
    return BASE + datetime.timedelta(seconds=seconds)


def show(row):
    return " ".join(repr(v) for v in row)


def main(dsn):
    conn = psycopg2.connect(dsn)
    other = psycopg2.connect(dsn)
    cur = conn.cursor()

    # DDL, in the transaction psycopg2 opens with BEGIN.
    cur.execute("""CREATE TABLE bids (auction BIGINT, bidder INT, price DECIMAL(10,2), ok BOOLEAN,
        note VARCHAR, score DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)""")
    print("create table:", cur.statusmessage)
    cur.execute("""CREATE MATERIALIZED VIEW per_auction AS SELECT auction, TUMBLE_START(ts, INTERVAL '10' SECOND) AS w,
        COUNT(*) AS n, MAX(price) AS top FROM bids GROUP BY auction, TUMBLE(ts, INTERVAL '10' SECOND)""")
    print("create view:", cur.statusmessage)
    conn.commit()

    # INSERTs with parameters of every type, interpolated by psycopg2.
    total = 0
    for i in range(20):
        cur.execute("INSERT INTO bids VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (1000 + i % 3, i, Decimal("%d.%02d" % (10 + i, i)), i % 2 == 0,
                     "bid 'quoted' %d" % i, i / 4, at(i)))
        total += cur.rowcount
    cur.execute("INSERT INTO bids VALUES (%s, %s, %s, %s, %s, %s, %s)", (1003, None, None, None, None, None, at(19)))
    total += cur.rowcount
    print("inserted", total, cur.statusmessage)
    print("interpolated:", cur.mogrify("INSERT INTO bids VALUES (%s, %s, %s, %s, %s, %s, %s)",
                                       (-1, 7, Decimal("-1.50"), True, "it's", 0.5, at(1))).decode())
    conn.commit()

    # A query with parameters in WHERE.
    cur.execute("SELECT auction, bidder, price, ok, note, score, ts FROM bids "
                "WHERE auction = %s AND ts >= %s AND note LIKE %s AND ok = %s AND price > %s AND score >= %s ORDER BY bidder",
                (1001, at(5), "bid%", False, Decimal("15.5"), 0.25))
    print("query with parameters:", cur.rowcount, "rows, columns", [d.name for d in cur.description])
    for row in cur.fetchall():
        print("  " + show(row))
    cur.execute("SELECT bidder, price, ok, note, score FROM bids WHERE auction = %(a)s", {"a": 1003})
    print("nulls:", show(cur.fetchone()))
    cur.execute("SELECT n, top FROM per_auction WHERE auction = %s AND w = %s", (1000, at(0)))
    print("view:", show(cur.fetchone()))
    conn.commit()

    # A named cursor: DECLARE "c" CURSOR WITHOUT HOLD FOR ..., then FETCH
    # FORWARD 3 FROM "c" as it is read.
    with conn.cursor(name="c") as nc:
        nc.itersize = 3
        nc.execute("SELECT auction, bidder, price, ts FROM bids WHERE bidder < %s ORDER BY bidder", (8,))
        first = nc.fetchmany(2)
        print("named cursor fetchmany(2):", len(first), "rows")
        rest = list(nc)
        print("named cursor rest:", len(rest), "rows")
        for row in first + rest:
            print("  " + show(row))
    conn.commit()

    # A continuous query: the snapshot, then the changes an INSERT on the
    # other connection makes.
    cur.execute("DECLARE s CURSOR FOR SUBSCRIBE per_auction")
    print("declare:", cur.statusmessage)
    last = [None]
    ordered = [True]

    def fetch(timeout):
        cur.execute("FETCH ALL s WITH (timeout = '%s')" % timeout)
        rows = cur.fetchall()
        out = []
        for row in rows:
            ts, diff = row[0], row[1]
            if last[0] is not None and ts < last[0]:
                ordered[0] = False
            last[0] = ts
            out.append("%+d %s" % (diff, show(row[2:])))
        return cur.statusmessage, out

    tag, snap = fetch("1 second")
    print("columns:", [d.name for d in cur.description])
    print("snapshot:", tag)
    for r in sorted(snap):
        print("  " + r)
    ocur = other.cursor()
    ocur.execute("INSERT INTO bids VALUES (%s, 1, %s, true, 'late', 0, %s)", (1000, Decimal("99.50"), at(19)))
    other.commit()
    print("insert on other connection:", ocur.statusmessage)
    tag, changes = fetch("1 second")
    print("changes:", tag)
    for r in changes:
        print("  " + r)
    tag, none = fetch("100 milliseconds")
    print("after timeout:", tag, len(none))
    print("mz_timestamp non-decreasing:", ordered[0])
    conn.commit()
    # COMMIT ended the transaction and with it the cursor.
    try:
        cur.execute("FETCH ALL s")
        print("after commit: cursor still open")
    except psycopg2.Error as e:
        print("after commit:", e.pgcode, type(e).__name__)
        conn.rollback()

    # Errors: the SQLSTATE, then a rollback, and the connection goes on.
    for sql in ("SELEC 1", "SELECT * FROM nope"):
        try:
            cur.execute(sql)
            print(sql + ": no error")
        except psycopg2.Error as e:
            print(sql + ":", e.pgcode, type(e).__name__)
            conn.rollback()
    cur.execute("SELECT COUNT(*) FROM bids WHERE auction = %s", (1000,))
    print("after errors: count", cur.fetchone()[0])
    conn.commit()
    other.close()
    conn.close()
    print("done")


if __name__ == "__main__":
    main(sys.argv[1])
