# The commands the README names. With DATABASE_URL unset, everything uses the private
# PostgreSQL cluster of this checkout (deploy/local-cluster.sh), created on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8080
SWIFT_BUILD_FLAGS ?=

.PHONY: help build run stop test test-tools test-contract test-faults bench db-url fmt

help:
	@echo "make run    start the API on http://$(HOST):$(PORT) (embedded PostgreSQL unless DATABASE_URL is set)"
	@echo "make test   build and run every test against a real PostgreSQL"
	@echo "make stop   stop the embedded PostgreSQL of this checkout"
	@echo "make test-faults   fuzzing, concurrent writers, crash and outage tests"
	@echo "make bench  release build; speed and scaling against pgbench and COPY (bench/results.json)"

build:
	swift build $(SWIFT_BUILD_FLAGS) --product dialogue-admin

run: build
	@if [[ -z "$$DATABASE_URL" ]]; then deploy/local-cluster.sh ensure >/dev/null; fi
	"$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/dialogue-admin" serve --host $(HOST) --port $(PORT) --bootstrap-admin

stop:
	deploy/local-cluster.sh stop

# Tests always use a loopback PostgreSQL: the embedded cluster, or DIALOGUE_TEST_DATABASE_URL.
test: test-tools
	@python3 scripts/check-unwraps.py
	@if [[ -z "$$DIALOGUE_TEST_DATABASE_URL" ]]; then \
		deploy/local-cluster.sh ensure >/dev/null && export DIALOGUE_TEST_DATABASE_URL="$$(deploy/local-cluster.sh url)"; fi; \
	swift build --build-tests $(SWIFT_BUILD_FLAGS) && \
	swift test --skip-build $(SWIFT_BUILD_FLAGS) && \
	$(MAKE) --no-print-directory test-contract && \
	python3 scripts/check-portal.py && \
	python3 scripts/check-console.py && \
	python3 scripts/check-documents.py && \
	python3 scripts/check-dossiers.py && \
	python3 scripts/check-notifications.py && \
	python3 scripts/check-report.py && \
	scripts/check-deploy.sh

# Independent checkers the tests call: an OpenAPI 3.1 validator, an iCalendar parser,
# Playwright with axe-core for the portal in Debian's chromium (apt-get install chromium), and
# aiosmtpd as the mail relay (with a certificate openssl makes), followthemoney to validate the
# dossiers' FollowTheMoney export.
test-tools:
	@python3 -c 'import openapi_spec_validator, icalendar, yaml, playwright, axe_playwright_python, aiosmtpd, followthemoney' 2>/dev/null || \
		python3 -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7' 'icalendar>=5' pyyaml \
			playwright axe-playwright-python 'aiosmtpd>=1.4' followthemoney
	@command -v openssl >/dev/null || { echo "make test makes a certificate for its mail relay: apt-get install openssl" >&2; exit 1; }
	@test -x /usr/bin/chromium || { echo "make test drives the portal in Chromium: apt-get install chromium" >&2; exit 1; }
	@command -v pdfinfo >/dev/null || { echo "make test counts the report's printed pages: apt-get install poppler-utils" >&2; exit 1; }

# The served /openapi.json is checked by an independent OpenAPI 3.1 validator.
test-contract:
	@scripts/check-openapi.sh

# Fault tests (SECURITY.md 10-15), each on throwaway databases or a private cluster:
# schemathesis over the contract, two instances racing with If-Match, kill -9 and PostgreSQL
# crashes mid-load, a database outage. .ci/run runs them too.
test-faults: build
	@scripts/fuzz.sh
	@scripts/outage.sh
	@python3 scripts/faults.py

# Benchmarks print figures and ratios against PostgreSQL's own ceiling measured in the same
# run; they never fail on a time. wrk comes from Debian's packages.
bench:
	swift build -c release --product dialogue-admin
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	@deploy/local-cluster.sh ensure >/dev/null
	python3 scripts/bench.py "$$(swift build -c release --show-bin-path)/dialogue-admin"

db-url:
	@deploy/local-cluster.sh ensure

fmt:
	@command -v swift-format >/dev/null && swift-format format --in-place --recursive Sources Tests || echo "swift-format not installed"
