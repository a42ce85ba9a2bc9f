package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/streamsql/streamsql/exec/engine"
)

// waitCond waits, for at most 10 s, until cond holds.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSubscriptionBudget: subscriptions together hold at most
// subscription_buffer_bytes for clients that do not read. Two cursors
// never fetch while three clients read every change; when the total
// passes the limit, the cursor holding the most ends with 53000 naming
// the limit, the smaller one keeps all its changes, the readers miss
// nothing, and once all are gone nothing is held.
func TestSubscriptionBudget(t *testing.T) {
	addr, eng := startEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := connect(t, addr)
	mustExec(t, admin, "SET subscription_buffer_bytes = '64kB'")
	if v := queryValues(t, admin, "SHOW subscription_buffer_bytes"); fmt.Sprint(v) != "[[65536]]" {
		t.Errorf("SHOW subscription_buffer_bytes: %v", v)
	}
	mustExec(t, admin, "CREATE TABLE t (k BIGINT, s VARCHAR)")

	const readers, batches, batch = 3, 30, 20
	pad := strings.Repeat("x", 100)
	// Each reader says when it has subscribed, then when it has read each
	// batch.
	progress := make(chan int, readers*(batches+1))
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for i := range readers {
		conn := connect(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, err := conn.Query(ctx, "SUBSCRIBE t WITH (snapshot = false)")
			if err != nil {
				errs <- err
				return
			}
			defer rows.Close()
			progress <- i
			keys := map[int64]bool{}
			for len(keys) < batches*batch && rows.Next() {
				v, err := rows.Values()
				if err != nil {
					errs <- err
					return
				}
				keys[v[2].(int64)] = true
				if len(keys)%batch == 0 {
					progress <- i
				}
			}
			if len(keys) != batches*batch {
				errs <- fmt.Errorf("reader %d saw %d keys: %v", i, len(keys), rows.Err())
			}
			conn.PgConn().Conn().Close()
		}()
	}
	// readersAt waits until every reader has reported once more.
	readersAt := func(what string) {
		t.Helper()
		for range readers {
			select {
			case <-progress:
			case err := <-errs:
				t.Fatal(err)
			case <-ctx.Done():
				t.Fatalf("timed out waiting for the readers: %s", what)
			}
		}
	}
	readersAt("to subscribe")
	big, small := connect(t, addr), connect(t, addr)
	mustExec(t, big, "BEGIN")
	mustExec(t, big, "DECLARE c CURSOR FOR SUBSCRIBE t WITH (snapshot = false)")

	insert := func(b int) {
		var vals []string
		for i := range batch {
			vals = append(vals, fmt.Sprintf("(%d, '%s')", b*batch+i, pad))
		}
		mustExec(t, admin, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
		// The readers take each batch before the next, so only the
		// cursors hold changes for long.
		readersAt(fmt.Sprintf("batch %d", b))
	}
	for b := range batches / 2 {
		insert(b)
	}
	mustExec(t, small, "BEGIN")
	mustExec(t, small, "DECLARE c CURSOR FOR SUBSCRIBE t WITH (snapshot = false)")
	for b := batches / 2; b < batches; b++ {
		insert(b)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	_, err := big.Exec(ctx, "FETCH ALL c")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53000" || !strings.Contains(pe.Message, "subscription_buffer_bytes (65536 bytes)") {
		t.Errorf("the cursor holding the most: %v, want 53000 naming the limit", err)
	}
	mustExec(t, big, "ROLLBACK")
	// The smaller cursor has every change since it was declared, in
	// order, read in steps with a change added between them; what it
	// still holds is given back when it closes.
	first := queryValues(t, small, "FETCH 10 c")
	// Once the readers have hung up, only the cursor holds new changes.
	waitCond(t, "the readers to hang up", func() bool { return eng.Subscriptions() == 1 })
	mustExec(t, small, "INSERT INTO t VALUES (-1, 'late')")
	rest := queryValues(t, small, "FETCH 100000 c")
	var keys []string
	for _, r := range append(first, rest...) {
		keys = append(keys, fmt.Sprint(r[2]))
	}
	var want []string
	for k := batches / 2 * batch; k < batches*batch; k++ {
		want = append(want, fmt.Sprint(k))
	}
	want = append(want, "-1")
	if len(first) != 10 || strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("the smaller cursor fetched %d+%d changes: %v, want %v", len(first), len(rest), keys, want)
	}
	mustExec(t, small, "INSERT INTO t VALUES (-2, 'unread')")
	if n := eng.SubscriptionBytes(); n == 0 {
		t.Error("nothing charged for a change the cursor holds")
	}
	mustExec(t, small, "COMMIT")
	if n, subs := eng.SubscriptionBytes(), eng.Subscriptions(); n != 0 || subs != 0 {
		t.Errorf("%d bytes still charged, %d subscriptions left, after every subscription ended", n, subs)
	}
}

// TestSubscriptionBufferSetting: subscription_buffer_bytes takes bytes or
// PostgreSQL's memory units, refuses nonsense with 22023, starts from the
// option, and a value SET survives a restart.
func TestSubscriptionBufferSetting(t *testing.T) {
	ctx := context.Background()
	open := memoryEngines(t)
	eng, stop := open(engine.Options{SubscriptionBufferBytes: 1 << 20})
	conn := connect(t, serveEngine(t, eng))
	show := func() string {
		t.Helper()
		var v string
		if err := conn.QueryRow(ctx, "SHOW subscription_buffer_bytes").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := show(); got != "1048576" {
		t.Errorf("from the option: %s", got)
	}
	for _, c := range [][2]string{{"'2MB'", "2097152"}, {"'1 GB'", "1073741824"}, {"4096", "4096"}, {"'300kB'", "307200"}} {
		set, want := c[0], c[1]
		mustExec(t, conn, "SET subscription_buffer_bytes = "+set)
		if got := show(); got != want {
			t.Errorf("SET %s: SHOW gives %s, want %s", set, got, want)
		}
	}
	for _, bad := range []string{"'lots'", "0", "'-5MB'", "'1TB'", "'10'", "'99999999999GB'"} {
		_, err := conn.Exec(ctx, "SET subscription_buffer_bytes = "+bad)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22023" || !strings.Contains(pe.Message, "subscription_buffer_bytes") {
			t.Errorf("SET %s: got %v, want 22023", bad, err)
		}
	}
	conn.Close(ctx)
	stop()
	eng, stop = open(engine.Options{SubscriptionBufferBytes: 1 << 20})
	defer stop()
	conn = connect(t, serveEngine(t, eng))
	if got := show(); got != "307200" {
		t.Errorf("after a restart: %s, want the value SET, 307200", got)
	}
}
