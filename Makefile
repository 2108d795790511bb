# kam — two commands do all the set-up on a fresh clone:
#   make run    install, fill the demo book (SQLite, ./kam.db) and chat in the console
#               as alice; `make run KAM_AS=wang` chats as 王磊 (not AS=…: make predefines
#               AS, the assembler).  Piped input works: printf '/account Acme\n' | make run
#   make test   install with test dependencies, lint, and run the tests
#               (SQLite; set KAM_TEST_DATABASE_URL to run them on PostgreSQL)

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
KAM_AS ?= alice
INSTALL_LOG = $(VENV)/install.log

.PHONY: install run test lint bench clean

# pip's output goes to $(INSTALL_LOG); it is shown only when the install fails.
$(VENV)/.installed: pyproject.toml
	@echo "installing kam into $(VENV) (log: $(INSTALL_LOG)) ..." >&2
	@$(PYTHON) -m venv $(VENV)
	@{ $(PY) -m pip install --upgrade pip && $(PY) -m pip install -e '.[test]'; } \
		>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG) >&2; \
		echo "make: installing kam failed; the log above is in $(INSTALL_LOG)" >&2; exit 1; }
	@touch $@

install: $(VENV)/.installed

run: install
	@$(VENV)/bin/kam demo
	@$(VENV)/bin/kam console --as '$(KAM_AS)'

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest -n auto

bench: install
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) *.egg-info kam.db kam.db-wal kam.db-shm
