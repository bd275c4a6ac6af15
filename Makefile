# Telementoring Network Registry — every set-up step lives here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
SCALE ?= 100k
DB ?= sqlite
PORT ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench clean translations browser screenshots

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-10s %s\n",$$1,$$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install the project with test extras

run: install ## Migrate the SQLite database, load the demo network if empty, serve on :5000
	$(BIN)/registry db upgrade
	$(BIN)/registry demo --if-empty
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

test: install browser ## Run the test suite (SQLite and, where reachable, PostgreSQL; the browser tests)
	$(BIN)/python -m pytest

CHROMIUM := /usr/bin/chromium
TRANSLATIONS := registry/http/web/translations

browser: ## Install Debian's Chromium for the browser tests, if missing (Playwright drives it)
	test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

translations: install ## Extract the dashboard's texts, merge them into the es/pt/fr catalogues, compile
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "Telementoring Network Registry" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

screenshots: install browser ## Picture each dashboard page (demo network, Chromium) for the README
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks.screenshots

lint: install ## ruff, mypy (strict), import contracts and Alembic drift check
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/registry db upgrade
	$(BIN)/alembic check

bench: install ## Benchmark against measured floors (SCALE=10k|100k|1m DB=sqlite|postgresql)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks --scale $(SCALE) --db $(DB)

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
