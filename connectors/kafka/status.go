package kafka

import (
	"context"
	"log/slog"
	"strings"
)

// statusKind is a status's first word: "retrying partition 2: ..." is
// "retrying", "running" is "running".
func statusKind(st string) string {
	k, _, _ := strings.Cut(st, ":")
	k, _, _ = strings.Cut(k, " ")
	return k
}

// logStatus logs a source's or sink's new status: running at info, the
// others (retrying, stopped, failed) as warnings.
func logStatus(msg, topic, st string) {
	level := slog.LevelWarn
	if st == "running" {
		level = slog.LevelInfo
	}
	slog.Log(context.Background(), level, msg, "topic", topic, "status", st)
}
