PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := web/node_modules/.installed

.PHONY: install run migrate seed-demo test fuzz lint bench upgrade clean

# Every install comes from the lock: exact versions, each with its hashes (pip refuses any
# other file). The project itself goes on top, built with the locked setuptools.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# GraphiQL's scripts, from the npm registry (never committed, never from a CDN at run time).
$(WEB): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(WEB)

install: $(STAMP) $(WEB)

run: install  ## migrate, seed the demo team and print its key, serve on http://127.0.0.1:8000
	$(BIN)/invoiceflow migrate
	$(BIN)/invoiceflow seed-demo
	$(BIN)/invoiceflow serve --host 127.0.0.1 --port 8000

migrate: $(STAMP)
	$(BIN)/invoiceflow migrate

seed-demo: $(STAMP)
	$(BIN)/invoiceflow seed-demo

# Two workers (this machine has two cores), each test file on one of them, so that a file's
# seeded worlds are made once. Twice: with the fast paths, then without (invoiceflow/fast/).
# Without them, on SQLite (the first run covers both databases), every suite that goes
# through a request (every REST route and GraphQL field, the fuzzers included); not the
# files that never reach a fast path: the command line and the README's first run in
# subprocesses, migrations, the browser, the drawing of PDFs, the turns of admission and
# SQLite's writer, the job queue's workers and webhook deliveries, the bench's parity, the
# house's imports.
PYTEST := $(BIN)/pytest -q -n 2 --dist loadfile
NOT_THROUGH_FAST_PATHS := $(addprefix --ignore=tests/,test_first_run.py test_cli.py \
	test_migrations.py test_pdf.py test_admission.py test_concurrency.py test_bench_parity.py \
	test_house.py test_webhooks.py)
test: install  ## SQLite always; PostgreSQL at 127.0.0.1:5432 (a fresh database per run)
	$(PYTEST)
	INVOICEFLOW_FAST_PATHS=off INVOICEFLOW_TEST_BACKENDS=sqlite $(PYTEST) $(NOT_THROUGH_FAST_PATHS)

# The schemathesis runs of `make test` (REST: every operation, stateful sequences with alice and
# bob as peers, bob replaying team A's ids; GraphQL: every field), with many more examples.
FUZZ_EXAMPLES ?= 200
fuzz: install  ## a longer schemathesis run against REST and GraphQL (a few minutes)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/test_fuzz_rest.py tests/test_fuzz_rest_postgres.py tests/test_fuzz_graphql.py

lint: $(STAMP)
	$(BIN)/ruff check invoiceflow tests migrations bench
	$(BIN)/ruff format --check invoiceflow tests migrations bench
	$(BIN)/mypy invoiceflow

# Seeds a fresh database, checks that the product and bench/baseline.py answer alike, then loads
# both with wrk (installed from Debian's packages when missing). BENCH_ARGS=--postgres for
# PostgreSQL, --invoices N to scale; see bench/RESULTS.md.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# The lock files again from pyproject.toml, each package at its newest allowed release (the
# five pinned exactly there stay): commit both, after `make test` passes on them.
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --upgrade
upgrade: $(STAMP)  ## refresh requirements.lock and requirements-dev.lock
	$(LOCK) -o requirements.lock pyproject.toml
	$(LOCK) --extra dev -o requirements-dev.lock pyproject.toml
	rm -f $(STAMP)

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache invoiceflow.db*
