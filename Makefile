# rsme-kg: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help install build run report test lint format bench vendor clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with test extras

build: $(STAMP) ## Build the graph from data/ into dist/ (reasoner + SHACL gated)
	$(BIN)/rsme-kg build

run: build ## Set up, build the graph and serve it on http://127.0.0.1:8000
	$(BIN)/rsme-kg stats
	$(BIN)/rsme-kg serve --host 127.0.0.1 --port 8000

report: build ## Build, then write the analysis report (tables and pictures) into dist/report/
	$(BIN)/rsme-kg report

test: $(STAMP) ## Set up and run the whole test suite (one process per core)
	$(BIN)/pytest -n auto --dist loadfile --ignore=tests/test_fuzz_api.py
	# schemathesis names its items alike on this pytest, which xdist cannot share out: the
	# fuzz run (tests/test_fuzz_api.py) gets one process of its own
	$(BIN)/pytest -p no:xdist tests/test_fuzz_api.py

lint: $(STAMP) ## Lint, check formatting and types
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) ## Run the benchmarks (writes docs/benchmarks.md)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/sparql_bench.py
	$(BIN)/python bench/rest_bench.py
	$(BIN)/python bench/analysis_bench.py

vendor: $(STAMP) ## Refresh the vendored browser packages (api/vendor.py) from npm (needs Node; run needs none)
	$(BIN)/python -m api.vendor refresh
	$(BIN)/python -m api.vendor check

clean: ## Remove the build output and caches
	rm -rf dist dist.* .pytest_cache .ruff_cache .mypy_cache .rsme-kg-cache
