# Comptoir — the two commands: `make run` (platform with demo towns) and `make test` (whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000


.PHONY: run test test-fast install lock lint bench-provision bench-storefront bench-checkout bench-payout bench-load bench-routing worker beat clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The pinned dependencies (requirements/lock.txt, with their hashes) through uv, then the project.
LOCK := requirements/lock.txt

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	sh scripts/install.sh $(BIN)/python $(LOCK)
	touch $@

install: $(VENV)/.installed

# After changing the dependencies of pyproject.toml: resolves them (dev extras included) for every
# platform and Python 3.11+, keeping the other pins; `make lock LOCK_ARGS=--upgrade` moves them all.
lock: | $(BIN)/python
	$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet "uv>=0.5,<1"
	$(BIN)/python -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --quiet --output-file $(LOCK) $(LOCK_ARGS)

# Links in e-mails and pages name the port the demo is served on.
run: export PUBLIC_URL_PORT := $(or $(PUBLIC_URL_PORT),$(PORT))
run: install
	$(BIN)/python manage.py migrate_schemas --noinput -v 0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 0.0.0.0:$(PORT)

# Uses the machine's PostgreSQL and Redis when they answer (starting them if installed but
# stopped), else the embedded defaults (pgserver, eager Celery). Lint starts with the Chromium install
# (a download, the first time only) and goes on beside the suite, which runs on every core: pytest-xdist,
# one test database per worker (TEST_WORKERS=0 runs it in one process). The target fails with pytest's
# status when the tests fail (5 when none ran), else with lint's; lint's output is printed at the end.
TEST_WORKERS ?= auto
test: install
	sh scripts/browser.sh > $(VENV)/browser.log 2>&1 & browser=$$!; \
		$(MAKE) --no-print-directory lint > $(VENV)/lint.log 2>&1 & lint=$$!; \
		wait $$browser; browser_status=$$?; cat $(VENV)/browser.log; \
		if [ $$browser_status -ne 0 ]; then wait $$lint; cat $(VENV)/lint.log; exit $$browser_status; fi; \
		( PYTHON_FOR_PROBE=$(BIN)/python . scripts/services.sh && \
			$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS) ); tests=$$?; \
		wait $$lint; lint_status=$$?; echo "--- lint (run beside the tests)"; cat $(VENV)/lint.log; \
		if [ $$tests -ne 0 ]; then exit $$tests; fi; exit $$lint_status

# The loop while working: the same services, no lint, and neither the tests marked slow (a second or
# more each) nor the browser ones. The test database is kept from one run to the next (migrations
# still apply; PYTEST_ARGS=--create-db starts afresh). pytest's status is the target's: 5 when no test ran.
test-fast: install
	PYTHON_FOR_PROBE=$(BIN)/python . scripts/services.sh && $(BIN)/python -m pytest --reuse-db -m "not slow and not browser" $(PYTEST_ARGS)

# The apps mypy checks (pyproject.toml, [tool.mypy]); tests and bench are not checked yet.
TYPED_APPS := config tenants accounts townsite catalog delivery payments checkout settlement logistics onboarding demo

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(TYPED_APPS)


bench-provision: install
	$(BIN)/python bench/provision.py $(BENCH_ARGS)

bench-storefront: install
	$(BIN)/python bench/storefront.py $(BENCH_ARGS)

bench-checkout: install
	$(BIN)/python bench/checkout.py $(BENCH_ARGS)

bench-payout: install
	$(BIN)/python bench/payout.py $(BENCH_ARGS)

# The planning engine alone (no database): the public Solomon / Li & Lim instances found in
# $(ROUTING_BENCHMARKS) (default: shared/benchmarks/routing beside the repository), then generated town days.
# BENCH_ARGS=--quick runs 6 instances per set instead of 56 (the full run takes about 20 minutes).
bench-routing: install
	$(BIN)/python bench/routing.py $(BENCH_ARGS)

# Runs its own PostgreSQL and redis-server (never the machine's): restarts one, kills a worker.
bench-load: install
	$(BIN)/python bench/load.py $(BENCH_ARGS)

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO
