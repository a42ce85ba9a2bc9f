package engine_test

import (
	"context"
	"flag"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/wire/slt"
)

// rewriting reports -rewrite, the flag the datadriven package defines (its
// tests share this binary), which rewrites testdata/sql too.
func rewriting() bool {
	f := flag.Lookup("rewrite")
	return f != nil && f.Value.String() == "true"
}

// TestSLT runs every testdata/sql/**/*.slt file over the real wire, each
// against a fresh server. Files under include/ directories are fragments.
func TestSLT(t *testing.T) {
	root := "../../testdata/sql"
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "include" {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".slt") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .slt files found")
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			addr := startServer(t)
			r := &slt.Runner{
				Connect: func(ctx context.Context) (*pgx.Conn, error) {
					return pgx.Connect(ctx, "postgres://streamsql@"+addr+"/streamsql?sslmode=disable")
				},
				Rewrite: rewriting(),
			}
			if err := r.RunFile(context.Background(), f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
