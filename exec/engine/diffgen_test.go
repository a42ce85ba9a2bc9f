package engine_test

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

// The differential test's generator: random tables with edge values and
// random queries over them, in the SQL both streamsql and PostgreSQL read.
//
// Shapes that known, owned bugs of issue 14 get wrong are behind switches,
// off until their fixes are merged; turn one on to see its bug.
const (
	// genStarInGroup puts `*` in grouped and DISTINCT select lists (issue
	// 14, wrong answers item 1, fixed: `*` read the aggregate's output by
	// the input's positions).
	genStarInGroup = true
	// genOverflowValues adds the BIGINT extremes, DECIMAL(18, s) columns,
	// DECIMAL products, and BIGINT and INT operands in DECIMAL arithmetic
	// and comparisons, whose results pass 64 bits or the engine's 18
	// DECIMAL digits, and makes an overflow PostgreSQL reports (22003,
	// 22008) where the engine answers a failure rather than a skipped
	// query (issue 14, wrong answers item 2, fixed: arithmetic wrapped
	// silently; DOUBLE SUM and AVG past the range, DOUBLE underflow and
	// nullif's type were found by it).
	genOverflowValues = true
	// genDistinctGrouped puts DISTINCT on grouped queries and global
	// aggregates (found by this test, fixed: the engine ignored it there,
	// so `SELECT DISTINCT COUNT(*) FROM t GROUP BY k` returned a row per
	// group).
	genDistinctGrouped = true
	// genFloatRound generates round(DOUBLE), whose halves round to even
	// as in PostgreSQL (round(2.5e0) = 2; found by this test, fixed: the
	// engine rounded them away from zero).
	genFloatRound = true
)

// Column kinds: I integer (BIGINT, INT, SMALLINT), N DECIMAL, F DOUBLE,
// S VARCHAR, B BOOLEAN, T TIMESTAMP.
type diffColumn struct {
	name, typ string
	kind      byte
}

// diffTable is a generated table: its columns and rows as SQL literals.
type diffTable struct {
	name string
	cols []diffColumn
	rows [][]string
	pk   bool // the first column, id, is the PRIMARY KEY
}

func (t *diffTable) ddl() string {
	defs := make([]string, len(t.cols))
	for i, c := range t.cols {
		defs[i] = c.name + " " + c.typ
	}
	if t.pk {
		defs = append(defs, "PRIMARY KEY (id)")
	}
	return fmt.Sprintf("CREATE TABLE %s (%s)", t.name, strings.Join(defs, ", "))
}

// insert is one INSERT of rows, or "" for none.
func (t *diffTable) insert(rows [][]string) string {
	if len(rows) == 0 {
		return ""
	}
	vals := make([]string, len(rows))
	for i, r := range rows {
		vals[i] = "(" + strings.Join(r, ", ") + ")"
	}
	return "INSERT INTO " + t.name + " VALUES " + strings.Join(vals, ", ")
}

type diffGen struct {
	rng *rand.Rand
	// aux draws what the queries drawn from rng since have gained (see
	// agg); nil: nothing.
	aux  *rand.Rand
	t    *diffTable
	view bool // queries become views
}

// auxRand is the aux stream of a generator for a table (where names it).
func auxRand(where string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(where))
	return rand.New(rand.NewPCG(h.Sum64(), 2))
}

func (g *diffGen) n(k int) int          { return g.rng.IntN(k) }
func (g *diffGen) p(pct int) bool       { return g.rng.IntN(100) < pct }
func pick[T any](g *diffGen, xs ...T) T { return xs[g.rng.IntN(len(xs))] }

