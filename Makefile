# Two commands do all the set-up on a fresh machine:
#   make run   install, migrate, load the demo data when the database is empty, serve on :5000
#   make test  install everything the tests need, run the suite on SQLite and on PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(PY) -m flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?=

.PHONY: run run-university test test-sqlite test-pg install install-dev system-deps lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	bash scripts/pip_install.sh $(PIP) -q --upgrade pip || echo "pip not upgraded; going on with $$($(PIP) --version)"
	bash scripts/pip_install.sh $(PIP) -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	bash scripts/pip_install.sh $(PIP) -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(FLASK) kpi db-upgrade
	$(FLASK) kpi seed-demo --if-empty
	@echo "综合目标考核系统: http://$(HOST):$(PORT)  (Ctrl-C 结束)"
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) bash scripts/serve.sh

# The product at the size of a large university (250 units, 3,000 accounts, ten published past
# cycles) in its own folder, instance/university: built once (about a minute), then served.
UNIVERSITY := KPI_INSTANCE_PATH=$(CURDIR)/instance/university
run-university: install
	mkdir -p instance/university
	$(UNIVERSITY) $(FLASK) kpi db-upgrade
	$(UNIVERSITY) $(FLASK) kpi seed-university --if-empty
	@echo "大型高校规模的演示: http://$(HOST):$(PORT)  (Ctrl-C 结束)"
	$(UNIVERSITY) HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) bash scripts/serve.sh

# Debian packages the tests need: a PostgreSQL server and chromium for the browser tests.
system-deps:
	bash scripts/system_deps.sh

test: install-dev system-deps
	bash scripts/run_tests.sh

test-sqlite: install-dev
	$(PY) -m pytest -n 2

test-pg: install-dev system-deps
	bash scripts/with_postgres.sh $(PY) -m pytest -n 2

lint: install-dev
	$(VENV)/bin/ruff check .

bench: install-dev
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
