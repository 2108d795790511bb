# kam — two commands do all the set-up on a fresh clone:
#   make run    install, fill the demo book (SQLite, ./kam.db) and chat in the console
#   make test   install with test dependencies, lint, and run the tests
#               (SQLite; set KAM_TEST_DATABASE_URL to run them on PostgreSQL)

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
AS     ?= alice

.PHONY: install run test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/kam demo
	$(VENV)/bin/kam console --as $(AS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -n auto

bench: install
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) *.egg-info kam.db kam.db-wal kam.db-shm
