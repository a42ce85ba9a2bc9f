package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
	"github.com/streamsql/streamsql/wire/slt"
)

// test runs .slt files. Each file gets a fresh in-process server (so files
// are independent) unless --addr names a running one. A running server
// must hold no relations (files would collide with its users' objects)
// unless --allow-nonempty; there, what each file created is dropped when
// it ends.
func test(args []string, out io.Writer) error {
	fset := flag.NewFlagSet("test", flag.ContinueOnError)
	addr := fset.String("addr", "", "run against this running server instead of a fresh one per file")
	allowNonempty := fset.Bool("allow-nonempty", false, "with --addr, run even if the server already holds relations (the files' own are still dropped after each)")
	verbose := fset.Bool("v", false, "print every record")
	rewrite := fset.Bool("rewrite", false, "rewrite expected results with actual ones")
	timeout := fset.Duration("timeout", slt.DefaultTimeout, "fail a statement or query with no answer after this long, naming its file and line (0: wait without limit)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if !*verbose {
		slog.SetDefault(quiet) // the files' DDL lines would bury the results
	}
	files, err := sltFiles(fset.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no .slt files in %v", fset.Args())
	}
	if *addr != "" && !*allowNonempty {
		objs, err := serverObjects(context.Background(), *addr)
		if err != nil {
			return err
		}
		if len(objs) > 0 {
			return fmt.Errorf("the server at %s already holds %s: the files could collide with them; use a fresh server, or --allow-nonempty (each file's own relations are dropped after it)", *addr, describeObjects(objs))
		}
	}
	failed := 0
	for _, f := range files {
		err := runSLT(context.Background(), f, *addr, *verbose, *rewrite, *timeout, out)
		if err != nil {
			failed++
			fmt.Fprintf(out, "FAIL %s\n%v\n", f, err)
			continue
		}
		fmt.Fprintf(out, "ok   %s\n", f)
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", len(files)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

// sltFiles expands paths to .slt files, sorted. Files under a directory
// named "include" are fragments for `include` and are not run alone.
func sltFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "include" && path != p {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".slt") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// runSLT runs one file against addr, or a fresh server when addr is "".
func runSLT(ctx context.Context, path, addr string, verbose, rewrite bool, timeout time.Duration, out io.Writer) (err error) {
	fresh := addr == ""
	if fresh {
		backend, err := memory.Open("")
		if err != nil {
			return err
		}
		defer backend.Close()
		eng := engine.New(backend)
		defer eng.Close()
		srv := wire.NewServer(eng, wire.Config{Addr: "127.0.0.1:0", Logger: discard})
		if err := srv.Start(); err != nil {
			return err
		}
		defer srv.Close()
		addr = srv.Addr().String()
	}
	if timeout == 0 {
		timeout = -1 // the Runner's "no limit"
	}
	r := &slt.Runner{
		Connect: func(ctx context.Context) (*pgx.Conn, error) { return dialTest(ctx, addr) },
		Rewrite: rewrite,
		Timeout: timeout,
	}
	if verbose {
		r.Log = out
	}
	if !fresh {
		before, err := serverObjects(ctx, addr)
		if err != nil {
			return err
		}
		defer func() {
			if derr := dropCreated(ctx, addr, before); err == nil && derr != nil {
				err = fmt.Errorf("cleaning up: %w", derr)
			}
		}()
	}
	return r.RunFile(ctx, path)
}

func dialTest(ctx context.Context, addr string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
}

// object is a relation of a running server, with the kind DROP names.
type object struct{ kind, name string }

// objectKinds are the SHOW listings and the DROP of each, dependents
// first.
var objectKinds = []struct{ show, drop string }{
	{"SINKS", "SINK"}, {"MATERIALIZED VIEWS", "MATERIALIZED VIEW"}, {"VIEWS", "VIEW"}, {"TABLES", "TABLE"}, {"SOURCES", "SOURCE"},
}

// serverObjects lists the relations of the server at addr.
func serverObjects(ctx context.Context, addr string) ([]object, error) {
	conn, err := dialTest(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var objs []object
	for _, k := range objectKinds {
		rows, err := conn.Query(ctx, "SHOW "+k.show, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return nil, fmt.Errorf("SHOW %s: %w", k.show, err)
		}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				rows.Close()
				return nil, err
			}
			objs = append(objs, object{k.drop, fmt.Sprint(v[0])})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("SHOW %s: %w", k.show, err)
		}
	}
	return objs, nil
}

func describeObjects(objs []object) string {
	var names []string
	for _, o := range objs[:min(len(objs), 5)] {
		names = append(names, strings.ToLower(o.kind)+" "+o.name)
	}
	if len(objs) > 5 {
		names = append(names, fmt.Sprintf("and %d more", len(objs)-5))
	}
	noun := "relations"
	if len(objs) == 1 {
		noun = "relation"
	}
	return fmt.Sprintf("%d %s (%s)", len(objs), noun, strings.Join(names, ", "))
}

// dropCreated drops the relations of the server at addr that are not in
// before. Without a dependency graph at hand it retries: each round drops
// what nothing depends on any more, until a round drops nothing. A table
// of late rows goes with its source and so is not dropped itself.
func dropCreated(ctx context.Context, addr string, before []object) error {
	now, err := serverObjects(ctx, addr)
	if err != nil {
		return err
	}
	var left []object
	for _, o := range now {
		if !slices.Contains(before, o) {
			left = append(left, o)
		}
	}
	conn, err := dialTest(ctx, addr)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for len(left) > 0 {
		var kept []object
		var last error
		for _, o := range left {
			_, err := conn.Exec(ctx, "DROP "+o.kind+" IF EXISTS "+pgx.Identifier{o.name}.Sanitize(), pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				kept, last = append(kept, o), err
			}
		}
		if len(kept) == len(left) {
			if now, err := serverObjects(ctx, addr); err == nil && !anyOf(kept, now) {
				return nil // the late-rows tables went with their sources
			}
			return fmt.Errorf("could not drop %s: %w", describeObjects(kept), last)
		}
		left = kept
	}
	return nil
}

// anyOf reports whether one of objs is in set.
func anyOf(objs, set []object) bool {
	for _, o := range objs {
		if slices.Contains(set, o) {
			return true
		}
	}
	return false
}
