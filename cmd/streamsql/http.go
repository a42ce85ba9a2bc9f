package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/streamsql/streamsql/wire"
	"github.com/streamsql/streamsql/wire/httpserve"
)

// startHTTP serves /metrics, /healthz and /readyz on addr ("" for none)
// under the wire's exposure rule: a non-loopback address needs passwords
// or --insecure. The default address being taken (a second server on this
// machine) is no error, just no HTTP; an address asked for is.
func startHTTP(addr string, asked bool, wcfg *wire.Config) (*httpserve.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if !asked && errors.Is(err, syscall.EADDRINUSE) {
			slog.Warn("http endpoints off: the default address is in use (give --http)", "http", addr)
			return nil, nil
		}
		return nil, fmt.Errorf("--http: %w", err)
	}
	if err := wcfg.CheckExposure(ln.Addr()); err != nil {
		ln.Close()
		return nil, fmt.Errorf("--http: %w (flags: --password, --users-file, --insecure)", err)
	}
	hs := httpserve.New()
	go func() {
		if err := hs.Serve(ln); err != nil {
			slog.Error("http endpoints stopped", "err", err)
		}
	}()
	slog.Info("http endpoints", "http", ln.Addr().String(), "metrics", "http://"+ln.Addr().String()+"/metrics")
	return hs, nil
}
