// Package state defines the storage interface behind every stateful operator.
//
// Operators never talk to a storage engine directly: each one gets a Store
// (its namespace) from the server's Backend and keeps its state there as an
// ordered map of byte keys, built with package keys so that closing a window
// is a range scan plus a DeleteRange. Checkpoint and Restore make that state
// survive a restart; both backends (memory and pebble) implement the same
// contract, which package statetest checks.
package state

import "errors"

// ErrClosed is returned by every operation on a Backend, or on a Store or
// Iterator obtained from it, after the Backend has been closed.
var ErrClosed = errors.New("state: backend closed")

// ErrCorrupt is wrapped by the error Restore returns when the last checkpoint
// fails its integrity check (torn write, flipped bits, wrong format). A corrupt
// checkpoint is never partially loaded: the Backend keeps its previous
// contents, and the caller decides whether to start empty or to stop.
var ErrCorrupt = errors.New("state: checkpoint corrupt")

// Backend owns all operator state of one server.
//
// Concurrency: Namespace and DropNamespace may be called from any goroutine,
// but DropNamespace not while the dropped namespace's Store is in use.
// Checkpoint, Restore and Close must not run concurrently with each other or
// with the use of any Store, with one exception: a Store may be read (Get,
// NewIter, from one goroutine at a time as always) while Checkpoint runs,
// so that queries go on while a checkpoint is written to disk. The engine
// guarantees the rest by calling them only while no operator changes state
// (aligned on a barrier, or stopped), and that alignment is also what orders
// the operators' writes before the Checkpoint's reads.
type Backend interface {
	// Namespace returns the store of one operator. ids are stable across
	// restarts, so that a restored checkpoint reaches the operator that wrote
	// it. Calling it twice with one id returns the same Store; a Store stays
	// valid across DropNamespace and Restore and observes their effects.
	Namespace(id uint64) Store

	// DropNamespace deletes every key of a namespace (DROP of a view). The
	// namespace's Store stays usable and is empty afterwards. Dropping an
	// unknown id is not an error.
	DropNamespace(id uint64) error

	// Checkpoint durably commits everything written so far as checkpoint id.
	// ids increase. It is called while no Store is being mutated. When it
	// returns nil the checkpoint survives a crash; when it fails, or the
	// process dies inside it, the previous checkpoint is still the one
	// Restore finds. Open iterators do not block it.
	Checkpoint(id uint64) error

	// Restore replaces the in-memory contents of every namespace with the last
	// complete checkpoint and returns its id. With no checkpoint it empties
	// every namespace and returns (0, nil), because checkpoint 0 is the empty
	// state. A checkpoint that fails its integrity check yields an error
	// wrapping ErrCorrupt and leaves the contents unchanged. After reopening a
	// Backend, its contents are unspecified until Restore has been called.
	Restore() (uint64, error)

	// Close releases the Backend. Uncheckpointed writes may be lost. Later
	// calls on the Backend, its Stores and their Iterators return ErrClosed.
	Close() error
}

// Store is one namespace: an ordered map of byte keys to byte values, ordered
// by bytes.Compare. The empty key is a valid key.
//
// Ownership: Put copies key and value, so callers may reuse their buffers
// right away. A value returned by Get is valid until the next mutation (Put,
// Delete, DeleteRange) of this Store, DropNamespace or Restore; callers must
// not modify it and must copy it to keep it longer.
//
// Concurrency: a Store is used by one goroutine at a time. Different Stores
// of one Backend may be used concurrently from different goroutines.
//
// Ranges are half-open, [start, end). A nil start is the beginning of the
// namespace and a nil end its end; a non-nil empty end is an empty range, as
// is any range with start >= end.
type Store interface {
	// Get returns the value of key; ok is false when the key is absent.
	Get(key []byte) (value []byte, ok bool, err error)
	// Put sets key to value, replacing any previous value.
	Put(key, value []byte) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(key []byte) error
	// DeleteRange removes every key in [start, end).
	DeleteRange(start, end []byte) error
	// Apply performs the batch's operations as if by Put and Delete in
	// order (it is not atomic: a failure may leave a prefix applied, which
	// a Restore undoes like any other uncheckpointed write). The batch is
	// not modified and may be reset afterwards.
	Apply(b *Batch) error
	// NewIter returns an unpositioned iterator over [start, end) in ascending
	// order. The iterator reads a snapshot of the Store taken by NewIter:
	// mutating the Store while the iterator is open is allowed and invisible
	// to it, which lets an operator emit and delete the rows of a closing
	// window in one pass. The bounds are copied.
	NewIter(start, end []byte) Iterator
	// Stats reports the current size of the namespace.
	Stats() Stats
}

// Iterator walks a Store's keys in ascending order.
//
// An Iterator is used by one goroutine at a time. Errors accumulate: once an
// operation fails the Iterator becomes invalid and Error (and Close) report
// the failure, so a loop `for ok := it.First(); ok; ok = it.Next()` need only
// check Error once, after the loop.
type Iterator interface {
	// First positions the iterator at the first key of its range and reports
	// whether there is one.
	First() bool
	// Next moves to the following key and reports whether there is one. On an
	// unpositioned iterator it behaves like First.
	Next() bool
	// Valid reports whether the iterator is positioned at a key.
	Valid() bool
	// Key returns the current key. It is valid until the next First, Next or
	// Close, and must not be modified.
	Key() []byte
	// Value returns the current value, under the same rules as Key.
	Value() []byte
	// Error returns the first error the iterator met, if any.
	Error() error
	// Close releases the iterator and returns Error. It must be called exactly
	// once, and no other method may be called after it.
	Close() error
}

// Stats is the size of one namespace, used for SHOW and memory accounting.
type Stats struct {
	// Keys is the number of live keys.
	Keys int64
	// Bytes is the sum of len(key)+len(value) over live keys, without any
	// per-key overhead of the backend.
	Bytes int64
}
