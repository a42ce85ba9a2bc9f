package engine_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// wantPostgresJS is what postgresjs/client.mjs prints.
const wantPostgresJS = `first query: [{"one":1}]
array types: [{"oid":20,"typarray":1016}]
parameters: [{"auction":"1000","bidder":2,"price":3,"note":"bid 2 it's","ok":false},{"auction":"1001","bidder":3,"price":4.5,"note":"bid 3 it's","ok":true},{"auction":"1000","bidder":4,"price":6,"note":"bid 4 it's","ok":false},{"auction":"1001","bidder":5,"price":7.5,"note":"bid 5 it's","ok":false}]
null parameter: [{"n":null,"s":"text"}]
unsafe: [{"n":"6","s":22.5}]
simple: [{"bidder":0},{"bidder":1}]
rejected: 42601 syntax error at or near "SELEC"
rejected: 42P01 relation "nope" does not exist
view: [{"auction":"1000","n":"3","top":6},{"auction":"1001","n":"3","top":7.5}]
view after insert: [{"auction":"1000","n":"4","top":99.5}]
done
`

// TestPostgresJSClient runs postgres.js (npm's "postgres", which .ci/run
// installs into testdata/clients/postgresjs) with its default options
// against a server: a connection's first query, its pg_type self-join for
// array types, parameterised and simple queries, rejected queries that
// leave Node and the connection running, and a SELECT of a view. Outside
// CI it skips without node or the package; in CI it fails.
func TestPostgresJSClient(t *testing.T) {
	node := needTool(t, "node", "apt-get install nodejs npm")
	dir := filepath.Join("testdata", "clients", "postgresjs")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "postgres", "package.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("postgres.js is missing; CI installs it (npm install --prefix %s): %v", dir, err)
		}
		t.Skipf("postgres.js is missing (npm install --prefix %s)", dir)
	}
	addr := startServer(t)
	got := runClient(t, 60*time.Second, node, filepath.Join(dir, "client.mjs"), "postgres://streamsql@"+addr+"/streamsql")
	diffLines(t, got, wantPostgresJS)
}
