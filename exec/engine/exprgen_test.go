package engine_test

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The expression oracle's generator: typed expressions built from the
// templates of testdata/exprs/functions over the columns of a table whose
// values, like the expressions' literals, come from the pools of
// testdata/exprs/values. The lists live in files so that a function or an
// edge value is one line to add.

// exprTypes are the SQL types the generator composes, by the names the
// files use, with the name a CAST or a column declaration spells and
// the prefix of the table's columns of that type.
var exprTypes = []struct{ name, sql, col string }{
	{"int", "INT", "i"},
	{"bigint", "BIGINT", "l"},
	{"double", "DOUBLE PRECISION", "f"},
	{"decimal", "DECIMAL(12,3)", "n"},
	{"text", "TEXT", "t"},
	{"bool", "BOOLEAN", "b"},
	{"timestamp", "TIMESTAMP", "ts"},
	{"timestamptz", "TIMESTAMPTZ", "tz"},
	{"date", "DATE", "dt"},
	{"interval", "INTERVAL", "iv"},
}

// exprClasses are the type variables a template may use.
var exprClasses = map[string][]string{
	"I": {"int", "bigint"},
	"N": {"int", "bigint", "double", "decimal"},
	"T": {"int", "bigint", "double", "decimal", "text", "bool", "timestamp", "timestamptz", "date", "interval"},
}

// exprColumnsPerType is how many columns of each type the table has, so
// that a binary operator can see two different values.
const exprColumnsPerType = 2

// exprPart is a template's verbatim text or one of its holes: a type, a
// type variable, or "@pool".
type exprPart struct{ text, hole string }

type exprTemplate struct {
	ret   string
	parts []exprPart
	line  string
}

// exprGen generates expressions and rows from rng.
type exprGen struct {
	rng   *rand.Rand
	pools map[string][]string
	byRet map[string][]*exprTemplate
}

func loadExprGen(t testing.TB, rng *rand.Rand) *exprGen {
	t.Helper()
	g := &exprGen{rng: rng, pools: map[string][]string{}, byRet: map[string][]*exprTemplate{}}
	pool := ""
	exprLines(t, "testdata/exprs/values", func(line string) {
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			pool = line[1 : len(line)-1]
			return
		}
		g.pools[pool] = append(g.pools[pool], line)
	})
	for _, ty := range exprTypes {
		if len(g.pools[ty.name]) == 0 {
			t.Fatalf("testdata/exprs/values: no [%s] values", ty.name)
		}
	}
	hole := regexp.MustCompile(`\{[^}]*\}`)
	exprLines(t, "testdata/exprs/functions", func(line string) {
		ret, body, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("testdata/exprs/functions: %q is not \"type: template\"", line)
		}
		tm := &exprTemplate{ret: ret, line: line}
		last := 0
		for _, m := range hole.FindAllStringIndex(body, -1) {
			h := body[m[0]+1 : m[1]-1]
			if !g.known(h) {
				t.Fatalf("testdata/exprs/functions: %q: unknown hole {%s}", line, h)
			}
			tm.parts = append(tm.parts, exprPart{text: body[last:m[0]]}, exprPart{hole: h})
			last = m[1]
		}
		tm.parts = append(tm.parts, exprPart{text: body[last:]})
		if !g.known(ret) || strings.HasPrefix(ret, "@") {
			t.Fatalf("testdata/exprs/functions: %q: unknown type %s", line, ret)
		}
		rets := exprClasses[ret]
		if rets == nil {
			rets = []string{ret}
		}
		for _, r := range rets {
			g.byRet[r] = append(g.byRet[r], tm)
		}
	})
	return g
}

// known says whether h names a type, a type variable or a pool.
func (g *exprGen) known(h string) bool {
	if p, ok := strings.CutPrefix(h, "@"); ok {
		return len(g.pools[p]) > 0
	}
	if exprClasses[h] != nil {
		return true
	}
	for _, ty := range exprTypes {
		if ty.name == h {
			return true
		}
	}
	return false
}

