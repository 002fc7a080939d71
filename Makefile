GO        ?= go
PKGS      ?= ./...
BENCHTIME ?= 1s
FUZZTIME  ?= 20s

.PHONY: all build run test test-go services bench fuzz lint clean

all: build

build:
	$(GO) build -o bin/clearhouse ./cmd/clearhouse

# The main job.
run: build
	./bin/clearhouse edi inspect fixtures/x12/demo/837p-clean.x12
	./bin/clearhouse edi validate fixtures/x12/demo/837p-clean.x12
	@mkdir -p bin/demo
	./bin/clearhouse edi validate fixtures/x12/demo/837p-envelope-errors.x12 --999 bin/demo/837p-envelope-errors.999 --ta1 bin/demo/837p-envelope-errors.ta1; test $$? -eq 1
	./bin/clearhouse edi fmt bin/demo/837p-envelope-errors.999

# Every test, including those against PostgreSQL and SFTP servers.
test: services
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)

services:
	./scripts/test-services.sh

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

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin
