package engine_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSystemTypeOIDs holds pg_attribute.atttypid and atttypmod to what
// the wire's RowDescription sends for a column of every type, so that a
// client joining the catalog with its result (format_type) sees one type.
func TestSystemTypeOIDs(t *testing.T) {
	conn := connect(t, startServer(t))
	ctx := context.Background()
	mustExec(t, conn, "CREATE TABLE ty (b BOOLEAN, i INT, l BIGINT, d DOUBLE, n DECIMAL(10,2), s VARCHAR, w VARCHAR(7), ts TIMESTAMP(3))")
	rows, err := conn.Query(ctx, "SELECT * FROM ty")
	if err != nil {
		t.Fatal(err)
	}
	fields := slices.Clone(rows.FieldDescriptions())
	rows.Close()
	cat, err := conn.Query(ctx, "SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'ty' ORDER BY a.attnum")
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	i := 0
	for ; cat.Next(); i++ {
		var name, format string
		var oid, mod int32
		if err := cat.Scan(&name, &oid, &mod, &format); err != nil {
			t.Fatal(err)
		}
		f := fields[i]
		if f.Name != name || uint32(oid) != f.DataTypeOID || mod != f.TypeModifier {
			t.Errorf("column %d: pg_attribute says %s oid %d typmod %d (%s), the wire %s oid %d typmod %d", i, name, oid, mod, format, f.Name, f.DataTypeOID, f.TypeModifier)
		}
	}
	if err := cat.Err(); err != nil || i != len(fields) {
		t.Fatalf("%d attributes for %d columns: %v", i, len(fields), err)
	}
}

// wantSQLAlchemy is what sqlalchemy_client.py prints.
const wantSQLAlchemy = `server version: (15, 0)
default schema: public
select: [('a', 2), ('b', 1)]
tables: ['t']
views: ['mv', 'v']
schemas: ['information_schema', 'public']
columns: [('id', 'BIGINT', False), ('name', 'VARCHAR(20)', False), ('price', 'NUMERIC(10, 2)', True)]
core select: [('a', 2)]
pandas: ['id', 'name'] [[1, 'a'], [2, 'b'], [3, 'a']]
done
`

// TestSQLAlchemyClient connects with Debian's SQLAlchemy over psycopg2
// and inspects tables and views through the catalogs (get_columns reads
// each column's default with a correlated scalar subquery).
func TestSQLAlchemyClient(t *testing.T) {
	python := needPython(t, "sqlalchemy", "python3-sqlalchemy")
	needPython(t, "pandas", "python3-pandas")
	host, port, err := net.SplitHostPort(startServer(t))
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("streamsql@%s:%s/streamsql", host, port)
	got := runClient(t, 30*time.Second, python, filepath.Join("testdata", "clients", "sqlalchemy_client.py"), dsn)
	diffLines(t, strings.ReplaceAll(got, "\r", ""), wantSQLAlchemy)
}

// needPython returns Debian's Python once it can import module, which
// Debian's package pkg installs: CI fails without it, a developer skips.
func needPython(t *testing.T, module, pkg string) string {
	t.Helper()
	python := needTool(t, debianPython, "apt-get install "+pkg)
	if out, err := exec.Command(python, "-c", "import "+module).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing for %s; CI installs it (apt-get install %s): %v\n%s", module, python, pkg, err, out)
		}
		t.Skipf("%s is missing for %s (apt-get install %s): %v", module, python, pkg, err)
	}
	return python
}
