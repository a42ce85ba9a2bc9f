package planner

import (
	"strings"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner/catalog"
)

// StreamsqlCatalog is the schema of the engine's own system views: the
// figures SHOW and /metrics give, as relations a query can join, filter
// and aggregate (psql users need no browser). The engine computes their
// rows when a query scans them; pg_class does not list them, as
// PostgreSQL has no such schema.
const StreamsqlCatalog = "streamsql_catalog"

// streamsqlRels are streamsql_catalog's relations; sources, tables, views
// (the materialized ones) and sinks have SHOW's columns, metrics SHOW
// METRICS'.
var streamsqlRels = []struct {
	name string
	oid  uint64
	cols string
}{
	{"sources", 14001, "name s,connector s,rows l,late_rows l,watermark t,future_rows l,partitions i,idle_partitions i,bad_rows l,dlq_failures l,status s"},
	{"tables", 14002, "name s,rows l,late_rows l,watermark t,future_rows l"},
	{"views", 14003, "name s,rows l,late_rows l,state_keys l,state_bytes l,cached_groups l,emit s,expression_errors l,status s"},
	{"sinks", 14004, "name s,from s,topic s,records l,status s"},
	{"checkpoints", 14005, "checkpoints l,failures l,consecutive_failures l,last_at t,last_age_seconds d,last_bytes l,duration_seconds d"},
	{"metrics", 14006, "metric s,labels s,value d"},
	{"progress", 14007, "id l,statement s,relation s,phase s,rows_done l,rows_total l,started t,elapsed_seconds d"},
	{"subscriptions", 14008, "relation s,subscriptions l,pending_changes l,lag_seconds d"},
	{"sessions", 14009, "pid l,usename s,application_name s,backend_start t,state s,query s,query_start t,subscriptions l"},
}

var streamsqlCatalog = func() []*catalog.Relation {
	out := make([]*catalog.Relation, len(streamsqlRels))
	for i, s := range streamsqlRels {
		r := &catalog.Relation{ID: s.oid, Name: s.name, Schema: StreamsqlCatalog, Kind: parser.KindTable, EventTime: -1, AppendOnly: true}
		for _, c := range strings.Split(s.cols, ",") {
			name, t, _ := strings.Cut(c, " ")
			r.Columns = append(r.Columns, catalog.Column{Name: name, Type: sysTypes[t]})
		}
		out[i] = r
	}
	return out
}()

// StreamsqlRelations are streamsql_catalog's relations, for the engine
// that computes them.
func StreamsqlRelations() []*catalog.Relation { return streamsqlCatalog }

func streamsqlRelation(name string) (*catalog.Relation, bool) {
	for _, r := range streamsqlCatalog {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}
