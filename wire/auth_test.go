package wire

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// authServe is the server side of one connection as conn.start will run
// it: read the startup message, authenticate, then either send the FATAL
// error the caller builds from authenticate's error or accept the client.
// It returns authenticate's error.
func authServe(nc net.Conn, a *Auth) error {
	defer nc.Close()
	bw := bufio.NewWriter(nc)
	be := pgproto3.NewBackend(nc, bw)
	msg, err := be.ReceiveStartupMessage()
	if err != nil {
		return fmt.Errorf("startup: %w", err)
	}
	sm, ok := msg.(*pgproto3.StartupMessage)
	if !ok {
		return fmt.Errorf("startup: got %T", msg)
	}
	err = a.authenticate(be, bw.Flush, sm.Parameters["user"])
	if err != nil {
		code := ""
		switch {
		case errors.Is(err, errAuthFailed):
			code = "28P01"
		case errors.Is(err, errAuthProtocol):
			code = codeProtocolViolation
		}
		if code != "" {
			be.Send(&pgproto3.ErrorResponse{
				Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: err.Error(),
			})
			be.Flush()
			bw.Flush()
		}
		return err
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := be.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// runAuth runs client against a server authenticating with a, over a
// net.Pipe, and returns what each side got.
func runAuth(t *testing.T, a *Auth, client func(net.Conn) error) (clientErr, serverErr error) {
	t.Helper()
	cnc, snc := net.Pipe()
	deadline := time.Now().Add(testTimeout)
	cnc.SetDeadline(deadline)
	snc.SetDeadline(deadline)
	done := make(chan error, 1)
	go func() { done <- authServe(snc, a) }()
	clientErr = client(cnc)
	cnc.Close()
	return clientErr, waitFor(t, done, "server")
}

// pgconnClient connects with pgconn over the given conn, as user with
// password, and closes the connection if it opens.
func pgconnClient(t *testing.T, user, password string) func(net.Conn) error {
	u := url.URL{
		Scheme: "postgres", User: url.UserPassword(user, password),
		Host: "127.0.0.1:1", Path: "/db", RawQuery: "sslmode=disable",
	}
	return func(nc net.Conn) error {
		cfg, err := pgconn.ParseConfig(u.String())
		if err != nil {
			t.Fatal(err)
		}
		dialed := false
		cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) {
			if dialed {
				return nil, errors.New("dialed twice")
			}
			dialed = true
			return nc, nil
		}
		conn, err := pgconn.ConnectConfig(testCtx(t), cfg)
		if err != nil {
			return err
		}
		if conn.PID() != 1 || conn.TxStatus() != 'I' {
			t.Errorf("pid %d, status %c", conn.PID(), conn.TxStatus())
		}
		conn.Close(testCtx(t))
		return nil
	}
}

// connectAs runs pgconn against a and expects it to connect.
func connectAs(t *testing.T, a *Auth, user, password string) {
	t.Helper()
	cerr, serr := runAuth(t, a, pgconnClient(t, user, password))
	if cerr != nil || serr != nil {
		t.Fatalf("%s/%s: client: %v; server: %v", user, password, cerr, serr)
	}
}

// failAs runs pgconn against a and expects the password to be rejected.
func failAs(t *testing.T, a *Auth, user, password string) {
	t.Helper()
	cerr, serr := runAuth(t, a, pgconnClient(t, user, password))
	want := fmt.Sprintf("password authentication failed for user %q", user)
	if !errors.Is(serr, errAuthFailed) || errors.Is(serr, errAuthProtocol) || serr.Error() != want {
		t.Errorf("%s/%s: server error %v, want %s", user, password, serr, want)
	}
	var pe *pgconn.PgError
	if !errors.As(cerr, &pe) {
		t.Fatalf("%s/%s: client error %v, want a PgError", user, password, cerr)
	}
	if pe.Code != "28P01" || pe.Severity != "FATAL" || pe.Message != want {
		t.Errorf("%s/%s: client got %s %s %q", user, password, pe.Severity, pe.Code, pe.Message)
	}
}

func TestAuthTrust(t *testing.T) {
	var a *Auth
	connectAs(t, a, "alice", "anything")
}

func TestAuthScramPassword(t *testing.T) {
	a, err := PasswordAuth("secret", "")
	if err != nil {
		t.Fatal(err)
	}
	connectAs(t, a, "alice", "secret")
	connectAs(t, a, "bob", "secret") // every name has the password
	failAs(t, a, "alice", "wrong")
	failAs(t, a, "alice", "")
	// pgx normalizes the password; ASCII is unchanged, non-ASCII in NFC too.
	a, err = PasswordAuth("pä:ss wörd#", "scram-sha-256")
	if err != nil {
		t.Fatal(err)
	}
	connectAs(t, a, "alice", "pä:ss wörd#")
}

func TestAuthMD5(t *testing.T) {
	a, err := PasswordAuth("secret", "md5")
	if err != nil {
		t.Fatal(err)
	}
	connectAs(t, a, "alice", "secret")
	connectAs(t, a, "bob", "secret")
	failAs(t, a, "alice", "wrong")
	failAs(t, a, "alice", "secre")
}

func TestPasswordAuthErrors(t *testing.T) {
	if _, err := PasswordAuth("", ""); err == nil {
		t.Error("empty password accepted")
	}
	if _, err := PasswordAuth("x", "password"); err == nil || !strings.Contains(err.Error(), "unknown method") {
		t.Errorf("method password: %v", err)
	}
}

// testVerifier computes a pg_authid SCRAM verifier by the standard formula.
func testVerifier(t *testing.T, password string, iterations int) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(mac(salted, "Server Key")))
}

func writeUsers(t *testing.T, content string) string {
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadUsersScram(t *testing.T) {
	path := writeUsers(t, "# streamsql users\n\n"+
		"alice:secret\r\n"+ // CRLF: the '\r' is not part of the password
		"  # indented comment\n"+
		" bob :with:colons # and blanks \n"+
		"carol:"+testVerifier(t, "carol's", 5000)+"\n")
	a, err := LoadUsers(path, "scram-sha-256")
	if err != nil {
		t.Fatal(err)
	}
	connectAs(t, a, "alice", "secret")
	connectAs(t, a, "bob", "with:colons # and blanks ")
	connectAs(t, a, "carol", "carol's")
	failAs(t, a, "alice", "secret\r")
	failAs(t, a, "bob", "with:colons # and blanks")
	failAs(t, a, "carol", "carol")
	failAs(t, a, "alice", "carol's")
	failAs(t, a, "dave", "secret") // unknown: the same failure
}

func TestLoadUsersMD5(t *testing.T) {
	a, err := LoadUsers(writeUsers(t, "alice:secret\nbob:other\n"), "md5")
	if err != nil {
		t.Fatal(err)
	}
	connectAs(t, a, "alice", "secret")
	connectAs(t, a, "bob", "other")
	failAs(t, a, "alice", "other")
	failAs(t, a, "dave", "secret")
}

func TestLoadUsersErrors(t *testing.T) {
	v := testVerifier(t, "x", 4096)
	for _, tc := range []struct {
		content, method, want string
	}{
		{"alice\n", "", `:1: expected name:password`},
		{"# c\n\nalice:x\nalice:y\n", "", `:4: duplicate user "alice" (first on line 3)`},
		{"alice:x\n:y\n", "", `:2: empty user name`},
		{"  :y\n", "", `:1: empty user name`},
		{"alice:\n", "", `:1: empty password for user "alice"`},
		{"alice:" + v + "\n", "md5", `:1: user "alice" has a SCRAM verifier, which md5 authentication cannot use`},
		{"alice:SCRAM-SHA-256$4096:c2FsdA==\n", "", `:1: user "alice": malformed SCRAM verifier`},
		{"alice:SCRAM-SHA-256$0:c2FsdA==$" + v[strings.LastIndex(v, "$")+1:] + "\n", "", `invalid iteration count "0"`},
		{"alice:SCRAM-SHA-256$4096:!!$" + v[strings.LastIndex(v, "$")+1:] + "\n", "", `invalid salt`},
		{"alice:" + v[:len(v)-4] + "\n", "", `invalid ServerKey`},
		{"alice:" + strings.Replace(v, "$", "$x", 2) + "\n", "", `malformed SCRAM verifier`},
		{"", "", `no users`},
		{"# nobody\n\n", "", `no users`},
		{"alice:x\n", "trust", `unknown method "trust"`},
	} {
		path := writeUsers(t, tc.content)
		_, err := LoadUsers(path, tc.method)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) && tc.method != "trust" {
			t.Errorf("%q (%s): got %v, want %s", tc.content, tc.method, err, tc.want)
		}
	}
	if _, err := LoadUsers(filepath.Join(t.TempDir(), "missing"), ""); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// authRaw is a client that speaks the exchange message by message.
type authRaw struct {
	t  *testing.T
	fe *pgproto3.Frontend
}

func (r *authRaw) send(m pgproto3.FrontendMessage) {
	r.t.Helper()
	r.fe.Send(m)
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *authRaw) recv() pgproto3.BackendMessage {
	r.t.Helper()
	m, err := r.fe.Receive()
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// start sends the startup message for user and returns the server's
// authentication request.
func (r *authRaw) start(user string) pgproto3.BackendMessage {
	r.t.Helper()
	r.send(&pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters:      map[string]string{"user": user},
	})
	return r.recv()
}

// scramFirst starts a SCRAM exchange with the client-first-message
// gs2+"n=,r="+nonce and returns the server-first-message.
func (r *authRaw) scramFirst(user, gs2, nonce string) string {
	r.t.Helper()
	if _, ok := r.start(user).(*pgproto3.AuthenticationSASL); !ok {
		r.t.Fatal("no AuthenticationSASL")
	}
	r.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte(gs2 + "n=,r=" + nonce)})
	c, ok := r.recv().(*pgproto3.AuthenticationSASLContinue)
	if !ok {
		r.t.Fatal("no AuthenticationSASLContinue")
	}
	return string(c.Data)
}

