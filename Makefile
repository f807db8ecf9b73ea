# Peyvand — the README's two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo serve test lint test-sqlite test-postgres test-e2e bench messages openapi clean venv venv-dev

## Run Peyvand with demo data on SQLite (PEYVAND_PORT, PEYVAND_DATA_DIR honoured).
demo: venv messages
	$(VENV)/bin/peyvand demo

## Everything the tests need, then lint, the suite on SQLite, on PostgreSQL, and the browser tests.
test: venv-dev messages lint test-sqlite test-postgres test-e2e

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Peyvand needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(UV): requirements/bootstrap.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements/bootstrap.txt
	@touch $(UV)

# The `peyvand` command runs the code in this clone (no build step, no package build dependencies).
$(VENV)/bin/peyvand: | $(PY)
	$(PY) -c 'import site, pathlib; pathlib.Path(site.getsitepackages()[0], "peyvand-clone.pth").write_text("$(CURDIR)\n")'
	printf '#!/bin/sh\nexec "$$(dirname "$$0")/python" -m peyvand.cli "$$@"\n' > $@
	chmod +x $@

$(VENV)/.base: requirements/base.txt | $(UV)
	$(UV) pip install -q --python $(PY) --require-hashes -r requirements/base.txt
	@touch $@

$(VENV)/.dev: requirements/base.txt requirements/dev.txt | $(UV)
	$(UV) pip install -q --python $(PY) --require-hashes -r requirements/base.txt -r requirements/dev.txt
	@touch $@ $(VENV)/.base

venv: $(VENV)/.base $(VENV)/bin/peyvand
venv-dev: $(VENV)/.dev $(VENV)/bin/peyvand

## Compile translations (.po → .mo) with Babel.
messages: venv
	$(PY) scripts/compile_messages.py

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check peyvand tests benchmarks scripts
	$(VENV)/bin/mypy peyvand
	$(PY) scripts/compile_messages.py --check
	PEYVAND_DATA_DIR=$$(mktemp -d) $(PY) manage.py makemigrations --check --dry-run >/dev/null

test-sqlite: venv-dev messages
	PEYVAND_EXPECT_DB=sqlite $(VENV)/bin/pytest -q

test-postgres: venv-dev messages
	PEYVAND_EXPECT_DB=postgresql bash scripts/with-postgres.sh $(VENV)/bin/pytest -q

test-e2e: venv-dev messages
	bash scripts/ensure-browser.sh
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -q tests/e2e
	DJANGO_ALLOW_ASYNC_UNSAFE=true bash scripts/with-postgres.sh $(VENV)/bin/pytest -q tests/e2e

## Throughput/latency of the API with `peyvand serve` on SQLite and PostgreSQL.
bench: venv-dev
	$(PY) benchmarks/api_bench.py

openapi: venv-dev
	$(PY) scripts/export_openapi.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
