package engine_test

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// oracleRows is a statement's rows as text, columns joined by | and NULL
// spelled out, or "error " and its SQLSTATE: what the PostgreSQL oracles
// compare.
func oracleRows(ctx context.Context, c *pgx.Conn, sql string) string {
	rows, err := c.Query(ctx, sql)
	if err != nil {
		return "error " + sqlstate(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		for i, v := range rows.RawValues() {
			if i > 0 {
				b.WriteByte('|')
			}
			if v == nil {
				b.WriteString("NULL")
			} else {
				b.Write(v)
			}
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return "error " + sqlstate(err)
	}
	return b.String()
}
