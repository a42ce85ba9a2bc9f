package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// fakeClock is a clock whose Wait returns at once, moving the time to
// the end of the wait and recording how long it would have been.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Wait(_ context.Context, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, t.Sub(c.now))
	if t.After(c.now) {
		c.now = t
	}
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// taken returns the waits so far and forgets them.
func (c *fakeClock) taken() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waits
	c.waits = nil
	return w
}

func ms(n ...int) []time.Duration {
	d := make([]time.Duration, len(n))
	for i, v := range n {
		d[i] = time.Duration(v) * time.Millisecond
	}
	return d
}

func sameWaits(t *testing.T, what string, got, want []time.Duration) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: waits %v, want %v", what, got, want)
	}
}

// TestAuthDelay: over the wire, each wrong password from an address is
// answered after a delay that doubles up to the cap; a right password is
// not delayed and starts the delay again from the beginning, and so does
// a quiet minute.
func TestAuthDelay(t *testing.T) {
	auth, err := PasswordAuth("s3cret", "")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(newFakeEngine(), Config{Addr: "127.0.0.1:0", Auth: auth, AuthDelayMax: 500 * time.Millisecond, Logger: discardLogger()})
	clk := newFakeClock()
	s.throttle.clock = clk
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := testCtx(t)
	try := func(password string) error {
		conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://alice:%s@%s/db?sslmode=disable", password, s.Addr()))
		if err == nil {
			conn.Close(ctx)
		}
		return err
	}
	wrong := func(n int) {
		t.Helper()
		for range n {
			if pe := pgErr(t, try("wrong")); pe.Code != "28P01" {
				t.Fatalf("wrong password: %+v", pe)
			}
		}
	}
	wrong(5)
	sameWaits(t, "5 failures", clk.taken(), ms(100, 200, 400, 500, 500))
	if err := try("s3cret"); err != nil {
		t.Fatal(err)
	}
	sameWaits(t, "success", clk.taken(), nil)
	if n := s.throttle.size(); n != 0 {
		t.Errorf("after a success the throttle remembers %d addresses", n)
	}
	wrong(2)
	sameWaits(t, "after a success", clk.taken(), ms(100, 200))
	clk.advance(authQuiet + time.Second)
	wrong(1)
	sameWaits(t, "after a quiet minute", clk.taken(), ms(100))
}

// TestAuthThrottle: an attempt waits for the delay of the failure before
// it (a client that hung up early learns nothing sooner), an attempt that
// checked no password counts as no failure, addresses count apart, the
// table of addresses is bounded, the oldest going first, and an address
// with its queue full is refused at once.
func TestAuthThrottle(t *testing.T) {
	ctx := context.Background()
	th := newAuthThrottle(100*time.Millisecond, time.Second)
	clk := newFakeClock()
	th.clock = clk
	th.addrs = 3
	fail := func(addr string) {
		t.Helper()
		turn, err := th.before(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		th.failed(ctx, turn)
	}
	fail("a")
	fail("a")
	sameWaits(t, "a", clk.taken(), ms(100, 200))
	// A second connection from a, started 50ms into the delay, waits out
	// the rest of it before it may try; it leaves without a password.
	clk.advance(-150 * time.Millisecond)
	turn, err := th.before(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	th.done(turn)
	sameWaits(t, "a while delayed", clk.taken(), ms(150))
	fail("a")
	sameWaits(t, "a after a leaver", clk.taken(), ms(400))
	fail("b")
	sameWaits(t, "b", clk.taken(), ms(100))
	for _, addr := range []string{"c", "d"} {
		fail(addr)
	}
	if n := th.size(); n != 3 {
		t.Fatalf("%d addresses remembered, want 3", n)
	}
	clk.taken()
	// a, the oldest, was forgotten: it starts again from the base delay,
	// while d keeps its count.
	fail("a")
	fail("d")
	sameWaits(t, "a forgotten, d kept", clk.taken(), ms(100, 200))

	th.queue = 1
	held, err := th.before(ctx, "e")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := th.before(ctx, "e"); !errors.Is(err, errAuthBusy) {
		t.Fatalf("an attempt beyond the queue: %v, want errAuthBusy", err)
	}
	th.succeeded(held)
	if turn, err = th.before(ctx, "e"); err != nil {
		t.Fatalf("after the turn was given back: %v", err)
	}
	th.succeeded(turn)
	if got := newAuthThrottle(-1, time.Second); got != nil {
		t.Error("a negative delay should turn the throttle off")
	}
}

// TestAuthDelayParallel: N connections opened at once from one address
// with wrong passwords take turns, so the last is answered no sooner than
// N delays after they started (each sleeping its own delay at once would
// take one); a right password sent among them waits its turn and gets in.
func TestAuthDelayParallel(t *testing.T) {
	const n, delay = 12, 25 * time.Millisecond
	auth, err := PasswordAuth("s3cret", "")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(newFakeEngine(), Config{Addr: "127.0.0.1:0", Auth: auth, AuthDelay: delay, AuthDelayMax: delay, Logger: discardLogger()})
	s.throttle.queue = n + 1
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := testCtx(t)
	connect := func(password string) error {
		conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://alice:%s@%s/db?sslmode=disable", password, s.Addr()))
		if err == nil {
			conn.Close(ctx)
		}
		return err
	}
	start := time.Now()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- connect("wrong") }()
	}
	good := make(chan error, 1)
	go func() { good <- connect("s3cret") }()
	for range n {
		if pe := pgErr(t, <-errs); pe.Code != codeInvalidPassword {
			t.Fatalf("wrong password: %+v", pe)
		}
	}
	if took := time.Since(start); took < n*delay {
		t.Errorf("%d wrong passwords at once answered in %v, want at least %v", n, took, n*delay)
	}
	if err := <-good; err != nil {
		t.Fatalf("right password among wrong ones: %v", err)
	}
}
