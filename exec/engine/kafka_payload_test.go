package engine_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaPayloadColumn: a JSONB column METADATA FROM 'value' holds each
// record's whole value, whatever its shape, and a view reads fields of it
// that no column declares, beside a declared one.
func TestKafkaPayloadColumn(t *testing.T) {
	addr, cl := startKafka(t, "events")
	conn := connect(t, startServer(t))
	mustExec(t, conn, fmt.Sprintf(`CREATE SOURCE events (kind VARCHAR, payload JSONB METADATA FROM 'value')
		WITH (connector = 'kafka', brokers = '%s', topic = 'events', format = 'json')`, addr))
	mustExec(t, conn, `CREATE MATERIALIZED VIEW per_kind AS
		SELECT kind, count(*) AS n, sum((payload->>'amount')::bigint) AS amount,
		       count(*) FILTER (WHERE payload ? 'user') AS with_user, max(payload #>> '{user,name}') AS last_name
		FROM events GROUP BY kind`)
	// Views over a source see the records that come after them.
	mustExec(t, conn, "CREATE MATERIALIZED VIEW docs AS SELECT payload FROM events WHERE kind = 'view'")
	produce(t, cl,
		&kgo.Record{Topic: "events", Partition: 0, Value: []byte(`{"kind": "buy", "amount": 10, "user": {"name": "ann"}}`)},
		&kgo.Record{Topic: "events", Partition: 1, Value: []byte(`{"kind": "buy", "amount": 5}`)},
		&kgo.Record{Topic: "events", Partition: 2, Value: []byte(`{"kind": "view", "page": "/a", "user": {"name": "bob", "id": 7}}`)},
		&kgo.Record{Topic: "events", Partition: 3, Value: []byte(`{"kind": "buy", "amount": 1, "user": {"name": "cy"}, "tags": [1, 2]}`)},
		&kgo.Record{Topic: "events", Partition: 0, Value: []byte(`not json`)},
	)
	mustExec(t, conn, "FLUSH")
	got := textRows(t, conn, "SELECT * FROM per_kind ORDER BY kind")
	want := []string{"buy 3 16 2 cy", "view 1 NULL 1 bob"}
	if !slices.Equal(got, want) {
		t.Fatalf("per_kind: %q, want %q", got, want)
	}
	// The document is the record's value made canonical.
	if got := textRows(t, conn, "SELECT payload::text FROM docs"); !slices.Equal(got, []string{`{"kind": "view", "page": "/a", "user": {"id": 7, "name": "bob"}}`}) {
		t.Fatalf("docs: %q", got)
	}
}
