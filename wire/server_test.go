package wire

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"go.uber.org/goleak"
)

func pgErr(t *testing.T, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *pgconn.PgError", err, err)
	}
	return pe
}

// TestTypes reads a row of every type in the simple protocol (text) and
// in pgx's default mode, the extended protocol with binary results for
// the types pgx knows.
func TestTypes(t *testing.T) {
	for _, simple := range []bool{true, false} {
		t.Run(map[bool]string{true: "simple", false: "extended"}[simple], func(t *testing.T) { testTypes(t, simple) })
	}
}

func testTypes(t *testing.T, simple bool) {
	s, _ := startServer(t, Config{})
	conn := connect(t, s, simple)
	ctx := testCtx(t)

	rows, err := conn.Query(ctx, "types")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := []struct {
		name   string
		oid    uint32
		size   int16
		typmod int32
	}{
		{"b", 16, 1, -1},
		{"i", 23, 4, -1},
		{"bi", 20, 8, -1},
		{"d", 701, 8, -1},
		{"dec", 1700, -1, 10<<16 | 2 + 4},
		{"vc", 1043, -1, 24},
		{"s", 1043, -1, -1},
		{"ts", 1114, 8, 3},
		{"iv", 1186, 16, -1},
		{"n", 25, -1, -1},
	}
	fds := rows.FieldDescriptions()
	if len(fds) != len(want) {
		t.Fatalf("%d columns, want %d", len(fds), len(want))
	}
	for i, w := range want {
		f := fds[i]
		if f.Name != w.name || f.DataTypeOID != w.oid || f.DataTypeSize != w.size || f.TypeModifier != w.typmod || simple && f.Format != 0 {
			t.Errorf("column %d = %+v, want %+v", i, f, w)
		}
	}

	wantText := [][]any{
		{"t", "42", "-9000000000", "1.5", "123.45", "héllo", "", "2024-01-02 03:04:05.123", "00:01:30", nil},
		{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	var got [][]any
	for rows.Next() {
		var row []any
		for _, v := range rows.RawValues() {
			if v == nil {
				row = append(row, nil)
			} else {
				row = append(row, string(v))
			}
		}
		got = append(got, row)
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("decoding row %d: %v", len(got), err)
		}
		if len(got) == 1 {
			checkDecoded(t, vals)
		} else {
			for i, v := range vals {
				if v != nil {
					t.Errorf("NULL column %d decoded as %#v", i, v)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wantText) {
		t.Fatalf("got %d rows, want %d", len(got), len(wantText))
	}
	if !simple {
		binary := 0
		for _, f := range fds {
			binary += int(f.Format)
		}
		if binary == 0 {
			t.Errorf("pgx asked for no binary column")
		}
		return // raw values are binary; checkDecoded checked them
	}
	for r := range wantText {
		for c := range wantText[r] {
			if got[r][c] != wantText[r][c] {
				t.Errorf("row %d col %s = %#v, want %#v", r, want[c].name, got[r][c], wantText[r][c])
			}
		}
	}
	if tag := rows.CommandTag().String(); tag != "SELECT 2" {
		t.Errorf("tag %q", tag)
	}
}

// checkDecoded checks that pgx decodes each text value into the Go type
// its OID promises.
func checkDecoded(t *testing.T, vals []any) {
	t.Helper()
	num, ok := vals[4].(pgtype.Numeric)
	if !ok || num.Int.Int64() != 12345 || num.Exp != -2 {
		t.Errorf("numeric decoded as %#v", vals[4])
	}
	iv, ok := vals[8].(pgtype.Interval)
	if !ok || iv.Microseconds != 90e6 {
		t.Errorf("interval decoded as %#v", vals[8])
	}
	ts, ok := vals[7].(time.Time)
	if !ok || !ts.Equal(time.UnixMicro(typesTS).UTC()) {
		t.Errorf("timestamp decoded as %#v", vals[7])
	}
	for i, w := range []any{true, int32(42), int64(-9000000000), 1.5} {
		if vals[i] != w {
			t.Errorf("column %d decoded as %#v, want %#v", i, vals[i], w)
		}
	}
	if vals[5] != "héllo" || vals[6] != "" || vals[9] != nil {
		t.Errorf("strings decoded as %#v %#v %#v", vals[5], vals[6], vals[9])
	}
}

func TestErrorPositionAndRecovery(t *testing.T) {
	s, _ := startServer(t, Config{})
	conn := connect(t, s, true)
	ctx := testCtx(t)

	// A second statement, after multi-byte text, fails: the position
	// counts characters from the start of the whole query string.
	sql := "create; SELECT 'héllo wörld', bogus"
	_, err := conn.Exec(ctx, sql)
	pe := pgErr(t, err)
	wantPos := int32(utf8.RuneCountInString(sql[:strings.Index(sql, "bogus")]) + 1)
	if pe.Code != "42703" || pe.Severity != "ERROR" || pe.SeverityUnlocalized != "ERROR" ||
		pe.Message != `column "bogus" does not exist` || pe.Position != wantPos {
		t.Errorf("got %+v, want 42703 at %d", pe, wantPos)
	}

	for _, c := range []struct{ sql, code string }{
		{"nonsense", "42601"},
		{"internal", "XX000"},
		{"half", "XX000"},
		{"count x", "22P02"},
	} {
		_, err := conn.Exec(ctx, c.sql)
		if pe := pgErr(t, err); pe.Code != c.code {
			t.Errorf("%s: code %s, want %s", c.sql, pe.Code, c.code)
		}
	}

	var user, db string
	if err := conn.QueryRow(ctx, "whoami").Scan(&user, &db); err != nil {
		t.Fatalf("session unusable after errors: %v", err)
	}
	if user != "streamsql" || db != "streamsql" {
		t.Errorf("whoami = %s %s", user, db)
	}
}

func TestMultiStatementAndNotice(t *testing.T) {
	s, _ := startServer(t, Config{})
	var notices []string
	cfg, err := pgconn.ParseConfig("postgres://streamsql@" + s.Addr().String() + "/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
	}
	ctx := testCtx(t)
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())

	res, err := pc.Exec(ctx, "create; diffs;; notice; count 3").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		line := r.CommandTag.String()
		for _, row := range r.Rows {
			line += " " + string(row[0])
		}
		got = append(got, line)
	}
	want := []string{"CREATE TABLE", "SELECT 6 1 2 2 5 5 5", "NOTICE", "SELECT 3 0 1 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("results %q, want %q", got, want)
	}
	if len(notices) != 1 || notices[0] != "NOTICE 00000 hello from the engine" {
		t.Errorf("notices %q", notices)
	}

	// The error stops the query: "create" after it does not run.
	res, err = pc.Exec(ctx, "create; bogus; create").ReadAll()
	if pe := pgErr(t, err); pe.Code != "42703" || pe.Position != 9 {
		t.Errorf("error %+v", pe)
	}
	if len(res) != 1 || res[0].CommandTag.String() != "CREATE TABLE" {
		t.Errorf("results before the error: %+v", res)
	}
}

func TestEmptyQuery(t *testing.T) {
	s, _ := startServer(t, Config{})
	r := dialRaw(t, s)
	r.startup()
	for _, sql := range []string{"", ";", "  ; ;"} {
		if got := strings.Join(r.query(sql), "|"); got != "I|Z I" {
			t.Errorf("query %q: %s", sql, got)
		}
	}
	conn := connect(t, s, true)
	if _, err := conn.Exec(testCtx(t), ""); err != nil {
		t.Errorf("pgx empty query: %v", err)
	}
}

func TestStreamManyRows(t *testing.T) {
	s, _ := startServer(t, Config{})
	conn := connect(t, s, true)
	const n = 200_000
	rows, err := conn.Query(testCtx(t), "count 200000")
	if err != nil {
		t.Fatal(err)
	}
	var i, x int64
	for rows.Next() {
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		if x != i {
			t.Fatalf("row %d = %d", i, x)
		}
		i++
	}
	if rows.Err() != nil || i != n {
		t.Fatalf("read %d rows, err %v", i, rows.Err())
	}
}

func TestCancel(t *testing.T) {
	s, e := startServer(t, Config{})
	conn := connect(t, s, true)
	ctx := testCtx(t)

	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "block")
		errc <- err
	}()
	waitFor(t, e.blocked, "the query to block")

	// A cancel with the wrong secret is ignored: the server closes the
	// cancel connection without touching the query.
	r := dialRaw(t, s)
	secret := append([]byte(nil), conn.PgConn().SecretKey()...)
	secret[0] ^= 0xff
	r.send(&pgproto3.CancelRequest{ProcessID: conn.PgConn().PID(), SecretKey: secret})
	if got := r.untilReady(); len(got) != 1 || got[0] != "EOF" {
		t.Errorf("cancel connection got %q, want EOF", got)
	}
	select {
	case err := <-errc:
		t.Fatalf("query ended after a wrong-secret cancel: %v", err)
	default:
	}

	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	pe := pgErr(t, waitFor(t, errc, "the query to be cancelled"))
	if pe.Code != "57014" || pe.Message != "canceling statement due to user request" {
		t.Errorf("got %+v", pe)
	}
	if _, err := conn.Exec(ctx, "create"); err != nil {
		t.Errorf("connection unusable after cancel: %v", err)
	}
	// A cancel with nothing running does nothing.
	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "create"); err != nil {
		t.Errorf("idle cancel broke the connection: %v", err)
	}
}

// TestExtendedPgx runs statements through pgx's default mode: a
// statement cache, parameters, binary formats, and errors mid-pipeline.
func TestExtendedPgx(t *testing.T) {
	s, _ := startServer(t, Config{})
	conn := connect(t, s, false)
	ctx := testCtx(t)

	for range 3 { // the second and third run from pgx's statement cache
		var echo string
		if err := conn.QueryRow(ctx, "echo $1", "héllo").Scan(&echo); err != nil || echo != "héllo" {
			t.Fatalf("echo: %q %v", echo, err)
		}
		var n int64
		rows, err := conn.Query(ctx, "count 3000")
		if err != nil {
			t.Fatal(err)
		}
		sum := int64(0)
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			sum += n
		}
		if rows.Err() != nil || sum != 2999*3000/2 {
			t.Fatalf("count: sum %d, %v", sum, rows.Err())
		}
	}
	var x int64
	err := conn.QueryRow(ctx, "bogus").Scan(&x)
	if pe := pgErr(t, err); pe.Code != "42703" || pe.Position != 1 {
		t.Errorf("got %+v", pe)
	}
	if tag, err := conn.Exec(ctx, "create"); err != nil || tag.String() != "CREATE TABLE" {
		t.Fatalf("after an error: %v %v", tag, err)
	}
}

func TestPanicClosesOnlyThatConnection(t *testing.T) {
	s, e := startServer(t, Config{Logger: discardLogger()})
	other := connect(t, s, true)
	conn := connect(t, s, true)
	ctx := testCtx(t)

	_, err := conn.Exec(ctx, "panic")
	pe := pgErr(t, err)
	if pe.Code != "XX000" || !strings.Contains(pe.Message, "boom") {
		t.Errorf("got %+v", pe)
	}
	if _, err := conn.Exec(ctx, "create"); err == nil {
		t.Error("connection still open after a panic")
	}
	if _, err := other.Exec(ctx, "create"); err != nil {
		t.Errorf("other connection broken by a panic: %v", err)
	}
	eventually(t, func() bool { _, closed := e.counts(); return closed == 1 }, "the panicking session to close")
}

func TestNewSessionError(t *testing.T) {
	s, _ := startServer(t, Config{})
	_, err := pgx.Connect(testCtx(t), "postgres://streamsql@"+s.Addr().String()+"/nodb?sslmode=disable")
	if pe := pgErr(t, err); pe.Code != "42P01" || pe.Severity != "FATAL" {
		t.Errorf("got %+v", pe)
	}
}

func TestCloseReleasesEverything(t *testing.T) {
	e := newFakeEngine()
	s := NewServer(e, Config{Addr: "127.0.0.1:0"})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	idle := connect(t, s, true)
	busy := connect(t, s, true)
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() {
		_, err := busy.Exec(ctx, "block")
		errc <- err
	}()
	waitFor(t, e.blocked, "the query to block")
	half := dialRaw(t, s) // connected, never started

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(t, errc, "the blocked query to end"); err == nil {
		t.Error("blocked query succeeded after Close")
	}
	if _, err := idle.Exec(ctx, "create"); err == nil {
		t.Error("idle connection still works after Close")
	}
	if got := half.untilReady(); got[len(got)-1] != "EOF" {
		t.Errorf("unstarted connection got %q", got)
	}
	if opened, closed := e.counts(); opened != 2 || closed != 2 {
		t.Errorf("sessions opened %d, closed %d", opened, closed)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
	goleak.VerifyNone(t)
}
