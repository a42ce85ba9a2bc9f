package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/exec/engine"
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

// benchScrape is bench's --scrape.
var benchScrape time.Duration

// scrapeEvery reads eng's /metrics every d (never when d is 0) until the
// returned stop is called, as a Prometheus would, only more often.
func scrapeEvery(eng *engine.Engine, d time.Duration) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	hs := httpserve.New()
	if err := hs.Ready(eng.Collector()); err != nil {
		panic(err) // a fresh registry takes the engine's collector
	}
	req, err := http.NewRequest("GET", "/metrics", nil)
	if err != nil {
		panic(err)
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				hs.Handler().ServeHTTP(discardResponse{http.Header{}}, req)
			}
		}
	}()
	return func() { close(done); <-ended }
}

// discardResponse is a scrape's answer nobody reads.
type discardResponse struct{ h http.Header }

func (r discardResponse) Header() http.Header         { return r.h }
func (r discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (r discardResponse) WriteHeader(int)             {}