// scramAttrs parses a server-first-message into its attributes.
func scramAttrs(t *testing.T, msg string) map[string]string {
	m := map[string]string{}
	for _, a := range strings.Split(msg, ",") {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			t.Fatalf("bad attribute %q in %q", a, msg)
		}
		m[k] = v
	}
	return m
}

// scramProof computes the client-final-message for password and the
// server signature the server must answer with.
func scramProof(t *testing.T, password, gs2, clientFirstBare, serverFirst string) (final, serverSig string) {
	attrs := scramAttrs(t, serverFirst)
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	if err != nil {
		t.Fatal(err)
	}
	var iter int
	fmt.Sscan(attrs["i"], &iter)
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(gs2)) + ",r=" + attrs["r"]
	authMessage := clientFirstBare + "," + serverFirst + "," + withoutProof
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := mac(stored[:], authMessage)
	for i := range clientKey {
		clientKey[i] ^= sig[i]
	}
	final = withoutProof + ",p=" + base64.StdEncoding.EncodeToString(clientKey)
	return final, base64.StdEncoding.EncodeToString(mac(mac(salted, "Server Key"), authMessage))
}

// rawAuth runs fn as the client against a and returns the server's error.
func rawAuth(t *testing.T, a *Auth, fn func(r *authRaw)) error {
	t.Helper()
	_, serr := runAuth(t, a, func(nc net.Conn) error {
		fn(&authRaw{t: t, fe: pgproto3.NewFrontend(nc, nc)})
		return nil
	})
	return serr
}

// expectFatal reads the server's last message: a FATAL error with code.
func (r *authRaw) expectFatal(code string) *pgproto3.ErrorResponse {
	r.t.Helper()
	m := r.recv()
	e, ok := m.(*pgproto3.ErrorResponse)
	if !ok || e.Severity != "FATAL" || e.Code != code {
		r.t.Fatalf("got %s, want FATAL %s", describe(m), code)
	}
	if _, err := r.fe.Receive(); err == nil {
		r.t.Fatal("server sent more after FATAL")
	}
	return e
}

