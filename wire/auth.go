package wire

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Authentication methods, spelled as in PostgreSQL's pg_hba.conf.
const (
	methodSCRAM = "scram-sha-256"
	methodMD5   = "md5"
)

const (
	scramMechanism = "SCRAM-SHA-256"
	// scramIterations and scramSaltLen are PostgreSQL's defaults for the
	// verifiers it derives, so ours cost clients what PostgreSQL's do.
	scramIterations = 4096
	scramSaltLen    = 16
	// scramNonceLen is the number of random bytes the server adds to the
	// client's nonce (PostgreSQL's SCRAM_RAW_NONCE_LEN).
	scramNonceLen = 18
)

var (
	// errAuthFailed is a client that did not prove it knows the password,
	// or that named an unknown user (the two are indistinguishable on
	// purpose); the caller reports FATAL 28P01. The error authenticate
	// returns reads exactly `password authentication failed for user "x"`.
	errAuthFailed = errors.New("password authentication failed")
	// errAuthProtocol is a client that broke the authentication exchange:
	// wrong message type, malformed SCRAM message, wrong nonce, channel
	// binding. The caller reports FATAL 08P01 with the error's text.
	errAuthProtocol = errors.New("invalid authentication exchange")
)

// Auth holds the credentials clients must prove they know. It is
// immutable once built, so one Auth serves all connections concurrently.
// A nil *Auth means trust: every client is accepted without a password.
type Auth struct {
	md5 bool
	// all, when set, is the one secret of every user name (PasswordAuth);
	// otherwise users holds each known user's secret (LoadUsers).
	all   *authSecret
	users map[string]*authSecret
	// mockKey keys the salts of made-up verifiers for unknown users. The
	// salt must be stable per name: a salt that changed on every attempt
	// would tell a client the user does not exist.
	mockKey []byte
}

// authSecret is one user's credential in the form the method needs: for
// SCRAM only the verifier, so the password is not kept in memory; for MD5
// the password itself, since the challenge hashes it with the user name
// and a fresh salt.
type authSecret struct {
	password string
	scram    scramVerifier
}

// scramVerifier is what PostgreSQL stores in pg_authid for SCRAM-SHA-256:
// enough to check a client's proof, not enough to log in as the user.
type scramVerifier struct {
	iterations int
	salt       []byte
	storedKey  []byte // H(HMAC(SaltedPassword, "Client Key"))
	serverKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// PasswordAuth accepts every user name with the one password. method is
// "scram-sha-256" (the default, when "") or "md5".
func PasswordAuth(password, method string) (*Auth, error) {
	a, err := newAuth(method)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, errors.New("auth: empty password")
	}
	a.all, err = a.secret(password)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// LoadUsers reads a users file: one "name:secret" a line; blank lines and
// lines starting with '#' are ignored. The name is everything before the
// first ':', with surrounding blanks removed; the secret is everything
// after it, byte for byte (a trailing '\r' aside), so passwords may hold
// ':', '#' and blanks. A secret is a plain password or, for scram-sha-256
// only, a verifier as PostgreSQL stores it in pg_authid:
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// (base64 values), so passwords need not be kept in clear on disk.
// method is "scram-sha-256" (the default, when "") or "md5".
func LoadUsers(path, method string) (*Auth, error) {
	a, err := newAuth(method)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: reading users file: %w", err)
	}
	a.users = make(map[string]*authSecret)
	firstLine := make(map[string]int)
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		name, secret, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("auth: %s:%d: expected name:password", path, n)
		}
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("auth: %s:%d: empty user name", path, n)
		case firstLine[name] != 0:
			return nil, fmt.Errorf("auth: %s:%d: duplicate user %q (first on line %d)", path, n, name, firstLine[name])
		case secret == "":
			return nil, fmt.Errorf("auth: %s:%d: empty password for user %q", path, n, name)
		}
		var s *authSecret
		if strings.HasPrefix(secret, scramMechanism+"$") {
			if a.md5 {
				return nil, fmt.Errorf("auth: %s:%d: user %q has a SCRAM verifier, which md5 authentication cannot use; give the password or use scram-sha-256", path, n, name)
			}
			v, err := parseSCRAMVerifier(secret)
			if err != nil {
				return nil, fmt.Errorf("auth: %s:%d: user %q: %w", path, n, name, err)
			}
			s = &authSecret{scram: v}
		} else if s, err = a.secret(secret); err != nil {
			return nil, fmt.Errorf("auth: %s:%d: user %q: %w", path, n, name, err)
		}
		a.users[name] = s
		firstLine[name] = n
	}
	if len(a.users) == 0 {
		return nil, fmt.Errorf("auth: %s: no users", path)
	}
	return a, nil
}

