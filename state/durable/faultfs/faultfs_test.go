package faultfs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/state/durable"
)

// write creates name through f with data, fsynced.
func write(t *testing.T, f *FS, name, data string) {
	t.Helper()
	w, err := f.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// files lists dir's files as "name=contents".
func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Name()+"="+string(b))
	}
	return out
}

// A power loss loses the directory entries made since their directory's
// last sync: a new file, even fsynced, is gone, and a rename is undone,
// bringing back the file it replaced; entries synced with SyncDir stay.
func TestLoseUnsyncedDirectoryEntries(t *testing.T) {
	dir := t.TempDir()
	f := New(durable.OS)
	path := func(n string) string { return filepath.Join(dir, n) }
	write(t, f, path("kept"), "old")
	if err := f.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	write(t, f, path("new"), "lost")
	write(t, f, path("tmp"), "next")
	if err := f.Rename(path("tmp"), path("kept")); err != nil {
		t.Fatal(err)
	}
	w, err := f.OpenAppend(path("log"))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got, want := files(t, dir), []string{"kept=next", "log=", "new=lost"}; !slices.Equal(got, want) {
		t.Fatalf("before the crash: %v, want %v", got, want)
	}
	if err := f.LoseUnsynced(); err != nil {
		t.Fatal(err)
	}
	if got, want := files(t, dir), []string{"kept=old"}; !slices.Equal(got, want) {
		t.Fatalf("after a crash without a directory sync: %v, want %v", got, want)
	}

	write(t, f, path("tmp"), "next")
	if err := f.Rename(path("tmp"), path("kept")); err != nil {
		t.Fatal(err)
	}
	write(t, f, path("new"), "kept too")
	if err := f.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := f.LoseUnsynced(); err != nil {
		t.Fatal(err)
	}
	if got, want := files(t, dir), []string{"kept=next", "new=kept too"}; !slices.Equal(got, want) {
		t.Fatalf("after a crash after the directory sync: %v, want %v", got, want)
	}
}
