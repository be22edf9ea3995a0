# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench lint bundle clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

## make run: install, migrate, add the demo network to an empty database, serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(BIN)/lsweb init
	$(BIN)/lsweb demo --if-empty
	$(BIN)/lsweb serve --host $(HOST) --port $(PORT)

## make test: install with the dev extra and run the whole suite
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: the benchmarks whose figures go into docs/performance.md
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/throughput.py

## make lint: ruff over the tree (the rules are in pyproject.toml)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check lsweb tests bench migrations wsgi.py

## make bundle: the offline bundle (dist/lsweb-VERSION-offline-*.tar.gz): the wheel, every dependency's
## wheel for the target Python, and install.sh (see docs/deployment.md)
bundle: $(VENV)/.installed-dev
	BUILD_PYTHON=$(BIN)/python sh deploy/bundle/build.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