func newAuth(method string) (*Auth, error) {
	a := &Auth{mockKey: make([]byte, 32)}
	switch method {
	case "", methodSCRAM:
	case methodMD5:
		a.md5 = true
	default:
		return nil, fmt.Errorf("auth: unknown method %q (want %s or %s)", method, methodSCRAM, methodMD5)
	}
	rand.Read(a.mockKey)
	return a, nil
}

// secret turns a plain password into what a's method keeps.
func (a *Auth) secret(password string) (*authSecret, error) {
	if a.md5 {
		return &authSecret{password: password}, nil
	}
	salt := make([]byte, scramSaltLen)
	rand.Read(salt)
	v, err := deriveSCRAMVerifier(password, salt, scramIterations)
	if err != nil {
		return nil, err
	}
	return &authSecret{scram: v}, nil
}

// deriveSCRAMVerifier computes the verifier of password (RFC 5802 §3).
// Unlike PostgreSQL it uses the password's bytes as they are, without
// SASLprep, whereas clients normalize what the user types (libpq to NFKC,
// pgx to NFC): ASCII passwords, and text already in normal form, work
// with every client; others may not.
func deriveSCRAMVerifier(password string, salt []byte, iterations int) (scramVerifier, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return scramVerifier{}, fmt.Errorf("deriving SCRAM verifier: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	return scramVerifier{
		iterations: iterations,
		salt:       salt,
		storedKey:  storedKey[:],
		serverKey:  hmacSHA256(salted, "Server Key"),
	}, nil
}

// parseSCRAMVerifier parses SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>.
func parseSCRAMVerifier(s string) (scramVerifier, error) {
	bad := func(format string, args ...any) (scramVerifier, error) {
		return scramVerifier{}, fmt.Errorf("malformed SCRAM verifier: "+format, args...)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 3 || parts[0] != scramMechanism {
		return bad("want %s$<iterations>:<salt>$<StoredKey>:<ServerKey>", scramMechanism)
	}
	iterStr, saltStr, ok := strings.Cut(parts[1], ":")
	if !ok {
		return bad("missing ':' between iterations and salt")
	}
	storedStr, serverStr, ok := strings.Cut(parts[2], ":")
	if !ok {
		return bad("missing ':' between StoredKey and ServerKey")
	}
	iter, err := strconv.Atoi(iterStr)
	if err != nil || iter <= 0 {
		return bad("invalid iteration count %q", iterStr)
	}
	salt, err := base64.StdEncoding.DecodeString(saltStr)
	if err != nil || len(salt) == 0 {
		return bad("invalid salt")
	}
	storedKey, err := base64.StdEncoding.DecodeString(storedStr)
	if err != nil || len(storedKey) != sha256.Size {
		return bad("invalid StoredKey")
	}
	serverKey, err := base64.StdEncoding.DecodeString(serverStr)
	if err != nil || len(serverKey) != sha256.Size {
		return bad("invalid ServerKey")
	}
	return scramVerifier{iterations: iter, salt: salt, storedKey: storedKey, serverKey: serverKey}, nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// lookup returns user's secret, or a made-up one and false for a user
// that does not exist, so that the exchange runs the same either way.
func (a *Auth) lookup(user string) (*authSecret, bool) {
	if a.all != nil {
		return a.all, true
	}
	if s, ok := a.users[user]; ok {
		return s, true
	}
	mock := hmacSHA256(a.mockKey, user)
	s := &authSecret{password: hex.EncodeToString(mock)}
	// The keys are random, so no proof matches them (and authenticate
	// fails an unknown user regardless).
	s.scram = scramVerifier{
		iterations: scramIterations,
		salt:       mock[:scramSaltLen],
		storedKey:  make([]byte, sha256.Size),
		serverKey:  make([]byte, sha256.Size),
	}
	rand.Read(s.scram.storedKey)
	rand.Read(s.scram.serverKey)
	return s, false
}

// authenticate makes the client prove it knows user's password, on a
// connection whose StartupMessage has been read. Messages go out through
// be.Send and be.Flush, then flush pushes be's writer to the socket (the
// bufio.Writer's Flush when be writes into one; a no-op otherwise).
// It does not send AuthenticationOk: the caller does, once the session
// opens. A nil a accepts every client at once (trust).
//
// The error wraps errAuthFailed (send FATAL 28P01 with its text) or
// errAuthProtocol (FATAL 08P01); anything else is an I/O error, the
// client having gone (a Terminate reads as io.EOF). The caller should
// bound the exchange with a read deadline, as PostgreSQL's
// authentication_timeout does.
func (a *Auth) authenticate(be *pgproto3.Backend, flush func() error, user string) error {
	if a == nil {
		return nil
	}
	defer be.SetAuthType(pgproto3.AuthTypeOk) // 'p' reads as PasswordMessage again
	s, known := a.lookup(user)
	var ok bool
	var err error
	if a.md5 {
		ok, err = md5Exchange(be, flush, user, s.password)
	} else {
		ok, err = scramExchange(be, flush, &s.scram)
	}
	if err != nil {
		return err
	}
	if !ok || !known {
		return fmt.Errorf("%w for user \"%s\"", errAuthFailed, user)
	}
	return nil
}

// authSend sends m and pushes it to the client.
func authSend(be *pgproto3.Backend, flush func() error, m pgproto3.BackendMessage) error {
	be.Send(m)
	if err := be.Flush(); err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	return nil
}

// authReceive reads the client's answer to an authentication request of
// type authType, which tells be how to decode a 'p' message.
func authReceive(be *pgproto3.Backend, authType uint32) (pgproto3.FrontendMessage, error) {
	be.SetAuthType(authType)
	msg, err := be.Receive()
	switch {
	case err != nil && isDisconnect(err):
		return nil, fmt.Errorf("authentication: %w", err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", errAuthProtocol, err)
	}
	if _, ok := msg.(*pgproto3.Terminate); ok {
		return nil, fmt.Errorf("authentication: client terminated: %w", io.EOF)
	}
	return msg, nil
}

func authProtocolError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errAuthProtocol}, args...)...)
}

