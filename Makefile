# Gatehouse. `make run` serves on the embedded SQLite default; `make test`
# runs every test (add GATEHOUSE_TEST_MYSQL_DSN to run them on MySQL too).
GO      ?= go
BIN     ?= bin/gatehouse
PKGS    := ./...

.PHONY: run build test testdeps lint cover fuzz bench clean

run:
	$(GO) run ./cmd/gatehouse serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/gatehouse

# The tests need zbarimg (Debian's zbar-tools) to read QR codes back. The
# browser tests of one package share a browser and take minutes on a busy
# machine: a package may run for 30 minutes, not go test's default 10.
test: testdeps
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

testdeps:
	@./scripts/testdeps.sh

# A bounded run of the code parser's fuzzer (the seed corpus is committed).
# The bound is a count of inputs (about 20 s here), not a duration: Go 1.26's
# fuzz coordinator can report its own -fuzztime deadline as a failure
# ("context deadline exceeded", no crasher; golang/go#75804, fixed in 1.27).
fuzz:
	$(GO) test -run '^FuzzParse$$' -fuzz '^FuzzParse$$' -fuzztime $${FUZZTIME:-1000000x} ./internal/passcode

# staticcheck and gocyclo are tools of go.mod (`go tool`): a fresh machine
# builds them on first use. No function outside tests may pass complexity 25.
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck $(PKGS)
	@out=$$($(GO) tool gocyclo -over 25 -ignore '_test' .); if [ -n "$$out" ]; then echo "too complex (over 25):"; echo "$$out"; exit 1; fi

# Statement coverage of the core: the domain, the access engine, codes,
# reports and the use cases, each by its own tests.
CORE := ./internal/gatehouse ./internal/access ./internal/passcode ./internal/report ./internal/service
cover:
	@out=$$($(GO) test -count=1 -cover $(CORE)) || { echo "$$out"; exit 1; }; \
	echo "$$out" | awk '/coverage:/ { for (i = 1; i <= NF; i++) { if ($$i ~ /\/internal\//) p = $$i; if ($$i == "coverage:") c = $$(i+1) } printf "%-30s %s\n", p, c }'

# Scan throughput and latency on SQLite and MariaDB against a bare gin
# handler, QR drawing, and search and report times and the district's
# supervision table of a month over 10 million entries.
# The first run makes the data sets (kept in bench/work); later runs reuse them.
bench:
	$(GO) run ./cmd/gatehouse-bench --work bench/work --out bench/results.md

clean:
	rm -rf bin
