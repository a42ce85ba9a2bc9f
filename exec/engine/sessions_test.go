package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestSQLStates walks the SQLSTATE table through the wire, in both of
// pgx's modes: each error reaches the client with its code, never XX000,
// and the session stays usable after it.
func TestSQLStates(t *testing.T) {
	for name, simple := range modes() {
		t.Run(name, func(t *testing.T) {
			addr, _ := startEngine(t)
			conn := connectMode(t, addr, simple)
			ctx := testContext(t)
			mustExec(t, conn, "CREATE TABLE t (a INT, s VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts)")
			for _, c := range []struct{ code, sql string }{
				{"42601", "SELEC 1"},
				{"42P01", "SELECT * FROM nosuch"},
				{"42703", "SELECT nosuch FROM t"},
				{"42883", "SELECT nosuchfn(a) FROM t"},
				{"42804", "SELECT a FROM t WHERE s"},
				{"42803", "SELECT a, s FROM t GROUP BY a"},
				{"0A000", "UPDATE t SET a = 1"},
				{"22012", "SELECT 1 / 0"},
				{"42P02", "SELECT $3"},
				{"34000", "FETCH 1 FROM nosuch"},
			} {
				_, err := conn.Exec(ctx, c.sql)
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != c.code {
					t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
				}
				var one int32
				if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("after %s: %v", c.sql, err)
				}
			}

			// 57014: a FETCH that waits on a subscription, cancelled.
			mustExec(t, conn, "BEGIN")
			mustExec(t, conn, "DECLARE c CURSOR FOR SUBSCRIBE t WITH (snapshot = false)")
			done := make(chan error, 1)
			go func() { _, err := conn.Exec(ctx, "FETCH 1 c"); done <- err }()
			var pe *pgconn.PgError
			for {
				// The FETCH may not have started yet: cancel until it ends.
				if err := conn.PgConn().CancelRequest(ctx); err != nil {
					t.Fatal(err)
				}
				select {
				case err := <-done:
					if !errors.As(err, &pe) || pe.Code != "57014" {
						t.Fatalf("cancelled FETCH: %v", err)
					}
				case <-time.After(50 * time.Millisecond):
					continue
				}
				break
			}
			mustExec(t, conn, "COMMIT")
		})
	}
	// 08P01: a client that breaks the protocol gets FATAL and is
	// disconnected; others are not disturbed.
	addr, _ := startEngine(t)
	other := connectMode(t, addr, false)
	for _, garbage := range [][]byte{
		[]byte("Q\x00\x00\x00\x08abcd"),         // a Query without its NUL
		[]byte("Z\x00\x00\x00\x04"),             // not a frontend message
		[]byte("Q\x7f\xff\xff\xffSELECT 1\x00"), // beyond the message size limit
	} {
		fe, nc := rawStartup(t, addr)
		nc.Write(garbage)
		msg, err := fe.Receive()
		er, ok := msg.(*pgproto3.ErrorResponse)
		if err != nil || !ok || er.Code != "08P01" || er.Severity != "FATAL" {
			t.Errorf("%q: got %#v %v", garbage, msg, err)
		}
		if _, err := fe.Receive(); err == nil {
			t.Errorf("%q: connection still open", garbage)
		}
		nc.Close()
	}
	var one int32
	if err := other.QueryRow(testContext(t), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

// rawStartup opens a connection and completes the startup exchange with a
// bare pgproto3 frontend.
func rawStartup(t *testing.T, addr string) (*pgproto3.Frontend, net.Conn) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "raw"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return fe, nc
		}
	}
}

// TestManySessions runs 100 concurrent sessions on one server: half query
// with parameters in a loop, half subscribe to a view and read every
// change, while a writer inserts. When they leave, nothing is left behind
// (the package's goleak check covers goroutines).
func TestManySessions(t *testing.T) {
	addr, eng := startEngine(t)
	ctx := testContext(t)
	admin := connectMode(t, addr, false)
	mustExec(t, admin, "CREATE TABLE ev (k INT, ts TIMESTAMP)")
	mustExec(t, admin, "CREATE MATERIALIZED VIEW counts AS SELECT k, COUNT(*) AS n FROM ev GROUP BY k")
	const sessions, inserts = 100, 20
	var ready, wg sync.WaitGroup
	errs := make(chan error, sessions+1)
	ready.Add(sessions)
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
			if err != nil {
				ready.Done()
				errs <- err
				return
			}
			defer conn.Close(context.Background())
			if i%2 == 0 {
				ready.Done()
				for j := range 20 {
					var n int64
					err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM counts WHERE k = $1 OR k = $2", i%4, j).Scan(&n)
					if err != nil {
						errs <- fmt.Errorf("session %d: %w", i, err)
						return
					}
				}
				return
			}
			// A subscriber reads one insert per change until it has seen
			// all of them. pgx's Query returns with the first row, so
			// the engine's count of subscriptions says when to write.
			ready.Done()
			rows, err := conn.Query(ctx, "SUBSCRIBE counts WITH (snapshot = false)")
			if err != nil {
				errs <- err
				return
			}
			inserted := 0
			for inserted < inserts && rows.Next() {
				v, err := rows.Values()
				if err != nil {
					errs <- err
					return
				}
				if v[1].(int64) > 0 {
					inserted++
				}
			}
			// Half cancel their subscription; half just go away.
			if i%4 == 1 {
				conn.PgConn().CancelRequest(ctx)
			} else {
				conn.PgConn().Conn().Close()
			}
			rows.Close()
			if inserted != inserts {
				errs <- fmt.Errorf("subscriber %d saw %d inserts: %v", i, inserted, rows.Err())
			}
		}()
	}
	ready.Wait()
	// Wait until all 50 subscriptions are attached before writing.
	for eng.Subscriptions() < sessions/2 {
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("%d subscriptions", eng.Subscriptions())
		case <-time.After(10 * time.Millisecond):
		}
	}
	for i := range inserts {
		mustExec(t, admin, "INSERT INTO ev VALUES ($1, $2)", i%3, time.Unix(int64(i), 0))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every subscriber that left released its subscription.
	deadline := time.Now().Add(10 * time.Second)
	for eng.Subscriptions() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := eng.Subscriptions(); n != 0 {
		t.Errorf("%d subscriptions left", n)
	}
	if !strings.Contains(fmt.Sprint(queryValues(t, admin, "SELECT SUM(n) FROM counts")), "20") {
		t.Error("counts lost rows")
	}
}

// TestExtendedEdges: what the extended protocol cannot do is refused
// cleanly. A row limit on a SUBSCRIBE portal is 0A000 (it would hold an
// endless result), and a prepared statement whose relation changed shape
// since Parse is 0A000 at Execute, as in PostgreSQL.
func TestExtendedEdges(t *testing.T) {
	addr, _ := startEngine(t)
	admin := connectMode(t, addr, true)
	mustExec(t, admin, "CREATE TABLE t (a INT)")
	fe, nc := rawStartup(t, addr)
	defer nc.Close()
	roundTrip := func(msgs ...pgproto3.FrontendMessage) []string {
		t.Helper()
		for _, m := range msgs {
			fe.Send(m)
		}
		fe.Send(&pgproto3.Sync{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			msg, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			switch m := msg.(type) {
			case *pgproto3.ReadyForQuery:
				return got
			case *pgproto3.ErrorResponse:
				got = append(got, "E "+m.Code)
			default:
				got = append(got, fmt.Sprintf("%T", m)[len("*pgproto3."):])
			}
		}
	}
	got := roundTrip(&pgproto3.Parse{Name: "s", Query: "SUBSCRIBE t"}, &pgproto3.Bind{PreparedStatement: "s"},
		&pgproto3.Execute{MaxRows: 1})
	if strings.Join(got, " ") != "ParseComplete BindComplete E 0A000" {
		t.Errorf("row limit on SUBSCRIBE: %v", got)
	}
	got = roundTrip(&pgproto3.Parse{Name: "q", Query: "SELECT * FROM t"}, &pgproto3.Bind{PreparedStatement: "q"}, &pgproto3.Execute{})
	if strings.Join(got, " ") != "ParseComplete BindComplete CommandComplete" {
		t.Errorf("select: %v", got)
	}
	mustExec(t, admin, "DROP TABLE t")
	mustExec(t, admin, "CREATE TABLE t (a INT, b INT)")
	got = roundTrip(&pgproto3.Bind{PreparedStatement: "q"}, &pgproto3.Execute{})
	if strings.Join(got, " ") != "BindComplete E 0A000" {
		t.Errorf("after the table changed: %v", got)
	}
}
