package engine

import "github.com/streamsql/streamsql/parser"

// checkText refuses what PostgreSQL's UTF8 text cannot hold (22021): see
// parser.CheckText, which E'...' strings also pass through.
func checkText(s string) error { return parser.CheckText(s) }
