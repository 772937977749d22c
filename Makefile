# gridmarket: two set-up commands on a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DATE ?= 2020-07-15

.PHONY: install demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The demo market day on the embedded SQLite default, then the UI at http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/gridmarket demo --date $(DATE)

## Lint, type check and the whole test suite (SQLite and PostgreSQL).
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

## Both cores for the ordinary tests (a module stays on one worker); the system tests,
## which measure the served application under load, run after them on their own.
unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile -m "not system"
	$(BIN)/pytest -m system

## Benchmarks (long; not part of `make test`).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
