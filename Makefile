# Two commands matter on a fresh clone:
#   make run    set everything up and run the service on the embedded defaults (SQLite)
#   make test   run the whole test suite (the same checks CI runs)
# The `sentinel` command is then in .venv/bin: `. .venv/bin/activate` puts it on the PATH.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# what the service needs (no test tools); the demo's mail sink comes with it
EXTRAS ?= demo

.PHONY: setup setup-dev run demo admin test lint bench fuzz settings-reference clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

setup-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[$(EXTRAS),dev]'
	touch $(DEV_STAMP)

run: setup
	$(VENV)/bin/sentinel check
	$(VENV)/bin/sentinel db upgrade
	$(VENV)/bin/sentinel -v run

demo: setup
	$(VENV)/bin/sentinel demo --dir data/demo

# the first login of a new installation (asks for its password)
admin: setup
	$(VENV)/bin/sentinel users add $(or $(LOGIN),admin) --role admin

lint: setup-dev
	$(VENV)/bin/ruff check src tests bench fuzz migrations
	$(VENV)/bin/ruff format --check src tests bench fuzz migrations
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest -q -p no:cacheprovider
	$(PY) -m bench --quick --json $(VENV)/bench-quick.json

bench: setup-dev
	$(PY) -m bench --json bench-results.json

# Hostile input for MINUTES (10 by default) over the corpus in SENTINEL_CORPUS and the shipped
# configuration; what it finds is saved under fuzz/findings/.
MINUTES ?= 10
fuzz: setup
	$(PY) -m fuzz --minutes $(MINUTES)

# docs/settings.md from the configuration models (a test fails when it is stale)
settings-reference: setup
	$(PY) -m sentinel.config.reference > docs/settings.md

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache
