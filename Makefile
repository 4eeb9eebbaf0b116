# Territoire — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/territoire
HOST ?= 127.0.0.1
PORT ?= 8000
export TERRITOIRE_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo serve install install-test test lint types unit postgres browser audit bench messages lock clean help

help:
	@echo "make demo   — install, migrate, load the demo territory, serve http://$(HOST):$(PORT)"
	@echo "make test   — lint, types, unit + API (SQLite), PostgreSQL, browser"
	@echo "make bench  — benchmarks, results in bench/results/"
	@echo "make audit  — known vulnerabilities of the locked dependencies (pip-audit; needs PyPI and OSV)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

install-test: install
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@test -f node_modules/axe-core/axe.min.js || npm ci --silent --no-audit --no-fund

demo: install
	$(BIN)/territoire migrate --verbosity 0
	$(BIN)/territoire demo --reset
	@echo "API token of the demo integration (Authorization: Bearer …):"
	@$(BIN)/territoire api create-token "Application de démonstration" --organisation 200099001 --write
	@$(MAKE) --no-print-directory serve

# Web, task worker and scheduler (Procfile), stopped together by Ctrl-C.
serve: install
	@echo "Serving on http://$(HOST):$(PORT): web, task worker and scheduler (Ctrl-C stops all three)"
	PATH="$(CURDIR)/$(BIN):$$PATH" TERRITOIRE_BIND=$(HOST):$(PORT) $(BIN)/honcho --no-colour -f Procfile start

lint: install-test
	$(BIN)/ruff check src tests bench conftest.py
	$(BIN)/ruff format --check src tests bench conftest.py

types: install-test
	$(BIN)/mypy

# Two workers (pytest-xdist): the machines have two cores. The PostgreSQL pass runs the
# tests that touch the database; pure ones (parsers, rules, solvers) ran in the SQLite pass.
unit: install-test
	$(BIN)/pytest -q -n 2 -m "not browser"

postgres: install-test
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n 2 -m "not browser" --db-only

browser: install-test
	$(BIN)/pytest -q -m browser

# unit and postgres collect tests/ too: rate limits, privacy crawl of the demo, Schemathesis
# against the OpenAPI document, import killed mid-write (SQLite, then PostgreSQL).
test: lint types unit postgres browser
	$(BIN)/territoire makemigrations --check --dry-run >/dev/null

# --strict: a dependency that cannot be looked up fails the audit instead of passing
# silently. Not part of `make test` while the build machine cannot reach the vulnerability
# services (pypi.org JSON API, api.osv.dev): a check that cannot run must not look green.
audit: install-test
	$(BIN)/pip-audit --strict --progress-spinner off -r requirements.lock

bench: install-test
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/restore.py
	$(BIN)/python bench/rounds.py
	$(BIN)/python bench/tally.py
	$(BIN)/python bench/open311.py
	$(BIN)/python bench/load.py --database both

messages: install
	cd src/territoire && ../../$(BIN)/territoire makemessages -l en --no-obsolete && ../../$(BIN)/territoire compilemessages -l en

lock: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache
