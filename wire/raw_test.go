package wire

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner/types"
)

// expect compares messages with the wanted ones; a wanted line ending in
// "*" matches any message starting with the rest.
func expect(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if p, wild := strings.CutSuffix(want[i], "*"); wild {
			ok = strings.HasPrefix(got[i], p)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

func TestStartupMessages(t *testing.T) {
	s, _ := startServer(t, Config{})
	r := dialRaw(t, s)
	for _, req := range []pgproto3.FrontendMessage{&pgproto3.SSLRequest{}, &pgproto3.GSSEncRequest{}} {
		r.send(req)
		var b [1]byte
		if _, err := io.ReadFull(r.nc, b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("%T answered %q, %v", req, b, err)
		}
	}
	expect(t, "startup", r.startup(),
		"R ok",
		"S server_version=15.0",
		"S server_encoding=UTF8",
		"S client_encoding=UTF8",
		"S DateStyle=ISO, MDY",
		"S IntervalStyle=postgres",
		"S integer_datetimes=on",
		"S standard_conforming_strings=on",
		"S TimeZone=UTC",
		"S application_name=raw",
		"S is_superuser=on",
		"S session_authorization=streamsql",
		"K 4 bytes",
		"Z I")
	expect(t, "types", r.query("types"),
		"T b:16/1/-1 i:23/4/-1 bi:20/8/-1 d:701/8/-1 dec:1700/-1/655366 vc:1043/-1/24 s:1043/-1/-1 ts:1114/8/3 iv:1186/16/-1 n:25/-1/-1",
		`D "t" "42" "-9000000000" "1.5" "123.45" "héllo" "" "2024-01-02 03:04:05.123" "00:01:30" NULL`,
		"D NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL",
		"C SELECT 2",
		"Z I")
	expect(t, "diffs", r.query("diffs"),
		"T x:20/8/-1", `D "1"`, `D "2"`, `D "2"`, `D "5"`, `D "5"`, `D "5"`, "C SELECT 6", "Z I")
	expect(t, "half", r.query("half"), "T x:20/8/-1", "E ERROR XX000 wire: result writer called out of order: result not completed", "Z I")
	r.send(&pgproto3.Terminate{})
	expect(t, "terminate", r.untilReady(), "EOF")
}

func TestStartupVariants(t *testing.T) {
	s, e := startServer(t, Config{})

	r := dialRaw(t, s)
	r.send(&pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersion32,
		Parameters:      map[string]string{"user": "u", "database": "d", "_pq_.b": "1", "_pq_.a": "1"},
	})
	got := r.untilReady()
	expect(t, "protocol 3.2", got[:2], "v 196608 [_pq_.a _pq_.b]", "R ok")
	expect(t, "whoami", r.query("whoami"), "T user:1043/-1/-1 db:1043/-1/-1", `D "u" "d"`, "C SELECT 1", "Z I")
	r.nc.Close()

	r = dialRaw(t, s)
	r.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"database": "d"}})
	expect(t, "no user", r.untilReady(), "E FATAL 28000 no PostgreSQL user name specified in startup packet", "EOF")

	r = dialRaw(t, s)
	r.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "nodb"}})
	expect(t, "no database", r.untilReady(), "R ok", `E FATAL 42P01 database "nodb" does not exist`, "EOF")

	eventually(t, func() bool { o, c := e.counts(); return o == 1 && c == 1 }, "sessions to close")
}

func TestStartupTimeout(t *testing.T) {
	s, _ := startServer(t, Config{StartupTimeout: 50 * time.Millisecond})
	r := dialRaw(t, s)
	expect(t, "silent client", r.untilReady(), "EOF")
}

func TestExtendedProtocolRaw(t *testing.T) {
	s, _ := startServer(t, Config{})
	r := dialRaw(t, s)
	r.startup()

	// A row limit hands the result out in parts, each but the last
	// ending in PortalSuspended; Describe of a portal carries the formats
	// Bind asked for.
	r.send(&pgproto3.Parse{Name: "c", Query: "count 5"}, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "c", ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p"}, &pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{})
	expect(t, "row limit", r.untilReady(), "1", "2", "T x:20/8/-1 fmt 1",
		`D "\x00\x00\x00\x00\x00\x00\x00\x00"`, `D "\x00\x00\x00\x00\x00\x00\x00\x01"`, "s",
		`D "\x00\x00\x00\x00\x00\x00\x00\x02"`, `D "\x00\x00\x00\x00\x00\x00\x00\x03"`, "s",
		`D "\x00\x00\x00\x00\x00\x00\x00\x04"`, "C SELECT 5", "Z I")

	// The portal ended with the implicit transaction at Sync; the named
	// statement lives on. Describe of a statement: parameters, then
	// columns in text format.
	r.send(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	expect(t, "portal gone", r.untilReady(), `E ERROR 34000 portal "p" does not exist`, "Z I")
	r.send(&pgproto3.Describe{ObjectType: 'S', Name: "c"}, &pgproto3.Sync{})
	expect(t, "describe statement", r.untilReady(), "t []", "T x:20/8/-1", "Z I")
	r.send(&pgproto3.Parse{Name: "c", Query: "create"}, &pgproto3.Sync{})
	expect(t, "duplicate", r.untilReady(), `E ERROR 42P05 prepared statement "c" already exists`, "Z I")
	r.send(&pgproto3.Parse{Name: "e", Query: "echo $1"}, &pgproto3.Describe{ObjectType: 'S', Name: "e"},
		&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("hi")}}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, "parameters", r.untilReady(), "1", "t [25]", "T echo:1043/-1/-1", "2", `D "hi"`, "C SELECT 1",
		"2", "D NULL", "C SELECT 1", "Z I")

	// An error skips everything up to Sync, which answers once.
	r.send(&pgproto3.Bind{PreparedStatement: "e"}, &pgproto3.Execute{}, &pgproto3.Query{String: "create"}, &pgproto3.Sync{})
	expect(t, "count mismatch", r.untilReady(), `E ERROR 08P01 bind message supplies 0 parameters, but prepared statement "e" requires 1`, "Z I")
	r.send(&pgproto3.Bind{PreparedStatement: "nope"}, &pgproto3.Sync{})
	expect(t, "no statement", r.untilReady(), `E ERROR 26000 prepared statement "nope" does not exist`, "Z I")
	r.send(&pgproto3.Bind{PreparedStatement: "c", ResultFormatCodes: []int16{1, 0}}, &pgproto3.Sync{})
	expect(t, "formats", r.untilReady(), "E ERROR 08P01 bind message has 2 format codes for 1 values", "Z I")
	r.send(&pgproto3.Parse{Query: "bogus"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, "parse error", r.untilReady(), "E ERROR 42703 column \"bogus\" does not exist @1", "Z I")
	r.send(&pgproto3.Parse{Query: "a; b"}, &pgproto3.Sync{})
	expect(t, "two statements", r.untilReady(), "E ERROR 42601 cannot insert multiple commands into a prepared statement", "Z I")

	// Statements that return no rows, and the empty statement.
	r.send(&pgproto3.Parse{Query: "create"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: ""}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, "no rows", r.untilReady(), "1", "2", "n", "C CREATE TABLE", "1", "2", "I", "Z I")

	r.send(&pgproto3.Close{ObjectType: 'S', Name: "c"}, &pgproto3.Close{ObjectType: 'S', Name: "never"}, &pgproto3.Sync{})
	expect(t, "close", r.untilReady(), "3", "3", "Z I")
	r.send(&pgproto3.Describe{ObjectType: 'S', Name: "c"}, &pgproto3.Sync{})
	expect(t, "closed", r.untilReady(), `E ERROR 26000 prepared statement "c" does not exist`, "Z I")

	// Flush delivers the error before Sync; everything up to Sync,
	// even a Query, is then discarded.
	r.send(&pgproto3.Bind{PreparedStatement: "nope"}, &pgproto3.Flush{})
	m, err := r.fe.Receive()
	if err != nil || !strings.HasPrefix(describe(m), "E ERROR 26000") {
		t.Fatalf("after Flush: %v, %v", m, err)
	}
	r.send(&pgproto3.Query{String: "create"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, "skip to sync", r.untilReady(), "Z I")

	r.send(&pgproto3.FunctionCall{Function: 1})
	expect(t, "function call", r.untilReady(), "E ERROR 0A000 function call protocol is not supported", "Z I")

	r.send(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{})
	expect(t, "usable", r.query("create"), "C CREATE TABLE", "Z I")
}

func TestGarbage(t *testing.T) {
	s, _ := startServer(t, Config{MaxMessageSize: 1000})
	other := connect(t, s, true)

	raw := func(name string, startup bool, data []byte, want ...string) {
		t.Helper()
		r := dialRaw(t, s)
		if startup {
			r.startup()
		}
		if _, err := r.nc.Write(data); err != nil {
			t.Fatal(err)
		}
		expect(t, name, r.untilReady(), want...)
	}
	raw("http", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"E FATAL 08P01 invalid startup packet: invalid length of startup packet*", "EOF")
	raw("bad startup code", false, []byte{0, 0, 0, 8, 1, 2, 3, 4},
		"E FATAL 08P01 invalid startup packet: unknown startup message code*", "EOF")
	raw("unknown type", true, []byte{'x', 0, 0, 0, 4},
		"E FATAL 08P01 invalid message: unknown message type: x", "EOF")
	raw("bad length", true, []byte{'Q', 0, 0, 0, 1},
		"E FATAL 08P01 invalid message: invalid message length: 1", "EOF")
	raw("too large", true, append([]byte{'Q', 0, 0, 0x10, 0}, make([]byte, 100)...),
		"E FATAL 08P01 invalid message: *", "EOF")
	raw("password after startup", true, []byte{'p', 0, 0, 0, 6, 'x', 0},
		"E FATAL 08P01 unexpected message *pgproto3.PasswordMessage", "EOF")
	// A message cut short by the client's leaving ends the connection
	// quietly.
	r := dialRaw(t, s)
	r.startup()
	r.nc.Write([]byte{'Q', 0, 0, 0, 50, 'x'})
	r.nc.(*net.TCPConn).CloseWrite()
	expect(t, "truncated", r.untilReady(), "EOF")

	r = dialRaw(t, s)
	r.startup()
	expect(t, "within the limit", r.query(strings.Repeat("x", 900)), "E ERROR 42601*", "Z I")

	if _, err := other.Exec(testCtx(t), "create"); err != nil {
		t.Errorf("garbage on other connections broke this one: %v", err)
	}
}

// TestRowsAllocs checks that streaming rows allocates nothing once the
// row buffer has grown (for types whose text form vec appends without
// allocating).
func TestRowsAllocs(t *testing.T) {
	ts := []types.T{types.BigInt, types.Varchar, types.Boolean, types.Double, types.Int}
	b := vec.NewBatch(ts, 1024)
	for i := range 1024 {
		b.Cols[0].AppendI64(int64(i) * 1e9)
		b.Cols[1].AppendStr("some text value")
		b.Cols[2].AppendBool(i%2 == 0)
		b.Cols[3].AppendF64(float64(i) / 7)
		if i%3 == 0 {
			b.Cols[4].AppendNull()
		} else {
			b.Cols[4].AppendI64(int64(i))
		}
		b.EndRow(1)
	}
	r := &results{bw: newOutput(io.Discard, writeBufferSize), open: true, ncols: len(ts)}
	if allocs := testing.AllocsPerRun(20, func() { r.Rows(b) }); allocs != 0 {
		t.Errorf("Rows allocates %.1f times per batch", allocs)
	}
}

func BenchmarkRows(b *testing.B) {
	batch := vec.NewBatch([]types.T{types.BigInt, types.Varchar, types.Double}, 1024)
	for i := range 1024 {
		batch.Cols[0].AppendI64(int64(i))
		batch.Cols[1].AppendStr("auction-name")
		batch.Cols[2].AppendF64(float64(i) * 1.25)
		batch.EndRow(1)
	}
	r := &results{bw: newOutput(io.Discard, writeBufferSize), open: true, ncols: 3}
	b.ReportAllocs()
	for b.Loop() {
		r.Rows(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/row")
}
