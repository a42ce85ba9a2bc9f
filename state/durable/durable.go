// Package durable holds the file-system step that makes a created or
// renamed file survive a crash, for the writers that use the OS directly
// (the memory backend's checkpoint file, the engine's insert log). The
// Pebble backend has its own over vfs.FS, which its fault-injection tests
// replace.
package durable

import "os"

// SyncDir makes the entries of dir durable: a file created or renamed in
// it is only there after a crash once the directory itself is synced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
