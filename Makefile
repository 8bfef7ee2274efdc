# Two commands matter on a fresh clone:
#   make run    set everything up and run the service on the embedded defaults (SQLite)
#   make test   run the whole test suite (the same checks CI runs)

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run demo test lint bench fuzz clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: setup
	$(VENV)/bin/sentinel check
	$(VENV)/bin/sentinel db upgrade
	$(VENV)/bin/sentinel -v run

demo: setup
	$(VENV)/bin/sentinel demo --dir data/demo

lint: setup
	$(VENV)/bin/ruff check src tests bench fuzz migrations
	$(VENV)/bin/ruff format --check src tests bench fuzz migrations
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest -q -p no:cacheprovider
	$(PY) -m bench --quick --json $(VENV)/bench-quick.json

bench: setup
	$(PY) -m bench --json bench-results.json

# Hostile input for MINUTES (10 by default) over the corpus in SENTINEL_CORPUS and the shipped
# configuration; what it finds is saved under fuzz/findings/.
MINUTES ?= 10
fuzz: setup
	$(PY) -m fuzz --minutes $(MINUTES)

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache
