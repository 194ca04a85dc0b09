# procflow: one command to set up, one to run, one to test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup lock run test lint bench translations

## setup: create .venv, install the pinned dependencies of requirements.lock (runtime and dev tools, hashes
## checked) and procflow itself, the web app's front-end libraries (npm, served from node_modules: no CDN) and
## compiled translations (web and engine), create/upgrade the embedded database
setup:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/pybabel compile -d web/translations
	$(BIN)/pybabel compile -d engine/translations
	$(BIN)/procflow db upgrade

## lock: pin every dependency of pyproject.toml (runtime + the dev extra, for every platform) with its hashes
## into requirements.lock; run it after changing the dependencies, then `make setup`. Pins already in the lock
## are kept while pyproject.toml allows them; `make lock LOCK_ARGS=--upgrade` moves them all to the newest
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
		--quiet $(LOCK_ARGS) -o requirements.lock

## translations: extract the web app's strings (_, _l) and the engine's messages (N_, docs/i18n.md) and merge
## them into web/translations/*/messages.po and engine/translations/vi/LC_MESSAGES/messages.po
translations:
	$(BIN)/pybabel extract -F web/babel.cfg -k _l --no-location --sort-output --project procflow \
		-o web/translations/messages.pot web
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching
	$(BIN)/pybabel extract -F engine/babel.cfg --no-default-keywords -k N_ --no-location --sort-output --no-wrap \
		--project procflow -o engine/translations/messages.pot engine
	$(BIN)/pybabel update -i engine/translations/messages.pot -d engine/translations --no-fuzzy-matching --no-wrap \
		--ignore-obsolete

## run: the main job on the embedded default (SQLite file + embedded Redis under var/)
run:
	$(BIN)/procflow run

## test: the whole suite (embedded default; set DATABASE_URL/REDIS_URL to run it on PostgreSQL/Redis)
test:
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
