package engine

import (
	"context"

	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/kafka"
)

// topicSource is a source read as partitions with offsets the engine
// keeps in its checkpoints: a Kafka topic, or files (connector = 'file',
// one partition whose offset is the file and byte reached).
type topicSource interface {
	Check(ctx context.Context) error
	Run(ctx context.Context, from map[int]int64, out kafka.Output) error
	Ends(ctx context.Context) (map[int]int64, error)
	SetRead(read []bool)
	Current(gen uint64) bool
	Status() string
	Close()
	// FetchedEnd is partition p's end offset as last seen, for the lag
	// metric (false: not known; a file source has none).
	FetchedEnd(p int) (int64, bool)
}

var (
	_ topicSource = (*kafka.Source)(nil)
	_ topicSource = (*file.Source)(nil)
)

// fileDirs are where file connectors may read and write: the data
// directory (relative paths resolve against it) and serve --file-dir's.
func (e *Engine) fileDirs() file.Dirs {
	return file.Dirs{Data: e.opts.Dir, Allowed: e.opts.FileDirs}
}
