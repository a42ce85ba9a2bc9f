# streamsql — `make run` starts the engine, `make test` runs every test.
GO          ?= go
BIN         := bin/streamsql
LISTEN      ?= 127.0.0.1:4566
DATA_DIR    ?= ./streamsql-data
STATE       ?= pebble
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Packages that run goroutines: tested again under the race detector.
RACE_PKGS   := ./wire/... ./exec/... ./state/... ./connectors/...

.PHONY: all build run test vet staticcheck unit race slt clean dev-kafka bench bench-metrics fuzz-exprs

all: build

build:
	$(GO) build -o $(BIN) ./cmd/streamsql

run: build
	./$(BIN) serve --listen $(LISTEN) --data-dir $(DATA_DIR) --state $(STATE)

# An in-memory Kafka broker on 127.0.0.1:9092, for development only; it
# creates the README's topics, and any other on first use.
KAFKA_TOPICS ?= visits,visits_bad,visits_out
dev-kafka: build
	./$(BIN) dev-kafka --port 9092 --topics $(KAFKA_TOPICS)

test: vet staticcheck unit race slt

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

# The bench queries on both backends, as fast as possible; rewrites the
# table in BENCHMARKS.md. The views that keep a row or more per event
# (hopbidderupd: ten) run UPD_EVENTS events, the Kafka ones KAFKA_EVENTS
# (the broker holds them all in memory); the events column says which
# count a row used.
EVENTS       ?= 10000000
UPD_EVENTS   ?= 1000000
KAFKA_EVENTS ?= 2000000
bench: build
	bin/streamsql bench --state all --events $(EVENTS) --update BENCHMARKS.md \
	  --events-for hopbidderupd=$(UPD_EVENTS),manykeys=$(UPD_EVENTS),kafkakeys=$(KAFKA_EVENTS),kafkakeysupd=$(KAFKA_EVENTS)

unit:
	$(GO) test -count=1 ./...

race:
	$(GO) test -race -count=1 $(RACE_PKGS)

# The .slt suites once more through the CLI a user runs.
slt: build
	./$(BIN) test testdata/sql

# The expression oracle (exec/engine/exprs_oracle_test.go) over many more
# cases than make test's 12,000; EXPRS_SEED picks another set.
EXPRS_N    ?= 400000
EXPRS_SEED ?= 18
fuzz-exprs:
	$(GO) test -count=1 -run TestExprOracle ./exec/engine -exprs.n $(EXPRS_N) -exprs.seed $(EXPRS_SEED) -timeout 60m

# What metrics cost the queries: the same bench queries alternately through
# a binary with the per-operator probes and a /metrics scrape every second
# (metrics on) and one built with -tags noprobes and no scrape (metrics
# off), METRICS_ROUNDS rounds; compare the events/s per core columns.
METRICS_QUERIES ?= q1,q5agg,q7upd
METRICS_EVENTS  ?= 5000000
METRICS_ROUNDS  ?= 5
bench-metrics: build
	$(GO) build -tags noprobes -o bin/streamsql-noprobes ./cmd/streamsql
	for i in $$(seq $(METRICS_ROUNDS)); do \
	  echo "round $$i: metrics on"; bin/streamsql bench --query $(METRICS_QUERIES) --state memory --events $(METRICS_EVENTS) --scrape 1s | grep '^| q'; \
	  echo "round $$i: metrics off"; bin/streamsql-noprobes bench --query $(METRICS_QUERIES) --state memory --events $(METRICS_EVENTS) | grep '^| q'; \
	done

clean:
	rm -rf bin
