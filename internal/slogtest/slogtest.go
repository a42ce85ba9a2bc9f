// Package slogtest is a log handler for tests that wait for the server to
// log something (a client cut off, a subscriber ended) instead of
// sleeping.
package slogtest

import (
	"context"
	"log/slog"
)

// Warnings is a slog.Handler that passes the messages of Warn (and higher)
// records on, dropping those no one has room for: make it with the
// buffer the test needs, slog.New(w) it into the server's Config, and
// receive from it with a bound.
type Warnings chan string

// Enabled implements slog.Handler.
func (h Warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

// Handle implements slog.Handler.
func (h Warnings) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Message:
	default:
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (h Warnings) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup implements slog.Handler.
func (h Warnings) WithGroup(string) slog.Handler { return h }
