# streamsql — `make run` starts the engine, `make test` runs every test.
GO          ?= go
BIN         := bin/streamsql
LISTEN      ?= 127.0.0.1:4566
DATA_DIR    ?= ./streamsql-data
STATE       ?= pebble
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Packages that run goroutines: tested again under the race detector.
RACE_PKGS   := ./wire/... ./exec/... ./state/... ./connectors/...

.PHONY: all build run test vet staticcheck unit race slt clean dev-kafka bench fuzz-exprs

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

clean:
	rm -rf bin
