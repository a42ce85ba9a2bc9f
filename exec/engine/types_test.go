package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestTypesOverTheWire checks that every column type reaches a driver with
// its PostgreSQL OID and a text form the driver decodes, NULLs included.
func TestTypesOverTheWire(t *testing.T) {
	conn := connect(t, startServer(t))
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE TABLE all_types (b BIGINT, i INT, d DOUBLE, n DECIMAL(10,2), s VARCHAR(20), ok BOOLEAN, ts TIMESTAMP(3))`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO all_types VALUES (9007199254740993, -7, 0.1, -12.05, 'héllo', true, '2024-02-29 23:59:59.123'),
		(NULL, NULL, NULL, NULL, NULL, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT * FROM all_types ORDER BY b`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wantOIDs := []uint32{pgtype.Int8OID, pgtype.Int4OID, pgtype.Float8OID, pgtype.NumericOID, pgtype.VarcharOID, pgtype.BoolOID, pgtype.TimestampOID}
	for i, fd := range rows.FieldDescriptions() {
		if fd.DataTypeOID != wantOIDs[i] {
			t.Errorf("column %s: OID %d, want %d", fd.Name, fd.DataTypeOID, wantOIDs[i])
		}
	}
	var got [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d rows, want 2", len(got))
	}
	first := got[0]
	if first[0] != int64(9007199254740993) || first[1] != int32(-7) || first[2] != 0.1 || first[4] != "héllo" || first[5] != true {
		t.Errorf("first row = %#v", first)
	}
	if n, ok := first[3].(pgtype.Numeric); !ok || n.Int.Int64() != -1205 || n.Exp != -2 {
		t.Errorf("decimal = %#v, want -12.05", first[3])
	}
	if ts, ok := first[6].(time.Time); !ok || !ts.Equal(time.Date(2024, 2, 29, 23, 59, 59, 123e6, time.UTC)) {
		t.Errorf("timestamp = %#v", first[6])
	}
	for i, v := range got[1] {
		if v != nil {
			t.Errorf("column %d of the NULL row = %#v, want nil", i, v)
		}
	}
}
