# remission: two commands.
#   make demo   set up a virtual environment, install, run the demo on SQLite, say where the output is
#   make test   set up everything the tests need (PostgreSQL from Debian's packages) and run them all

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out/demo

.PHONY: demo test lint typecheck bench system-deps clean help

help:
	@echo "make demo   - install into $(VENV) and run the demo (SQLite), writing to $(OUT)"
	@echo "make test   - install test dependencies (incl. PostgreSQL) and run the whole suite"
	@echo "make lint   - ruff; make typecheck - mypy; make bench - benchmarks"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "remission needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

system-deps:
	@bash scripts/ensure-system-deps.sh

demo: $(STAMP)
	$(BIN)/remission demo --out $(OUT)

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/remission
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src/remission

bench: $(STAMP)
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/store_bench.py
	$(BIN)/python benchmarks/fhir_bench.py --n 200
	$(BIN)/python benchmarks/interop_bench.py --n 1000
	$(BIN)/python benchmarks/table_import_bench.py --copies 100
	$(BIN)/python benchmarks/web_bench.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
