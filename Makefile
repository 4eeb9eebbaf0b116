# Territoire — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/territoire
HOST ?= 127.0.0.1
PORT ?= 8000
export TERRITOIRE_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo serve install install-test test lint types unit postgres browser bench messages lock clean help

help:
	@echo "make demo   — install, migrate, load the demo territory, serve http://$(HOST):$(PORT)"
	@echo "make test   — lint, types, unit + API (SQLite), PostgreSQL, browser"
	@echo "make bench  — benchmarks, results in bench/results/"

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
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C to stop)"
	$(BIN)/gunicorn territoire.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

serve: install
	$(BIN)/gunicorn territoire.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

lint: install-test
	$(BIN)/ruff check src tests bench conftest.py
	$(BIN)/ruff format --check src tests bench conftest.py

types: install-test
	$(BIN)/mypy

unit: install-test
	$(BIN)/pytest -q -m "not browser"

postgres: install-test
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m "not browser"

browser: install-test
	$(BIN)/pytest -q -m browser

test: lint types unit postgres browser
	$(BIN)/territoire makemigrations --check --dry-run >/dev/null

bench: install-test
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/dashboard.py

messages: install
	cd src/territoire && ../../$(BIN)/territoire makemessages -l en --no-obsolete && ../../$(BIN)/territoire compilemessages -l en

lock: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache
