//go:build unix

package engine_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestExprOracle is the expression oracle: expressions generated from
// testdata/exprs/functions over a table of edge values
// (testdata/exprs/values), each evaluated for each row in streamsql and
// in PostgreSQL, in several session time zones. A case is one expression
// over one row; it agrees when both print the same text for a value of
// the same type (PostgreSQL's output, floats in its shortest round-trip
// form), or both fail with the same SQLSTATE. An error in one and a value
// in the other is a difference. A query holds many expressions over many
// rows; when it fails, its expressions and then its rows are split until
// the failing case stands alone, so that one row's error hides no
// other's. A sample of the expressions also runs as materialized views
// over the table, where a row whose expression fails is NULL and counted
// in expression_errors (docs/semantics.md).
//
// go test ./exec/engine -run TestExprOracle -exprs.n 200000 (make
// fuzz-exprs) runs longer; -exprs.seed replays a seed.
var (
	exprsN     = flag.Int("exprs.n", 12_000, "cases (expressions × rows) TestExprOracle compares with PostgreSQL")
	exprsSeed  = flag.Uint64("exprs.seed", 18, "seed of TestExprOracle's values and expressions")
	exprsShow  = flag.Int("exprs.show", 40, "differences TestExprOracle prints")
	exprsDepth = flag.Int("exprs.depth", 3, "templates TestExprOracle nests at most")
)

const (
	exprRows     = 40 // rows of the values table
	exprPerQuery = 16 // expressions a query evaluates at once
	exprViews    = 6  // expressions of each time zone also run as views
)

// exprZones are the session time zones the expressions run in, each for
// a share of them: TIMESTAMPTZ prints, casts and adds in the session's.
var exprZones = []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"}

// exprCell is one case's outcome on one side.
type exprCell struct {
	state string // SQLSTATE, "" for a value
	oid   uint32
	text  *string // nil for NULL
	err   error
}

func (c exprCell) String() string {
	switch {
	case c.err != nil:
		return "error " + c.state + ": " + c.err.Error()
	case c.text == nil:
		return exprTypeName(c.oid) + " NULL"
	}
	return fmt.Sprintf("%s %q", exprTypeName(c.oid), *c.text)
}

// same says whether two outcomes agree: PostgreSQL's text and varchar
// are one type here.
func (c exprCell) same(d exprCell) bool {
	if c.err != nil || d.err != nil {
		return c.err != nil && d.err != nil && c.state == d.state
	}
	if exprTypeName(c.oid) != exprTypeName(d.oid) || (c.text == nil) != (d.text == nil) {
		return false
	}
	return c.text == nil || *c.text == *d.text
}

func exprTypeName(oid uint32) string {
	switch oid {
	case 16:
		return "bool"
	case 20:
		return "bigint"
	case 21:
		return "smallint"
	case 23:
		return "int"
	case 25, 1043:
		return "text"
	case 700:
		return "real"
	case 701:
		return "double"
	case 1082:
		return "date"
	case 1114:
		return "timestamp"
	case 1184:
		return "timestamptz"
	case 1186:
		return "interval"
	case 1700:
		return "numeric"
	}
	return fmt.Sprintf("oid %d", oid)
}

// exprKnown is a documented difference (testdata/exprs/known) or one not
// fixed yet (testdata/exprs/open): cases whose expression matches expr
// and whose outcomes ("PostgreSQL: ... | streamsql: ...") match outcome
// are counted, not failed. The outcome "~ulp" matches two doubles within
// a few units in the last place (libm's last digit), "~scale" two
// numerics of one value at different scales.
type exprKnown struct {
	expr, outcome *regexp.Regexp
	ulp, scale    bool
	reason        string
	hits          int
}

func loadExprKnown(t testing.TB, path string) []*exprKnown {
	var ks []*exprKnown
	exprLines(t, path, func(line string) {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.TrimSpace(f[2]) == "" {
			t.Fatalf("%s: %q is not \"expression regexp<tab>outcome regexp<tab>reason\"", path, line)
		}
		k := &exprKnown{expr: regexp.MustCompile(f[0]), reason: f[2], ulp: f[1] == "~ulp", scale: f[1] == "~scale"}
		if !k.ulp && !k.scale {
			k.outcome = regexp.MustCompile(f[1])
		}
		ks = append(ks, k)
	})
	return ks
}

func exprIsKnown(ks []*exprKnown, e string, pg, ss exprCell) bool {
	outcome := "PostgreSQL: " + pg.String() + " | streamsql: " + ss.String()
	for _, k := range ks {
		if !k.expr.MatchString(e) {
			continue
		}
		if k.ulp && exprNearDoubles(pg, ss) || k.scale && exprSameNumeric(pg, ss) || k.outcome != nil && k.outcome.MatchString(outcome) {
			k.hits++
			return true
		}
	}
	return false
}

