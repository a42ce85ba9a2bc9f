# psycopg 3 against streamsql: the extended protocol with server-side
# parameters, executemany, server-side (named) cursors over a SELECT and
# over a SUBSCRIBE, which psycopg 3 declares, describes as portals, fetches
# and closes after looking them up in pg_cursors, and a rollback after an
# error.
import sys

import psycopg

conn = psycopg.connect(sys.argv[1], autocommit=True)
conn.execute("CREATE TABLE t (k INT, v VARCHAR, p DECIMAL(10,2))")
with conn.cursor() as cur:
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", [(i, f"v{i}", f"{i}.5") for i in range(10)])
print("rows:", conn.execute("SELECT count(*) FROM t").fetchone()[0])
print("param:", conn.execute("SELECT k, v, p FROM t WHERE k = %s AND v = %s", (3, "v3")).fetchall())
conn.execute("CREATE MATERIALIZED VIEW m AS SELECT k % 2 AS odd, count(*) AS n FROM t GROUP BY k % 2")

conn.autocommit = False
with conn.cursor(name="c") as cur:
    cur.execute("SELECT k, v FROM t WHERE k < %s ORDER BY k", (5,))
    print("columns:", [d.name for d in cur.description])
    print("fetchmany(2):", cur.fetchmany(2))
    print("rest:", cur.fetchall())
conn.commit()

with conn.cursor(name="s") as cur:
    cur.execute("SUBSCRIBE m")
    rows = cur.fetchmany(2)
    print("subscribe:", sorted((r[1], r[2], r[3]) for r in rows))
conn.commit()

try:
    conn.execute("SELECT * FROM nope")
except psycopg.errors.UndefinedTable as e:
    print("error:", e.sqlstate)
conn.rollback()
print("after:", conn.execute("SELECT n FROM m ORDER BY odd").fetchall())
conn.close()
print("done")
