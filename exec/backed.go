package exec

import (
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/state/writeback"
)

// backed is what the stateful operators other than the aggregate (joins,
// top-N, OVER) share about their state: the write-back cache in front of
// their namespace and the bound on the decoded groups they cache.
type backed struct {
	store     *writeback.Cache
	maxCached int
}

// SetCacheSize bounds the cached groups (state_cache_size), and the
// write-back cache's keys with them.
func (b *backed) SetCacheSize(groups int) {
	b.maxCached = max(groups, 1)
	b.store.SetLimit(min(max(groups, 1)*2, matCacheKeys))
}

// Stats is the operator's state in the backend, as of the last flush.
func (b *backed) Stats() state.Stats { return b.store.Stats() }
