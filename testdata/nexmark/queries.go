// Package nexmarkq embeds the Nexmark queries of this directory (bid.sql
// and one file a query), so that `streamsql bench` finds them wherever it
// runs; the files stay here, where the tests and the README name them.
package nexmarkq

import "embed"

// FS holds bid.sql and the query files.
//
//go:embed *.sql
var FS embed.FS
