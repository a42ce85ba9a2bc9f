package slt

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// edit replaces the lines [start, end) of a file with lines.
type edit struct {
	start, end int
	lines      []string
}

// rewriteFile applies edits, which are in file order and do not overlap, to the file at path. It writes a
// new file and renames it over the old one, so a failed write leaves the old file whole.
func rewriteFile(path string, edits []edit) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	lines := splitLines(string(data))
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		lines = slices.Replace(lines, e.start, e.end, e.lines...)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".slt-rewrite-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
