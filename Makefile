# Innovation Hub Front Door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000

.DEFAULT_GOAL := help

.PHONY: help install run test test-dates lint migrations-check bench clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

static/vendor/nhsuk/VERSION: node_modules/.installed static/build.mjs
	npm run --silent build

install: $(VENV)/.installed static/vendor/nhsuk/VERSION ## Create the venv, install Python and npm packages, build the NHS.UK assets

# The embedded default: SQLite, a filesystem broker and emails written to var/mail.
run: export DEBUG ?= 1
run: export CELERY_CONCURRENCY ?= 1
run: export PORT := $(PORT)
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install ## Migrate, load demo data and start web, worker and beat (embedded default)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@# The banner is printed last, by the Procfile's banner process once the others have started, so it
	@# is not lost above the worker's start-up output.
	@mkdir -p var
	@printf '%s\n' "" \
	  "  Innovation Hub Front Door: http://127.0.0.1:$(PORT)/  (another port: make run PORT=8001)" \
	  "  Submitters sign in with an emailed link; emails are written to var/mail/ (newest last)." \
	  "  Hub staff sign in at /staff/sign-in/ with password demo-password-change-me, then a code:" \
	  "    leads lead.bdc@, lead.cap@, lead.dorset@, lead.manchester@example.nhs.uk" \
	  "    administrator admin@example.nhs.uk (Django admin at /admin/)" \
	  "    the code: DEBUG=1 $(PY) manage.py demo_code lead.dorset@example.nhs.uk" \
	  "  Partner contacts sign in at /partner/sign-in/ by emailed link, e.g. ig.team@dorset.icb.example.nhs.uk" \
	  "  More inquiries: DEBUG=1 $(PY) manage.py seed_demo --inquiries 2000 (--hubs N: over N hubs)" \
	  "" > var/banner.txt
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

# The unit tests on both cores (each pytest-xdist worker has its own test database), then the browser and
# integration tests one at a time: they share ports, Redis database 15 and the real servers they start.
# pytest's exit status 5 ("no tests collected") is not a failure when PYTEST_ARGS names a few tests.
test: install ## Run the whole test suite (PostgreSQL when DATABASE_URL is set, else SQLite)
	@$(PY) -m pytest -n 2 -m "not browser and not integration" $(PYTEST_ARGS); status=$$?; \
	 if [ $$status -ne 0 ] && [ $$status -ne 5 ]; then exit $$status; fi; \
	 $(PY) -m pytest -m "browser or integration" $(PYTEST_ARGS); status=$$?; \
	 if [ $$status -ne 0 ] && [ $$status -ne 5 ]; then exit $$status; fi

# The dates that broke suites before: the Friday before the clocks go back, Christmas Eve, 29 February,
# and the hour when UTC (23:30 on the 30th) and London (00:30 on the 1st) disagree on the date.
TEST_DATES ?= 2026-10-23T16:00:00+01:00 2026-12-24T12:00:00+00:00 2028-02-29T12:00:00+00:00 2027-06-30T23:30:00+00:00
test-dates: install ## Run the unit tests with the clock travelled to each of TEST_DATES (SQLite)
	@for when in $(TEST_DATES); do \
		echo "== unit tests on $$when"; \
		env -u DATABASE_URL TEST_NOW=$$when $(PY) -m pytest -q -p no:cacheprovider -n 2 -m "not browser and not integration" || exit 1; \
	done

# Typed first: the modules every other piece leans on (services, selectors, permissions, the outbox,
# the link flow, the access table). Add a module here once it type-checks.
TYPED := hubportal/services.py hubportal/selectors.py hubportal/permissions.py hubportal/outbox.py \
	hubportal/links.py hubportal/access.py hubportal/auth.py hubportal/webhooks.py hubportal/api_tokens.py \
	intake/services.py intake/selectors.py intake/access_log.py partners/services.py partners/selectors.py \
	partners/permissions.py signposting/services.py signposting/selectors.py signposting/permissions.py \
	signposting/lifecycle.py review/services.py review/selectors.py adoption/report.py intake/rollups.py \
	hubportal/db_router.py hubportal/storage.py hubportal/paging.py hubportal/sqlcache.py hubportal/jinja.py intake/search.py

lint: install ## Ruff, and mypy (with django-stubs) on the typed modules
	$(BIN)/ruff check .
	DEBUG=1 $(BIN)/mypy $(TYPED)

migrations-check: install ## Fail when a model change has no migration
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# e.g. make bench BENCH_ARGS="--inquiries 1000000 --hubs 4 --http" (manage.py bench --help lists them all)
BENCH_ARGS ?=
bench: export DEBUG ?= 1
bench: install ## Print performance figures (see docs/benchmarks.md); options in BENCH_ARGS
	$(PY) manage.py bench $(BENCH_ARGS)

clean: ## Remove the venv, node modules, built assets and local data
	rm -rf $(VENV) node_modules static/vendor staticfiles var
