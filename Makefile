# Two commands: `make run` (set up + run on SQLite with demo data) and `make test` (set up + every test,
# on SQLite then PostgreSQL). See README.md.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/0
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test test-sqlite test-postgres setup install chromium postgres redis bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# A server: the app and what it needs to run, without the test tools (docs/deploy.md).
install:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e .

# The demo, on the development settings (a random secret key kept in instance/secret_key), with
# Redis and a background worker beside the server: the large Excel exports are jobs (docs/jobs.md).
# The worker stops with the server (Ctrl-C).
DEV_ENV := TRAINER_ENV=development TRAINER_REDIS_URL="$(REDIS_URL)" TRAINER_REDIS_PREFIX=trainer-demo
run: $(STAMP) redis
	$(DEV_ENV) $(BIN)/trainer setup --demo
	@bash -c 'trap "kill 0" EXIT; $(DEV_ENV) $(BIN)/trainer worker & \
		$(DEV_ENV) $(BIN)/trainer run --host $(HOST) --port $(PORT)'

# Debian's chromium for the browser tests (never `playwright install`: it downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL is the production database: the suite always runs on it too, never skipped.
postgres:
	@bash scripts/ensure-postgres.sh "$(PG_URL)"

# Redis is the shared store (rate limits, caches): the suite uses it for real, never skips it.
redis:
	@bash scripts/ensure-redis.sh "$(REDIS_URL)"

# One worker per core (pytest-xdist), each test file whole on one worker (its module fixtures);
# each worker has its own database and Redis prefix (tests/conftest.py). The API fuzzing runs
# apart: schemathesis gives all its cases one node id, which the workers cannot share out.
WORKERS ?= auto
PYTEST  := $(BIN)/python -m pytest -q -p no:cacheprovider
test-sqlite: $(STAMP) chromium redis
	TRAINER_TEST_REDIS_URL="$(REDIS_URL)" $(PYTEST) -n $(WORKERS) --dist loadfile -m "not fuzz"
	TRAINER_TEST_REDIS_URL="$(REDIS_URL)" $(PYTEST) -m fuzz

test-postgres: $(STAMP) chromium postgres redis
	TRAINER_TEST_REDIS_URL="$(REDIS_URL)" TRAINER_TEST_DATABASE_URL="$(PG_URL)" \
		$(PYTEST) -n $(WORKERS) --dist loadfile -m "not fuzz"
	TRAINER_TEST_REDIS_URL="$(REDIS_URL)" TRAINER_TEST_DATABASE_URL="$(PG_URL)" $(PYTEST) -m fuzz

test: test-sqlite test-postgres

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_province.py --officials 10000 --json
	$(BIN)/python benchmarks/bench_paths.py --officials 10000
	$(BIN)/python benchmarks/bench_web.py --officials 10000 --json
	$(BIN)/python benchmarks/bench_serve.py
	$(BIN)/python benchmarks/bench_xapi.py --databases postgresql,sqlite --json

clean:
	rm -rf $(VENV) instance
