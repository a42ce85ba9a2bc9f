// Package file reads files of JSON or CSV lines as a streamsql source:
// the files a glob matches, in name order, and the ones that appear later.
//
// The source is read as one partition whose position is the file being
// read and the byte offset just past its last whole line, delivered with
// the rows it produced: the engine stores it in its checkpoints with the
// state those rows built, so a restart resumes at exactly that line.
package file

import (
	"path/filepath"
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// Dirs are where file connectors may read: the data directory, which
// relative paths resolve against, and those given by --file-dir.
type Dirs struct {
	Data    string
	Allowed []string
}

// resolve turns a path option into an absolute, clean path inside one of
// the allowed directories, or says why it is refused.
func (d Dirs) resolve(p string) (string, error) {
	if p == "" {
		return "", sqlerr.New(sqlerr.InvalidParameter, "a file connector needs path = '...'")
	}
	if d.Data == "" {
		return "", sqlerr.New(sqlerr.InvalidParameter, "file connector: the server has no data directory to resolve path %q against", p)
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.Data, abs)
	}
	abs, err := filepath.Abs(abs)
	if err != nil {
		return "", sqlerr.New(sqlerr.InvalidParameter, "file connector path %q: %v", p, err)
	}
	for _, dir := range append([]string{d.Data}, d.Allowed...) {
		dir, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return abs, nil
		}
	}
	return "", sqlerr.New(sqlerr.InvalidParameter, "file connector path %q is outside the data directory and every --file-dir directory (serve --file-dir DIR allows one)", p)
}