// exprSameNumeric says whether both are numerics of the same value,
// whatever their scales.
func exprSameNumeric(a, b exprCell) bool {
	if a.err != nil || b.err != nil || a.text == nil || b.text == nil || a.oid != 1700 || b.oid != 1700 {
		return false
	}
	x, ok1 := new(big.Rat).SetString(*a.text)
	y, ok2 := new(big.Rat).SetString(*b.text)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// exprNearDoubles says whether both are doubles within 1e-14 of each
// other, relatively.
func exprNearDoubles(a, b exprCell) bool {
	if a.err != nil || b.err != nil || a.text == nil || b.text == nil || a.oid != 701 || b.oid != 701 {
		return false
	}
	x, err1 := strconv.ParseFloat(*a.text, 64)
	y, err2 := strconv.ParseFloat(*b.text, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-14*math.Max(math.Abs(x), math.Abs(y))
}

func TestExprOracle(t *testing.T) {
	env := startDiff(t)
	total := *exprsN
	if raceEnabled {
		total /= 10
	}
	rng := rand.New(rand.NewPCG(*exprsSeed, 18))
	g := loadExprGen(t, rng)
	known := loadExprKnown(t, "testdata/exprs/known")
	open := loadExprKnown(t, "testdata/exprs/open")
	env.exec(t, exprDDL("xv"))
	insert, rows := g.insert("xv", exprRows)
	env.exec(t, insert)

	start := time.Now()
	var agree, bothErr, differ, knownN, openN, cases int
	var viewsChecked, viewErrRows int
	perZone := (total + exprRows*len(exprZones) - 1) / (exprRows * len(exprZones))
	for zi, zone := range exprZones {
		env.exec(t, "SET TIME ZONE '"+zone+"'")
		exprs := make([]string, perZone)
		for i := range exprs {
			exprs[i] = g.expr(g.pick(exprClasses["T"]), 1+rng.IntN(*exprsDepth))
		}
		var want, got [][]exprCell
		var pgErr, engErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			want, pgErr = exprEval(env.pg, "xv", exprs, exprRows)
		}()
		got, engErr = exprEval(env.eng, "xv", exprs, exprRows)
		<-done
		if pgErr != nil || engErr != nil {
			t.Fatalf("a connection closed: PostgreSQL's after %v, streamsql's after %v", pgErr, engErr)
		}
		for i, e := range exprs {
			for r := range exprRows {
				cases++
				g, w := got[i][r], want[i][r]
				switch {
				case g.same(w) && g.err != nil:
					bothErr++
				case g.same(w):
					agree++
				case exprIsKnown(known, e, w, g):
					knownN++
				case exprIsKnown(open, e, w, g):
					openN++
				default:
					if differ++; differ <= *exprsShow {
						t.Errorf("zone %s, row %d: %s\n  PostgreSQL: %s\n  streamsql:  %s\n  row:        %s",
							zone, r, e, w, g, strings.Join(rows[r], ", "))
					}
				}
			}
		}
		for i := 0; i < exprViews && i < len(exprs); i++ {
			k := (i*len(exprs))/exprViews + zi
			if k >= len(exprs) {
				continue
			}
			viewsChecked++
			viewErrRows += exprCheckView(t, env.eng, fmt.Sprintf("xv_v%d_%d", zi, i), exprs[k], got[k])
		}
	}
	t.Logf("seed %d: %d cases (%d expressions × %d rows, %d zones) in %v: %d agree (%d of them errors with the same SQLSTATE), %d known differences, %d open ones, %d differ; %d views over the table, %d of their rows NULL and counted for an error",
		*exprsSeed, cases, cases/exprRows, exprRows, len(exprZones), time.Since(start).Round(time.Millisecond),
		agree+bothErr, bothErr, knownN, openN, differ, viewsChecked, viewErrRows)
	for _, k := range known {
		t.Logf("known: %d cases match %s (%s)", k.hits, k.expr, k.reason)
	}
	for _, k := range open {
		t.Logf("open: %d cases match %s (%s)", k.hits, k.expr, k.reason)
	}
}

// exprEval evaluates every expression over rows ids 0 to n-1 of table on
// conn, exprPerQuery of them a query; a failing query is split, its
// expressions first and then its rows, down to one case.
func exprEval(conn *pgx.Conn, table string, exprs []string, n int) (_ [][]exprCell, fatal error) {
	out := make([][]exprCell, len(exprs))
	for i := range out {
		out[i] = make([]exprCell, n)
	}
	var eval func(idx []int, lo, hi int)
	eval = func(idx []int, lo, hi int) {
		cols := make([]string, len(idx))
		for j, i := range idx {
			cols[j] = exprs[i]
		}
		q := fmt.Sprintf("SELECT id, %s FROM %s WHERE id >= %d AND id < %d", strings.Join(cols, ", "), table, lo, hi)
		cells, ids, err := exprQuery(conn, q)
		if conn.IsClosed() {
			if fatal == nil {
				fatal = fmt.Errorf("%s: %w", q, err)
			}
			return
		}
		if err == nil {
			for k, id := range ids {
				for j, i := range idx {
					out[i][id] = cells[k][j]
				}
			}
			return
		}
		switch {
		case len(idx) > 1:
			eval(idx[:len(idx)/2], lo, hi)
			eval(idx[len(idx)/2:], lo, hi)
		case hi-lo > 1:
			mid := (lo + hi) / 2
			eval(idx, lo, mid)
			eval(idx, mid, hi)
		default:
			var pe *pgconn.PgError
			c := exprCell{err: err}
			if errors.As(err, &pe) {
				c.state = pe.Code
			}
			out[idx[0]][lo] = c
		}
	}
	for i := 0; i < len(exprs); i += exprPerQuery {
		idx := make([]int, 0, exprPerQuery)
		for j := i; j < min(i+exprPerQuery, len(exprs)); j++ {
			idx = append(idx, j)
		}
		eval(idx, 0, n)
	}
	return out, fatal
}

// exprQuery runs q, whose first column is the row's id, in the simple
// protocol (every value as text).
func exprQuery(conn *pgx.Conn, q string) ([][]exprCell, []int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	var cells [][]exprCell
	var ids []int
	for rows.Next() {
		raw := rows.RawValues()
		var id int
		if _, err := fmt.Sscan(string(raw[0]), &id); err != nil {
			return nil, nil, fmt.Errorf("id %q: %w", raw[0], err)
		}
		r := make([]exprCell, len(raw)-1)
		for j, b := range raw[1:] {
			r[j].oid = fds[j+1].DataTypeOID
			if b != nil {
				s := string(b)
				r[j].text = &s
			}
		}
		ids = append(ids, id)
		cells = append(cells, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return cells, ids, nil
}

// exprCheckView creates a materialized view of expression e over the
// values table and checks it against the ad-hoc outcomes adhoc: the same
// value for each row whose query answered, and at least one
// expression_error for each row whose query failed, none if none did. (A
// failing evaluation is NULL where it fails, and counted there, so a row
// may count several, and a later COALESCE argument may still give it a
// value: docs/semantics.md, Expressions in a stream.) It returns the failed
// rows.
func exprCheckView(t *testing.T, conn *pgx.Conn, name, e string, adhoc []exprCell) int {
	t.Helper()
	fails := 0
	for _, c := range adhoc {
		if c.err != nil {
			fails++
		}
	}
	ctx := context.Background()
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS SELECT id, %s AS v FROM xv", name, e)); err != nil {
		var pe *pgconn.PgError
		if fails == len(adhoc) && errors.As(err, &pe) && pe.Code == adhoc[0].state {
			return 0 // refused when planned, as the query is
		}
		t.Errorf("view %s: CREATE MATERIALIZED VIEW refused %s: %v; the query: %s", name, e, err, adhoc[0])
		return 0
	}
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		t.Fatal(err)
	}
	cells, ids, err := exprQuery(conn, "SELECT id, v FROM "+name)
	if err != nil {
		t.Fatalf("view %s: %v", name, err)
	}
	if len(ids) != len(adhoc) {
		t.Errorf("view %s of %s: %d rows, the table %d", name, e, len(ids), len(adhoc))
	}
	for k, id := range ids {
		if want := adhoc[id]; want.err == nil && !cells[k][0].same(want) {
			t.Errorf("view %s of %s, row %d: %s, the query %s", name, e, id, cells[k][0], adhoc[id])
		}
	}
	var counted int64 = -1
	for _, vals := range queryValues(t, conn, "SHOW MATERIALIZED VIEWS") {
		if vals[0] == name {
			fmt.Sscan(fmt.Sprint(vals[7]), &counted)
		}
	}
	if counted < int64(fails) || fails == 0 && counted != 0 {
		t.Errorf("view %s of %s: expression_errors %d, the rows whose query fails %d", name, e, counted, fails)
	}
	if _, err := conn.Exec(ctx, "DROP MATERIALIZED VIEW "+name); err != nil {
		t.Fatal(err)
	}
	return fails
}
