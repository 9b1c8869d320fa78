# gridapp — the two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export GRIDAPP_PGDIR ?= /var/tmp/gridapp-pg
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test stop install translations db demo clean help vendor bench lock flask

help:
	@echo "make run   - install, provision PostGIS (unless DATABASE_URL is set), migrate, load the demo, serve on http://$(HOST):$(PORT) with the job worker beside it"
	@echo "make test  - install, provision a throwaway PostGIS cluster, run the whole test suite"
	@echo "make stop  - stop the private PostgreSQL cluster of make run"
	@echo "make flask ARGS=\"gridapp remind\" - any flask command on the database of make run"
	@echo "make lock  - re-resolve requirements.lock (every installed package pinned) after changing pyproject.toml"
	@echo "make bench - city-scale benchmarks on a private cluster (10,000 grids, 1M incidents; < 30 min); rewrites BENCHMARKS.md"

$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed translations

translations: $(BIN)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d gridapp/translations -D messages >/dev/null

run: install
	url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url=$$($(BIN)/python -m gridapp.provision start); fi; \
	export DATABASE_URL="$$url"; \
	$(FLASK) db upgrade; \
	$(FLASK) gridapp load-demo; \
	echo "gridapp: http://$(HOST):$(PORT)/  (stop the database with: make stop)"; \
	$(FLASK) gridapp worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check gridapp tests bench
	$(BIN)/python -m gridapp.provision ensure-chromium >/dev/null
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install   # BENCH_ARGS="--grids 1000 --incidents 50000" for a quick run
	nice -n 10 $(BIN)/python bench/run.py $(BENCH_ARGS)

flask: install   # any flask command on make run's database, e.g. make flask ARGS="gridapp remind"
	url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url=$$($(BIN)/python -m gridapp.provision start); fi; \
	DATABASE_URL="$$url" $(FLASK) $(ARGS)

lock: $(BIN)/.installed   # re-resolve requirements.lock from pyproject.toml (pins that still fit are kept)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

vendor: $(BIN)/.installed   # refresh the npm-vendored front-end files (gridapp/vendor/manifest.json)
	$(BIN)/python gridapp/vendor/refresh.py

stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m gridapp.provision stop; else $(PYTHON) -m gridapp.provision stop; fi

clean:
	rm -rf $(VENV) .pytest_cache
