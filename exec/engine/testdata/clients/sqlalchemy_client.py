"""SQLAlchemy (Debian's python3-sqlalchemy, over psycopg2) against streamsql:
connecting runs the dialect's probes (version(), current_schema(), SHOW
TRANSACTION ISOLATION LEVEL, standard_conforming_strings); inspect() lists
tables and views from pg_class joined with pg_namespace; a Core select()
over a reflected table; pandas (Debian's python3-pandas) reads a view whole
with read_sql_table, which reflects it first."""
import sys

import pandas as pd
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text

engine = create_engine("postgresql+psycopg2://" + sys.argv[1])
with engine.begin() as conn:
    conn.execute(text("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(10,2))"))
    conn.execute(text("CREATE MATERIALIZED VIEW mv AS SELECT name, COUNT(*) AS n FROM t GROUP BY name"))
    conn.execute(text("CREATE VIEW v AS SELECT id, name FROM t"))
    conn.execute(text("INSERT INTO t VALUES (1, 'a', 1.50), (2, 'b', NULL), (3, 'a', 2.25)"))
    print("server version:", engine.dialect.server_version_info)
    print("default schema:", engine.dialect.default_schema_name)
    rows = conn.execute(text("SELECT name, n FROM mv ORDER BY name")).fetchall()
    print("select:", [tuple(r) for r in rows])
insp = inspect(engine)
print("tables:", insp.get_table_names())
print("views:", sorted(insp.get_view_names()))
print("schemas:", insp.get_schema_names())
try:
    cols = insp.get_columns("t")
    print("columns:", [(c["name"], str(c["type"]), c["nullable"]) for c in cols])
except Exception as e:  # a non-aggregate correlated scalar subquery (issue 19, point 1)
    print("columns:", type(e).__name__, str(e).splitlines()[0])
mv = Table("mv", MetaData(), autoload_with=engine)
with engine.connect() as conn:
    rows = conn.execute(select(mv.c.name, mv.c.n).where(mv.c.n > 1)).fetchall()
    print("core select:", [tuple(r) for r in rows])
df = pd.read_sql_table("v", engine).sort_values("id")
print("pandas:", list(df.columns), df.values.tolist())
print("done")
