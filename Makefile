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

.PHONY: venv run test lint migrate seed clean bench-reminders

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

lint: venv
	$(BIN)/ruff check .

# Benchmark of the daily reminder run against its SQL floor (docs/benchmarks.md).
# Needs PostgreSQL; empties the database it is given (its name must contain "bench").
#   make bench-reminders BENCH_ARGS="--sizes 10000,50000,100000 --profile"
# (Not a target-specific `DATABASE_URL ?=`: with GNU make 4.3 that hides the environment's
# DATABASE_URL from every other target, so `make test` ran on SQLite.)
BENCH_DATABASE_URL = $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/tracker_bench)
bench-reminders: venv
	DATABASE_URL='$(BENCH_DATABASE_URL)' $(BIN)/python -m benchmarks.reminders $(BENCH_ARGS)

# --- housekeeping ----------------------------------------------------------------

clean:
	rm -rf var $(VENV)

# A PNG of each main page on the demo data, into docs/screenshots/ (needs Chromium:
# apt-get install chromium, or CHROMIUM_PATH). Uses a scratch SQLite database.
.PHONY: screenshots
screenshots: venv
	$(BIN)/python scripts/screenshots.py
