package engine

import (
	"regexp"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/wire"
)

// psql's \d, \dt, \dv and \dm (listing relations, with or without a
// pattern) send catalog queries over pg_catalog with
// PostgreSQL operators (!~, OPERATOR(pg_catalog.~)) that TiDB's parser
// cannot read. They are recognised by their shape and answered from our
// catalog: sources list as type "source", in the relkind of foreign
// tables ('f'), which is what they are to PostgreSQL.
var (
	psqlList    = regexp.MustCompile(`(?s)^SELECT n\.nspname as "Schema",\s+c\.relname as "Name",.*FROM pg_catalog\.pg_class c.*WHERE c\.relkind IN \(([^)]*)\)`)
	psqlPattern = regexp.MustCompile(`c\.relname OPERATOR\(pg_catalog\.~\) '\^\((.*?)\)\$'`)
)

var relkinds = map[parser.RelKind]string{
	parser.KindTable: "r", parser.KindView: "v", parser.KindMaterializedView: "m", parser.KindSource: "f",
}

// psqlCatalog answers a psql describe query; ok is false for any other SQL.
func (e *Engine) psqlCatalog(sql string, w wire.ResultWriter) (bool, error) {
	m := psqlList.FindStringSubmatch(sql)
	if m == nil {
		return false, nil
	}
	want := map[string]bool{}
	for _, k := range strings.Split(m[1], ",") {
		want[strings.Trim(strings.TrimSpace(k), "'")] = true
	}
	var name *regexp.Regexp
	if p := psqlPattern.FindStringSubmatch(sql); p != nil {
		// psql has already turned its wildcards into a regular expression.
		var err error
		if name, err = regexp.Compile("^(" + p[1] + ")$"); err != nil {
			return false, nil
		}
	}
	e.mu.RLock()
	var rows [][]string
	for n, x := range e.rels {
		k, ok := relkinds[x.rel.Kind]
		if !ok || !want[k] || name != nil && !name.MatchString(n) {
			continue
		}
		rows = append(rows, []string{"public", n, x.rel.Kind.Noun(), "streamsql"})
	}
	e.mu.RUnlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i][1] < rows[j][1] })
	cols, b := textRows([]string{"Schema", "Name", "Type", "Owner"}, rows)
	return true, writeResult(w, cols, b)
}
