GO        ?= go
PKGS      ?= ./...
BENCHTIME ?= 1s
FUZZTIME  ?= 20s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build run test test-go services bench fuzz lint clean crash-test conformance loadtest hostile

all: build

build:
	$(GO) build -o bin/clearhouse ./cmd/clearhouse

# The main job: the demo (a generated practice, the payer simulator and two
# simulated nights of the pipeline) in a fresh directory, with a fixed seed.
run: build
	rm -rf bin/demo-run
	./bin/clearhouse demo --dir bin/demo-run --seed 20260914

# Every test, including those against PostgreSQL and SFTP servers.
test: services
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)

# The worker crash test at full size on PostgreSQL: 10,000 claims, two
# worker processes SIGKILLed together at random moments, inside the bulk
# stages (the same test runs with 2,000 claims on SQLite, one process, in
# make test).
crash-test: services
	CLEARHOUSE_CRASH_BACKEND=postgres CLEARHOUSE_CRASH_PROCESSES=2 CLEARHOUSE_CRASH_CLAIMS=10000 CLEARHOUSE_CRASH_KILLS=12 \
	  $(GO) test -count=1 -timeout 60m -run '^TestCrashSafety$$' -v ./worker/

services:
	./scripts/test-services.sh

# The hostile-input corpus (testdata/hostile) through every CLI reader,
# each case checked against its expected outcome, the inputs beyond the
# size caps made at run time, and the pipeline's intake of the files a
# payer sends. make test runs each case's own readers only.
hostile: services
	CLEARHOUSE_HOSTILE_ALL=1 $(GO) test -count=1 -timeout 30m -run '^TestHostile' -v ./cmd/clearhouse/cli/ ./worker/

# The pipeline at volume: LOADTEST_BASE (10,000) claims, then
# LOADTEST_CLAIMS (100,000) claims end to end on a fresh PostgreSQL database
# each (dropped and created again), seeding printed apart, one line per
# stage, the processes' peak RSS and the invariants asserted (make test
# runs 2,000 on SQLite and PostgreSQL), with two worker processes
# (LOADTEST_PROCESSES) of four workers each and LOADTEST_CLINICS clinics;
# last, the rate at LOADTEST_CLAIMS as a share of the rate at LOADTEST_BASE
# (LOADTEST_BASE= runs LOADTEST_CLAIMS alone). See scripts/loadtest.sh.
LOADTEST_CLAIMS    ?= 100000
LOADTEST_BASE      ?= 10000
LOADTEST_PROCESSES ?= 2
LOADTEST_CLINICS   ?= 1
LOADTEST_PG        ?= postgres://postgres@127.0.0.1:5432
LOADTEST_DB        ?= clearhouse_loadtest
loadtest: build services
	LOADTEST_CLAIMS="$(LOADTEST_CLAIMS)" LOADTEST_BASE="$(LOADTEST_BASE)" LOADTEST_PROCESSES="$(LOADTEST_PROCESSES)" \
	  LOADTEST_CLINICS="$(LOADTEST_CLINICS)" LOADTEST_PG="$(LOADTEST_PG)" LOADTEST_DB="$(LOADTEST_DB)" ./scripts/loadtest.sh

# Every X12 file Clearhouse writes (goldens, claims encode outputs, a demo
# run's files) through the independent validator ../shared/tools/x12-oracle/x12valid.
# Skipped without the validator or python3-defusedxml, except under CI=true.
conformance:
	./scripts/test-services.sh python
	GO="$(GO)" ./scripts/conformance.sh

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem $(PKGS)

# Each fuzz target for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg; \
	  done; \
	done

# gofmt, go vet and staticcheck. staticcheck is pinned to a release that
# supports the module's Go version and runs from the module proxy, so it
# needs no install step and every machine runs the same checks.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

clean:
	rm -rf bin
