package wire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// selfSigned makes a TLS certificate for 127.0.0.1, valid for an hour.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "streamsql test"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestTLSAndPassword connects over TLS with SCRAM and with MD5 through the
// real server, in both of pgx's modes, and checks that a wrong password
// and a refused plaintext client fail cleanly.
func TestTLSAndPassword(t *testing.T) {
	for _, method := range []string{"scram-sha-256", "md5"} {
		t.Run(method, func(t *testing.T) {
			auth, err := PasswordAuth("s3cret", method)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := startServer(t, Config{Auth: auth, TLS: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}})
			ctx := testCtx(t)
			for _, mode := range []string{"", "&default_query_exec_mode=simple_protocol"} {
				conn, err := pgx.Connect(ctx, "postgres://alice:s3cret@"+s.Addr().String()+"/db?sslmode=require"+mode)
				if err != nil {
					t.Fatal(err)
				}
				if !conn.PgConn().Conn().(interface{ ConnectionState() tls.ConnectionState }).ConnectionState().HandshakeComplete {
					t.Error("not on TLS")
				}
				var who, db string
				if err := conn.QueryRow(ctx, "whoami").Scan(&who, &db); err != nil || who != "alice" {
					t.Errorf("whoami: %q %v", who, err)
				}
				conn.Close(ctx)
			}
			_, err = pgx.Connect(ctx, "postgres://alice:wrong@"+s.Addr().String()+"/db?sslmode=require")
			if pe := pgErr(t, err); pe.Code != "28P01" || pe.Severity != "FATAL" {
				t.Errorf("wrong password: %+v", pe)
			}
			// Without TLS the password exchange still protects the
			// password (SCRAM never sends it; MD5 salts it).
			conn, err := pgx.Connect(ctx, "postgres://bob:s3cret@"+s.Addr().String()+"/db?sslmode=disable")
			if err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
		})
	}
}

// TestExposure: trust authentication is for loopback only.
func TestExposure(t *testing.T) {
	auth, _ := PasswordAuth("x", "")
	for _, c := range []struct {
		cfg  Config
		addr string
		ok   bool
	}{
		{Config{}, "127.0.0.1:5432", true},
		{Config{}, "[::1]:5432", true},
		{Config{}, "0.0.0.0:5432", false},
		{Config{}, "[::]:5432", false},
		{Config{}, "10.1.2.3:5432", false},
		{Config{Insecure: true}, "0.0.0.0:5432", true},
		{Config{Auth: auth}, "0.0.0.0:5432", true},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.cfg.CheckExposure(addr); (err == nil) != c.ok {
			t.Errorf("%s insecure=%v auth=%v: %v", c.addr, c.cfg.Insecure, c.cfg.Auth != nil, err)
		}
	}
	s := NewServer(newFakeEngine(), Config{Addr: "0.0.0.0:0"})
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "without passwords") {
		t.Errorf("Start on 0.0.0.0 without a password: %v", err)
	}
	s.Close()
}
