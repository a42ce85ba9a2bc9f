package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestReadmeSession runs the README's psql session with the real psql, as
// a new user would, and checks the rows the README shows. It keeps the
// README true: a statement that stops working fails here.
func TestReadmeSession(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql not found: apt-get install postgresql-client")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sql strings.Builder
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		sql.WriteString(m[1])
	}
	if sql.Len() == 0 {
		t.Fatal("no ```sql blocks in README.md")
	}
	// The Files section's input, in the data directory its paths resolve against.
	dataDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dataDir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	bid := `{"auction": 7, "price": 2500, "ts": "2024-01-01 10:00:01"}` + "\n" + `{"auction": 8, "price": 5, "ts": "2024-01-01 10:00:02"}` + "\n"
	if err := os.WriteFile(filepath.Join(dataDir, "in", "bids-1.jsonl"), []byte(bid), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := startEngineWith(t, engine.Options{Dir: dataDir})
	// The Kafka section's broker, with the record its kcat line produces.
	kafkaAddr, cl := startKafka(t, "visits", "visits_bad", "visits_out")
	produce(t, cl, &kgo.Record{Topic: "visits", Key: []byte("u1"), Value: []byte(`{"user": 1, "url": "/a", "ts": "2024-01-01 10:00:01"}`)})
	script := strings.ReplaceAll(sql.String(), "127.0.0.1:9092", kafkaAddr)
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(psql, "-h", host, "-p", port, "-U", "streamsql", "-X", "-v", "ON_ERROR_STOP=1", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		" 2024-01-01 10:00:00 | 2024-01-01 10:01:00 |       1 | 2 | 2024-01-01 10:00:30",
		" 2024-01-01 10:00:00 | 2024-01-01 10:01:00 |       2 | 1 | 2024-01-01 10:00:31",
		" 2024-01-01 10:01:00 | 2024-01-01 10:02:00 |       1 | 1 | 2024-01-01 10:01:05",
		"DROP SOURCE",
		" 2024-01-01 10:00:00 | 2024-01-01 10:01:00 |    1 | 1",
		"CREATE SINK",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("psql output lacks %q:\n%s", want, out)
		}
	}
	if got, err := os.ReadFile(filepath.Join(dataDir, "out", "big.jsonl")); err != nil || string(got) != `{"auction":7,"price":2500,"ts":"2024-01-01 10:00:01"}`+"\n" {
		t.Errorf("the Files section's sink file: %q, %v", got, err)
	}
}