func TestScramRaw(t *testing.T) {
	a, err := LoadUsers(writeUsers(t, "alice:secret\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	const nonce = "rOprNGfwEbeRWgbNEkqO"

	// "y,," (client could bind, server offered no PLUS) works like "n,,",
	// and the server proves it knows the verifier.
	for _, gs2 := range []string{"n,,", "y,,"} {
		serr := rawAuth(t, a, func(r *authRaw) {
			sf := r.scramFirst("alice", gs2, nonce)
			attrs := scramAttrs(t, sf)
			if !strings.HasPrefix(attrs["r"], nonce) || len(attrs["r"]) != len(nonce)+24 || attrs["i"] != "4096" {
				t.Errorf("server-first-message %q", sf)
			}
			final, sig := scramProof(t, "secret", gs2, "n=,r="+nonce, sf)
			r.send(&pgproto3.SASLResponse{Data: []byte(final)})
			f, ok := r.recv().(*pgproto3.AuthenticationSASLFinal)
			if !ok || string(f.Data) != "v="+sig {
				t.Errorf("%s: want SASLFinal v=%s", gs2, sig)
			}
			if _, ok := r.recv().(*pgproto3.AuthenticationOk); !ok {
				t.Errorf("%s: no AuthenticationOk", gs2)
			}
		})
		if serr != nil {
			t.Errorf("%s: %v", gs2, serr)
		}
	}

	// A wrong proof gets the error, never SASLFinal; an unknown user goes
	// through the same exchange, with a salt as stable as a real user's.
	salts := map[string]string{}
	for _, user := range []string{"alice", "alice", "nobody", "nobody"} {
		serr := rawAuth(t, a, func(r *authRaw) {
			sf := r.scramFirst(user, "n,,", nonce)
			attrs := scramAttrs(t, sf)
			salt, _ := base64.StdEncoding.DecodeString(attrs["s"])
			if len(salt) != 16 || attrs["i"] != "4096" || len(attrs) != 3 {
				t.Errorf("%s: server-first-message %q", user, sf)
			}
			if prev, ok := salts[user]; ok && prev != attrs["s"] {
				t.Errorf("%s: salt changed from %s to %s", user, prev, attrs["s"])
			}
			salts[user] = attrs["s"]
			final, _ := scramProof(t, "wrong", "n,,", "n=,r="+nonce, sf)
			r.send(&pgproto3.SASLResponse{Data: []byte(final)})
			e := r.expectFatal("28P01")
			if want := fmt.Sprintf("password authentication failed for user %q", user); e.Message != want {
				t.Errorf("got %q, want %q", e.Message, want)
			}
		})
		if !errors.Is(serr, errAuthFailed) {
			t.Errorf("%s: server error %v", user, serr)
		}
	}
}

func TestScramProtocolErrors(t *testing.T) {
	a, err := PasswordAuth("secret", "")
	if err != nil {
		t.Fatal(err)
	}
	initial := func(mech, data string) func(r *authRaw) {
		return func(r *authRaw) {
			r.start("alice")
			r.send(&pgproto3.SASLInitialResponse{AuthMechanism: mech, Data: []byte(data)})
		}
	}
	final := func(data string) func(r *authRaw) {
		return func(r *authRaw) {
			sf := r.scramFirst("alice", "n,,", "abc")
			r.send(&pgproto3.SASLResponse{Data: []byte(strings.ReplaceAll(data, "NONCE", scramAttrs(t, sf)["r"]))})
		}
	}
	proof := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct {
		name   string
		client func(r *authRaw)
		want   string
	}{
		{"query instead of SASLInitialResponse", func(r *authRaw) {
			r.start("alice")
			r.send(&pgproto3.Query{String: "select 1"})
		}, "expected SASL initial response, got Query"},
		{"garbage instead of SASLInitialResponse", func(r *authRaw) {
			r.start("alice")
			r.send(&pgproto3.PasswordMessage{Password: "garbage"})
		}, "invalid SASLInitialResponse"},
		{"PLUS mechanism", initial("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc"), `mechanism "SCRAM-SHA-256-PLUS"`},
		{"channel binding", initial("SCRAM-SHA-256", "p=tls-server-end-point,,n=,r=abc"), "channel binding"},
		{"bad gs2 flag", initial("SCRAM-SHA-256", "x,,n=,r=abc"), "channel-binding flag"},
		{"authzid", initial("SCRAM-SHA-256", "n,a=bob,n=,r=abc"), "authorization identity"},
		{"no user attribute", initial("SCRAM-SHA-256", "n,,r=abc"), "attribute 'n' expected"},
		{"no nonce", initial("SCRAM-SHA-256", "n,,n="), "attribute 'r' expected, got end"},
		{"empty nonce", initial("SCRAM-SHA-256", "n,,n=,r="), "empty nonce"},
		{"mandatory extension", initial("SCRAM-SHA-256", "n,,m=x,n=,r=abc"), "extension"},
		{"empty", initial("SCRAM-SHA-256", ""), "channel-binding flag"},
		{"query instead of SASLResponse", func(r *authRaw) {
			r.scramFirst("alice", "n,,", "abc")
			r.send(&pgproto3.Query{String: "select 1"})
		}, "expected SASL response, got Query"},
		{"wrong nonce", final("c=biws,r=abcXYZ,p=" + proof), "nonce mismatch"},
		{"client nonce only", final("c=biws,r=abc,p=" + proof), "nonce mismatch"},
		{"wrong channel binding", final("c=eSws,r=NONCE,p=" + proof), "channel-binding attribute"},
		{"no proof", final("c=biws,r=NONCE"), "missing proof"},
		{"short proof", final("c=biws,r=NONCE,p=AAAA"), "invalid proof"},
		{"proof not last", final("c=biws,r=NONCE,p=" + proof + ",x=1"), "attribute 'p' expected"},
		{"bad attribute", final("c=biws,r=NONCE,1x,p=" + proof), "invalid attribute"},
	} {
		serr := rawAuth(t, a, func(r *authRaw) {
			tc.client(r)
			e := r.expectFatal(codeProtocolViolation)
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("%s: client got %q, want %q", tc.name, e.Message, tc.want)
			}
		})
		if !errors.Is(serr, errAuthProtocol) || errors.Is(serr, errAuthFailed) {
			t.Errorf("%s: server error %v", tc.name, serr)
		}
	}
}

func TestMD5Raw(t *testing.T) {
	a, err := PasswordAuth("secret", "md5")
	if err != nil {
		t.Fatal(err)
	}
	serr := rawAuth(t, a, func(r *authRaw) {
		r.start("alice")
		r.send(&pgproto3.Query{String: "select 1"})
		r.expectFatal(codeProtocolViolation)
	})
	if !errors.Is(serr, errAuthProtocol) {
		t.Errorf("query instead of password: %v", serr)
	}
	salts := map[[4]byte]bool{}
	for range 3 {
		serr = rawAuth(t, a, func(r *authRaw) {
			m, ok := r.start("alice").(*pgproto3.AuthenticationMD5Password)
			if !ok {
				t.Fatal("no AuthenticationMD5Password")
			}
			salts[m.Salt] = true
			r.send(&pgproto3.PasswordMessage{Password: "secret"}) // cleartext is not accepted
			r.expectFatal("28P01")
		})
		if !errors.Is(serr, errAuthFailed) {
			t.Errorf("cleartext password: %v", serr)
		}
	}
	if len(salts) < 2 {
		t.Error("md5 salt is not random")
	}
}

// A client that leaves mid-exchange is a disconnect, neither failure.
func TestAuthDisconnect(t *testing.T) {
	for _, method := range []string{"scram-sha-256", "md5"} {
		a, err := PasswordAuth("secret", method)
		if err != nil {
			t.Fatal(err)
		}
		serr := rawAuth(t, a, func(r *authRaw) { r.start("alice") })
		if !isDisconnect(serr) || errors.Is(serr, errAuthFailed) || errors.Is(serr, errAuthProtocol) {
			t.Errorf("%s: hang-up: %v", method, serr)
		}
		serr = rawAuth(t, a, func(r *authRaw) {
			r.start("alice")
			r.send(&pgproto3.Terminate{})
		})
		if !errors.Is(serr, io.EOF) {
			t.Errorf("%s: Terminate: %v", method, serr)
		}
	}
}
