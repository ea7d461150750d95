# The README's two commands are `make demo` and `make test`; both create and reuse .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DOCASSETS_HOME ?= .docassets/dev
DEMO_HOME := .docassets/demo
DEMO_FILES := samples/dcolo-complaint-first-page.pdf samples/ca5-filing-00516242060.pdf \
	samples/tn-workers-comp-order-scan.pdf samples/cafc-header-only-text-layer.pdf \
	samples/tn-appeals-board-diaz-opinion.pdf

.PHONY: demo test test-fast lint lock dev doctor system-packages benchmarks reliability clean

# Every package at the version in constraints.txt (the lock; `make lock` refreshes it).
$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "docassets needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,bench,lint]"
	touch $(INSTALLED)

# Without $(INSTALLED): after a change to pyproject.toml the old lock may not install any more.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python scripts/lock.py

system-packages:
	@scripts/ensure-system-packages.sh

demo: $(INSTALLED) system-packages
	rm -rf $(DEMO_HOME)
	DOCASSETS_HOME=$(DEMO_HOME) DAGSTER_HOME=$(abspath $(DEMO_HOME))/dagster scripts/dagster-home.sh
	DOCASSETS_HOME=$(DEMO_HOME) DAGSTER_HOME=$(abspath $(DEMO_HOME))/dagster $(BIN)/docassets process --project demo $(DEMO_FILES)

# Spread over the cores (pytest-xdist): the slowest tests mostly wait on daemons and sensors.
# Each worker has its own PostgreSQL database, S3 server and temporary folders. PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= auto
test: $(INSTALLED) system-packages
	scripts/with-test-postgres.sh $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The pure core without the slow tests: no database, S3 or Dagster, about a minute of CPU.
test-fast: $(INSTALLED) system-packages
	$(BIN)/pytest -q -m "not slow" docassets_tests/core $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

dev: $(INSTALLED) system-packages
	DAGSTER_HOME=$(abspath $(DOCASSETS_HOME))/dagster scripts/dagster-home.sh
	DOCASSETS_HOME=$(DOCASSETS_HOME) DAGSTER_HOME=$(abspath $(DOCASSETS_HOME))/dagster \
		$(BIN)/dagster dev --host 127.0.0.1 --port 3000 -w workspace.yaml

doctor: $(INSTALLED)
	DOCASSETS_HOME=$(DOCASSETS_HOME) $(BIN)/docassets doctor

benchmarks: $(INSTALLED) system-packages
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .docassets .pytest_cache

# The README's reliability table: every bad input, fault and load case (~25 min; --quick: a smaller load case).
reliability: $(INSTALLED) system-packages
	$(BIN)/python benchmarks/reliability.py --write-readme
