package format

import (
	"slices"
	"sync/atomic"
)

// Projection is the columns a source's readers decode, shared by the
// sources (Kafka, files) that let the engine narrow them while they run:
// each change starts a new generation, so that rows decoded for the
// columns of before can be told apart and read again.
type Projection struct{ p atomic.Pointer[Columns] }

// Columns is one generation of a Projection: Read[i] for column i, nil
// for all of them.
type Columns struct {
	Gen  uint64
	Read []bool
}

var allColumns = &Columns{}

// Load is the current generation.
func (p *Projection) Load() *Columns {
	if c := p.p.Load(); c != nil {
		return c
	}
	return allColumns
}

// SetRead makes read the columns decoded, a new generation unless it is
// the current one's.
func (p *Projection) SetRead(read []bool) {
	old := p.Load()
	if (old.Read == nil) == (read == nil) && slices.Equal(old.Read, read) {
		return
	}
	p.p.Store(&Columns{Gen: old.Gen + 1, Read: slices.Clone(read)})
}

// Current reports whether rows decoded for generation gen hold the
// columns read now.
func (p *Projection) Current(gen uint64) bool { return p.Load().Gen == gen }
