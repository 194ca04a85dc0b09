# procflow: one command to set up, one to run, one to test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint bench

## setup: create .venv, install procflow with its dev tools, create/upgrade the embedded database
setup:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/procflow db upgrade

## run: the main job on the embedded default (SQLite file + embedded Redis under var/)
run:
	$(BIN)/procflow run

## test: the whole suite (embedded default; set DATABASE_URL/REDIS_URL to run it on PostgreSQL/Redis)
test:
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check .
	$(BIN)/mypy
