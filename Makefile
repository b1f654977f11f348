PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run migrate test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## migrate, ensure a demo team and key, serve on http://127.0.0.1:8000
	$(BIN)/invoiceflow migrate
	$(BIN)/invoiceflow demo
	$(BIN)/invoiceflow serve --host 127.0.0.1 --port 8000

migrate: $(STAMP)
	$(BIN)/invoiceflow migrate

test: $(STAMP)  ## SQLite always; PostgreSQL at 127.0.0.1:5432 (a fresh database per run)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check invoiceflow tests migrations
	$(BIN)/ruff format --check invoiceflow tests migrations
	$(BIN)/mypy invoiceflow

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache invoiceflow.db*