// exprLines calls fn with each line of path that is neither blank nor a
// comment.
func exprLines(t testing.TB, path string, fn func(string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			fn(line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func (g *exprGen) p(pct int) bool { return g.rng.IntN(100) < pct }

func (g *exprGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func exprSQLType(name string) string {
	for _, ty := range exprTypes {
		if ty.name == name {
			return ty.sql
		}
	}
	panic("no type " + name)
}

// ddl declares the table name with id and exprColumnsPerType columns of
// each type.
func exprDDL(name string) string {
	cols := []string{"id INT"}
	for _, ty := range exprTypes {
		for k := 1; k <= exprColumnsPerType; k++ {
			cols = append(cols, fmt.Sprintf("%s%d %s", ty.col, k, ty.sql))
		}
	}
	return fmt.Sprintf("CREATE TABLE %s (%s)", name, strings.Join(cols, ", "))
}

// rows returns an INSERT of n rows into name, ids 0 to n-1.
func (g *exprGen) insert(name string, n int) (string, [][]string) {
	var vals []string
	var rows [][]string
	for id := range n {
		row := []string{strconv.Itoa(id)}
		for _, ty := range exprTypes {
			for range exprColumnsPerType {
				row = append(row, g.value(ty.name))
			}
		}
		rows = append(rows, row)
		vals = append(vals, "("+strings.Join(row, ", ")+")")
	}
	return fmt.Sprintf("INSERT INTO %s VALUES %s", name, strings.Join(vals, ", ")), rows
}

// value is a literal of type ty: from its pool, or now and then a random
// one (a double of any magnitude, say, for the shortest-round-trip text).
func (g *exprGen) value(ty string) string {
	if g.p(70) {
		return g.pick(g.pools[ty])
	}
	r := g.rng
	switch ty {
	case "int":
		return strconv.Itoa(int(r.Int32()) - r.IntN(2)*math.MaxInt32)
	case "bigint":
		return strconv.FormatInt(r.Int64N(1<<uint(r.IntN(62)+1))-r.Int64N(1<<40), 10)
	case "double":
		v := (r.Float64()*2 - 1) * math.Pow(10, float64(r.IntN(44)-22))
		return strconv.FormatFloat(v, 'g', -1, 64)
	case "decimal":
		return strconv.FormatFloat(float64(r.Int64N(2e12)-1e12)/1000, 'f', 3, 64)
	case "text":
		chars := []string{"a", "b", "A", "Z", " ", "%", "_", "\\", ".", ",", "é", "語", "1", "-", "''"}
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(g.pick(chars))
		}
		return "'" + b.String() + "'"
	case "bool":
		return g.pick([]string{"true", "false"})
	case "timestamp", "timestamptz", "date":
		at := time.Unix(r.Int64N(200*365*86400)-70*365*86400, 0).UTC()
		if r.IntN(2) == 0 {
			at = at.Add(time.Duration(r.IntN(1e6)) * time.Microsecond)
		}
		switch ty {
		case "date":
			return at.Format("'2006-01-02'")
		case "timestamptz":
			return at.Format("'2006-01-02 15:04:05.999999+00'")
		}
		return at.Format("'2006-01-02 15:04:05.999999'")
	case "interval":
		return fmt.Sprintf("'%d days %d:%02d:%02d.%06d'", r.IntN(2000)-1000, r.IntN(48), r.IntN(60), r.IntN(60), r.IntN(1e6))
	}
	panic("no type " + ty)
}

// literal is a typed literal of ty: a CAST of a pool value, or the bare
// value where PostgreSQL types it as ty or resolves an unknown one.
func (g *exprGen) literal(ty string) string {
	v := g.value(ty)
	switch {
	case v == "NULL":
	case ty == "int" && g.p(50) && !strings.HasPrefix(v, "'"):
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= math.MaxInt32 {
			return v
		}
	case ty == "text" && g.p(50):
		return v
	}
	return fmt.Sprintf("CAST(%s AS %s)", v, exprSQLType(ty))
}

// expr is an expression of type ty at most depth templates deep.
func (g *exprGen) expr(ty string, depth int) string {
	e, _ := g.node(ty, depth)
	return e
}

// node is expr's result and whether it is a column or a literal, which
// an operator takes without parentheses.
func (g *exprGen) node(ty string, depth int) (string, bool) {
	if depth <= 0 || g.p(20) {
		if g.p(75) {
			for _, t := range exprTypes {
				if t.name == ty {
					return fmt.Sprintf("%s%d", t.col, 1+g.rng.IntN(exprColumnsPerType)), true
				}
			}
		}
		return g.literal(ty), true
	}
	tm := g.pick2(g.byRet[ty])
	vars := map[string]string{}
	if exprClasses[tm.ret] != nil {
		vars[tm.ret] = ty
	}
	var b strings.Builder
	for _, p := range tm.parts {
		switch {
		case p.hole == "":
			b.WriteString(p.text)
		case strings.HasPrefix(p.hole, "@"):
			b.WriteString(g.pick(g.pools[p.hole[1:]]))
		default:
			h := p.hole
			if c := exprClasses[h]; c != nil {
				if vars[h] == "" {
					vars[h] = g.pick(c)
				}
				h = vars[h]
			}
			sub, leaf := g.node(h, depth-1)
			if !leaf || strings.HasPrefix(sub, "-") {
				sub = "(" + sub + ")"
			}
			b.WriteString(sub)
		}
	}
	return b.String(), false
}

func (g *exprGen) pick2(xs []*exprTemplate) *exprTemplate { return xs[g.rng.IntN(len(xs))] }
