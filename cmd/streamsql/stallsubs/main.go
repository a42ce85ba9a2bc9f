// Command stallsubs measures what subscribers that never read cost a
// running server: it opens -subs raw connections that send SUBSCRIBE t and
// never read the socket again, inserts -rows rows into t (in INSERTs of
// -batch rows, or one INSERT ... SELECT generate_series with -gs), and
// prints the server's resident memory (VmRSS) and its peak (VmHWM) from
// /proc/PID/status before and after. Compare a run with -subs 0 (the
// workload alone) to one with subscribers, against
// subscription_buffer_bytes:
//
//	streamsql serve --listen 127.0.0.1:45661 --http '' --state memory &
//	go run ./cmd/streamsql/stallsubs -addr 127.0.0.1:45661 -pid $! -subs 20
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4566", "the server's address")
	pid := flag.Int("pid", 0, "the server's process id, whose memory is read")
	subs := flag.Int("subs", 20, "subscribers that never read")
	rows := flag.Int("rows", 300_000, "rows inserted")
	batch := flag.Int("batch", 1000, "rows an INSERT")
	gs := flag.Bool("gs", false, "insert all rows in one INSERT ... SELECT FROM generate_series")
	flag.Parse()
	if err := run(*addr, *pid, *subs, *rows, *batch, *gs); err != nil {
		fmt.Fprintln(os.Stderr, "stallsubs:", err)
		os.Exit(1)
	}
}

func run(addr string, pid, subs, rows, batch int, gs bool) error {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE TABLE t (id BIGINT, s VARCHAR)"); err != nil {
		return err
	}
	fmt.Println("before:", memory(pid))
	for range subs {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer nc.Close()
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "streamsql"}})
		fe.Send(&pgproto3.Query{String: "SUBSCRIBE t"})
		if err := fe.Flush(); err != nil {
			return err
		}
		// Read up to the subscription's start, then never again.
		for {
			m, err := fe.Receive()
			if err != nil {
				return err
			}
			if _, ok := m.(*pgproto3.RowDescription); ok {
				break
			}
		}
	}
	pad := strings.Repeat("x", 40)
	start := time.Now()
	if gs {
		if _, err := c.Exec(ctx, fmt.Sprintf("INSERT INTO t SELECT g, '%s' || g FROM generate_series(1, %d) AS g", pad, rows)); err != nil {
			return err
		}
	} else {
		for i := 0; i < rows; i += batch {
			var sb strings.Builder
			sb.WriteString("INSERT INTO t VALUES ")
			for j := i; j < min(i+batch, rows); j++ {
				if j > i {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, '%s%d')", j, pad, j)
			}
			if _, err := c.Exec(ctx, sb.String()); err != nil {
				return err
			}
		}
	}
	fmt.Printf("inserted %d rows in %v\n", rows, time.Since(start).Round(time.Millisecond))
	// Let the subscriptions take what they are sent.
	time.Sleep(3 * time.Second)
	fmt.Println("after:", memory(pid))
	return nil
}

// memory is process pid's VmRSS and VmHWM.
func memory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, ", ")
}