// md5Exchange runs PostgreSQL's MD5 challenge: the client answers
// "md5" + hex(md5(hex(md5(password + user)) + salt)) for a fresh salt.
func md5Exchange(be *pgproto3.Backend, flush func() error, user, password string) (bool, error) {
	var salt [4]byte
	rand.Read(salt[:])
	if err := authSend(be, flush, &pgproto3.AuthenticationMD5Password{Salt: salt}); err != nil {
		return false, err
	}
	msg, err := authReceive(be, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return false, err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return false, authProtocolError("expected password response, got %s", msgName(msg))
	}
	inner := md5.Sum([]byte(password + user))
	outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), salt[:]...))
	want := "md5" + hex.EncodeToString(outer[:])
	return subtle.ConstantTimeCompare([]byte(pm.Password), []byte(want)) == 1, nil
}

// scramExchange runs SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL
// does: the user name in the SCRAM messages is ignored (the startup
// message's counts) and channel binding is not offered, since the server
// speaks no TLS. It reports whether the client's proof matches v.
func scramExchange(be *pgproto3.Backend, flush func() error, v *scramVerifier) (bool, error) {
	if err := authSend(be, flush, &pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}}); err != nil {
		return false, err
	}
	msg, err := authReceive(be, pgproto3.AuthTypeSASL)
	if err != nil {
		return false, err
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return false, authProtocolError("expected SASL initial response, got %s", msgName(msg))
	}
	if init.AuthMechanism != scramMechanism {
		return false, authProtocolError("client selected SASL mechanism %q; the server offers only %s", init.AuthMechanism, scramMechanism)
	}
	gs2, clientFirstBare, clientNonce, err := parseClientFirst(string(init.Data))
	if err != nil {
		return false, err
	}

	nonce := make([]byte, scramNonceLen)
	rand.Read(nonce)
	fullNonce := clientNonce + base64.StdEncoding.EncodeToString(nonce)
	serverFirst := "r=" + fullNonce + ",s=" + base64.StdEncoding.EncodeToString(v.salt) + ",i=" + strconv.Itoa(v.iterations)
	if err := authSend(be, flush, &pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}); err != nil {
		return false, err
	}
	msg, err = authReceive(be, pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return false, err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return false, authProtocolError("expected SASL response, got %s", msgName(msg))
	}
	finalWithoutProof, proof, err := parseClientFinal(string(resp.Data), gs2, fullNonce)
	if err != nil {
		return false, err
	}

	authMessage := clientFirstBare + "," + serverFirst + "," + finalWithoutProof
	clientSig := hmacSHA256(v.storedKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	subtle.XORBytes(clientKey, proof, clientSig)
	storedKey := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(storedKey[:], v.storedKey) != 1 {
		return false, nil
	}
	serverSig := hmacSHA256(v.serverKey, authMessage)
	final := "v=" + base64.StdEncoding.EncodeToString(serverSig)
	if err := authSend(be, flush, &pgproto3.AuthenticationSASLFinal{Data: []byte(final)}); err != nil {
		return false, err
	}
	return true, nil
}

