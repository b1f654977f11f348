PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := web/node_modules/.installed

.PHONY: install run migrate seed-demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
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

test: install  ## SQLite always; PostgreSQL at 127.0.0.1:5432 (a fresh database per run)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check invoiceflow tests migrations
	$(BIN)/ruff format --check invoiceflow tests migrations

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache invoiceflow.db*
