# wirewatch — one command surface for people and CI. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= examples/wirewatch.yml
TESTS ?=

.DEFAULT_GOAL := help

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

.PHONY: install
install: $(BIN)/python ## Install wirewatch into .venv
	$(BIN)/pip install -q -e .

.PHONY: install-dev
install-dev: $(BIN)/python ## Install wirewatch with test and lint tools into .venv
	$(BIN)/pip install -q -e '.[dev]'

.PHONY: run
run: install ## Run the bundled examples once (embedded Redis, no network) and show the events
	$(BIN)/wirewatch run --once -c $(CONFIG)

.PHONY: test
test: install-dev ## Run the test suite (real Redis and Celery workers; needs ../shared/corpus); TESTS=path: some of it
	$(BIN)/pytest $(TESTS)

.PHONY: faults
faults: install-dev ## Run the fault-injection suite alone (worker kill -9, SIGTERM, …)
	$(BIN)/pytest tests/faults -v

.PHONY: lint
lint: install-dev ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy wirewatch worker producers schemas

.PHONY: schemas
schemas: install ## Regenerate schemas/json from the pydantic models
	$(BIN)/python -m schemas.generate

.PHONY: bench
bench: install-dev ## Run the benchmarks and write BENCHMARKS.md
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python -m bench

.PHONY: clean
clean: ## Remove the venv, caches and the example data folder
	rm -rf $(VENV) .wirewatch .pytest_cache .ruff_cache .mypy_cache .hypothesis

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