// parseClientFirst parses a client-first-message,
//
//	gs2-cbind-flag "," [authzid] "," [reserved-mext ","] username "," nonce ["," extensions]
//
// returning the gs2 header, the bare message (the header stripped) and
// the client's nonce.
func parseClientFirst(msg string) (gs2, bare, nonce string, err error) {
	switch {
	case strings.HasPrefix(msg, "p="):
		return "", "", "", authProtocolError("client requested SCRAM channel binding, but the server does not offer %s-PLUS", scramMechanism)
	case strings.HasPrefix(msg, "n,"), strings.HasPrefix(msg, "y,"):
	default:
		return "", "", "", authProtocolError("malformed SCRAM message: unexpected channel-binding flag in client-first-message")
	}
	rest := msg[2:]
	if strings.HasPrefix(rest, "a=") {
		return "", "", "", authProtocolError("client uses SCRAM authorization identity, which is not supported")
	}
	if !strings.HasPrefix(rest, ",") {
		return "", "", "", authProtocolError("malformed SCRAM message: expected ',' after channel-binding flag")
	}
	gs2, bare = msg[:3], msg[3:]
	attrs := strings.Split(bare, ",")
	if strings.HasPrefix(attrs[0], "m=") {
		return "", "", "", authProtocolError("client requires an unsupported SCRAM extension")
	}
	if _, err := scramAttr(attrs, 0, 'n'); err != nil {
		return "", "", "", err
	}
	if nonce, err = scramAttr(attrs, 1, 'r'); err != nil {
		return "", "", "", err
	}
	if err := checkNonce(nonce); err != nil {
		return "", "", "", err
	}
	for i := 2; i < len(attrs); i++ {
		if _, err := scramAttr(attrs, i, 0); err != nil {
			return "", "", "", err
		}
	}
	return gs2, bare, nonce, nil
}

// parseClientFinal parses a client-final-message,
//
//	"c=" base64(gs2 header) "," "r=" nonce ["," extensions] "," "p=" proof
//
// checking it against the exchange so far, and returns the message
// without its proof, and the proof.
func parseClientFinal(msg, gs2, nonce string) (withoutProof string, proof []byte, err error) {
	attrs := strings.Split(msg, ",")
	cbind, err := scramAttr(attrs, 0, 'c')
	if err != nil {
		return "", nil, err
	}
	if cbind != base64.StdEncoding.EncodeToString([]byte(gs2)) {
		return "", nil, authProtocolError("unexpected SCRAM channel-binding attribute in client-final-message")
	}
	r, err := scramAttr(attrs, 1, 'r')
	if err != nil {
		return "", nil, err
	}
	if r != nonce {
		return "", nil, authProtocolError("SCRAM nonce mismatch")
	}
	last := len(attrs) - 1
	for i := 2; i < last; i++ {
		if _, err := scramAttr(attrs, i, 0); err != nil {
			return "", nil, err
		}
	}
	if last < 2 {
		return "", nil, authProtocolError("malformed SCRAM message: missing proof in client-final-message")
	}
	p, err := scramAttr(attrs, last, 'p')
	if err != nil {
		return "", nil, err
	}
	proof, err = base64.StdEncoding.DecodeString(p)
	if err != nil || len(proof) != sha256.Size {
		return "", nil, authProtocolError("malformed SCRAM message: invalid proof in client-final-message")
	}
	return strings.Join(attrs[:last], ","), proof, nil
}

// scramAttr returns the value of attrs[i], an "x=value" attribute, where x
// must be name (any letter when name is 0).
func scramAttr(attrs []string, i int, name byte) (string, error) {
	if i >= len(attrs) {
		return "", authProtocolError("malformed SCRAM message: attribute %q expected, got end of message", name)
	}
	a := attrs[i]
	if len(a) < 2 || a[1] != '=' || !('a' <= a[0] && a[0] <= 'z' || 'A' <= a[0] && a[0] <= 'Z') {
		return "", authProtocolError("malformed SCRAM message: invalid attribute %q", a)
	}
	if name != 0 && a[0] != name {
		return "", authProtocolError("malformed SCRAM message: attribute %q expected, got %q", name, a[0])
	}
	return a[2:], nil
}

// checkNonce checks a nonce is non-empty printable ASCII without ',', as
// RFC 5802 requires: the nonce is echoed in messages parsed on ','.
func checkNonce(nonce string) error {
	if nonce == "" {
		return authProtocolError("malformed SCRAM message: empty nonce")
	}
	for i := 0; i < len(nonce); i++ {
		if c := nonce[i]; c < 0x21 || c > 0x7e || c == ',' {
			return authProtocolError("malformed SCRAM message: invalid character in nonce")
		}
	}
	return nil
}

// msgName names a client message for errors: "*pgproto3.Query" → "Query".
func msgName(m pgproto3.FrontendMessage) string {
	name := fmt.Sprintf("%T", m)
	return name[strings.LastIndexByte(name, '.')+1:]
}

// Defaults of the failed-authentication delay (Config.AuthDelay).
const (
	defaultAuthDelay    = 100 * time.Millisecond
	defaultAuthDelayMax = 5 * time.Second
	// authQuiet is how long an address must go without a failure for
	// its delay to start again from AuthDelay.
	authQuiet = time.Minute
	// authAddrs bounds the addresses the throttle remembers; beyond it
	// the one that failed least recently is forgotten.
	authAddrs = 10000
	// authQueue bounds the attempts from one address waiting for their
	// turn; one more is refused at once (53300) instead of waiting, so a
	// right password is answered within authQueue delays even while
	// another client of its address keeps guessing.
	authQueue = 8
)

// errAuthBusy refuses an attempt from an address whose queue is full.
var errAuthBusy = errors.New("too many authentication attempts from this address at once; try again later")

