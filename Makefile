# Veelocity's everyday commands. `make help` lists them.

GO ?= go
# The PostgreSQL database the PostgreSQL test run uses; each test gets a
# schema of its own inside it and drops it afterwards.
VEELOCITY_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/veelocity/veelocity/internal/version.Version=$(VERSION)

.PHONY: help run test test-postgres chromium lint build clean screenshot bench bench-sync

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

run: ## serve the dashboard and API on http://127.0.0.1:8000
	$(GO) run ./cmd/veelocity serve

test: chromium ## run every test on the embedded SQLite database, with the race detector
	$(GO) test -race ./...

test-postgres: chromium ## run every test on PostgreSQL (VEELOCITY_TEST_DATABASE_URL)
	VEELOCITY_TEST_DATABASE_URL='$(VEELOCITY_TEST_DATABASE_URL)' $(GO) test -race ./...

chromium: ## make sure the browser test's headless Chromium is there (installs Debian's package)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Chromium is missing; installing Debian's chromium for the dashboard's browser test"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "The dashboard's browser test needs Chromium: install it (Debian: apt-get install chromium)" >&2; exit 1; \
	  fi; }

lint: ## go vet, gofmt and staticcheck
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) tool staticcheck ./...

screenshot: ## retake docs/screenshot.png with the browser test
	VEELOCITY_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(GO) test -count=1 -run TestDashboardInABrowser ./internal/web

build: ## build a static binary in bin/veelocity
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/veelocity ./cmd/veelocity

bench-sync: build ## time a first GitHub sync of 200 repos / 100,000 PRs from the fake, with latency, at SYNC_CONCURRENCY 1 and 4
	$(GO) run ./cmd/bench-sync -veelocity bin/veelocity $(BENCH_SYNC_FLAGS)

# The bench's size and options, e.g. make bench BENCH_FLAGS='--prs 100000'
# (veelocity-bench -h lists them). The PostgreSQL server is the test one.
BENCH_FLAGS ?=
BENCH_POSTGRES ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

bench: build ## load 1M demo PRs into SQLite and PostgreSQL, then time queries, derive, memory and load (BENCHMARKS.md)
	$(GO) run ./cmd/veelocity-bench --veelocity bin/veelocity --postgres '$(BENCH_POSTGRES)' $(BENCH_FLAGS)

clean: ## remove build output
	rm -rf bin
