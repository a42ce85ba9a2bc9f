package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/exec/engine"
	"github.com/streamsql/streamsql/state/memory"
	"github.com/streamsql/streamsql/wire"
	"github.com/streamsql/streamsql/wire/slt"
)

// test runs .slt files. Each file gets a fresh in-process server (so files
// are independent) unless --addr names a running one.
func test(args []string, out io.Writer) error {
	fset := flag.NewFlagSet("test", flag.ContinueOnError)
	addr := fset.String("addr", "", "run against this running server instead of a fresh one per file")
	verbose := fset.Bool("v", false, "print every record")
	rewrite := fset.Bool("rewrite", false, "rewrite expected results with actual ones")
	if err := fset.Parse(args); err != nil {
		return err
	}
	files, err := sltFiles(fset.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no .slt files in %v", fset.Args())
	}
	failed := 0
	for _, f := range files {
		err := runSLT(context.Background(), f, *addr, *verbose, *rewrite, out)
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
func runSLT(ctx context.Context, path, addr string, verbose, rewrite bool, out io.Writer) error {
	if addr == "" {
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
	r := &slt.Runner{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
		},
		Rewrite: rewrite,
	}
	if verbose {
		r.Log = out
	}
	return r.RunFile(ctx, path)
}

var _ = os.Stdout
