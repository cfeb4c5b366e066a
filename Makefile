# Two commands: `make run` (set up + run on SQLite with demo data) and `make test` (set up + every test,
# on SQLite then PostgreSQL). See README.md.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test test-sqlite test-postgres setup chromium postgres bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/trainer setup
	$(BIN)/trainer run --host $(HOST) --port $(PORT)

# Debian's chromium for the browser tests (never `playwright install`: it downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL is the production database: the suite always runs on it too, never skipped.
postgres:
	@bash scripts/ensure-postgres.sh "$(PG_URL)"

test-sqlite: $(STAMP) chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-postgres: $(STAMP) chromium postgres
	TRAINER_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest -q -p no:cacheprovider

test: test-sqlite test-postgres

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_province.py

clean:
	rm -rf $(VENV) instance
