# Workforce integration programme tracker: day-to-day commands.
#
#   make run    set up .venv and a SQLite database, load the frameworks and the demo,
#               then serve http://127.0.0.1:8000/ with a Celery worker (and beat)
#   make test   the whole test suite (PYTEST_ARGS="-k something -x" to narrow it)
#
# Needs only Python 3.11+ and make. Set PYTHON to pick another interpreter.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=

.PHONY: venv run test lint mypy-baseline migrate seed clean bench-reminders dataset bench load \
	bench-exports bench-imports

# --- environment -----------------------------------------------------------------

# `venv` is a name for the stamp: pip runs again only when pyproject.toml is newer
# than the last successful install, so a repeated `make test` starts at once.
venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "error: $(PYTHON) must be Python 3.11 or newer" >&2; exit 1; }
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
		echo "creating $(VENV)"; \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV) || { \
			rm -rf $(VENV); \
			echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; \
			exit 1; }; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# --- running ---------------------------------------------------------------------

migrate: venv
	@mkdir -p var
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) load_framework
	$(MANAGE) seed_demo

# Prints the addresses, then runs the worker in the background and the server in
# the foreground; Ctrl-C stops both (scripts/run.sh).
run: seed
	@bash scripts/run.sh

# --- checks ----------------------------------------------------------------------

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff; mypy held to its ratchet (mypy-baseline.txt may only shrink); the layering
# contract of pyproject.toml (an upward import between apps fails).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/python scripts/mypy_ratchet.py
	$(BIN)/lint-imports

# Rewrite mypy-baseline.txt after fixing type errors (refuses to add new ones).
mypy-baseline: venv
	$(BIN)/python scripts/mypy_ratchet.py --update

# Benchmark of the daily reminder run against its SQL floor (docs/benchmarks.md).
# Needs PostgreSQL; empties the database it is given (its name must contain "bench").
#   make bench-reminders BENCH_ARGS="--sizes 10000,50000,100000 --profile"
# (No target-specific DATABASE_URL here: GNU make then drops the variable from the
# environment of every other target, and `make test` would quietly fall back to SQLite.)
BENCH_DATABASE_URL := postgres://postgres@127.0.0.1:5432/tracker_bench
bench-reminders: venv
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" $(BIN)/python -m benchmarks.reminders $(BENCH_ARGS)

# Generated data sets and the scale benchmark (docs/benchmarks.md). Need PostgreSQL;
# `make dataset` drops and recreates the database (its name must contain "bench").
#   make dataset SCALE=national     # about 21 s for 2.8 million rows
#   make bench                      # the table of the work users do most
#   make load                       # regional data set, gunicorn, 50 users for 60 s
SCALE ?= national
SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_scale_bench
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_load_bench
LOAD_PORT ?= 8089
LOAD_ARGS ?=

dataset: venv
	DATABASE_URL='$(SCALE_DATABASE_URL)' $(BIN)/python -m benchmarks.scale --prepare $(SCALE)

# `make bench` installs wrk from Debian's packages when it is missing (the HTTP rows);
#   make bench BENCH_ARGS="--only progress,submission --no-http --no-docs"
bench: venv
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi; }
	DATABASE_URL='$(SCALE_DATABASE_URL)' $(BIN)/python -m benchmarks.scale $(BENCH_ARGS)

load: venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[load]'
	DATABASE_URL='$(LOAD_DATABASE_URL)' $(BIN)/python -m benchmarks.load --port $(LOAD_PORT) $(LOAD_ARGS)

# Benchmark of the CSV and XLSX exports of the action list (docs/benchmarks.md).
# Works on a temporary SQLite file unless DATABASE_URL names a "bench" database.
#   make bench-exports BENCH_ARGS="--sizes 1000,10000,50000"
bench-exports: venv
	$(BIN)/python -m benchmarks.exports $(BENCH_ARGS)

# Benchmark of spreadsheet imports: rows per second for 1,000 and 5,000 rows, written
# into docs/benchmarks.md. A temporary SQLite file unless DATABASE_URL names a "bench"
# database.   make bench-imports BENCH_ARGS="--sizes 100,1000 --no-docs"
bench-imports: venv
	$(BIN)/python -m benchmarks.imports $(BENCH_ARGS)

# --- backups (the embedded SQLite database; PostgreSQL: pg_dump, see README) -------
#   make backup                                  writes var/backups/db-<UTC time>.sqlite3
#   make restore FILE=var/backups/db-....sqlite3 puts it back; keeps the current one first
# Both use SQLite's online backup API: the server and the worker keep running.
.PHONY: backup restore
backup: venv
	$(BIN)/python scripts/sqlite_backup.py backup

restore: venv
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/db-<time>.sqlite3" >&2; exit 2; }
	$(BIN)/python scripts/sqlite_backup.py restore "$(FILE)"

# --- housekeeping ----------------------------------------------------------------

clean:
	rm -rf var $(VENV)

# A PNG of each main page on the demo data, into docs/screenshots/ (needs Chromium:
# apt-get install chromium, or CHROMIUM_PATH). Uses a scratch SQLite database.
.PHONY: screenshots
screenshots: venv
	$(BIN)/python scripts/screenshots.py
