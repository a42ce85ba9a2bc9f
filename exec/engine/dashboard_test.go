package engine_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/wire"
	"github.com/streamsql/streamsql/wire/httpserve"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "TestDashboardBrowser: write its screenshot to docs/dashboard.png too")

// chromium is the path of Debian's headless-capable Chromium. Outside CI
// a machine without it skips the browser test; in CI (CI=true, where
// .ci/run installs it) its absence fails it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI must run the dashboard's browser test (.ci/run installs it)")
	}
	t.Skip("chromium is not installed (apt-get install chromium): the dashboard's browser test is skipped")
	return ""
}

// startDashboard serves an engine over the wire and its HTTP endpoints,
// dashboard included, as serve does.
func startDashboard(t *testing.T) (addr string, eng *engine.Engine, web *httptest.Server) {
	_, eng = startEngineWith(t, engine.Options{Dir: t.TempDir()}) // durable: it checkpoints
	hs := httpserve.New()
	if err := hs.Ready(eng.Collector()); err != nil {
		t.Fatal(err)
	}
	hs.SetOverview(func() any { return eng.Overview() })
	srv := wire.NewServer(hs.Meter(eng), wire.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	web = httptest.NewServer(hs.Handler())
	t.Cleanup(web.Close)
	return srv.Addr().String(), eng, web
}

const dashboardDDL = `CREATE SOURCE clicks (id BIGINT, page INT, ms INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
	WITH (connector = 'datagen', rows_per_second = 3000, seed = 11, fields.id.kind = 'sequence', fields.page.max = 20, fields.ms.max = 900);
CREATE MATERIALIZED VIEW per_page AS SELECT page, COUNT(*) AS clicks, AVG(ms) AS avg_ms FROM clicks WHERE ms > 100 GROUP BY page;
CREATE MATERIALIZED VIEW slow AS SELECT id, page, ms FROM clicks WHERE ms > 800`

// TestDashboardJSON: /api/overview lists the relations, each view's
// operators with their figures, the checkpoints and the sessions.
func TestDashboardJSON(t *testing.T) {
	addr, eng, web := startDashboard(t)
	conn := connect(t, addr)
	mustExec(t, conn, `CREATE TABLE t (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`)
	mustExec(t, conn, `CREATE MATERIALIZED VIEW v AS SELECT k % 3 AS b, COUNT(*) AS n FROM t WHERE k > 0 GROUP BY k % 3`)
	mustExec(t, conn, `INSERT INTO t VALUES (1, '2024-01-01 00:00:01'), (2, '2024-01-01 00:00:02'), (-1, '2024-01-01 00:00:03'), (4, '2024-01-01 00:00:04')`)
	mustExec(t, conn, `FLUSH`)
	if err := eng.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(web.URL + "/api/overview")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o struct {
		Ready  bool
		Engine engine.Overview
		// Sessions: the test's connection.
		Sessions []struct {
			User       string
			Statements int
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatal(err)
	}
	if !o.Ready || len(o.Sessions) != 1 || o.Sessions[0].User != "streamsql" || o.Sessions[0].Statements < 4 {
		t.Errorf("ready %v, sessions %+v", o.Ready, o.Sessions)
	}
	rels := map[string]engine.RelationOverview{}
	for _, r := range o.Engine.Relations {
		rels[r.Name] = r
	}
	if r := rels["t"]; r.Rows != 4 || r.Watermark == nil || *r.Watermark != time.Date(2024, 1, 1, 0, 0, 4, 0, time.UTC).UnixMilli() {
		t.Errorf("table t: %+v", r)
	}
	if r := rels["v"]; r.Kind != "materialized view" || r.Rows != 2 || r.RowsIn != 4 || r.Status != "running" {
		t.Errorf("view v: %+v", r)
	}
	if len(o.Engine.Views) != 1 {
		t.Fatalf("views: %+v", o.Engine.Views)
	}
	kinds := map[string]engine.OpOverview{}
	for _, op := range o.Engine.Views[0].Ops {
		kinds[op.Kind] = op
	}
	if a := kinds["Aggregate"]; !a.Stateful || a.RowsIn != 3 || a.Cached != 2 {
		t.Errorf("aggregate: %+v", a)
	}
	if f := kinds["Filter"]; f.RowsIn != 4 || f.RowsOut != 3 || f.Parent < 0 {
		t.Errorf("filter: %+v", f)
	}
	if s := kinds["Scan"]; s.RowsIn != 4 {
		t.Errorf("scan: %+v", s)
	}
	if c := o.Engine.Checkpoints; c.Total < 1 || len(c.Recent) == 0 || c.Recent[len(c.Recent)-1].Error != "" {
		t.Errorf("checkpoints: %+v", c)
	}
	for _, path := range []string{"/", "/dashboard.js", "/dashboard.css"} {
		if code := get(t, web.URL+path); code != http.StatusOK {
			t.Errorf("GET %s: %d", path, code)
		}
	}
}

// TestDashboardBrowser loads the dashboard in headless Chromium while a
// datagen source feeds two views, and checks through the DOM that the
// aggregate's dataflow is drawn with its operators and that the rates
// move between two polls; it keeps a screenshot.
func TestDashboardBrowser(t *testing.T) {
	chrome := chromium(t)
	addr, _, web := startDashboard(t)
	conn := connect(t, addr)
	mustExec(t, conn, dashboardDDL)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1400, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	const agg = `.view[data-view="per_page"] g.op[data-kind="Aggregate"]`
	if err := chromedp.Do(ctx, chromedp.Navigate(web.URL), chromedp.WaitVisible(chromedp.CSS(agg))); err != nil {
		t.Fatal(err)
	}
	kinds, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.view[data-view="per_page"] g.op')].map(g => g.dataset.kind)`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"Scan": true, "Filter": true, "Aggregate": true, "Project": true, "View": true}
	for _, k := range kinds {
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("per_page's graph has operators %v, lacking %v", kinds, want)
	}

	// The scan's rate once a second poll has given one, then once it has
	// moved: the source produces all the while.
	rate := func(not string) string {
		t.Helper()
		js := `(() => { const t = document.querySelector('.view[data-view="per_page"] g.op[data-kind="Scan"] .rate');
			const r = t && t.textContent.split(" ")[0];
			return r && r !== "…" && r !== ` + strconv.Quote(not) + ` ? r : false; })()`
		s, err := chromedp.Run(ctx, chromedp.Poll[string](js, chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(15*time.Second)))
		if err != nil {
			t.Fatalf("the scan's rate (not %q): %v", not, err)
		}
		return s
	}
	first := rate("")
	second := rate(first)
	t.Logf("the scan's rows/s: %s, then %s", first, second)
	state, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(agg+` .state`)))
	if err != nil || state == "" {
		t.Errorf("the aggregate shows no state: %q, %v", state, err)
	}
	relRate, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#relations tbody tr td.rate`)))
	if err != nil || relRate == "" || relRate == "…" {
		t.Errorf("the relations' rates: %q, %v", relRate, err)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: a PNG
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "dashboard.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	if *updateScreenshot {
		if err := os.WriteFile("../../docs/dashboard.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
