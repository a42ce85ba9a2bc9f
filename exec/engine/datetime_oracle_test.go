package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/internal/pgtest"
)

// TestDateTimeOracle compares date and time expressions over generated
// values, in several time zones, with PostgreSQL 15: the text of each
// result, or the SQLSTATE of its error. The values lean on edges: leap
// days, year and century boundaries, the ends of DATE's range, BC years,
// and the hours around daylight-saving transitions.
func TestDateTimeOracle(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	ctx := context.Background()
	ref, err := pgx.Connect(ctx, pg.URL("postgres")+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(ctx)
	eng := connectMode(t, startServer(t), true)
	rng := oracleRand(t)
	g := &timeGen{rng: rng}
	cases, bad := 0, 0
	for _, zone := range []string{"UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"} {
		for _, c := range []*pgx.Conn{ref, eng} {
			if _, err := c.Exec(ctx, "SET TIME ZONE '"+zone+"'"); err != nil {
				t.Fatal(err)
			}
		}
		for range 500 {
			q := "SELECT (" + g.expr() + ")::text"
			want, got := answer(ctx, ref, q), answer(ctx, eng, q)
			cases++
			if got != want {
				bad++
				if bad <= 20 {
					t.Errorf("zone %s: %s\n  PostgreSQL: %s\n  streamsql:  %s", zone, q, want, got)
				}
			}
		}
	}
	t.Logf("%d cases, %d differ", cases, bad)
}

// answer is a query's one value as text, or its error's SQLSTATE.
func answer(ctx context.Context, c *pgx.Conn, q string) string {
	var s *string
	switch err := c.QueryRow(ctx, q).Scan(&s); {
	case err != nil:
		return "error " + sqlstate(err)
	case s == nil:
		return "NULL"
	}
	return *s
}

type timeGen struct{ rng *rand.Rand }

func (g *timeGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

// day is a date's text: mostly near an edge.
func (g *timeGen) day() string {
	switch g.rng.IntN(6) {
	case 0:
		return g.pick("4714-11-24 BC", "5874897-12-31", "0001-01-01", "0001-12-31 BC", "2000-02-29", "1900-02-28", "2024-02-29", "1970-01-01", "9999-12-31")
	case 1:
		return fmt.Sprintf("%04d-02-%02d", 1896+g.rng.IntN(210), 27+g.rng.IntN(4)) // some are not days
	case 2:
		y := 1 + g.rng.IntN(4000)
		return fmt.Sprintf("%04d-%02d-%02d BC", y, 1+g.rng.IntN(12), 1+g.rng.IntN(28))
	}
	y := 1 + g.rng.IntN(3000)
	return fmt.Sprintf("%04d-%02d-%02d", y, 1+g.rng.IntN(12), 1+g.rng.IntN(31))
}

// ts is a timestamp's text, often an hour around a 2024 transition.
func (g *timeGen) ts() string {
	clock := fmt.Sprintf("%02d:%02d:%02d", g.rng.IntN(24), g.pick2(0, 30, g.rng.IntN(60)), g.rng.IntN(60))
	if g.rng.IntN(4) == 0 {
		clock += g.pick(".5", ".123456", ".000001")
	}
	if g.rng.IntN(3) == 0 {
		d := g.pick("2024-03-10", "2024-11-03", "2024-03-31", "2024-10-27", "2024-04-07", "2024-10-06")
		return d + " " + fmt.Sprintf("%02d:%02d:%02d", g.rng.IntN(4), g.pick2(0, 30, g.rng.IntN(60)), g.rng.IntN(60))
	}
	y := 1800 + g.rng.IntN(300)
	return fmt.Sprintf("%04d-%02d-%02d %s", y, 1+g.rng.IntN(12), 1+g.rng.IntN(28), clock)
}

func (g *timeGen) pick2(a, b, c int) int { return []int{a, b, c}[g.rng.IntN(3)] }

func (g *timeGen) zone() string {
	return g.pick("UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo")
}

func (g *timeGen) expr() string {
	d, ts, ts2 := g.day(), g.ts(), g.ts()
	off := g.pick("+00", "-05", "+05:30", "+14", "-03:30")
	switch g.rng.IntN(22) {
	case 0:
		return fmt.Sprintf("'%s'::date", d)
	case 1:
		return fmt.Sprintf("DATE '%s' + %d", d, g.rng.IntN(800)-400)
	case 2:
		return fmt.Sprintf("DATE '%s' - DATE '%s'", d, g.day())
	case 3:
		return fmt.Sprintf("TIMESTAMP '%s' - TIMESTAMP '%s'", ts, ts2)
	case 4:
		return fmt.Sprintf("'%s'::timestamptz", ts)
	case 5:
		return fmt.Sprintf("TIMESTAMPTZ '%s%s'", ts, off)
	case 6:
		return fmt.Sprintf("TIMESTAMP '%s' AT TIME ZONE '%s'", ts, g.zone())
	case 7:
		return fmt.Sprintf("TIMESTAMPTZ '%s%s' AT TIME ZONE '%s'", ts, off, g.zone())
	case 8:
		return fmt.Sprintf("CAST(TIMESTAMPTZ '%s%s' AS DATE)", ts, off)
	case 9:
		return fmt.Sprintf("CAST(DATE '%s' AS TIMESTAMPTZ)", d)
	case 10:
		return fmt.Sprintf("date_trunc('%s', TIMESTAMPTZ '%s%s')", g.pick("hour", "day", "week", "month", "year"), ts, off)
	case 11:
		return fmt.Sprintf("date_part('%s', TIMESTAMPTZ '%s%s')", g.pick("hour", "day", "dow", "isodow", "doy", "week", "year", "epoch", "minute"), ts, off)
	case 12:
		return fmt.Sprintf("date_part('%s', DATE '%s')", g.pick("day", "dow", "doy", "week", "isoyear", "year", "decade", "century", "millennium", "quarter"), d)
	case 13:
		return fmt.Sprintf("make_date(%d, %d, %d)", g.rng.IntN(6000)-3000, g.rng.IntN(14), g.rng.IntN(33))
	case 14:
		return fmt.Sprintf("TIMESTAMPTZ '%s%s' - TIMESTAMPTZ '%s'", ts, off, ts2)
	case 15:
		return fmt.Sprintf("CAST(TIMESTAMP '%s' AS TIMESTAMPTZ)", ts)
	case 16:
		return fmt.Sprintf("DATE '%s' %s INTERVAL '%d:%02d:%02d'", d, g.pick("+", "-"), g.rng.IntN(100), g.rng.IntN(60), g.rng.IntN(60))
	case 17:
		// PostgreSQL keeps a product's days and time apart (48:00:00 is
		// not 2 days), ours is µs: compare the lengths.
		return fmt.Sprintf("date_part('epoch', (TIMESTAMP '%s' - TIMESTAMP '%s') * %s)", ts, ts2, g.pick("2", "-1", "0.5", "1.25", "3"))
	case 18:
		return fmt.Sprintf("EXTRACT(%s FROM TIMESTAMPTZ '%s%s')", g.pick("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "QUARTER", "WEEK"), ts, off)
	case 19:
		return fmt.Sprintf("date_trunc('%s', TIMESTAMPTZ '%s%s', '%s')", g.pick("hour", "day", "month"), ts, off, g.zone())
	case 20:
		// Days are calendar days in the zone; hours under a day exact
		// time (ours keeps no '36 hours' apart from '1 day 12:00').
		sign := g.pick("", "-")
		return fmt.Sprintf("TIMESTAMPTZ '%s%s' %s INTERVAL '%s%d days %s%02d:%02d:00'", ts, off, g.pick("+", "-"), sign, g.rng.IntN(400), sign, g.rng.IntN(24), g.rng.IntN(60))
	}
	return fmt.Sprintf("to_timestamp(%d.%d)", g.rng.Int64N(1<<34)-1<<33, g.rng.IntN(1000))
}
