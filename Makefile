# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install assets browser run test test-deep bench lint format clean

install: $(STAMP) assets

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $@

assets: $(STAMP)
	$(BIN)/python -m devtools.assets

# Debian's Chromium for the browser tests (Playwright drives it; it downloads nothing).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Chromium (Debian/Ubuntu: sudo apt-get install chromium) for the browser tests"; exit 1; fi; }

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/honcho start -f Procfile.dev

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Long property runs by hand: many more examples of the rules model, with fresh seeds.
test-deep: install browser
	RULES_DEEP=1 RULES_EXAMPLES=$${RULES_EXAMPLES:-500} RULES_STEPS=$${RULES_STEPS:-40} \
	  $(BIN)/python -m pytest tests/model $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