// table generates a table of up to maxRows rows; with pk its first column
// id is a PRIMARY KEY and the rows have distinct ids.
func (g *diffGen) table(name string, maxRows int, pk bool) *diffTable {
	prec := 2 + g.n(11)
	if genOverflowValues && g.p(50) {
		prec = 18
	}
	scale := g.n(min(prec, 5))
	t := &diffTable{name: name, pk: pk, cols: []diffColumn{
		{"k", "BIGINT", 'I'}, {"i", "INT", 'I'}, {"s", "SMALLINT", 'I'},
		{"d", "DOUBLE PRECISION", 'F'}, {"m", fmt.Sprintf("DECIMAL(%d,%d)", prec, scale), 'N'},
		{"v", "VARCHAR", 'S'}, {"b", "BOOLEAN", 'B'}, {"ts", "TIMESTAMP", 'T'},
	}}
	if pk {
		t.cols = append([]diffColumn{{"id", "BIGINT", 'I'}}, t.cols...)
	}
	g.t = t
	for r := range g.n(maxRows + 1) {
		t.rows = append(t.rows, g.row(int64(r)))
	}
	return t
}

// row is a row of g.t whose id, if it has one, is id.
func (g *diffGen) row(id int64) []string {
	var row []string
	for _, c := range g.t.cols {
		if c.name == "id" {
			row = append(row, strconv.FormatInt(id, 10))
			continue
		}
		row = append(row, g.value(c))
	}
	return row
}

// value is a literal of c's type: often NULL or an edge value, so that
// groups and DISTINCT see repeats.
func (g *diffGen) value(c diffColumn) string {
	if g.p(12) {
		return "NULL"
	}
	edge := g.p(40)
	switch c.name {
	case "k":
		if edge && g.view {
			// A view's float sums retract what they added: beside values
			// of 2^53 that rounds, unlike the batch answer (by design).
			return pick(g, "0", "1", "-1", "1000000007", "-1000000007")
		}
		if edge {
			if genOverflowValues {
				return pick(g, "0", "1", "-1", "9223372036854775807", "(-9223372036854775807-1)")
			}
			return pick(g, "0", "1", "-1", "9007199254740993", "-9007199254740993")
		}
		return strconv.Itoa(g.n(2001) - 1000)
	case "i":
		if edge {
			return pick(g, "0", "1", "-1", "2147483647", "(-2147483647-1)")
		}
		return strconv.Itoa(g.n(201) - 100)
	case "s":
		if edge {
			return pick(g, "0", "1", "-1", "32767", "(-32767-1)")
		}
		return strconv.Itoa(g.n(21) - 10)
	case "d":
		if edge {
			// Values a sum in any order gives within 1e-12: ±MAX or ±1e15
			// in one column would cancel or not as the rows come.
			if g.view {
				// Nor values whose sums (of squares, too) round: a view
				// retracts what it added, and keeps the rounding errors.
				return pick(g, "0", "-0.0", "1.7976931348623157e308", "5e-324", "1e6", "-1e6", "0.5")
			}
			return pick(g, "0", "-0.0", "1.7976931348623157e308", "5e-324", "1e15", "0.5")
		}
		return strconv.FormatFloat(float64(g.n(4001)-2000)/8, 'g', -1, 64)
	case "m":
		var p, s int
		fmt.Sscanf(c.typ, "DECIMAL(%d,%d)", &p, &s)
		max := strings.Repeat("9", p-s)
		if s > 0 {
			max += "." + strings.Repeat("9", s)
		}
		if edge {
			return pick(g, "0", max, "-"+max, decimalUnit(s))
		}
		v := strconv.Itoa(g.n(2*intPow10(min(p-s, 3))-1) - intPow10(min(p-s, 3)) + 1)
		if s > 0 {
			v = fmt.Sprintf("%s.%0*d", v, s, g.n(intPow10(s)))
			if v[0] == '-' || g.p(50) {
				return v
			}
			return "-" + v
		}
		return v
	case "v":
		return pick(g, "''", "' '", "'a'", "'A'", "'ab'", "'abc'", "'b'", "'B z'", "'it''s'", "'%_'", "'zz'")
	case "b":
		return pick(g, "true", "false")
	case "ts":
		if edge {
			return pick(g, "'0001-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'", "'1970-01-01 00:00:00'",
				"'1969-12-31 23:59:59.999999'", "'2024-02-29 12:34:56.789'")
		}
		return fmt.Sprintf("'2024-01-%02d %02d:%02d:00'", 1+g.n(3), g.n(24), 15*g.n(4))
	}
	panic("no values for column " + c.name)
}

var (
	diffQuoted  = regexp.MustCompile(`'(?:[^']|'')*'`)
	diffColName = regexp.MustCompile(`\b(id|k|i|s|d|m|v|b|ts)\b`)
)

// hasColumn says whether expression e reads a column.
func hasColumn(e string) bool { return diffColName.MatchString(diffQuoted.ReplaceAllString(e, "")) }

// decimalUnit is 10^-s as a literal.
func decimalUnit(s int) string {
	if s == 0 {
		return "1"
	}
	return "0." + strings.Repeat("0", s-1) + "1"
}

func intPow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// col is a random column of kind k.
func (g *diffGen) col(k byte) string {
	var names []string
	for _, c := range g.t.cols {
		if c.kind == k {
			names = append(names, c.name)
		}
	}
	return pick(g, names...)
}

// expr is a random expression of kind k, nested at most depth levels.
func (g *diffGen) expr(k byte, depth int) string {
	if depth <= 0 || g.p(35) {
		return g.leaf(k)
	}
	return g.node(k, depth-1)
}

// leaf is a column or a literal of kind k.
func (g *diffGen) leaf(k byte) string {
	if g.p(80) || k == 'B' {
		return g.col(k)
	}
	return g.literal(k)
}

// node is an operator or function of kind k over expressions nested at
// most d levels.
func (g *diffGen) node(k byte, d int) string {
	switch g.n(8) {
	case 0:
		return fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s END", g.expr('B', d), g.expr(k, d), g.expr(k, d))
	case 1:
		if k != 'B' {
			return fmt.Sprintf("coalesce(%s, %s)", g.expr(k, d), g.expr(k, d))
		}
	case 2:
		if k != 'B' {
			return fmt.Sprintf("%s(%s, %s)", pick(g, "greatest", "least", "nullif"), g.expr(k, d), g.expr(k, d))
		}
	}
	switch k {
	case 'I':
		a, b := g.expr('I', d), g.expr('I', d)
		return pick(g, "("+a+" + "+b+")", "("+a+" - "+b+")", "("+a+" * "+b+")",
			"("+a+" / nullif("+b+", 0))", "("+a+" % nullif("+b+", 0))", "abs("+a+")", "-("+a+")",
			"length("+g.expr('S', d)+")")
	case 'N':
		a, b := g.expr('N', d), g.expr('N', d)
		if g.p(40) {
			b = g.decimalInt(d)
		}
		prod := "(" + a + " * " + strconv.Itoa(g.n(21)-10) + ")"
		if genOverflowValues {
			prod = "(" + a + " * " + b + ")"
		}
		return pick(g, "("+a+" + "+b+")", "("+a+" - "+b+")", prod, "abs("+a+")", "-("+a+")",
			"round("+a+")", "round("+a+", 1)", "floor("+a+")", "ceil("+a+")")
	case 'F':
		a, b := g.expr('F', d), g.expr(pick[byte](g, 'F', 'N'), d)
		if g.p(30) {
			// Not BIGINT: SUM(d - k) over k near ±2^53 rounds in the order
			// of the rows, which differs between the engine and PostgreSQL.
			b = pick(g, "i", "s", g.literal('I'))
		}
		round := "floor(" + a + ")"
		if genFloatRound {
			// The cast: PostgreSQL reads 0.5e0 as a numeric, whose halves
			// round away from zero.
			round = "round(CAST(" + a + " AS DOUBLE PRECISION))"
		}
		return pick(g, "("+a+" + "+b+")", "("+a+" - "+b+")", "("+a+" * "+b+")",
			"("+a+" / nullif("+b+", 0))", "abs("+a+")", round, "ceil("+a+")")
	case 'S':
		a := g.expr('S', d)
		return pick(g, "("+a+" || "+g.expr('S', d)+")", "lower("+a+")", "upper("+a+")",
			"substring("+a+", "+strconv.Itoa(1+g.n(3))+", "+strconv.Itoa(g.n(3))+")", "trim("+a+")")
	case 'T':
		return fmt.Sprintf("(%s + INTERVAL '%d' HOUR)", g.expr('T', d), g.n(48)-24)
	case 'B':
		return g.pred(d)
	}
	panic("no expression of kind " + string(k))
}

// pred is a random boolean expression, in parentheses: PostgreSQL and
// MySQL (whose grammar the engine's parser has) rank NOT and IS
// differently against comparisons.
func (g *diffGen) pred(d int) string { return "(" + g.bare(d) + ")" }

func (g *diffGen) bare(d int) string {
	ck := pick[byte](g, 'I', 'I', 'N', 'F', 'S', 'T', 'B')
	a := g.expr(ck, d)
	switch g.n(7) {
	case 0:
		return a + pick(g, " IS NULL", " IS NOT NULL")
	case 1:
		return "NOT (" + g.expr('B', d) + ")"
	case 2:
		return "(" + g.expr('B', d) + pick(g, " AND ", " OR ") + g.expr('B', d) + ")"
	case 3:
		if ck != 'B' {
			return fmt.Sprintf("%s BETWEEN %s AND %s", a, g.literal(ck), g.literal(ck))
		}
	case 4:
		if ck != 'B' {
			return fmt.Sprintf("%s IN (%s, %s)", a, g.literal(ck), g.literal(ck))
		}
	case 5:
		return g.expr('S', d) + pick(g, " LIKE 'a%'", " LIKE '%b%'", " LIKE '_'", " NOT LIKE 'a%'")
	}
	b := g.expr(ck, d)
	switch ck {
	case 'I', 'N', 'F':
		switch bk := pick[byte](g, 'I', 'N', 'F'); {
		case ck == 'N' && bk == 'I':
			b = g.decimalInt(d)
		case ck == 'I' && bk == 'N':
			a, b = g.decimalInt(d), g.expr('N', d)
		default:
			b = g.expr(bk, d)
		}
	}
	return fmt.Sprintf("%s %s %s", a, pick(g, "=", "<>", "<", "<=", ">", ">="), b)
}

// decimalInt is an integer expression to mix with DECIMALs: unless
// genOverflowValues, only SMALLINT columns and literals, so that no result
// passes the engine's 18 digits.
func (g *diffGen) decimalInt(d int) string {
	if genOverflowValues {
		return g.expr('I', d)
	}
	if g.p(50) {
		return g.literal('I')
	}
	return "s"
}

// literal is a constant of kind k.
func (g *diffGen) literal(k byte) string {
	switch k {
	case 'I':
		return strconv.Itoa(g.n(21) - 5)
	case 'N':
		return fmt.Sprintf("%d.%02d", g.n(21)-10, g.n(100))
	case 'F':
		// Cast: PostgreSQL reads 2.25e0 as a numeric, so m > -2.25e0 + m
		// would be exact there (found when the new aggregates moved the
		// queries drawn).
		return "CAST(" + strconv.FormatFloat(float64(g.n(81)-40)/4, 'f', 2, 64) + " AS DOUBLE PRECISION)"
	case 'S':
		return pick(g, "''", "'a'", "'b'", "'abc'", "'B'")
	case 'T':
		return "CAST(" + pick(g, "'2024-01-02 00:00:00'", "'1970-01-01 00:00:00'", "'2024-01-01 12:00:00'") + " AS TIMESTAMP)"
	case 'B':
		return pick(g, "true", "false")
	}
	panic("no literal of kind " + string(k))
}