// clock is time as the throttle sees it; tests give a fake one so that
// they do not wait for the delays.
type clock interface {
	Now() time.Time
	// Wait waits until t or until ctx is done.
	Wait(ctx context.Context, t time.Time)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Wait(ctx context.Context, t time.Time) {
	tm := time.NewTimer(time.Until(t))
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}

// authThrottle slows password guessing, as PostgreSQL's auth_delay does:
// a failed authentication is answered only after a delay that doubles
// with each consecutive failure from the client's address (from base up
// to max), and starts again from base after a success or a quiet minute.
//
// The delay is the address's, not the connection's: attempts from one
// address take turns (one checks its password at a time, the next only
// once the previous failure's delay has passed), so N connections opened
// at once with wrong passwords take N delays, not one, and a client that
// hangs up instead of waiting for the answer (taking the silence for a
// failure) gains nothing. A right password is not delayed but waits its
// turn, at most authQueue attempts; a further attempt is refused at once.
type authThrottle struct {
	base, max time.Duration
	clock     clock
	// addrs bounds the addresses remembered (authAddrs); queue bounds
	// the attempts waiting per address (authQueue).
	addrs, queue int

	mu     sync.Mutex
	byAddr map[string]*list.Element // of *authFailures
	// lru orders the addresses by their last use, oldest first.
	lru list.List
}

type authFailures struct {
	addr string
	// turn is held by the attempt of addr checking its password (a
	// channel of one, whose waiters are served in order).
	turn chan struct{}
	// The fields below are guarded by authThrottle.mu.
	waiting int       // attempts holding or waiting for turn
	n       int       // consecutive failures
	last    time.Time // of the latest failure
	until   time.Time // no answer nor new check before
}

// authTurn is one attempt's hold on its address's turn.
type authTurn struct {
	f *authFailures
}

// newAuthThrottle returns a throttle; base <= 0 turns it off (nil).
func newAuthThrottle(base, limit time.Duration) *authThrottle {
	if base <= 0 {
		return nil
	}
	return &authThrottle{base: base, max: max(base, limit), clock: realClock{}, addrs: authAddrs, queue: authQueue, byAddr: map[string]*list.Element{}}
}

// throttleKey is the part of a client's address the throttle counts by:
// its IP, since each connection comes from a new port.
func throttleKey(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// entry returns addr's record, made if it has none or its failures are
// old; t.mu is held. An address that is forgotten to keep the table
// bounded while attempts of it wait keeps them in its old record.
func (t *authThrottle) entry(addr string, now time.Time) *authFailures {
	if el, ok := t.byAddr[addr]; ok {
		f := el.Value.(*authFailures)
		if f.waiting > 0 || now.Sub(f.last) <= authQuiet {
			t.lru.MoveToBack(el)
			return f
		}
		t.lru.Remove(el)
		delete(t.byAddr, addr)
	}
	f := &authFailures{addr: addr, turn: make(chan struct{}, 1)}
	t.byAddr[addr] = t.lru.PushBack(f)
	for len(t.byAddr) > t.addrs {
		old := t.lru.Remove(t.lru.Front()).(*authFailures)
		delete(t.byAddr, old.addr)
	}
	return f
}

// before waits, ahead of an attempt from addr, for its turn and until
// the delay of the address's latest failure has passed. It fails with
// errAuthBusy when addr already has t.queue attempts waiting. The turn
// is given back by failed or succeeded.
func (t *authThrottle) before(ctx context.Context, addr string) (*authTurn, error) {
	if t == nil {
		return nil, nil
	}
	t.mu.Lock()
	f := t.entry(addr, t.clock.Now())
	if f.waiting >= t.queue {
		t.mu.Unlock()
		return nil, errAuthBusy
	}
	f.waiting++
	t.mu.Unlock()
	select {
	case f.turn <- struct{}{}:
	case <-ctx.Done():
		t.mu.Lock()
		f.waiting--
		t.mu.Unlock()
		return nil, ctx.Err()
	}
	t.mu.Lock()
	until := f.until
	t.mu.Unlock()
	if until.After(t.clock.Now()) {
		t.clock.Wait(ctx, until)
	}
	return &authTurn{f: f}, nil
}

// done gives back the turn of an attempt that checked no password (the
// client left, or broke the protocol): it counts as no failure.
func (t *authThrottle) done(turn *authTurn) {
	if t == nil || turn == nil {
		return
	}
	t.mu.Lock()
	turn.f.waiting--
	t.mu.Unlock()
	<-turn.f.turn
}

// failed records a failed attempt, waits out its delay and gives the
// turn to the next attempt of its address; it returns the delay.
func (t *authThrottle) failed(ctx context.Context, turn *authTurn) time.Duration {
	if t == nil || turn == nil {
		return 0
	}
	f := turn.f
	now := t.clock.Now()
	t.mu.Lock()
	d := t.max
	if f.n < 62 && t.base<<f.n > 0 && t.base<<f.n < t.max {
		d = t.base << f.n
	}
	f.n++
	f.last = now
	f.until = now.Add(d)
	until := f.until
	t.mu.Unlock()
	t.clock.Wait(ctx, until)
	t.mu.Lock()
	f.waiting--
	t.mu.Unlock()
	<-f.turn
	return d
}

// succeeded forgets the failures of turn's address and gives the turn
// to the next attempt.
func (t *authThrottle) succeeded(turn *authTurn) {
	if t == nil || turn == nil {
		return
	}
	f := turn.f
	t.mu.Lock()
	f.n, f.until, f.last = 0, time.Time{}, time.Time{}
	f.waiting--
	if el, ok := t.byAddr[f.addr]; ok && f.waiting == 0 && el.Value == f {
		t.lru.Remove(el)
		delete(t.byAddr, f.addr)
	}
	t.mu.Unlock()
	<-f.turn
}

// size is the number of addresses remembered.
func (t *authThrottle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byAddr)
}
